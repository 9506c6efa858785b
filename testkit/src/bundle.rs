//! Loading a support bundle directory into [`ClusterData`], and writing
//! one from it the way kubectl would have made it.
//!
//! Layout: `DIR/cluster/{nodes,pods,events,services,daemonsets,configmaps,
//! runtimeclasses,namespaces}.{json,yaml,yml}`, each a kubectl `List`, a
//! single object, or (YAML) several `---`-separated documents of either
//! form; a missing file means no objects of that kind. `DIR/cluster/version.json`
//! (or `DIR/version.json`) is the `/version` body, and
//! `DIR/cluster/logs/NS/POD/CONTAINER.log` (and `CONTAINER.previous.log`) are
//! container logs. Per node, `DIR/nodes/NAME/configz.json` is the kubelet's
//! running configuration (bare or wrapped in `{"kubeletconfig": ...}`),
//! `DIR/nodes/NAME/node-logs/PATH` the files of its log directory, and
//! `DIR/nodes/NAME/node-logs/query/QUERY.log` what its node log query for
//! `QUERY` returns.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;

use crate::data::ClusterData;
use crate::resource::ResourceKind;

/// Kinds read from a bundle, by file stem.
const BUNDLE_KINDS: [ResourceKind; 8] = [
    ResourceKind::Nodes,
    ResourceKind::Pods,
    ResourceKind::Events,
    ResourceKind::Services,
    ResourceKind::DaemonSets,
    ResourceKind::ConfigMaps,
    ResourceKind::RuntimeClasses,
    ResourceKind::Namespaces,
];

const EXTENSIONS: [&str; 3] = ["json", "yaml", "yml"];

/// Reads the bundle at `dir`.
pub(crate) fn load(dir: &Path) -> anyhow::Result<ClusterData> {
    let cluster = dir.join("cluster");
    if !cluster.is_dir() {
        bail!("{} has no cluster/ directory", dir.display());
    }
    let mut data = ClusterData::new();
    for kind in BUNDLE_KINDS {
        let Some(path) = find_file(&cluster, kind.plural()) else {
            continue;
        };
        for document in read_documents(&path)? {
            data.add_document(kind, document)
                .with_context(|| format!("loading {}", path.display()))?;
        }
    }
    for path in [cluster.join("version.json"), dir.join("version.json")] {
        if let Some(bytes) = read_optional(&path)? {
            let version: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display()))?;
            data.set_version(version);
            break;
        }
    }
    load_logs(&cluster.join("logs"), &mut data)?;
    load_node_files(&dir.join("nodes"), &mut data)?;
    Ok(data)
}

/// Reads `nodes/NAME/configz.json` and `nodes/NAME/node-logs/**`.
fn load_node_files(nodes: &Path, data: &mut ClusterData) -> anyhow::Result<()> {
    for node_dir in subdirectories(nodes)? {
        let Some(node) = file_name(&node_dir) else {
            continue;
        };
        let configz = node_dir.join("configz.json");
        if let Some(bytes) = read_optional(&configz)? {
            let value: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", configz.display()))?;
            data.set_configz(&node, value);
        }
        let logs = node_dir.join("node-logs");
        for (relative, path) in files_below(&logs)? {
            let contents =
                fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            match relative
                .strip_prefix("query/")
                .and_then(|q| q.strip_suffix(".log"))
            {
                Some(query) if !query.contains('/') => {
                    data.add_node_log_query(&node, query, contents)
                }
                _ => data.add_node_log(&node, &relative, contents),
            }
        }
    }
    Ok(())
}

/// Every file below `dir` as (`/`-separated path relative to `dir`, full
/// path), sorted; none when `dir` does not exist.
fn files_below(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut pending = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, current)) = pending.pop() {
        let entries = match fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("listing {}", current.display())),
        };
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing {}", current.display()))?
                .path();
            let Some(name) = file_name(&path) else {
                continue;
            };
            let relative = format!("{prefix}{name}");
            if path.is_dir() {
                pending.push((format!("{relative}/"), path));
            } else {
                out.push((relative, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Kinds a written bundle holds, with the kubectl command each file
/// stands for.
const WRITTEN_KINDS: [ResourceKind; 7] = [
    ResourceKind::Nodes,
    ResourceKind::Pods,
    ResourceKind::Events,
    ResourceKind::Services,
    ResourceKind::DaemonSets,
    ResourceKind::ConfigMaps,
    ResourceKind::RuntimeClasses,
];

/// Writes `data` (already prepared) as `dir/cluster/*.json`, see
/// [`ClusterData::write_kubectl_bundle`].
pub(crate) fn write(data: &ClusterData, dir: &Path) -> anyhow::Result<()> {
    let cluster = dir.join("cluster");
    fs::create_dir_all(&cluster).with_context(|| format!("creating {}", cluster.display()))?;
    for kind in WRITTEN_KINDS {
        let path = cluster.join(format!("{}.json", kind.plural()));
        let mut items = Vec::new();
        for object in data.objects(kind) {
            if kind == ResourceKind::ConfigMaps
                && object.namespace != "kube-system"
                && object.name != "kube-flannel-cfg"
            {
                continue;
            }
            let mut value: Value = serde_json::from_slice(&object.json)
                .with_context(|| format!("re-reading stored {}", kind.plural()))?;
            if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.remove("managedFields");
            }
            items.push(value);
        }
        let list = serde_json::json!({
            "apiVersion": "v1",
            "items": items,
            "kind": "List",
            "metadata": {"resourceVersion": ""}
        });
        let file =
            fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut writer = io::BufWriter::new(file);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut writer, formatter);
        serde::Serialize::serialize(&list, &mut serializer)
            .with_context(|| format!("writing {}", path.display()))?;
        io::Write::write_all(&mut writer, b"\n")
            .and_then(|()| io::Write::flush(&mut writer))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let version = cluster.join("version.json");
    fs::write(&version, &*data.version_json())
        .with_context(|| format!("writing {}", version.display()))?;
    Ok(())
}

/// The first of `dir/stem.{json,yaml,yml}` that exists.
fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

/// A file's bytes, `None` when it does not exist.
fn read_optional(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Parses a JSON or YAML file into its documents.
pub(crate) fn read_documents(path: &Path) -> anyhow::Result<Vec<Value>> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        let value = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing {} as JSON", path.display()))?;
        return Ok(vec![value]);
    }
    let text =
        std::str::from_utf8(&bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    parse_yaml(text).with_context(|| format!("parsing {} as YAML", path.display()))
}

/// Parses YAML text (one or more documents) with limits sized for bundles
/// of a few hundred thousand objects.
pub(crate) fn parse_yaml(text: &str) -> anyhow::Result<Vec<Value>> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(4 * 1024 * 1024 * 1024),
            max_events: usize::MAX / 2,
            max_nodes: usize::MAX / 2,
            max_total_scalar_bytes: usize::MAX / 2,
            max_documents: 1_000_000,
        },
    };
    let documents: Vec<Value> = serde_saphyr::from_str_multiple_with_options(text, options)?;
    Ok(documents)
}

/// Reads `logs/NS/POD/CONTAINER.log` and `CONTAINER.previous.log` files.
fn load_logs(logs: &Path, data: &mut ClusterData) -> anyhow::Result<()> {
    for ns_dir in subdirectories(logs)? {
        for pod_dir in subdirectories(&ns_dir)? {
            let (Some(namespace), Some(pod)) = (file_name(&ns_dir), file_name(&pod_dir)) else {
                continue;
            };
            let entries =
                fs::read_dir(&pod_dir).with_context(|| format!("listing {}", pod_dir.display()))?;
            for entry in entries {
                let path = entry
                    .with_context(|| format!("listing {}", pod_dir.display()))?
                    .path();
                let Some(file) = file_name(&path) else {
                    continue;
                };
                let text =
                    fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                if let Some(container) = file.strip_suffix(".previous.log") {
                    data.add_previous_log(&namespace, &pod, container, text);
                } else if let Some(container) = file.strip_suffix(".log") {
                    data.add_log(&namespace, &pod, container, text);
                }
            }
        }
    }
    Ok(())
}

/// Subdirectories of `dir`; none when `dir` does not exist.
fn subdirectories(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_multi_document() -> anyhow::Result<()> {
        let docs = parse_yaml("a: 1\n---\nitems:\n- b: \"2\"\n")?;
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["items"][0]["b"], "2");
        Ok(())
    }
}
