//! Data tables of `checks/data/`, compiled in and parsed once: the Windows node paths the node
//! model and the collector share (`node-paths.toml`). Code reads a path by its name, so that the
//! collector's plan, the checks' documentation and the model all come from one table.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `checks/data/node-paths.toml`: named files, CNI configuration directories and log directories.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePaths {
    pub files: BTreeMap<String, String>,
    /// In the order they are searched.
    pub cni_dirs: Vec<String>,
    pub log_dirs: Vec<String>,
    /// Kubeconfigs read for their `server:` line only; never copied.
    pub kubeconfigs: BTreeMap<String, String>,
}

impl NodePaths {
    /// The path of file `name`, or an empty string (which matches no file) for an unknown name:
    /// the catalogue test rules unknown names out before a release.
    pub fn file(&self, name: &str) -> &str {
        debug_assert!(
            self.files.contains_key(name),
            "checks/data/node-paths.toml has no file named {name}"
        );
        self.files.get(name).map(String::as_str).unwrap_or("")
    }

    /// The path of kubeconfig `name` (read for its `server:` line only).
    pub fn kubeconfig(&self, name: &str) -> &str {
        debug_assert!(
            self.kubeconfigs.contains_key(name),
            "checks/data/node-paths.toml has no kubeconfig named {name}"
        );
        self.kubeconfigs.get(name).map(String::as_str).unwrap_or("")
    }
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Result<T, String> {
    let file = super::CHECK_FILES
        .get_file(format!("data/{name}"))
        .ok_or_else(|| format!("checks/data/{name} is missing"))?;
    let text = file
        .contents_utf8()
        .ok_or_else(|| format!("checks/data/{name} is not UTF-8"))?;
    toml::from_str(text).map_err(|e| format!("checks/data/{name}: {e}"))
}

/// The node paths table, loaded once. Panics only if the compiled-in data is broken, which the
/// test suite rules out before a release.
pub fn node_paths() -> &'static NodePaths {
    static PATHS: OnceLock<NodePaths> = OnceLock::new();
    PATHS.get_or_init(|| match load("node-paths.toml") {
        Ok(p) => p,
        Err(e) => panic!("the compiled-in node paths are invalid: {e}"),
    })
}

/// Shorthand for `node_paths().file(name)`.
pub fn node_file(name: &str) -> &'static str {
    node_paths().file(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_paths_load_and_are_windows_paths() {
        let p = load::<NodePaths>("node-paths.toml").unwrap_or_else(|e| panic!("{e}"));
        for path in p
            .files
            .values()
            .chain(p.cni_dirs.iter())
            .chain(p.log_dirs.iter())
            .chain(p.kubeconfigs.values())
        {
            assert!(
                path.len() > 3 && path.as_bytes()[1] == b':' && path.as_bytes()[2] == b'\\',
                "{path} is not a Windows path"
            );
        }
        assert_eq!(node_file("subnet_env"), r"C:\run\flannel\subnet.env");
    }
}
