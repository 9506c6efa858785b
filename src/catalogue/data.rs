//! Data tables of `checks/data/`, compiled in and parsed once, each entry with its source beside it:
//! the Windows node paths the node model and the collector share (`node-paths.toml`; code reads a
//! path by its name), Windows releases and the builds each Kubernetes minor supports
//! (`windows.toml`), known images (`images.toml`), hypervisor and cloud markers (`hypervisors.toml`),
//! version and number thresholds (`thresholds.toml`), the securityContext fields Windows ignores
//! (`pod-fields.toml`) and the node layouts of the distributions and what is normal for each CNI
//! (`layouts.toml`). docs/catalogue.md describes the formats.

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
    /// The Windows Event Log tails the node collector reads.
    pub eventlog: EventLogPlan,
}

/// `[eventlog]` of `node-paths.toml`: bounded Get-WinEvent tails, each saved as
/// `node/eventlog/<name>.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLogPlan {
    /// `-MaxEvents` of every tail (newest first).
    pub max_events: u32,
    pub tail: Vec<EventLogQuery>,
}

/// One Get-WinEvent query: a log, a provider, or both, optionally only some event ids.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLogQuery {
    /// The bundle file stem.
    pub name: String,
    #[serde(default)]
    pub log: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub ids: Vec<u32>,
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

/// One Windows Server release (`[[release]]` of `windows.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Build number, e.g. 17763.
    pub build: u32,
    /// Product name, e.g. "Windows Server 2019 / version 1809".
    pub product: String,
    /// Tags container images use for it, lower case, e.g. `ltsc2019`, `1809`.
    pub tags: Vec<String>,
    /// Long-term servicing channel (LTSC) or semi-annual (SAC).
    pub ltsc: bool,
    pub source: String,
}

/// The builds Kubernetes minors `from..=to` support (`[[supported]]` of `windows.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportedBuilds {
    pub from: u32,
    /// Inclusive; absent for "and every later minor".
    #[serde(default)]
    pub to: Option<u32>,
    pub builds: Vec<u32>,
    pub source: String,
}

/// `checks/data/windows.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsData {
    #[serde(rename = "release")]
    pub releases: Vec<Release>,
    pub supported: Vec<SupportedBuilds>,
}

impl WindowsData {
    /// The builds Kubernetes minor `minor` supports: the first row that holds it.
    pub fn supported_builds(&self, minor: u32) -> &[u32] {
        self.supported
            .iter()
            .find(|r| r.from <= minor && r.to.is_none_or(|to| minor <= to))
            .map(|r| r.builds.as_slice())
            .unwrap_or_default()
    }
}

/// A marker of image references that only ever hold Windows images.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsOnlyImage {
    /// Lower-case substring of the reference.
    pub contains: String,
    pub source: String,
}

/// A pause image repository and whether its images carry wincat.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseImage {
    /// Lower case, without tag, e.g. `mcr.microsoft.com/oss/kubernetes/pause`.
    pub repository: String,
    /// The first tag version with wincat.
    #[serde(default)]
    pub wincat_since: Option<String>,
    /// `false` for repositories whose images never carry it.
    #[serde(default)]
    pub wincat: Option<bool>,
    /// Why an image of it lacks wincat, as a finding says it.
    pub why: String,
    pub source: String,
}

/// `checks/data/images.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesData {
    pub windows_only: Vec<WindowsOnlyImage>,
    pub pause: Vec<PauseImage>,
}

impl ImagesData {
    /// The reference names a repository that only ever holds Windows images.
    pub fn is_windows_only(&self, image: &str) -> bool {
        let i = image.to_ascii_lowercase();
        self.windows_only.iter().any(|m| i.contains(&m.contains))
    }

    /// The pause repository `repository` (lower case, no tag, no `docker.io/`), when known.
    pub fn pause(&self, repository: &str) -> Option<&PauseImage> {
        self.pause.iter().find(|p| p.repository == repository)
    }
}

/// What a node runs on, as `hypervisors.toml` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlatformKind {
    HyperV,
    Vmware,
    Kvm,
    Xen,
    Cloud,
}

/// A rule of `hypervisors.toml`: `prefix` (providerID) or `contains` (all of these substrings).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformRule {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    pub platform: PlatformKind,
    /// The provider's name, for `platform = "cloud"`.
    #[serde(default)]
    pub cloud: Option<String>,
    pub source: String,
}

impl PlatformRule {
    /// Whether `text` (lower case) matches the rule.
    pub fn matches(&self, text: &str) -> bool {
        match &self.prefix {
            Some(p) => text.starts_with(p.as_str()),
            None => {
                !self.contains.is_empty() && self.contains.iter().all(|c| text.contains(c.as_str()))
            }
        }
    }
}

/// `checks/data/hypervisors.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HypervisorData {
    pub provider_id: Vec<PlatformRule>,
    pub hardware: Vec<PlatformRule>,
    pub adapter: Vec<PlatformRule>,
}

impl HypervisorData {
    fn first<'a>(rules: &'a [PlatformRule], text: &str) -> Option<&'a PlatformRule> {
        let lower = text.to_ascii_lowercase();
        rules.iter().find(|r| r.matches(&lower))
    }
    /// The rule a Node's providerID matches.
    pub fn by_provider_id(&self, provider_id: &str) -> Option<&PlatformRule> {
        Self::first(&self.provider_id, provider_id)
    }
    /// The rule "Manufacturer Model" matches.
    pub fn by_hardware(&self, model: &str) -> Option<&PlatformRule> {
        Self::first(&self.hardware, model)
    }
    /// The rule an adapter's InterfaceDescription matches.
    pub fn by_adapter(&self, description: &str) -> Option<&PlatformRule> {
        Self::first(&self.adapter, description)
    }
}

/// A version threshold, e.g. `1.4.0`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionThreshold {
    pub version: String,
    pub source: String,
}

/// A number threshold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberThreshold {
    pub value: u64,
    pub source: String,
}

/// The kubelet side of the version skew policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkewPolicy {
    pub lag: u32,
    pub older_lag: u32,
    pub older_before_minor: u32,
    pub source: String,
}

/// `checks/data/thresholds.toml`: one field per threshold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub containerd_minimum: VersionThreshold,
    pub dockershim_removed: VersionThreshold,
    pub pause_recommended: VersionThreshold,
    pub port_forward_minimum: VersionThreshold,
    pub kubelet_skew: SkewPolicy,
    pub service_max_backends: NumberThreshold,
    pub session_affinity_min_build: NumberThreshold,
    pub dsr_min_build: NumberThreshold,
    pub preserve_destination_min_build: NumberThreshold,
    pub flannel_vni: NumberThreshold,
    pub flannel_port: NumberThreshold,
}

/// A securityContext field Windows ignores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoredField {
    pub field: String,
    pub why: String,
    pub source: String,
}

/// `checks/data/pod-fields.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodFields {
    pub pod_security_context: Vec<IgnoredField>,
    pub container_security_context: Vec<IgnoredField>,
}

/// One component of a distribution's layout: how it runs and where it logs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutComponent {
    pub kind: String,
    pub runs_as: String,
    pub logs: Vec<String>,
    pub source: String,
}

/// One distribution's Windows node layout (`[[layout]]` of `layouts.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub id: String,
    pub name: String,
    /// Service names (any case) that mark this layout.
    pub mark_services: Vec<String>,
    /// Executable stems (any case, no `.exe`) that mark this layout.
    pub mark_processes: Vec<String>,
    /// Files whose presence marks this layout.
    pub mark_files: Vec<String>,
    /// CNI configuration directories, in the order they are searched.
    pub cni_dirs: Vec<String>,
    /// Configuration files the collector gathers on such a node.
    pub files: Vec<String>,
    pub log_dirs: Vec<String>,
    pub hns_module: String,
    /// Why Manual services are normal here (who starts them); empty when they are not.
    pub manual_start: String,
    /// Services whose child processes the node components are.
    pub starter_services: Vec<String>,
    /// Pods get addresses the cloud provider's own network delivers (no MAC spoofing needed).
    pub provider_network: bool,
    /// The node is set up by the documentation's start.ps1, which creates the pod network; on
    /// every other layout the CNI (or its agent) creates it.
    #[serde(default)]
    pub start_script: bool,
    /// How a fix sets a kubelet flag here, when not on the kubelet's own service or process
    /// (`{flag}`: the flag as written, `{arg}`: without its dashes; `model::layout::kubelet_flag_on`);
    /// empty when it is.
    #[serde(default)]
    pub kubelet_flag: String,
    /// How long a change of the kubelet's flags on the node lasts where the distribution writes
    /// the kubelet's service again (a new node from its group's template, a daemon's reconcile),
    /// and where to make it last when there is such a place (`{flag}`: the flag as written): said
    /// beside every kubelet flag fix of the layout; empty when the change lasts.
    #[serde(default)]
    pub kubelet_flag_lasts: String,
    /// What a fix runs here instead of restarting a node component's own service, when the
    /// components are children of one service; empty when each is its own.
    #[serde(default)]
    pub restart: String,
    /// Where `kubelet_flag`, `kubelet_flag_lasts` and `restart` come from.
    #[serde(default)]
    pub fix_source: String,
    pub source: String,
    #[serde(rename = "component")]
    pub components: Vec<LayoutComponent>,
}

/// What is normal for one CNI plugin (`[[cni]]` of `layouts.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CniRules {
    pub id: String,
    pub title: String,
    /// CNI plugin types (any case) this entry applies to.
    pub types: Vec<String>,
    /// CNI network names (any case) this entry applies to.
    pub names: Vec<String>,
    /// "conf-name", "re:REGEX" or "type:TYPE": how its HNS network is found.
    pub network: String,
    /// What the OutBoundNAT exceptions (or a route policy) must cover: cluster, service, management.
    pub exceptions: Vec<String>,
    /// "file" (the exceptions are in the configuration), "endpoint" (the plugin writes them on
    /// each endpoint) or "plugin" (it NATs by other means).
    pub exceptions_by: String,
    pub pods_in_node_network: bool,
    pub network_on_first_pod: bool,
    /// A ROUTE / SDNRoute policy for a range stands in for its OutBoundNAT exception.
    pub route_covers: bool,
    pub source: String,
}

impl CniRules {
    /// Whether the rules apply to a configuration of `name` with plugin `types`.
    pub fn applies(&self, name: Option<&str>, types: &[String]) -> bool {
        name.is_some_and(|n| self.names.iter().any(|x| x.eq_ignore_ascii_case(n)))
            || types
                .iter()
                .any(|t| self.types.iter().any(|x| x.eq_ignore_ascii_case(t)))
    }
    pub fn needs(&self, what: &str) -> bool {
        self.exceptions.iter().any(|e| e == what)
    }
}

/// OutBoundNAT exception ranges a layout writes on purpose.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByDesignExceptions {
    pub layout: String,
    pub ranges: Vec<String>,
    pub source: String,
}

/// `checks/data/layouts.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layouts {
    #[serde(rename = "layout")]
    pub layouts: Vec<Layout>,
    pub cni: Vec<CniRules>,
    pub by_design_exceptions: Vec<ByDesignExceptions>,
}

impl Layouts {
    pub fn get(&self, id: &str) -> Option<&Layout> {
        self.layouts.iter().find(|l| l.id == id)
    }
    /// The CNI rules for a configuration of `name` with plugin `types`.
    pub fn cni_for(&self, name: Option<&str>, types: &[String]) -> Option<&CniRules> {
        self.cni.iter().find(|c| c.applies(name, types))
    }
    /// The exception ranges layout `id` writes on purpose.
    pub fn by_design(&self, id: &str) -> &[String] {
        self.by_design_exceptions
            .iter()
            .find(|b| b.layout == id)
            .map(|b| b.ranges.as_slice())
            .unwrap_or_default()
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

/// Loads `checks/data/<name>` once into `cell`. Panics only if the compiled-in data is broken,
/// which the test suite rules out before a release.
pub(super) fn once<T: for<'de> Deserialize<'de>>(
    cell: &'static OnceLock<T>,
    name: &str,
) -> &'static T {
    cell.get_or_init(|| match load(name) {
        Ok(t) => t,
        Err(e) => panic!("the compiled-in data table is invalid: {e}"),
    })
}

/// `checks/data/windows.toml`, loaded once.
pub fn windows() -> &'static WindowsData {
    static CELL: OnceLock<WindowsData> = OnceLock::new();
    once(&CELL, "windows.toml")
}

/// `checks/data/images.toml`, loaded once.
pub fn images() -> &'static ImagesData {
    static CELL: OnceLock<ImagesData> = OnceLock::new();
    once(&CELL, "images.toml")
}

/// `checks/data/hypervisors.toml`, loaded once.
pub fn hypervisors() -> &'static HypervisorData {
    static CELL: OnceLock<HypervisorData> = OnceLock::new();
    once(&CELL, "hypervisors.toml")
}

/// `checks/data/thresholds.toml`, loaded once.
pub fn thresholds() -> &'static Thresholds {
    static CELL: OnceLock<Thresholds> = OnceLock::new();
    once(&CELL, "thresholds.toml")
}

/// `checks/data/pod-fields.toml`, loaded once.
pub fn pod_fields() -> &'static PodFields {
    static CELL: OnceLock<PodFields> = OnceLock::new();
    once(&CELL, "pod-fields.toml")
}

/// `checks/data/layouts.toml`, loaded once.
pub fn layouts() -> &'static Layouts {
    static CELL: OnceLock<Layouts> = OnceLock::new();
    once(&CELL, "layouts.toml")
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

    /// Every table loads, every entry names its source, and the values are usable.
    #[test]
    fn every_data_table_loads_and_cites_its_sources() {
        let w = load::<WindowsData>("windows.toml").unwrap_or_else(|e| panic!("{e}"));
        let mut sources: Vec<&str> = w.releases.iter().map(|r| r.source.as_str()).collect();
        sources.extend(w.supported.iter().map(|r| r.source.as_str()));
        for r in &w.releases {
            assert!(r.tags.iter().all(|t| *t == t.to_ascii_lowercase()), "{r:?}");
        }
        for (minor, _) in (0..40).map(|m| (m, ())) {
            let builds = w.supported_builds(minor);
            assert!(!builds.is_empty(), "no builds for 1.{minor}");
            for b in builds {
                assert!(
                    w.releases.iter().any(|r| r.build == *b),
                    "build {b} has no [[release]]"
                );
            }
        }
        let i = load::<ImagesData>("images.toml").unwrap_or_else(|e| panic!("{e}"));
        sources.extend(i.windows_only.iter().map(|m| m.source.as_str()));
        for p in &i.pause {
            sources.push(&p.source);
            assert!(
                p.wincat_since.is_some() != (p.wincat == Some(false)),
                "{}: set exactly one of wincat_since and wincat = false",
                p.repository
            );
            assert_eq!(p.repository, p.repository.to_ascii_lowercase());
        }
        let h = load::<HypervisorData>("hypervisors.toml").unwrap_or_else(|e| panic!("{e}"));
        for r in h.provider_id.iter().chain(&h.hardware).chain(&h.adapter) {
            sources.push(&r.source);
            assert!(
                r.prefix.is_some() || !r.contains.is_empty(),
                "{r:?} matches nothing"
            );
            assert_eq!(
                r.platform == PlatformKind::Cloud,
                r.cloud.is_some(),
                "{r:?}"
            );
        }
        let t = load::<Thresholds>("thresholds.toml").unwrap_or_else(|e| panic!("{e}"));
        for v in [
            &t.containerd_minimum,
            &t.dockershim_removed,
            &t.pause_recommended,
            &t.port_forward_minimum,
        ] {
            sources.push(&v.source);
            let parts: Vec<&str> = v.version.split('.').collect();
            assert!(
                parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
                "{} is not MAJOR.MINOR.PATCH",
                v.version
            );
        }
        sources.push(&t.kubelet_skew.source);
        let f = load::<PodFields>("pod-fields.toml").unwrap_or_else(|e| panic!("{e}"));
        sources.extend(
            f.pod_security_context
                .iter()
                .chain(&f.container_security_context)
                .map(|x| x.source.as_str()),
        );
        let l = load::<Layouts>("layouts.toml").unwrap_or_else(|e| panic!("{e}"));
        for layout in &l.layouts {
            sources.push(&layout.source);
            sources.extend(layout.components.iter().map(|c| c.source.as_str()));
            assert!(
                !layout.mark_services.is_empty()
                    || !layout.mark_processes.is_empty()
                    || !layout.mark_files.is_empty(),
                "layout {} has no mark",
                layout.id
            );
            for path in layout
                .mark_files
                .iter()
                .chain(&layout.cni_dirs)
                .chain(&layout.files)
                .chain(&layout.log_dirs)
            {
                assert!(
                    path.len() > 3 && path.as_bytes()[1] == b':' && !path.ends_with(".exe"),
                    "layout {}: {path} is not a Windows path of a non-executable",
                    layout.id
                );
            }
        }
        for c in &l.cni {
            sources.push(&c.source);
            assert!(
                !c.types.is_empty() || !c.names.is_empty(),
                "{} matches nothing",
                c.id
            );
            assert!(
                c.network == "conf-name"
                    || c.network.starts_with("type:")
                    || c.network
                        .strip_prefix("re:")
                        .is_some_and(|r| regex::Regex::new(r).is_ok()),
                "{}: network {:?}",
                c.id,
                c.network
            );
            assert!(
                ["file", "endpoint", "plugin"].contains(&c.exceptions_by.as_str()),
                "{}",
                c.id
            );
            for e in &c.exceptions {
                assert!(
                    ["cluster", "service", "management"].contains(&e.as_str()),
                    "{e}"
                );
            }
        }
        for b in &l.by_design_exceptions {
            sources.push(&b.source);
            assert!(l.get(&b.layout).is_some(), "no layout {}", b.layout);
            for r in &b.ranges {
                assert!(r.parse::<ipnet::IpNet>().is_ok(), "{r}");
            }
        }
        for s in sources {
            assert!(s.trim().len() > 10, "a data entry cites no source: {s:?}");
        }
    }

    #[test]
    fn lookups_follow_the_tables() {
        assert_eq!(windows().supported_builds(17), &[17763]);
        assert_eq!(
            windows().supported_builds(22),
            &[17763, 19041, 19042, 20348]
        );
        assert!(windows().supported_builds(40).contains(&26100));
        assert!(images().is_windows_only("mcr.microsoft.com/windows/servercore:ltsc2019"));
        assert!(!images().is_windows_only("nginx:1.27"));
        assert_eq!(
            hypervisors()
                .by_adapter("Microsoft Hyper-V Network Adapter #2")
                .map(|r| r.platform),
            Some(PlatformKind::HyperV)
        );
        assert_eq!(
            hypervisors()
                .by_provider_id("azure:///subscriptions/x")
                .and_then(|r| r.cloud.as_deref()),
            Some("Azure")
        );
        assert_eq!(thresholds().flannel_vni.value, 4096);
    }
}
