//! Check `ip-plan`: the cluster's address plan (seed 003 § IP 주소 체계 설계하기). The service CIDR and
//! cluster CIDR are read, in this order, from the kubeadm-config `ClusterConfiguration`, the
//! kube-apiserver / kube-controller-manager static pod flags, the flannel net-conf.json Network and the
//! kube-proxy `clusterCIDR`; the first source that has a value is used and the others are compared
//! with it. Then: the two ranges must not overlap, the DNS Service IP must lie in the service range,
//! every node podCIDR must lie in the cluster range and be disjoint from the others, and the cluster
//! range must hold nodes + nodes x max pods addresses. A part whose range could not be determined is
//! reported as `skip`, naming the sources looked at. The parts are modules below `ip_plan/`; this
//! file reads the plan and runs them. See checks/ip-plan.toml.

mod node;
mod node_cidrs;
mod ranges;
mod size;

use super::Eval;
use crate::findings::{Evidence, Status, Subject};

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node::node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let cms = ev.configmaps();
    let pods = ev.pods();
    let services = ev.services();
    let nodes = ev.nodes();

    let _ = (cms, pods);
    let plan = ev.model().plan();
    ev.part("unreadable-range");
    for (source, raw, problem) in &plan.unreadable {
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("{source} holds {raw:?}, which cannot be used as an address range: {problem}"),
        )
        .evidence(Evidence::api(source, raw));
    }
    let service = plan.service.first();
    let cluster = plan.cluster.first();
    ranges::report_disagreement(ev, "service subnet", &plan.service);
    ranges::report_disagreement(ev, "cluster subnet", &plan.cluster);

    let mut passed: Vec<String> = Vec::new();
    let looked = |extra: &[String]| {
        let all: Vec<&str> = plan
            .looked
            .iter()
            .chain(extra.iter())
            .map(String::as_str)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" ({})", all.join("; "))
        }
    };
    ev.part("range-unknown");
    if service.is_none() {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!("the service subnet could not be determined: no kubeadm-config serviceSubnet and no --service-cluster-ip-range on kube-apiserver or kube-controller-manager pods{}", looked(&[])),
        );
    }
    if cluster.is_none() {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!("the cluster subnet could not be determined: no kubeadm-config podSubnet, no --cluster-cidr on kube-controller-manager, no flannel Network, no kube-proxy clusterCIDR{}", looked(&plan.looked_cluster_only)),
        );
    }

    if let (Some(s), Some(c)) = (service, cluster) {
        if ranges::check_overlap(ev, s, c) {
            passed.push(format!(
                "service subnet {} ({}) and cluster subnet {} ({}) do not overlap",
                s.shown(),
                s.source,
                c.shown(),
                c.source
            ));
        }
    }
    if let (Some(s), Some(services)) = (service, services) {
        if let Some(text) = ranges::check_dns_ip(ev, s, services) {
            passed.push(text);
        }
    }
    if let Some(nodes) = nodes {
        if let Some(text) = node_cidrs::check_node_cidrs(ev, cluster, nodes) {
            passed.push(text);
        }
        if let Some(c) = cluster {
            if let Some(text) = size::check_size(ev, c, nodes, plan.node_mask.as_ref()) {
                passed.push(text);
            }
        }
    }
    if !passed.is_empty() {
        let mut finding_evidence = Vec::new();
        if let Some(s) = service {
            finding_evidence.push(s.evidence());
        }
        if let Some(c) = cluster {
            finding_evidence.push(c.evidence());
        }
        ev.part("ranges-overlap");
        let f = ev.emit(Status::Pass, Subject::cluster(), passed.join("; "));
        for e in finding_evidence {
            f.evidence(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ranges::tenth_address;
    use super::size::{max_pods, node_prefix, required_addresses};
    use super::*;
    use crate::facts::k8s::Node;
    use crate::facts::network;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).expect("node yaml")
    }

    #[test]
    fn documented_sizing_formula() {
        // Seed 003: 5 nodes with 100 pods each need 5 + 5 x 100 = 505 addresses.
        let nodes: Vec<Node> = (0..5)
            .map(|i| {
                node(&format!(
                    "metadata: {{name: n{i}}}\nstatus: {{capacity: {{pods: \"100\"}}}}\n"
                ))
            })
            .collect();
        assert_eq!(required_addresses(&nodes), 505);
        // Without a capacity the kubelet default of 110 applies; numbers are accepted too.
        assert_eq!(max_pods(&node("metadata: {name: a}\n")), 110);
        assert_eq!(
            max_pods(&node(
                "metadata: {name: a}\nstatus: {capacity: {pods: 250}}\n"
            )),
            250
        );
    }

    #[test]
    fn tenth_address_of_a_range() {
        let net = network::parse_cidr("10.96.0.0/12").expect("cidr");
        assert_eq!(
            tenth_address(&net).map(|a| a.to_string()).as_deref(),
            Some("10.96.0.10")
        );
        let tiny = network::parse_cidr("10.0.0.0/30").expect("cidr");
        assert_eq!(tenth_address(&tiny), None);
        let v6 = network::parse_cidr("fd00:10:96::/112").expect("cidr");
        assert_eq!(
            tenth_address(&v6).map(|a| a.to_string()).as_deref(),
            Some("fd00:10:96::a")
        );
    }

    #[test]
    fn node_prefix_prefers_the_flag_then_the_common_podcidr() {
        let nodes = vec![
            node("metadata: {name: a}\nspec: {podCIDR: 10.244.0.0/24}\n"),
            node("metadata: {name: b}\nspec: {podCIDR: 10.244.1.0/24}\n"),
            node("metadata: {name: c}\nspec: {podCIDR: 10.244.2.0/25}\n"),
        ];
        assert_eq!(node_prefix(&nodes, None).map(|(p, _)| p), Some(24));
        let flag = (26u8, "flag".to_string());
        assert_eq!(node_prefix(&nodes, Some(&flag)).map(|(p, _)| p), Some(26));
        assert_eq!(node_prefix(&[], None), None);
    }
    const CHECK_ID: &str = "ip-plan";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        let files: std::collections::BTreeMap<String, String> = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let store = crate::sources::files::MemoryStore::from_text(&files);
        let world = crate::model::World::new(crate::sources::bundle::read_bundle(&store));
        crate::checks::run_one(CHECK_ID, crate::model::Model::new(&world))
            .findings
            .into_iter()
            // These tests exercise the cluster part: drop the node part's "node data not captured" skip.
            .filter(|f| !(f.subject.kind == "Input" && f.subject.name == "node"))
            .collect()
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    #[test]
    fn disagreeing_sources_and_exhausted_node_subnets_warn() {
        let cms = "items:\n- metadata: {name: kubeadm-config, namespace: kube-system}\n  data:\n    ClusterConfiguration: |\n      networking: {podSubnet: 10.244.0.0/22, serviceSubnet: 10.96.0.0/12}\n- metadata: {name: kube-flannel-cfg, namespace: kube-flannel}\n  data:\n    net-conf.json: '{\"Network\": \"10.245.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}'\n";
        let mut nodes = String::from("items:\n");
        for i in 0..5 {
            nodes.push_str(&format!("- metadata: {{name: n{i}}}\n  spec: {{podCIDR: 10.244.{i}.0/24}}\n  status: {{capacity: {{pods: '30'}}}}\n"));
        }
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/nodes.yaml", &nodes),
            ("cluster/pods.yaml", "items: []"),
            ("cluster/services.yaml", "items: []"),
        ]);
        let warns = with_status(&f, Status::Warn);
        assert!(
            warns
                .iter()
                .any(|m| m.contains("disagree") && m.contains("10.245.0.0/16")),
            "{warns:?}"
        );
        assert!(
            warns.iter().any(|m| m.contains("room for 4 nodes")),
            "{warns:?}"
        );
        // n4's 10.244.4.0/24 lies outside the /22.
        assert!(with_status(&f, Status::Fail)
            .iter()
            .any(|m| m.contains("n4")));
    }

    #[test]
    fn unreadable_values_are_named_and_node_overlaps_checked_without_a_plan() {
        let cms = "items:\n- metadata: {name: kubeadm-config, namespace: kube-system}\n  data:\n    ClusterConfiguration: |\n      networking: {serviceSubnet: 10.96.0.0/33}\n";
        let nodes = "items:\n- metadata: {name: a}\n  spec: {podCIDR: 10.1.0.0/24}\n- metadata: {name: b}\n  spec: {podCIDR: 10.1.0.128/25}\n";
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/nodes.yaml", nodes),
            ("cluster/pods.yaml", "items: []"),
            ("cluster/services.yaml", "items: []"),
        ]);
        assert!(with_status(&f, Status::Warn)
            .iter()
            .any(|m| m.contains("10.96.0.0/33")));
        assert!(with_status(&f, Status::Fail)
            .iter()
            .any(|m| m.contains("overlapping pod subnets")));
        assert_eq!(with_status(&f, Status::Skip).len(), 2);
    }
}
