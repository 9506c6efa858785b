//! Version strings as Kubernetes components print them (`v1.30.4`, `v1.27.3+k3s1`, `1.7.20`,
//! `containerd://1.6.24-0ubuntu1`), parsed into comparable numbers.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Semver {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Semver {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Semver {
            major,
            minor,
            patch,
        }
    }

    /// Parses the leading `[v]MAJOR.MINOR[.PATCH]` of `text`; anything after (pre-release, build
    /// metadata, distro suffix) is ignored.
    pub fn parse(text: &str) -> Option<Semver> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = t.split(|c: char| !c.is_ascii_digit());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|p| p.parse().ok())?;
        let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some(Semver {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Semver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A version threshold of `checks/data/thresholds.toml` (e.g. `containerd_minimum`). The data test
/// rules out thresholds that do not parse; one that did would read as 0.0.0 and never be crossed.
pub fn threshold(t: &crate::catalogue::data::VersionThreshold) -> Semver {
    Semver::parse(&t.version).unwrap_or(Semver::new(0, 0, 0))
}

/// A node's container runtime as reported in `.status.nodeInfo.containerRuntimeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// `containerd`, `docker`, `cri-o`, ... (the URI scheme).
    pub name: String,
    pub version: Option<Semver>,
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
            version: Semver::parse(rest),
            raw: raw.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_and_runtime_versions() {
        assert_eq!(Semver::parse("v1.30.4"), Some(Semver::new(1, 30, 4)));
        assert_eq!(Semver::parse("v1.27.3+k3s1"), Some(Semver::new(1, 27, 3)));
        assert_eq!(Semver::parse("1.20"), Some(Semver::new(1, 20, 0)));
        assert_eq!(Semver::parse("garbage"), None);
        let r = Runtime::parse("containerd://1.6.24-0ubuntu1");
        assert_eq!(r.name, "containerd");
        assert_eq!(r.version, Some(Semver::new(1, 6, 24)));
        assert_eq!(Runtime::parse("docker://20.10.24").name, "docker");
    }
}
