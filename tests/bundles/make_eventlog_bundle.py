#!/usr/bin/env python3
"""Writes tests/bundles/node-eventlog-crash: the healthy overlay node of node-overlay-healthy plus the
Windows Event Log tails the node collector gathers (node/eventlog/NAME.json), as Windows PowerShell 5.1
writes them: `Get-WinEvent ... | Select-Object TimeCreated, ProviderName, Id, LevelDisplayName, Message
| ConvertTo-Json` piped to Out-File (UTF-16LE with BOM, CRLF, 4-space indentation, TimeCreated as
"\\/Date(ms)\\/", one object instead of an array when one event matched).

System.json holds Service Control Manager events: the kubelet failing to answer its start request
(7023 with the error 1053 text, the wording of kubernetes/kubernetes#125119) after running normally
(7036). kubelet.json holds one event (an EKS-style kubelet provider tail) with a healthy klog line.
Re-run after editing: python3 tests/bundles/make_eventlog_bundle.py"""
import os, shutil

ROOT = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(ROOT, "node-overlay-healthy")
DST = os.path.join(ROOT, "node-eventlog-crash")


def ps_json(events):
    """ConvertTo-Json's layout in Windows PowerShell 5.1 (4 spaces, `"key":  value`)."""
    def obj(e, indent):
        pad = " " * indent
        lines = []
        for k, v in e.items():
            if isinstance(v, int):
                val = str(v)
            else:
                val = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n").replace("/Date(", "\\/Date(").replace(")/", ")\\/") + '"'
            lines.append(f'{pad}    "{k}":  {val}')
        return pad + "{\n" + ",\n".join(lines) + "\n" + pad + "}"
    if len(events) == 1:
        return obj(events[0], 0)
    return "[\n" + ",\n".join(obj(e, 4) for e in events) + "\n]"


def write_utf16(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = text.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
    open(path, "wb").write(b"\xff\xfe" + text.encode("utf-16-le"))


if os.path.isdir(DST):
    shutil.rmtree(DST)
shutil.copytree(SRC, DST)

system = [  # newest first, as Get-WinEvent lists them
    {"TimeCreated": "/Date(1765018800000)/", "ProviderName": "Service Control Manager", "Id": 7023,
     "LevelDisplayName": "Error",
     "Message": "The kubelet service terminated with the following error: \r\nThe service did not respond to the start or control request in a timely fashion."},
    {"TimeCreated": "/Date(1765015200000)/", "ProviderName": "Service Control Manager", "Id": 7036,
     "LevelDisplayName": "Information",
     "Message": "The kubelet service entered the running state."},
]
kubelet = [
    {"TimeCreated": "/Date(1765015260000)/", "ProviderName": "kubelet", "Id": 0,
     "LevelDisplayName": "Information",
     "Message": "I1206 10:01:00.000000    4120 kubelet.go:2100] \"SyncLoop ADD\" source=\"api\" pods=[]"},
]
write_utf16(os.path.join(DST, "node", "eventlog", "System.json"), ps_json(system))
write_utf16(os.path.join(DST, "node", "eventlog", "kubelet.json"), ps_json(kubelet))
print("wrote", DST)
