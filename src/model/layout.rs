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
    pub fn matches(&self, name: &str, type_: &str) -> bool {
        match self {
            NetworkMatch::Name(n) => n.eq_ignore_ascii_case(name),
            NetworkMatch::Pattern(re) => regex::Regex::new(re).is_ok_and(|r| r.is_match(name)),
            NetworkMatch::Type(t) => t.eq_ignore_ascii_case(type_),
        }
    }
    pub fn describe(&self) -> String {
        match self {
            NetworkMatch::Name(n) => n.clone(),
            NetworkMatch::Pattern(re) => {
                // `^azure$` is just a name.
                let plain = re.strip_prefix('^').and_then(|r| r.strip_suffix('$'));
                match plain.filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
                    Some(name) => name.to_string(),
                    None => format!("a network matching {re}"),
                }
            }
            NetworkMatch::Type(t) => format!("a {t} network"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::node::records::WinService;

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
}
