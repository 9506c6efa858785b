//! What an `error` finding about an unreadable input shows besides its reason: evidence naming
//! where the input was read (the API path, or the bundle file the reason names) and the fix of its
//! trouble (`checks/data/input-errors.toml`), filled in from the input and the reason, e.g. which
//! verb and resource a 403 refused, for `kubectl auth can-i`. A reason no trouble knows gets the
//! evidence and no fix: windoctor does not guess one.

use crate::catalogue::input_errors::input_errors;
use crate::facts::inputs::{self, Fetch, InputSpec};
use crate::findings::{Evidence, EvidenceSource, Fix, Origin};
use regex::Regex;
use std::sync::OnceLock;

/// The longest reason quoted as evidence.
const EXCERPT_CHARS: usize = 400;

/// The evidence and (when its trouble is known) the fix for input `name` that could not be read
/// because of `reason`.
pub fn explain(name: &str, reason: &str) -> (Option<Evidence>, Option<Fix>) {
    let spec = inputs::spec(name);
    let mut evidence = evidence(spec, reason);
    // The cluster lists (and a bundle's pod logs) are what the API serves, even when their file
    // sits in a bundle beside a node part; node inputs take the origin of their part later.
    if let Some(e) = evidence.as_mut() {
        e.origin = match name {
            _ if spec.is_some() => Some(Origin::Api),
            "logs" => Some(Origin::PodLog),
            _ => None,
        };
    }
    let fix = input_errors()
        .trouble_for(name, spec.is_some(), reason)
        .map(|t| {
            let vars = Vars::of(name, spec, reason);
            crate::catalogue::fill_fix(&t.fix, &vars.pairs())
        });
    (evidence, fix)
}

/// Where the input was read: the bundle file the reason names, else the API request of a cluster
/// input read live. The excerpt is what the server or the file said: the reason without the words that name the
/// request or the file, which the evidence's reference names.
fn evidence(spec: Option<&InputSpec>, reason: &str) -> Option<Evidence> {
    let read_live = reason.starts_with("cannot list ") || reason.starts_with("cannot read /");
    if !read_live {
        if let Some(file) = named_file(reason) {
            let said = after_prefix(reason, &file);
            return Some(Evidence::new(EvidenceSource::File, file, said));
        }
    }
    let spec = spec?;
    if !read_live && reason.starts_with("cluster/") {
        return Some(Evidence::new(
            EvidenceSource::File,
            bundle_file(spec),
            clip(reason),
        ));
    }
    // "cannot list pods: forbidden (...)": what follows the request is the server's answer.
    let said = match reason.split_once(": ") {
        Some((_, answer)) if read_live => clip(answer),
        _ => clip(reason),
    };
    Some(Evidence::new(
        EvidenceSource::Api,
        format!("GET {}", api_path(spec)),
        said,
    ))
}

/// `reason` without a leading `prefix` and the `: ` or space after it, clipped.
fn after_prefix(reason: &str, prefix: &str) -> String {
    match reason.strip_prefix(prefix) {
        Some(rest) => clip(rest.trim_start_matches(':').trim_start()),
        None => clip(reason),
    }
}

/// The bundle file of a cluster input, as capture writes it.
fn bundle_file(spec: &InputSpec) -> String {
    format!("{}.json", spec.bundle)
}

/// The request that reads `spec` (the first, for ConfigMaps).
fn api_path(spec: &InputSpec) -> String {
    match spec.fetch {
        Fetch::Version => "/version".to_string(),
        Fetch::List { path, query: "" } => path.to_string(),
        Fetch::List { path, query } => format!("{path}?{query}"),
        Fetch::ConfigMaps => "/api/v1/namespaces/kube-system/configmaps".to_string(),
    }
}

/// The first bundle path in `reason` (`cluster/pods.json`, `nodes/win-1/node/hns.json`).
fn named_file(reason: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:^|[\s(`'])((?:[\w.-]+/)+[\w.-]+\.(?:json|ya?ml|log|txt))\b")
            .expect("file regex compiles")
    });
    re.captures(reason).map(|c| c[1].to_string())
}

fn clip(text: &str) -> String {
    crate::facts::cluster::clip(text, EXCERPT_CHARS)
}

/// The values a trouble's fix template is filled with.
struct Vars {
    input: String,
    verb: String,
    resource: String,
    target: String,
    file: String,
    kubectl: String,
}

impl Vars {
    fn of(name: &str, spec: Option<&InputSpec>, reason: &str) -> Vars {
        let refused = Refused::parse(reason).unwrap_or_else(|| Refused::default_for(name, spec));
        Vars {
            input: name.to_string(),
            target: refused.target(),
            resource: refused.resource_text(),
            verb: refused.verb,
            file: named_file(reason)
                .or_else(|| spec.map(bundle_file))
                .unwrap_or_default(),
            kubectl: spec.map(|s| s.kubectl.to_string()).unwrap_or_default(),
        }
    }

    fn pairs(&self) -> [(&str, &str); 6] {
        [
            ("input", &self.input),
            ("verb", &self.verb),
            ("resource", &self.resource),
            ("target", &self.target),
            ("file", &self.file),
            ("kubectl", &self.kubectl),
        ]
    }
}

/// What the API server refused (or windoctor asked for): a verb on a resource of a group (and its
/// subresource), or on a URL (`/version`), in a namespace or at the cluster scope.
struct Refused {
    verb: String,
    /// `pods`, `nodes`, or a URL starting with `/`.
    resource: String,
    subresource: Option<String>,
    group: String,
    namespace: Option<String>,
}

impl Refused {
    /// `verb` on `resource`, which may name its subresource (`nodes/proxy`).
    fn new(verb: &str, resource: &str, group: &str, namespace: Option<&str>) -> Refused {
        let (resource, subresource) = match resource.split_once('/') {
            Some((base, sub)) if !resource.starts_with('/') => (base, Some(sub.to_string())),
            _ => (resource, None),
        };
        Refused {
            verb: verb.to_string(),
            resource: resource.to_string(),
            subresource,
            group: group.to_string(),
            namespace: namespace.map(str::to_string),
        }
    }

    /// From the API server's 403 message: `User "u" cannot list resource "pods" in API group ""
    /// at the cluster scope` (kubeguard/guard#352), `... in the namespace "default"`
    /// (cloudtty/cloudtty#469), or before Kubernetes 1.11 `cannot list pods at the cluster scope`
    /// (vmware-archive/kubewatch#95).
    fn parse(reason: &str) -> Option<Refused> {
        static NOW: OnceLock<Regex> = OnceLock::new();
        static OLD: OnceLock<Regex> = OnceLock::new();
        let now = NOW.get_or_init(|| {
            Regex::new(
                r#"cannot ([a-z]+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?"#,
            )
            .expect("forbidden regex compiles")
        });
        let old = OLD.get_or_init(|| {
            Regex::new(r#"cannot ([a-z]+) ([a-z0-9./-]+) (?:at the cluster scope|in the namespace "([^"]+)")"#)
                .expect("old forbidden regex compiles")
        });
        if let Some(c) = now.captures(reason) {
            return Some(Refused::new(
                &c[1],
                &c[2],
                &c[3],
                c.get(4).map(|m| m.as_str()),
            ));
        }
        old.captures(reason)
            .map(|c| Refused::new(&c[1], &c[2], "", c.get(3).map(|m| m.as_str())))
    }

    /// What windoctor asks for to read input `name`.
    fn default_for(name: &str, spec: Option<&InputSpec>) -> Refused {
        match (name, spec.map(|s| s.fetch)) {
            (_, Some(Fetch::Version)) => Refused::new("get", "/version", "", None),
            (_, Some(Fetch::List { path, .. })) => {
                let resource = path.rsplit('/').next().unwrap_or(name);
                // `/apis/<group>/<version>/<resource>`; the core group is `/api/v1/...`.
                let group = path
                    .strip_prefix("/apis/")
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or("");
                Refused::new("list", resource, group, None)
            }
            (_, Some(Fetch::ConfigMaps)) => Refused::new("list", "configmaps", "", None),
            ("logs", None) => Refused::new("get", "pods/log", "", None),
            _ => Refused::new("get", "nodes/proxy", "", None),
        }
    }

    /// The resource qualified by its group (`daemonsets.apps`), or the URL.
    fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// `pods`, `daemonsets.apps`, `nodes/proxy`, `/version`.
    fn resource_text(&self) -> String {
        match &self.subresource {
            Some(sub) => format!("{}/{sub}", self.qualified()),
            None => self.qualified(),
        }
    }

    /// What `kubectl auth can-i VERB` is asked: the qualified resource, its subresource as
    /// `--subresource`, and the scope (`-n NS`, else every namespace); a URL alone.
    fn target(&self) -> String {
        if self.resource.starts_with('/') {
            return self.resource.clone();
        }
        let mut out = self.qualified();
        if let Some(sub) = &self.subresource {
            out.push_str(&format!(" --subresource={sub}"));
        }
        match &self.namespace {
            Some(ns) => out.push_str(&format!(" -n {ns}")),
            None => out.push_str(" -A"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Place;

    const FORBIDDEN_PODS: &str = r#"cannot list pods: forbidden (pods is forbidden: User "vesurbag" cannot list resource "pods" in API group "" at the cluster scope)"#;

    #[test]
    fn a_403_names_the_refused_verb_and_resource_for_kubectl_auth_can_i() {
        let (evidence, fix) = explain("pods", FORBIDDEN_PODS);
        let evidence = evidence.expect("evidence");
        assert_eq!(evidence.source, EvidenceSource::Api);
        assert_eq!(evidence.reference, "GET /api/v1/pods");
        assert_eq!(
            evidence.excerpt,
            FORBIDDEN_PODS.trim_start_matches("cannot list pods: ")
        );
        let fix = fix.expect("fix");
        assert!(fix.text.contains("may not list pods"), "{}", fix.text);
        assert_eq!(fix.commands[0], "kubectl auth can-i list pods -A");
        assert_eq!(fix.steps.len(), fix.commands.len());
        assert_eq!(fix.steps[0].place, Place::Workstation);
        assert!(!fix.steps[0].changes);
    }

    #[test]
    fn the_refused_resource_keeps_its_group_subresource_and_namespace() {
        // flannel-io/flannel#1103: a group; k3s-io/k3s#2553: a named object; cloudtty#469: a namespace.
        let grouped = Refused::parse(r#"clusterroles.rbac.authorization.k8s.io "flannel" is forbidden: User "system:node:test" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope"#).expect("parses");
        assert_eq!(
            grouped.target(),
            "clusterroles.rbac.authorization.k8s.io -A"
        );
        let proxy = Refused::parse(r#"nodes "win-1" is forbidden: User "dev" cannot get resource "nodes/proxy" in API group "" at the cluster scope"#).expect("parses");
        assert_eq!(proxy.target(), "nodes --subresource=proxy -A");
        assert_eq!(proxy.resource_text(), "nodes/proxy");
        let namespaced = Refused::parse(r#"pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default""#).expect("parses");
        assert_eq!(namespaced.target(), "pods -n default");
        let old = Refused::parse(
            r#"pods is forbidden: User "system:serviceaccount:default:default" cannot list pods at the cluster scope"#,
        )
        .expect("parses");
        assert_eq!(
            (old.verb.as_str(), old.target().as_str()),
            ("list", "pods -A")
        );
    }

    #[test]
    fn without_a_message_the_request_windoctor_made_is_asked_about() {
        let ds = Refused::default_for("daemonsets", inputs::spec("daemonsets"));
        assert_eq!(ds.target(), "daemonsets.apps -A");
        let rc = Refused::default_for("runtimeclasses", inputs::spec("runtimeclasses"));
        assert_eq!(rc.resource_text(), "runtimeclasses.node.k8s.io");
        let version = Refused::default_for("version", inputs::spec("version"));
        assert_eq!(
            (version.verb.as_str(), version.target().as_str()),
            ("get", "/version")
        );
        let node = Refused::default_for("node", None);
        assert_eq!(node.target(), "nodes --subresource=proxy -A");
        let (_, fix) = explain("daemonsets", "cannot list daemonsets: forbidden");
        assert_eq!(
            fix.expect("fix").commands[0],
            "kubectl auth can-i list daemonsets.apps -A"
        );
    }

    #[test]
    fn a_broken_bundle_file_is_the_evidence_and_kubectl_remakes_it() {
        let reason = "cluster/pods.json: not valid JSON: invalid type: integer `7`, expected a string at line 1 column 211";
        let (evidence, fix) = explain("pods", reason);
        let evidence = evidence.expect("evidence");
        assert_eq!(evidence.source, EvidenceSource::File);
        assert_eq!(evidence.reference, "cluster/pods.json");
        assert_eq!(
            evidence.origin,
            Some(Origin::Api),
            "a cluster list, not node data"
        );
        assert_eq!(
            evidence.excerpt,
            "not valid JSON: invalid type: integer `7`, expected a string at line 1 column 211"
        );
        let fix = fix.expect("fix");
        assert_eq!(
            fix.commands,
            ["kubectl get pods -A -o json > cluster/pods.json"]
        );
        assert!(fix.steps[0].changes);
        // A collector's output names the input without an extension: its bundle file stands in.
        let (evidence, _) = explain(
            "events",
            "cluster/events could not be read from the collection: truncated",
        );
        assert_eq!(evidence.expect("evidence").reference, "cluster/events.json");
    }

    #[test]
    fn a_capture_that_recorded_a_live_error_keeps_the_api_as_evidence() {
        // capture.json's reason is the live one, which names no file.
        let (evidence, fix) = explain(
            "events",
            "cannot list events: timed out after 15s waiting for the API server to answer (--request-timeout)",
        );
        assert_eq!(
            evidence.expect("evidence").reference,
            "GET /api/v1/events?fieldSelector=type%21%3DNormal"
        );
        assert!(fix.expect("fix").text.contains("--request-timeout"));
    }

    #[test]
    fn node_part_failures_point_at_the_node_file_and_a_capture_on_the_node() {
        let (evidence, fix) = explain(
            "node",
            "nodes/win-1/node/processes.json could not be collected: Get-CimInstance : Access denied",
        );
        let evidence = evidence.expect("evidence");
        assert_eq!(evidence.reference, "nodes/win-1/node/processes.json");
        assert_eq!(evidence.origin, None, "set from the node part it came from");
        let fix = fix.expect("fix");
        assert_eq!(fix.steps[0].place, Place::WindowsNode);
    }

    #[test]
    fn an_unknown_reason_gets_evidence_and_no_guessed_fix() {
        let (evidence, fix) = explain("pods", "cannot list pods: something new went wrong");
        assert!(evidence.is_some());
        assert!(fix.is_none());
        let (evidence, fix) = explain("probes", "the probe results could not be parsed");
        assert!(evidence.is_none() && fix.is_none());
    }

    #[test]
    fn long_reasons_are_clipped_in_the_evidence() {
        let long = format!("cannot list pods: {}", "x".repeat(5_000));
        let (evidence, _) = explain("pods", &long);
        let excerpt = evidence.expect("evidence").excerpt;
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert!(excerpt.ends_with('…'));
    }
}
