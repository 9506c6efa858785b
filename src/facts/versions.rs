//! Version strings as Kubernetes components and runtimes print them, parsed with the `semver`
//! crate into comparable [`Version`]s. Real versions carry more than semver's `X.Y.Z`:
//! distribution builds (`v1.28.7+rke2r1`, rancher/rke2#5424), distribution suffixes that semver
//! would read as pre-releases (GKE's Windows nodes report `v1.19.7-gke.2400`,
//! microsoft/Windows-Containers#106; Ubuntu's containerd package `1.6.24-0ubuntu1`), and short
//! forms (`1.20`, the API's `minor: "28+"`). Build metadata and distribution suffixes are dropped,
//! so `v1.19.7-gke.2400` compares equal to `1.19.7`; Kubernetes' own pre-releases (`v1.31.0-alpha.1`, `-beta.0`, `-rc.2`)
//! keep semver's order (before the release).

pub use semver::Version;
use semver::{BuildMetadata, Prerelease};

/// Parses `[v]MAJOR.MINOR[.PATCH][-PRE][+BUILD]` at the start of `text`, leniently as described in
/// the module documentation. `None` when `text` does not start with `MAJOR.MINOR`.
pub fn parse(text: &str) -> Option<Version> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    let mut version = match Version::parse(text) {
        Ok(v) => v,
        Err(_) => short_form(text)?,
    };
    version.build = BuildMetadata::EMPTY;
    if !is_kubernetes_prerelease(&version.pre) {
        version.pre = Prerelease::EMPTY;
    }
    Some(version)
}

/// `MAJOR.MINOR` or `MAJOR.MINOR.PATCH` followed by anything semver rejects (`1.20`, `28+`-style
/// minors, `1.6.24~ds1`): the leading numbers, through semver.
fn short_form(text: &str) -> Option<Version> {
    let numbers: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .take_while(|part| !part.is_empty())
        .collect();
    let [major, minor, rest @ ..] = numbers.as_slice() else {
        return None;
    };
    let patch = rest.first().copied().unwrap_or("0");
    // Rebuilt as strict semver text, so that the crate judges the numbers (leading zeros, overflow).
    let strict = format!("{major}.{minor}.{patch}");
    Version::parse(&strict).ok()
}

/// Kubernetes release candidates and alphas/betas (`alpha.1`, `beta.0`, `rc.2`); every other
/// pre-release field is a distribution's suffix.
fn is_kubernetes_prerelease(pre: &Prerelease) -> bool {
    ["alpha", "beta", "rc"]
        .iter()
        .any(|tag| pre.as_str().starts_with(tag))
}

/// A version threshold of `checks/data/thresholds.toml` (e.g. `containerd_minimum`). The data test
/// rules out thresholds that do not parse; one that did would read as 0.0.0 and never be crossed.
pub fn threshold(t: &crate::catalogue::data::VersionThreshold) -> Version {
    parse(&t.version).unwrap_or(Version::new(0, 0, 0))
}

/// A node's container runtime as reported in `.status.nodeInfo.containerRuntimeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// `containerd`, `docker`, `cri-o`, ... (the URI scheme).
    pub name: String,
    pub version: Option<Version>,
    pub raw: String,
}

impl Runtime {
    pub fn parse(raw: &str) -> Runtime {
        let (name, rest) = match raw.split_once("://") {
            Some((n, r)) => (n.to_ascii_lowercase(), r),
            None => (String::new(), raw),
        };
        Runtime {
            name,
            version: parse(rest),
            raw: raw.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u64, minor: u64, patch: u64) -> Option<Version> {
        Some(Version::new(major, minor, patch))
    }

    #[test]
    fn parses_kubernetes_and_distribution_versions() {
        assert_eq!(parse("v1.30.4"), v(1, 30, 4));
        // rancher/rke2#5424: `kubectl get nodes` shows v1.28.7+rke2r1 beside a Windows node's v1.28.7.
        assert_eq!(parse("v1.28.7+rke2r1"), v(1, 28, 7));
        assert_eq!(parse("v1.27.3+k3s1"), v(1, 27, 3));
        // microsoft/Windows-Containers#106: `kubectl get nodes` on GKE shows Windows Server 2019
        // nodes at v1.19.7-gke.2400. The suffix is not a pre-release: equal to the release.
        assert_eq!(parse("v1.19.7-gke.2400"), v(1, 19, 7));
        assert_eq!(parse("1.20"), v(1, 20, 0));
        assert_eq!(parse(" V1.29.0 "), v(1, 29, 0));
        assert_eq!(parse("garbage"), None);
        assert_eq!(parse("1"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("99999999999999999999.1"), None);
    }

    #[test]
    fn kubernetes_prereleases_sort_before_their_release() {
        let alpha = parse("v1.31.0-alpha.1").expect("alpha");
        assert_eq!(alpha.pre.as_str(), "alpha.1");
        assert!(alpha < Version::new(1, 31, 0));
        assert!(alpha > Version::new(1, 30, 9));
        assert!(parse("v1.30.0-rc.2").expect("rc") < Version::new(1, 30, 0));
    }

    #[test]
    fn parses_runtime_versions() {
        let r = Runtime::parse("containerd://1.6.24-0ubuntu1");
        assert_eq!(r.name, "containerd");
        assert_eq!(r.version, v(1, 6, 24));
        assert_eq!(
            Runtime::parse("containerd://1.7.20+azure-1").version,
            v(1, 7, 20)
        );
        assert_eq!(Runtime::parse("docker://20.10.24").name, "docker");
        assert_eq!(Runtime::parse("containerd://").version, None);
    }
}
