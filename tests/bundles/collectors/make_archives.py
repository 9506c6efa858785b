#!/usr/bin/env python3
"""Regenerates the archive forms of the collector fixtures that are not copied from the research
fixtures (those were written by /work/research/collectors/fixtures/make_fixtures.py the way each
collector packs them):

- openshift-must-gather/must-gather.tar.gz: `tar czf must-gather.tar.gz must-gather.local.<N>`, the
  way users attach a must-gather (oc itself does not archive; openshift/oc@6b8e30c
  pkg/cli/admin/mustgather/mustgather.go writes the folder).
- sdn-collectlogs/tkdmfc2k.ugn.zip: the collectlogs.ps1 folder zipped by hand with its top folder
  (microsoft/SDN@242fb0c Kubernetes/windows/debug/Debug.md asks users to send the folder).

Deterministic: sorted entries, fixed times, so rerunning gives the same bytes.
Run from this folder: python3 make_archives.py
"""
import gzip
import io
import os
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED = 1717755693  # 2024-06-07T10:21:33Z, the fixtures' collection time


def files_under(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.append(os.path.join(dirpath, n))
    return sorted(out)


def make_tar_gz(folder, target):
    base = os.path.dirname(folder)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in files_under(folder):
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, base))
            info.mtime = FIXED
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with open(path, "rb") as f:
                tar.addfile(info, f)
    with open(target, "wb") as out:
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
            gz.write(buf.getvalue())


def make_zip(folder, target):
    base = os.path.dirname(folder)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in files_under(folder):
            info = zipfile.ZipInfo(os.path.relpath(path, base), date_time=(2024, 6, 7, 10, 21, 33))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())


if __name__ == "__main__":
    mg = os.path.join(HERE, "openshift-must-gather")
    make_tar_gz(os.path.join(mg, "must-gather.local.5421342344627712289"),
                os.path.join(mg, "must-gather.tar.gz"))
    sdn = os.path.join(HERE, "sdn-collectlogs")
    make_zip(os.path.join(sdn, "tkdmfc2k.ugn"), os.path.join(sdn, "tkdmfc2k.ugn.zip"))
