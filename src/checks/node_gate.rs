//! The gate for node parts that another tool gathered in part (a collector's output translated by
//! `sources::collectors`): before a check reads such a node part, each of its declared
//! `node_reads` (checks/<id>.toml) must have been gathered; otherwise the check reports `skip`
//! naming what is missing and why, instead of judging an absent file or flag as the node's state.
//! Node parts windoctor captured itself copy everything checks read, so the gate lets them through.

use crate::facts::node::{display_win_path, FileState};
use crate::model::node::{Kind, NodeView};

/// containerd's default configuration file (`checks/data/node-paths.toml`).
fn containerd_config() -> &'static str {
    crate::catalogue::data::node_file("containerd_config")
}

/// What `read` lacks on `view`: the input as a reader would look for it, and why it is missing.
/// `None` when it was gathered (or is not needed: a file the collector covers and found absent).
pub fn lacking(view: &NodeView, read: &str) -> Option<(String, String)> {
    let alternatives: Vec<&str> = read.split('|').map(str::trim).collect();
    let mut missing = Vec::new();
    for alt in &alternatives {
        match lacking_one(view, alt) {
            None => return None,
            Some(m) => missing.push(m),
        }
    }
    let input = missing
        .iter()
        .map(|(i, _)| i.clone())
        .collect::<Vec<_>>()
        .join(" or ");
    let mut reasons: Vec<String> = missing.into_iter().map(|(_, r)| r).collect();
    reasons.dedup();
    Some((input, reasons.join("; ")))
}

fn coverage_reason(view: &NodeView) -> String {
    format!(
        "{} does not collect it",
        view.files()
            .and_then(|f| f.captured_by.as_deref())
            .unwrap_or("the collection")
    )
}

fn lacking_one(view: &NodeView, read: &str) -> Option<(String, String)> {
    let files = view.files();
    if let Some(path) = read.strip_prefix("file:") {
        return match files.map(|f| f.state(path)) {
            Some(FileState::NotCaptured(by)) => {
                Some((display_win_path(path), format!("{by} does not collect it")))
            }
            _ => None,
        };
    }
    if read == "cni-configs" {
        if !view.cni_configs().is_empty() {
            return None;
        }
        let files = files?;
        let uncovered: Vec<&String> = view
            .cni_dirs()
            .iter()
            .filter(|d| !files.covers_dir(d))
            .collect();
        if uncovered.is_empty() {
            return None;
        }
        let dirs: Vec<String> = uncovered.iter().map(|d| display_win_path(d)).collect();
        return Some((
            format!("the CNI configuration ({})", dirs.join(", ")),
            coverage_reason(view),
        ));
    }
    if read == "containerd-config" {
        if view.containerd_config().is_some() {
            return None;
        }
        return match files.map(|f| f.state(containerd_config())) {
            Some(FileState::NotCaptured(by)) => Some((
                display_win_path(containerd_config()),
                format!("{by} does not collect it"),
            )),
            _ => None,
        };
    }
    if read == "kubelet-flags" {
        return view.kubelet().is_none().then(|| {
            (
                "the kubelet's flags".to_string(),
                command_line_reason(view, Kind::Kubelet),
            )
        });
    }
    if let Some(name) = read.strip_prefix("args:") {
        let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
        return view.component(kind).args().is_none().then(|| {
            (
                format!("{name}'s command line"),
                command_line_reason(view, kind),
            )
        });
    }
    if let Some(component) = read.strip_prefix("logs:") {
        let logs = view.raw.logs.ready();
        let found = logs.is_some_and(|l| l.iter().any(|x| x.component == component));
        return (!found).then(|| {
            (
                format!("the {component} log"),
                format!("the collection has no {component} log"),
            )
        });
    }
    None
}

/// Why a component's flags are not known from a partial collection.
fn command_line_reason(view: &NodeView, kind: Kind) -> String {
    use crate::facts::Input;
    let comp = view.component(kind);
    match (&view.raw.processes, comp.process) {
        (Input::Missing(m) | Input::Failed(m), _) => m.clone(),
        (_, Some(p)) => format!(
            "the collected process list shows {} (pid {}) without its command line",
            p.name, p.pid
        ),
        _ => format!(
            "{} is not among the collected processes and no collected service registration holds its flags",
            kind.name()
        ),
    }
}

#[cfg(test)]
mod tests {
    /// Every `node_reads` entry of the catalogue is one the gate understands.
    #[test]
    fn node_reads_use_the_gate_vocabulary() {
        let known = |r: &str| {
            r == "cni-configs"
                || r == "containerd-config"
                || r == "kubelet-flags"
                || r.strip_prefix("file:")
                    .is_some_and(|p| crate::facts::node::bundle_path(p).is_some())
                || r.strip_prefix("args:")
                    .is_some_and(|k| crate::model::node::Kind::ALL.iter().any(|x| x.name() == k))
                || r.strip_prefix("logs:").is_some_and(|c| !c.is_empty())
        };
        for meta in crate::catalogue::catalogue() {
            for read in &meta.node_reads {
                for alt in read.split('|') {
                    assert!(
                        known(alt.trim()),
                        "{}: node_reads {alt:?} is not known",
                        meta.id
                    );
                }
            }
        }
    }
}
