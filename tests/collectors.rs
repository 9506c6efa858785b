//! `--snapshot` on what other collectors gather (tests/bundles/collectors/, built from the
//! research fixtures of each collector's real script; see that folder's README.md): each fixture,
//! as a folder and as the archive users receive, is recognised, names its collector and node,
//! reports the failure planted in it with evidence from the collector's files, names the inputs the
//! collector lacks, and never passes a check on what the collector did not gather. Hostile
//! archives are bounded and nothing is ever written.

mod helpers;
use helpers::copy_dir;
use std::io::Write;
use std::path::{Path, PathBuf};
use windoctor::checks;
use windoctor::facts::Facts;
use windoctor::findings::{Finding, Status};
use windoctor::model::World;
use windoctor::sources::{bundle, snapshot};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bundles/collectors")
        .join(rel)
}

const AKS_DIR: &str = "aks-collect-windows-logs/AKSWIN000000-20240607-102133_logs";
const AKS_ZIP: &str = "aks-collect-windows-logs/AKSWIN000000-20240607-102133_logs.zip";
const SDN_DIR: &str = "sdn-collectlogs/tkdmfc2k.ugn";
const SDN_ZIP: &str = "sdn-collectlogs/tkdmfc2k.ugn.zip";
const EKS_DIR: &str = "eks-log-collector/eks_i-0b318f704c74b6ab2_20240607T1021339876Z";
const EKS_ZIP: &str = "eks-log-collector/eks_i-0b318f704c74b6ab2_20240607T1021339876Z.zip";
const MG_DIR: &str = "openshift-must-gather/must-gather.local.5421342344627712289";
const MG_TGZ: &str = "openshift-must-gather/must-gather.tar.gz";
const PERISCOPE_BLOBS: &str = "aks-periscope/2024-06-07T10-21-33Z";
const PERISCOPE_ZIP: &str = "aks-periscope/akswin000000.zip";

fn facts_of(path: &Path) -> Facts {
    let store = snapshot::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut facts = bundle::read_bundle(store.as_ref());
    windoctor::model::resolve_local_node(&mut facts, None);
    facts
}

/// Every check's findings on the snapshot at `path`.
fn run(path: &Path) -> (Vec<(String, Vec<Finding>)>, World) {
    let world = World::new(facts_of(path));
    let results = windoctor::catalogue::CHECK_IDS
        .iter()
        .map(|id| (id.to_string(), checks::run_on(id, &world).findings))
        .collect();
    (results, world)
}

fn dump(results: &[(String, Vec<Finding>)]) -> String {
    let mut out = String::new();
    for (id, findings) in results {
        for f in findings {
            out.push_str(&format!(
                "  {id} {} {}: {}\n",
                f.status,
                f.subject.display(),
                f.message
            ));
        }
    }
    out
}

fn find<'a>(
    results: &'a [(String, Vec<Finding>)],
    check: &str,
    status: Status,
    phrase: &str,
) -> &'a Finding {
    results
        .iter()
        .filter(|(id, _)| id == check)
        .flat_map(|(_, f)| f)
        .find(|f| f.status == status && f.message.contains(phrase))
        .unwrap_or_else(|| {
            panic!(
                "{check}: no {status} finding mentions {phrase:?}\n{}",
                dump(results)
            )
        })
}

fn statuses(results: &[(String, Vec<Finding>)], check: &str) -> Vec<Status> {
    results
        .iter()
        .filter(|(id, _)| id == check)
        .flat_map(|(_, f)| f.iter().map(|x| x.status))
        .collect()
}

/// The node part of a translated collection: every finding about it that is not a `skip`
/// carries evidence; checks whose node reads the collector lacks only `skip` on it, apart from
/// the failure signatures matched in the logs it did gather (docs/signatures.md), which cite them.
fn node_findings_are_grounded(results: &[(String, Vec<Finding>)], node: &str, never: &[&str]) {
    for (id, findings) in results {
        for f in findings {
            if f.node.as_deref() != Some(node) || f.status == Status::Skip {
                continue;
            }
            if f.message.contains("(failure signature ") {
                assert!(
                    f.evidence.iter().any(|e| matches!(
                        e.source,
                        windoctor::findings::EvidenceSource::Log
                            | windoctor::findings::EvidenceSource::Event
                    )),
                    "{id}: signature finding without a log line: {f:?}"
                );
                continue;
            }
            assert!(
                !f.evidence.is_empty() || f.subject.kind == "Cluster",
                "{id}: {} {} has no evidence",
                f.status,
                f.message
            );
            assert!(
                !never.contains(&id.as_str()) || f.subject.kind == "Cluster",
                "{id} must only skip on {node} (its input was not gathered), got {} {}",
                f.status,
                f.message
            );
        }
    }
}

fn collection_of(facts: &Facts) -> &windoctor::facts::collection::CollectionInfo {
    facts.collection.as_ref().expect("a collection")
}

fn lacks(facts: &Facts, input: &str, phrase: &str) {
    let c = collection_of(facts);
    assert!(
        c.not_gathered
            .iter()
            .any(|n| n.input == input && n.reason.contains(phrase)),
        "{input} not listed as not gathered with {phrase:?}: {:#?}",
        c.not_gathered
    );
}

/// Node checks that must not judge a collection that gathers neither processes with command lines
/// nor Kubernetes node files.
const FLAG_AND_FILE_CHECKS: [&str; 8] = [
    "kube-proxy-hostname-override",
    "kubelet-config",
    "flannel-subnet-env",
    "flannel-sourcevip",
    "flannel-vxlan",
    "ip-plan",
    "node-services",
    "proxy-env",
];

#[test]
fn aks_zip_and_folder() {
    for rel in [AKS_ZIP, AKS_DIR] {
        let (r, world) = run(&fixture(rel));
        let facts = &world.facts;
        let c = collection_of(facts);
        assert_eq!(c.collectors(), vec!["aks-collect-windows-logs"], "{rel}");
        assert_eq!(facts.remote_nodes.len(), 1);
        assert_eq!(
            facts.remote_nodes[0].node_name.as_deref(),
            Some("akswin000000")
        );
        // Evidence from processes.txt (UTF-16LE Get-Process table).
        find(
            &r,
            "node-ready",
            Status::Pass,
            "kubelet runs on akswin000000 (pid 4412)",
        );
        // The planted CNS failure reaches the node's kubelet log as the checks read it.
        let logs = facts.remote_nodes[0].logs.ready().expect("logs");
        let kubelet = logs
            .iter()
            .find(|l| l.path == r"C:\k\kubelet.err.log")
            .expect("kubelet.err.log read as a log");
        assert_eq!(kubelet.component, "kubelet");
        assert!(kubelet.text.contains("Failed to get IP address from CNS"));
        assert!(logs.iter().any(|l| l.path.ends_with("azure-vnet.log")
            && l.text
                .contains("hcnOpenNamespace failed in Win32: Element not found")));
        // The kubelet restart from the Service Control Manager CSV export, as an event log.
        assert!(logs.iter().any(|l| l.component == "eventlog:System"
            && l.text
                .contains("The Kubelet service entered the stopped state.")));
        // UTF-16LE kubeclusterconfig.json and the ASCII conflist are node files.
        let files = facts.remote_nodes[0].files.ready().expect("files");
        assert_eq!(
            files
                .get(r"C:\k\kubeclusterconfig.json")
                .map(|f| f.encoding),
            Some("UTF-16LE with BOM")
        );
        assert!(files
            .get(r"C:\k\azurecni\netconf\10-azure.conflist")
            .is_some());
        lacks(facts, "node/env", "does not record the machine environment");
        lacks(facts, "cluster/pods", "gathers no cluster objects");
        // Services are running-only (scqueryex.txt), HNS v2 has no ManagementIP: skip, not judge.
        find(&r, "node-services", Status::Skip, "gathered only in part");
        find(&r, "hns-network", Status::Skip, "HNS v2 (HCN) schema");
        // The planted hcnOpenNamespace failure of azure-vnet.log is recognised by its signature.
        find(&r, "hns-network", Status::Fail, "hcn-element-not-found");
        // The AKS layout's conflist (C:\k\azurecni\netconf) is gathered: it is read, and with
        // neither the cluster's CIDRs nor the node's address it is neither passed nor failed.
        find(
            &r,
            "cni-exception-list",
            Status::Info,
            "coverage was not checked",
        );
        assert!(
            statuses(&r, "cni-exception-list")
                .iter()
                .all(|s| matches!(s, Status::Info | Status::Skip)),
            "{rel}: {:?}",
            statuses(&r, "cni-exception-list")
        );
        let env = windoctor::model::Model::new(&world).environment();
        assert_eq!(
            env.layouts.first().map(|l| l.id.as_str()),
            Some("aks"),
            "{rel}"
        );
        node_findings_are_grounded(
            &r,
            "akswin000000",
            &[&FLAG_AND_FILE_CHECKS[..], &["hns-network"]].concat(),
        );
    }
}

#[test]
fn sdn_collectlogs_folder_and_zip() {
    for rel in [SDN_DIR, SDN_ZIP] {
        let (r, world) = run(&fixture(rel));
        let facts = &world.facts;
        assert_eq!(collection_of(facts).collectors(), vec!["sdn-collectlogs"]);
        assert_eq!(
            facts.remote_nodes[0].node_name.as_deref(),
            Some("win-node-01")
        );
        // The planted failure: kube-proxy's service is stopped (windowsServices.txt, UTF-16LE).
        let f = find(
            &r,
            "node-ready",
            Status::Fail,
            "service kubeproxy is Stopped",
        );
        assert!(f
            .evidence
            .iter()
            .any(|e| e.reference == "service kubeproxy"));
        lacks(
            facts,
            "node/processes",
            "collectlogs.ps1 does not gather processes",
        );
        lacks(
            facts,
            "node/files",
            "collectlogs.ps1 copies no Kubernetes node files",
        );
        // The HNS networks (v2 with a ProviderAddress policy) and ipconfig's host addresses.
        let nets = facts.remote_nodes[0].hns_networks.ready().expect("hns");
        assert_eq!(nets[0].name, "External");
        assert_eq!(nets[0].management_ip.as_deref(), Some("192.168.1.21"));
        let ips = facts.remote_nodes[0].ip_addresses.ready().expect("ips");
        assert_eq!(ips[0].ip_address, "192.168.1.21");
        // Without the CNI configuration, which network flannel wants is not known: no verdict.
        assert!(statuses(&r, "hns-network")
            .iter()
            .all(|s| *s == Status::Skip));
        node_findings_are_grounded(
            &r,
            "win-node-01",
            &[
                &FLAG_AND_FILE_CHECKS[..],
                &["hns-network", "cni-exception-list", "pause-image"],
            ]
            .concat(),
        );
    }
}

#[test]
fn eks_zip_with_backslash_names_and_folder() {
    for rel in [EKS_ZIP, EKS_DIR] {
        let (r, world) = run(&fixture(rel));
        let facts = &world.facts;
        assert_eq!(collection_of(facts).collectors(), vec!["eks-log-collector"]);
        let node = &facts.remote_nodes[0];
        assert_eq!(node.node_name.as_deref(), Some("EC2AMAZ-8K2LJ7Q"));
        // kubelet's klog lines come from the EKS event log export (CSV Message column).
        let logs = node.logs.ready().expect("logs");
        let kubelet = logs
            .iter()
            .find(|l| l.component == "kubelet")
            .expect("kubelet log from kubelet-service.csv");
        assert!(kubelet
            .text
            .contains("pod does not have label vpc.amazonaws.com/PrivateIPv4Address"));
        // Services from `Get-Service | fl`: states known, start modes not.
        find(
            &r,
            "node-ready",
            Status::Pass,
            "its service kube-proxy is Running",
        );
        find(&r, "node-services", Status::Skip, "no start mode or path");
        find(&r, "windows-version", Status::Pass, "Windows Server 2022");
        lacks(
            facts,
            "node/processes",
            "eks-log-collector.ps1 does not gather processes",
        );
        lacks(facts, "node/net-adapters", "ipconfig only");
        let files = node.files.ready().expect("files");
        assert!(files
            .get(r"C:\ProgramData\Amazon\EKS\cni\config\vpc-bridge.conf")
            .is_some());
        // The planted vpc-bridge failure in the kubelet event log is recognised by its signature.
        find(&r, "ip-plan", Status::Fail, "eks-pod-missing-ip-label");
        node_findings_are_grounded(&r, "EC2AMAZ-8K2LJ7Q", &FLAG_AND_FILE_CHECKS);
    }
}

#[test]
fn must_gather_folder_and_tar_gz() {
    for rel in [MG_DIR, MG_TGZ, "openshift-must-gather"] {
        let (r, world) = run(&fixture(rel));
        let facts = &world.facts;
        assert_eq!(
            collection_of(facts).collectors(),
            vec!["openshift-must-gather"],
            "{rel}"
        );
        assert_eq!(facts.cluster.nodes.ready().map(Vec::len), Some(2));
        let node = &facts.remote_nodes[0];
        assert_eq!(node.node_name.as_deref(), Some("winworker-5fnbz"));
        // The node-prefixed kube-proxy log, split by node and read as C:\var\log\....
        let logs = node.logs.ready().expect("logs");
        let kp = logs
            .iter()
            .find(|l| l.path == r"C:\var\log\kube-proxy\kube-proxy.log")
            .expect("kube-proxy log");
        assert!(
            kp.text.starts_with('I') || kp.text.starts_with('E'),
            "prefix removed"
        );
        assert!(kp.text.contains("Unable to find HNS Network specified"));
        // The planted failure through the API: FailedCreatePodSandBox "network not found".
        let f = find(&r, "hns-network", Status::Fail, "winworker-5fnbz");
        assert!(f
            .evidence
            .iter()
            .any(|e| e.excerpt.contains("OVNKubernetesHybridOverlayNetwork")));
        // Cluster checks run on the Node objects.
        find(&r, "container-runtime", Status::Pass, "containerd 1.7.13");
        // Node-side checks skip: must-gather gathers no node state.
        lacks(facts, "node/processes", "it does not list processes");
        lacks(
            facts,
            "cluster/version",
            "must-gather saves no /version output",
        );
        assert!(collection_of(facts)
            .partial
            .iter()
            .any(|p| p.input == "cluster/pods" && p.reason.contains("namespaces")));
        let pod_logs = &facts.cluster.logs;
        assert!(pod_logs
            .iter()
            .any(|l| l.namespace == "default" && !l.text.starts_with("2024-")));
        node_findings_are_grounded(
            &r,
            "winworker-5fnbz",
            &[
                &FLAG_AND_FILE_CHECKS[..],
                &["cni-exception-list", "pause-image", "mac-spoofing"],
            ]
            .concat(),
        );
    }
}

#[test]
fn aks_periscope_blob_tree_and_node_zip() {
    for rel in [PERISCOPE_BLOBS, PERISCOPE_ZIP, "aks-periscope"] {
        let (r, world) = run(&fixture(rel));
        let facts = &world.facts;
        assert_eq!(
            collection_of(facts).collectors(),
            vec!["aks-periscope"],
            "{rel}"
        );
        assert_eq!(
            facts.remote_nodes.len(),
            1,
            "{rel}: the zip duplicates the blobs"
        );
        assert_eq!(
            facts.remote_nodes[0].node_name.as_deref(),
            Some("akswin000000")
        );
        find(
            &r,
            "node-ready",
            Status::Pass,
            "kube-proxy runs on akswin000000",
        );
        let logs = facts.remote_nodes[0].logs.ready().expect("logs");
        assert!(logs
            .iter()
            .any(|l| l.text.contains("Failed to get IP address from CNS")));
    }
}

/// One collection, several nodes: a must-gather of two Windows nodes (one kube-proxy log for
/// both, every line prefixed), and a folder holding two AKS zips.
#[test]
fn several_nodes_in_one_collection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mg = tmp.path().join("must-gather.local.1");
    copy_dir(&fixture(MG_DIR), &mg);
    let img = std::fs::read_dir(&mg)
        .expect("read")
        .flatten()
        .find(|e| e.path().is_dir())
        .expect("image folder")
        .path();
    let log = img.join("host_service_logs/windows/log_files/kube-proxy/kube-proxy.log");
    let mut text = std::fs::read_to_string(&log).expect("log");
    text.push_str(
        "winworker-7qx2m I0607 10:21:05.118204    2412 server.go:123] \"Starting kube-proxy\"\n",
    );
    std::fs::write(&log, text).expect("write");
    let facts = facts_of(&mg);
    let names: Vec<&str> = facts
        .remote_nodes
        .iter()
        .filter_map(|n| n.node_name.as_deref())
        .collect();
    assert_eq!(names, vec!["winworker-5fnbz", "winworker-7qx2m"]);

    let two = tmp.path().join("two-aks");
    std::fs::create_dir_all(&two).expect("mkdir");
    std::fs::copy(
        fixture(AKS_ZIP),
        two.join("AKSWIN000000-20240607-102133_logs.zip"),
    )
    .expect("copy");
    std::fs::copy(
        fixture(AKS_ZIP),
        two.join("AKSWIN000001-20240607-102135_logs.zip"),
    )
    .expect("copy");
    let (r, world) = run(&two);
    let names: Vec<&str> = world
        .facts
        .remote_nodes
        .iter()
        .filter_map(|n| n.node_name.as_deref())
        .collect();
    assert_eq!(names, vec!["akswin000000", "akswin000001"]);
    find(
        &r,
        "node-ready",
        Status::Pass,
        "kubelet runs on akswin000001",
    );
}

/// A windoctor bundle archived as .tar.gz under one top folder, and as .zip at its root, gives the
/// findings of the folder.
#[test]
fn bundle_archives_read_like_the_folder() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles/node-overlay-healthy");
    let tmp = tempfile::tempdir().expect("tempdir");
    let tgz = tmp.path().join("bundle.tar.gz");
    {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&tgz).expect("create"),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        tar.append_dir_all("windoctor-bundle", &src).expect("tar");
        tar.into_inner().expect("tar").finish().expect("gz");
    }
    let zip_path = tmp.path().join("bundle.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
        for entry in walk(&src) {
            let rel = entry.strip_prefix(&src).expect("rel");
            // Windows PowerShell 5.1 Compress-Archive names: backslashes.
            let name = rel.to_string_lossy().replace('/', "\\");
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(&std::fs::read(&entry).expect("read"))
                .expect("write");
        }
        w.finish().expect("finish");
    }
    let summary = |path: &Path| -> Vec<(String, Status, String)> {
        let (r, _) = run(path);
        let mut out: Vec<(String, Status, String)> = r
            .into_iter()
            .flat_map(|(id, f)| {
                f.into_iter()
                    .map(move |x| (id.clone(), x.status, x.message))
            })
            .collect();
        out.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
        out
    };
    let folder = summary(&src);
    assert!(!folder.is_empty());
    assert_eq!(summary(&tgz), folder);
    assert_eq!(summary(&zip_path), folder);
    assert!(facts_of(&tgz).collection.is_none());
}

/// The rule windoctor's own capture relies on ("absent means absent on the node") does not
/// apply to a partial collection: with a node part that covers no file and gathered no record,
/// every node-side finding is a `skip`, and the node part adds no pass, fail, warn or info to
/// what the cluster part alone gives.
#[test]
fn no_check_passes_or_fails_on_an_uncovered_path() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles/node-overlay-healthy");
    let tmp = tempfile::tempdir().expect("tempdir");
    let without = tmp.path().join("without");
    copy_dir(&base.join("cluster"), &without.join("cluster"));
    let with = tmp.path().join("with");
    copy_dir(&base.join("cluster"), &with.join("cluster"));
    let node_name = facts_of(&base)
        .local_node_name
        .expect("the healthy bundle's host name matches a Node");
    let part = with.join("nodes").join(&node_name);
    std::fs::create_dir_all(&part).expect("mkdir");
    let reason = "the test collector does not gather it";
    let node_json = serde_json::json!({
        "hostname": node_name,
        "node_name": node_name,
        "collected_by": {"collector": "test", "name": "test", "source": "test@0"},
        "coverage": [],
        "collector": "the test collector",
        "not_collected": {
            "processes": reason, "services": reason, "hns-networks": reason,
            "net-adapters": reason, "ip-addresses": reason, "env": reason, "info": reason
        }
    });
    std::fs::write(part.join("node.json"), node_json.to_string()).expect("write");
    let (without_r, _) = run(&without);
    let (with_r, _) = run(&with);
    for ((id, a), (_, b)) in without_r.iter().zip(&with_r) {
        let judged = |fs: &[Finding]| -> Vec<String> {
            let mut v: Vec<String> = fs
                .iter()
                .filter(|f| f.status != Status::Skip)
                .map(|f| format!("{} {}", f.status, f.message))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            judged(b),
            judged(a),
            "{id}: the uncovered node part changed the verdicts"
        );
    }
    let facts = facts_of(&with);
    let files = facts.remote_nodes[0].files.ready().expect("files");
    assert!(matches!(
        files.state(r"C:\run\flannel\subnet.env"),
        windoctor::facts::node::FileState::NotCaptured(r) if r == "the test collector"
    ));

    // Part of the healthy node's files, covered, and no records: whatever a check concludes, the
    // full node part concludes too (less data never turns into a different verdict).
    let some = tmp.path().join("some");
    copy_dir(&base.join("cluster"), &some.join("cluster"));
    let part = some.join("nodes").join(&node_name);
    copy_dir(&base.join("node/files/C/k"), &part.join("files/C/k"));
    let mut partial_json = node_json.clone();
    partial_json["coverage"] = serde_json::json!([r"C:\k\*"]);
    std::fs::write(part.join("node.json"), partial_json.to_string()).expect("write");
    let (full_r, _) = run(&base);
    let (some_r, _) = run(&some);
    assert!(
        some_r
            .iter()
            .flat_map(|(_, f)| f)
            .any(|f| f.status != Status::Skip
                && f.node.as_deref() == Some(node_name.as_str())
                && f.subject.kind != "Cluster"),
        "the partial node part is judged somewhere (the comparison is not empty)\n{}",
        dump(&some_r)
    );
    for ((id, full), (_, some)) in full_r.iter().zip(&some_r) {
        let verdicts = |fs: &[Finding]| -> std::collections::BTreeSet<String> {
            fs.iter()
                .filter(|f| f.status != Status::Skip)
                .map(|f| f.status.to_string())
                .collect()
        };
        assert!(
            verdicts(some).is_subset(&verdicts(full)),
            "{id}: partial node part gives {:?}, the full one {:?}\n{}",
            verdicts(some),
            verdicts(full),
            dump(&[(id.clone(), some.clone())])
        );
    }
}

/// The report names the collector, lists per check what it lacked, validates against the schema,
/// and exits without error on each archive form.
#[test]
fn cli_reports_name_the_collector_and_the_missing_inputs() {
    for (rel, collector) in [
        (AKS_ZIP, "aks-collect-windows-logs"),
        (SDN_ZIP, "sdn-collectlogs"),
        (EKS_ZIP, "eks-log-collector"),
        (MG_TGZ, "openshift-must-gather"),
        (PERISCOPE_ZIP, "aks-periscope"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"))
            .args(["--snapshot"])
            .arg(fixture(rel))
            .args(["--report", "json", "--fail-on", "never"])
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run windoctor");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json"),
            )
            .expect("schema"),
        )
        .expect("schema json");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{rel}: {errors:?}");
        let c = &report["environment"]["collection"];
        assert_eq!(c["collectors"][0], collector, "{rel}");
        assert!(c["parts"][0]["source"]
            .as_str()
            .is_some_and(|s| s.contains('@')));
        assert!(!c["not_gathered"].as_array().expect("list").is_empty());
        let checks = c["checks"].as_array().expect("checks");
        assert!(checks.iter().any(|x| x["check"] == "proxy-env"
            && x["lacked"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("not"))));
        // No pass for proxy-env, which needs the environment no collector gathers.
        assert!(!report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["check"] == "proxy-env" && f["status"] == "pass"));
        let text = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"))
            .args(["--snapshot"])
            .arg(fixture(rel))
            .args(["--report", "text", "--fail-on", "never"])
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run windoctor");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("Collected by "), "{rel}: {text}");
    }
}

/// An evtx file is skipped with its reason, and nested archives the mapping leaves closed (crash
/// dumps) are named in the notes.
#[test]
fn evtx_and_crash_dump_archives_are_named_as_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("tkdmfc2k.ugn");
    copy_dir(&fixture(SDN_DIR), &dir);
    std::fs::create_dir_all(dir.join("winevt")).expect("mkdir");
    // An evtx file begins with "ElfFile\0"; windoctor reads no further.
    let mut evtx = b"ElfFile\0".to_vec();
    evtx.resize(4096, 0);
    std::fs::write(dir.join("winevt/System.evtx"), &evtx).expect("write");
    let mut wer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    wer.start_file("WER/Report.wer", zip::write::SimpleFileOptions::default())
        .expect("start");
    wer.write_all(b"x").expect("write");
    let wer = wer.finish().expect("finish").into_inner();
    std::fs::write(dir.join("WER-20240607-102133.zip"), wer).expect("write");
    let facts = facts_of(&dir);
    let c = collection_of(&facts);
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("System.evtx") && n.contains("no evtx parser")));
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("WER-20240607-102133.zip") && n.contains("not read")));
    lacks(&facts, "node/eventlog/System", "no evtx parser");
}

/// Hostile archives: `../` entries, absolute names, symbolic links, 10,000 entries and a zip
/// bomb are read within bounds, and nothing is written anywhere.
#[test]
fn hostile_archives_are_bounded_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let before = listing(tmp.path());

    // Traversal, absolute names and a symbolic link next to a real AKS zip's files.
    let path = work.join("AKSWIN000000-20240607-102133_logs.zip");
    {
        let src = std::fs::File::open(fixture(AKS_ZIP)).expect("zip");
        let mut src = zip::ZipArchive::new(src).expect("zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..src.len() {
            let mut e = src.by_index(i).expect("entry");
            let name = e.name().to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).expect("read");
            w.start_file(name, opts).expect("start");
            w.write_all(&bytes).expect("write");
        }
        w.start_file("../../escaped.txt", opts).expect("start");
        w.write_all(b"escaped").expect("write");
        w.start_file(r"..\..\escaped2.txt", opts).expect("start");
        w.write_all(b"escaped").expect("write");
        w.add_symlink("kubelet.err.log.lnk", "/etc/passwd", opts)
            .expect("symlink");
        w.finish().expect("finish");
    }
    let facts = facts_of(&path);
    let c = collection_of(&facts);
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("escaped.txt") && n.contains("climbs out")));
    assert!(c.notes.iter().any(|n| n.contains("symbolic link")));
    assert_eq!(c.collectors(), vec!["aks-collect-windows-logs"]);

    // 10,000 entries: read whole, quickly.
    let flood = work.join("flood.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&flood).expect("create"));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..10_000 {
            w.start_file(format!("junk/{i}.txt"), opts).expect("start");
            w.write_all(b"x").expect("write");
        }
        w.finish().expect("finish");
    }
    let started = std::time::Instant::now();
    let store = snapshot::open(&flood).expect("opens");
    assert_eq!(store.paths().len(), 10_000);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    // A bomb: 256 MiB of zeros (a quarter MiB compressed) under a bundle name and a log name,
    // read with small limits: the JSON is refused, the log keeps its tail, memory stays small.
    let bomb = work.join("bomb.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&bomb).expect("create"));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        let chunk = vec![0u8; 1 << 20];
        for name in ["cluster/pods.json", "node/logs/kubelet.log"] {
            w.start_file(name, opts).expect("start");
            for _ in 0..256 {
                w.write_all(&chunk).expect("write");
            }
        }
        w.finish().expect("finish");
    }
    let limits = windoctor::sources::archive::Limits {
        max_file_bytes: 8 << 20,
        max_read_bytes: 300 << 20,
        ..Default::default()
    };
    let store = snapshot::open_with(&bomb, limits).expect("opens");
    assert!(store.read("cluster/pods.json").is_err());
    let tail = store
        .read_tail("node/logs/kubelet.log")
        .expect("tail")
        .expect("present");
    assert!(tail.len() as u64 <= windoctor::sources::files::LOG_TAIL_BYTES);
    let facts = bundle::read_bundle(store.as_ref());
    assert!(matches!(
        facts.cluster.pods,
        windoctor::facts::Input::Failed(_)
    ));

    let mut after = listing(tmp.path());
    after.retain(|p| !p.starts_with(&work));
    let mut before_outside = before;
    before_outside.retain(|p| !p.starts_with(&work));
    assert_eq!(
        after, before_outside,
        "something was written outside the archives' folder"
    );
    assert!(!tmp.path().join("escaped.txt").exists());
    assert!(!tmp
        .path()
        .parent()
        .expect("parent")
        .join("escaped.txt")
        .exists());
    let inside: Vec<PathBuf> = listing(&work);
    assert_eq!(inside.len(), 3, "only the three archives: {inside:?}");
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = walk(dir);
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
