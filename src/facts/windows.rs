//! Windows Server releases: build numbers, release names as container image tags spell them, and
//! which Kubernetes versions support which release. The tables are data, with their sources, in
//! `checks/data/windows.toml` (seed docs 000 § 윈도우 운영 체제 버전 호환성, 001 § 윈도우 OS 버전
//! 지원, 004 § 동일 클러스터에서 여러 윈도우 버전을 조작하는 방법).

pub use crate::catalogue::data::Release;

/// The Windows Server releases windoctor knows (`checks/data/windows.toml`).
pub fn releases() -> &'static [Release] {
    &crate::catalogue::data::windows().releases
}

pub fn release_by_build(build: u32) -> Option<&'static Release> {
    releases().iter().find(|r| r.build == build)
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
        for r in releases() {
            if r.tags.iter().any(|t| t == segment) {
                return Some(r);
            }
        }
    }
    None
}

/// Windows releases each Kubernetes minor version supports, from the seed tables: 1.17-1.20 (doc 001),
/// and the current page (doc 000: 2019, 2022 and 20H2); earlier and later minors as
/// `checks/data/windows.toml` records them with their sources.
pub fn supported_builds(kube_minor: u32) -> &'static [u32] {
    crate::catalogue::data::windows().supported_builds(kube_minor)
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
