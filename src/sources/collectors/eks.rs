//! EKS eks-log-collector.ps1: the zip is `eks_<instance-id>_<time>.zip`
//! (`awslabs/amazon-eks-ami@81fec2e:log-collector-script/windows/eks-log-collector.ps1#L28-L34`).
//! The Node name (the instance's private DNS name) is not in it, so the node part is named by the
//! host name `system\sysinfo` records, else by the instance id.

use super::{small_text, Tree};
use crate::sources::files::FileStore;

/// `eks_i-0b318f704c74b6ab2_20240607T1021339876Z.zip` -> `i-0b318f704c74b6ab2`.
pub fn instance_of_archive(name: &str) -> Option<String> {
    let rest = name.strip_prefix("eks_")?;
    let (id, _) = rest.split_once('_')?;
    id.starts_with("i-").then(|| id.to_string())
}

pub fn node_of(
    store: &dyn FileStore,
    tree: &Tree,
    dir: &str,
    name: &str,
) -> (Option<String>, Option<String>) {
    let sysinfo = Tree::join(dir, "system/sysinfo");
    let host = small_text(store, tree, "", &sysinfo)
        .and_then(|t| super::formats::windows::systeminfo(&t).0);
    let part = host
        .clone()
        .or_else(|| instance_of_archive(name))
        .unwrap_or_else(|| name.to_string());
    (Some(part), host)
}

#[cfg(test)]
mod tests {
    #[test]
    fn instance_ids() {
        assert_eq!(
            super::instance_of_archive("eks_i-0b318f704c74b6ab2_20240607T1021339876Z.zip")
                .as_deref(),
            Some("i-0b318f704c74b6ab2")
        );
        assert_eq!(super::instance_of_archive("system"), None);
    }
}
