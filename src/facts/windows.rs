//! Windows Server releases: build numbers, release names as container image tags spell them, and
//! which Kubernetes versions support which release (seed docs 000 § 윈도우 운영 체제 버전 호환성,
//! 001 § 윈도우 OS 버전 지원, 004 § 동일 클러스터에서 여러 윈도우 버전을 조작하는 방법).

/// One Windows Server release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// Build number, e.g. 17763.
    pub build: u32,
    /// Product name, e.g. "Windows Server 2019".
    pub product: &'static str,
    /// Tags container images use for it, e.g. `ltsc2019`, `1809`.
    pub tags: &'static [&'static str],
    /// Long-term servicing channel (LTSC) or semi-annual (SAC).
    pub ltsc: bool,
}

pub const RELEASES: &[Release] = &[
    Release {
        build: 17134,
        product: "Windows Server version 1803",
        tags: &["1803"],
        ltsc: false,
    },
    Release {
        build: 17763,
        product: "Windows Server 2019 / version 1809",
        tags: &["ltsc2019", "1809"],
        ltsc: true,
    },
    Release {
        build: 18362,
        product: "Windows Server version 1903",
        tags: &["1903"],
        ltsc: false,
    },
    Release {
        build: 18363,
        product: "Windows Server version 1909",
        tags: &["1909"],
        ltsc: false,
    },
    Release {
        build: 19041,
        product: "Windows Server version 2004",
        tags: &["2004"],
        ltsc: false,
    },
    Release {
        build: 19042,
        product: "Windows Server version 20H2",
        tags: &["20h2"],
        ltsc: false,
    },
    Release {
        build: 20348,
        product: "Windows Server 2022",
        tags: &["ltsc2022"],
        ltsc: true,
    },
    Release {
        build: 25398,
        product: "Windows Server version 23H2",
        tags: &["23h2"],
        ltsc: false,
    },
    Release {
        build: 26100,
        product: "Windows Server 2025",
        tags: &["ltsc2025"],
        ltsc: true,
    },
];

pub fn release_by_build(build: u32) -> Option<&'static Release> {
    RELEASES.iter().find(|r| r.build == build)
}

/// The build number in a kernel version or build label: `10.0.17763.6054` or `10.0.17763` -> 17763.
pub fn build_of(version: &str) -> Option<u32> {
    let mut parts = version.trim().split('.');
    let (major, _minor, build) = (parts.next()?, parts.next()?, parts.next()?);
    if major != "10" {
        return None;
    }
    build.parse().ok()
}

/// `10.0.BUILD`, the form of the `node.kubernetes.io/windows-build` label.
pub fn build_label(build: u32) -> String {
    format!("10.0.{build}")
}

/// The Windows release an image reference targets, judged from its tag
/// (`...:windowsservercore-ltsc2019`, `...:1809`, `...:4.8-20220412-windowsservercore-ltsc2022`,
/// `...:10.0.17763.1234`). `None` when the tag names no release (multi-arch tags like `3.6`).
pub fn image_release(image: &str) -> Option<&'static Release> {
    let name_and_tag = image.rsplit('/').next().unwrap_or(image);
    let tag = name_and_tag
        .split_once(':')
        .map(|(_, t)| t)?
        .split('@')
        .next()?
        .to_ascii_lowercase();
    if let Some(b) = tag.split(['-', '_']).find_map(build_of) {
        return release_by_build(b);
    }
    for segment in tag.split(['-', '_']) {
        for r in RELEASES {
            if r.tags.contains(&segment) {
                return Some(r);
            }
        }
    }
    None
}

/// Windows releases each Kubernetes minor version supports, from the seed tables: 1.17-1.20 (doc 001),
/// and the current page (doc 000: 2019, 2022 and 20H2). Kubernetes versions after the tables inherit
/// the current list. Returns `None` for versions before the tables (1.14-1.16: 2019/1809 only).
pub fn supported_builds(kube_minor: u32) -> &'static [u32] {
    match kube_minor {
        0..=16 => &[17763],
        17 => &[17763],
        18 => &[17763, 18362, 18363],
        19 | 20 => &[17763, 18363, 19041],
        21..=24 => &[17763, 19041, 19042, 20348],
        _ => &[17763, 19042, 20348, 25398, 26100],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_from_kernel_versions_and_labels() {
        assert_eq!(build_of("10.0.17763.6054"), Some(17763));
        assert_eq!(build_of("10.0.20348"), Some(20348));
        assert_eq!(build_of("5.15.0-1057-azure"), None);
    }

    #[test]
    fn image_tags_name_releases() {
        let b = |i: &str| image_release(i).map(|r| r.build);
        assert_eq!(
            b("mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"),
            Some(17763)
        );
        assert_eq!(b("mcr.microsoft.com/windows/nanoserver:1809"), Some(17763));
        assert_eq!(
            b("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"),
            Some(20348)
        );
        assert_eq!(
            b("mcr.microsoft.com/windows/servercore:10.0.17763.1234"),
            Some(17763)
        );
        assert_eq!(b("registry.k8s.io/pause:3.6"), None);
        assert_eq!(b("localhost:5000/app"), None);
        assert_eq!(b("mcr.microsoft.com/windows/servercore:20H2"), Some(19042));
    }
}
