//! Which distribution laid out a Windows node, detected once from its node part: the services,
//! processes and files each layout of `checks/data/layouts.toml` is known by are counted, and the
//! layout with the most marks is the node's (ties go to the earlier entry; no mark, no layout).
//! Also which CNI plugin the node uses, from its CNI configurations and the `[[cni]]` rules.

use crate::catalogue::data::{layouts, CniRules, Layout};
use crate::facts::node::records::exe_stem;
use crate::facts::node::{cni::CniConfig, NodeFacts};

/// A detected layout and the marks that chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedLayout {
    pub id: String,
    /// "service rke2", "process EKS-WindowsServiceHost", "file C:\k\kubeclusterconfig.json", ...
    pub marks: Vec<String>,
}

impl DetectedLayout {
    /// The layout's entry in the data table.
    pub fn layout(&self) -> Option<&'static Layout> {
        layouts().get(&self.id)
    }
    /// "Azure Kubernetes Service (AgentBaker) (aks)".
    pub fn describe(&self) -> String {
        match self.layout() {
            Some(l) => format!("{} ({})", l.name, l.id),
            None => self.id.clone(),
        }
    }
}

/// The marks of `layout` present in the node part.
fn marks_of(raw: &NodeFacts, layout: &Layout) -> Vec<String> {
    let mut marks = Vec::new();
    let services = raw.services.ready().map(Vec::as_slice).unwrap_or(&[]);
    let processes = raw.processes.ready().map(Vec::as_slice).unwrap_or(&[]);
    for name in &layout.mark_services {
        if let Some(s) = services.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
            marks.push(format!("service {}", s.name));
        }
    }
    for stem in &layout.mark_processes {
        let stem = stem.to_ascii_lowercase();
        if let Some(p) = processes.iter().find(|p| p.stem() == stem) {
            marks.push(format!("process {}", p.name));
        } else if let Some(s) = services.iter().find(|s| {
            s.effective_command()
                .first()
                .is_some_and(|p| exe_stem(p) == stem)
        }) {
            marks.push(format!("service {} runs {stem}.exe", s.name));
        }
    }
    if let Some(files) = raw.files.ready() {
        for path in &layout.mark_files {
            if let Some(f) = files.get(path) {
                marks.push(format!(
                    "file {}",
                    crate::facts::node::display_win_path(&f.path)
                ));
            }
        }
    }
    marks
}

/// The node part's layout, when any layout's mark is present.
pub fn detect(raw: &NodeFacts) -> Option<DetectedLayout> {
    let mut best: Option<DetectedLayout> = None;
    for layout in &layouts().layouts {
        let marks = marks_of(raw, layout);
        if marks.is_empty() {
            continue;
        }
        if best.as_ref().is_none_or(|b| marks.len() > b.marks.len()) {
            best = Some(DetectedLayout {
                id: layout.id.clone(),
                marks,
            });
        }
    }
    best
}

/// The rules for a parsed CNI configuration, when windoctor knows its plugin.
pub fn cni_rules(conf: &CniConfig) -> Option<&'static CniRules> {
    layouts().cni_for(conf.name.as_deref(), &conf.plugin_types)
}

/// How a CNI's HNS network is found: by the configuration's name, a regex, or a network type.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkMatch {
    Name(String),
    Pattern(String),
    Type(String),
}

impl NetworkMatch {
    /// How the network of `conf` under `rules` is found.
    pub fn of(rules: &CniRules, conf: &CniConfig) -> Option<NetworkMatch> {
        if let Some(re) = rules.network.strip_prefix("re:") {
            return Some(NetworkMatch::Pattern(re.to_string()));
        }
        if let Some(t) = rules.network.strip_prefix("type:") {
            return Some(NetworkMatch::Type(t.to_string()));
        }
        conf.name.clone().map(NetworkMatch::Name)
    }
    /// The network a `KUBE_NETWORK` value names: a value holding a `*` (Calico sets `Calico.*`) is
    /// a regular expression, matched against the whole HNS network name without regard to case;
    /// any other value is a name.
    pub fn kube_network(value: &str) -> NetworkMatch {
        if value.contains('*') {
            NetworkMatch::Pattern(format!("{KUBE_NETWORK_OPEN}{value}{KUBE_NETWORK_CLOSE}"))
        } else {
            NetworkMatch::Name(value.to_string())
        }
    }

    pub fn matches(&self, name: &str, type_: &str) -> bool {
        match self {
            NetworkMatch::Name(n) => n.eq_ignore_ascii_case(name),
            NetworkMatch::Pattern(re) => regex::Regex::new(re).is_ok_and(|r| r.is_match(name)),
            NetworkMatch::Type(t) => t.eq_ignore_ascii_case(type_),
        }
    }
    pub fn describe(&self) -> String {
        match (self, self.single_name()) {
            (_, Some(name)) => name.to_string(),
            (NetworkMatch::Type(t), None) => format!("a {t} network"),
            (_, None) => format!("a network matching {}", self.pattern()),
        }
    }

    /// The network as a message names it, e.g. when it is missing: `HNS network azure`,
    /// `HNS network matching ^vpcbr[0-9a-f]{12}$`, `HNS l2bridge network`.
    pub fn hns_phrase(&self) -> String {
        match (self, self.single_name()) {
            (_, Some(name)) => format!("HNS network {name}"),
            (NetworkMatch::Type(t), None) => format!("HNS {t} network"),
            (_, None) => format!("HNS network matching {}", self.pattern()),
        }
    }

    /// The one name this matches, when it matches one name (`^azure$` is just a name).
    pub fn single_name(&self) -> Option<&str> {
        match self {
            NetworkMatch::Name(n) => Some(n),
            NetworkMatch::Pattern(re) => re
                .strip_prefix('^')
                .and_then(|r| r.strip_suffix('$'))
                .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
            NetworkMatch::Type(_) => None,
        }
    }

    /// The pattern as written (empty for a name or a type): a `KUBE_NETWORK` value as its
    /// variable gives it (`Calico.*`), not as the expression it is matched with.
    fn pattern(&self) -> &str {
        match self {
            NetworkMatch::Pattern(re) => re
                .strip_prefix(KUBE_NETWORK_OPEN)
                .and_then(|r| r.strip_suffix(KUBE_NETWORK_CLOSE))
                .unwrap_or(re),
            _ => "",
        }
    }
}

/// What [`NetworkMatch::kube_network`] puts around a `KUBE_NETWORK` pattern.
const KUBE_NETWORK_OPEN: &str = "(?i)^(?:";
const KUBE_NETWORK_CLOSE: &str = ")$";

/// The layout's own way to set kubelet flag `flag` (`--name=value`) in a fix, when it has one
/// (`kubelet_flag` in `layouts.toml`): `{flag}` is the flag as written on a command line, `{arg}`
/// the flag as an item of RKE2's `kubelet-arg` list, without its dashes and with an empty value
/// written `""` left empty (YAML would keep the quotes).
pub fn kubelet_flag_on(layout: &Layout, flag: &str) -> Option<String> {
    if layout.kubelet_flag.is_empty() {
        return None;
    }
    let arg = flag.trim_start_matches('-');
    let arg = arg
        .strip_suffix("=\"\"")
        .map_or(arg.to_string(), |name| format!("{name}="));
    Some(
        layout
            .kubelet_flag
            .replace("{flag}", flag)
            .replace("{arg}", &arg),
    )
}

/// A fix command restarting node components (`Restart-Service kubelet`, `Restart-Service
/// containerd; Restart-Service kubelet`, with or without a trailing `# comment`) as the layout
/// restarts them, when its components are children of one service (`restart` in
/// `layouts.toml`): `None` for any other command, or when each component is its own service.
pub fn restart_on(layout: &Layout, run: &str) -> Option<String> {
    if layout.restart.is_empty() {
        return None;
    }
    let (body, comment) = match run.find(" #") {
        Some(at) => run.split_at(at),
        None => (run, ""),
    };
    let is_component = |name: &str| {
        layout
            .components
            .iter()
            .any(|c| c.kind.eq_ignore_ascii_case(name))
    };
    let restarts_components = body.split(';').all(|part| {
        let mut words = part.split_whitespace();
        matches!(
            (words.next(), words.next(), words.next()),
            (Some(verb), Some(name), None)
                if verb.eq_ignore_ascii_case("Restart-Service") && is_component(name)
        )
    });
    restarts_components.then(|| format!("{}{comment}", layout.restart))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::node::records::WinService;

    /// A network is named in messages by its name, by its pattern when it has no one name (a
    /// pattern anchored on a plain name is that name), or by its type.
    #[test]
    fn networks_are_named_as_a_name_a_pattern_or_a_type() {
        let cases = [
            (
                NetworkMatch::Name("azure".into()),
                "azure",
                "HNS network azure",
            ),
            (
                NetworkMatch::Pattern("^azure$".into()),
                "azure",
                "HNS network azure",
            ),
            (
                NetworkMatch::Pattern("^vpcbr[0-9a-f]{12}$".into()),
                "a network matching ^vpcbr[0-9a-f]{12}$",
                "HNS network matching ^vpcbr[0-9a-f]{12}$",
            ),
            (
                NetworkMatch::Type("l2bridge".into()),
                "a l2bridge network",
                "HNS l2bridge network",
            ),
            // KUBE_NETWORK as Calico sets it: named as the variable gives it.
            (
                NetworkMatch::kube_network("Calico.*"),
                "a network matching Calico.*",
                "HNS network matching Calico.*",
            ),
            (
                NetworkMatch::kube_network("cbr0"),
                "cbr0",
                "HNS network cbr0",
            ),
        ];
        // The variable's pattern matches whole names, without regard to case.
        let calico = NetworkMatch::kube_network("Calico.*");
        assert!(calico.matches("Calico", "Overlay") && calico.matches("calico-vxlan", ""));
        assert!(!calico.matches("External", "Overlay") && !calico.matches("my-Calico", ""));
        for (wanted, described, phrase) in cases {
            assert_eq!(wanted.describe(), described, "{wanted:?}");
            assert_eq!(wanted.hns_phrase(), phrase, "{wanted:?}");
        }
    }

    #[test]
    fn marks_choose_the_layout() {
        let mut raw = NodeFacts::absent();
        raw.present = true;
        raw.services = crate::facts::Input::Ready(vec![WinService {
            name: "rke2".into(),
            state: "Running".into(),
            start_mode: "Auto".into(),
            path_name: r"C:\usr\local\bin\rke2.exe agent".into(),
            nssm: None,
        }]);
        let d = detect(&raw).expect("rke2 is detected");
        assert_eq!(d.id, "rke2");
        assert_eq!(d.marks.len(), 2, "{:?}", d.marks);
        assert!(d.describe().contains("RKE2"));
        assert!(detect(&NodeFacts::absent()).is_none());
    }

    #[test]
    fn cni_rules_follow_the_plugin() {
        let conf = crate::facts::node::cni::parse(
            r#"{"name":"vpc","type":"vpc-bridge","vpcCIDRs":["10.0.0.0/16"]}"#,
        )
        .expect("parses");
        let rules = cni_rules(&conf).expect("known");
        assert_eq!(rules.id, "vpc-bridge");
        let m = NetworkMatch::of(rules, &conf).expect("match");
        assert!(m.matches("vpcbr0e8c5f7a3b21", "L2Bridge"));
        assert!(!m.matches("vpc", "L2Bridge"));
        let ovn = crate::facts::node::cni::parse(
            r#"{"name":"OVNKubernetesHybridOverlayNetwork","type":"win-overlay"}"#,
        )
        .expect("parses");
        assert_eq!(
            cni_rules(&ovn).map(|r| r.id.as_str()),
            Some("ovn-hybrid-overlay")
        );
        let plain =
            crate::facts::node::cni::parse(r#"{"name":"x","type":"bridge"}"#).expect("parses");
        assert!(cni_rules(&plain).is_none());
    }

    #[test]
    fn rke2_sets_kubelet_flags_in_its_config_and_restarts_its_one_service() {
        let rke2 = layouts().get("rke2").expect("rke2 layout");
        assert_eq!(
            kubelet_flag_on(rke2, "--system-reserved=memory=2Gi").as_deref(),
            Some(
                r#"notepad C:\etc\rancher\rke2\config.yaml   # add "system-reserved=memory=2Gi" to the kubelet-arg list (or to the config.yaml.d file that sets it)"#
            )
        );
        // An empty value written "" on a command line is an empty value in the list.
        let empty = kubelet_flag_on(rke2, r#"--enforce-node-allocatable="""#).expect("a command");
        assert!(empty.contains(r#""enforce-node-allocatable=""#), "{empty}");
        for (run, expected) in [
            ("Restart-Service kubelet", Some("Restart-Service rke2")),
            (
                "Restart-Service containerd; Restart-Service kubelet",
                Some("Restart-Service rke2"),
            ),
            ("restart-service Kube-Proxy", Some("Restart-Service rke2")),
            (
                "Restart-Service kubelet   # on the node, after changing the sandbox image",
                Some("Restart-Service rke2 # on the node, after changing the sandbox image"),
            ),
            // Near misses: a service that is not one of rke2's children, another verb, an
            // argument more, a restart joined to another command.
            ("Restart-Service hns", None),
            ("Stop-Service kubelet", None),
            ("Restart-Service kubelet -Force", None),
            ("Restart-Service kubelet; Get-Service kubelet", None),
        ] {
            assert_eq!(restart_on(rke2, run).as_deref(), expected, "{run}");
        }
    }

    #[test]
    fn layouts_whose_components_are_their_own_services_keep_the_commands() {
        for id in [
            "aks",
            "eks",
            "gke",
            "kubeadm-hostprocess",
            "calico-manual",
            "sdn-flannel",
        ] {
            let layout = layouts().get(id).expect("layout");
            assert_eq!(restart_on(layout, "Restart-Service kubelet"), None, "{id}");
            // Where the kubelet's flags are its own service's or process's, the fix rebuilds
            // those; AKS keeps them in kubeclusterconfig.json (below).
            if id != "aks" {
                assert_eq!(kubelet_flag_on(layout, "--v=4"), None, "{id}");
            }
        }
        // AKS's Kubelet service runs kubeletstart.ps1, which starts the kubelet with the flags of
        // kubeclusterconfig.json.
        let aks = layouts().get("aks").expect("aks layout");
        let on_aks = kubelet_flag_on(aks, "--system-reserved=memory=2Gi").expect("a command");
        assert!(
            on_aks.starts_with(
                r#"notepad C:\k\kubeclusterconfig.json   # add "--system-reserved=memory=2Gi" to Kubernetes.Kubelet.ConfigArgs"#
            ),
            "{on_aks}"
        );
    }
}
