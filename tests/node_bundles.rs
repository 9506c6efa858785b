//! The node-side checks on the node bundles under tests/bundles/node-*: each bundle is read by the
//! same bundle reader as `--snapshot`, and each node check must reach the expected status with a
//! message naming the real values; every problem finding carries evidence and a fix. The CLI is run
//! on the bundles too (`--snapshot DIR --report json`).

use std::path::{Path, PathBuf};
use windoctor::catalogue::{ids_in_scope, Scope};
use windoctor::checks;
use windoctor::findings::{row_status, Finding, Status};
use windoctor::model::World;
use windoctor::sources::{bundle, files::DirStore};

/// The windoctor binary with no standard input (Wine cannot hand a piped stdin to a child).
fn windoctor_cmd() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"));
    cmd.stdin(std::process::Stdio::null());
    cmd
}

fn bundle_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("bundles")
        .join(name)
}

fn run(name: &str) -> Vec<(String, Vec<Finding>)> {
    let store = DirStore::open(&bundle_dir(name)).expect("bundle opens");
    let mut facts = bundle::read_bundle(&store);
    windoctor::model::resolve_local_node(&mut facts, None);
    assert!(facts.node.present, "{name} has a node part");
    let world = World::new(facts);
    ids_in_scope(Scope::Node)
        .into_iter()
        .map(|id| (id.to_string(), checks::run_on(id, &world).findings))
        .collect()
}

/// Asserts `check` has a finding of `status` whose message contains `phrase`, and that the check's
/// row is `row`.
fn expect(
    results: &[(String, Vec<Finding>)],
    check: &str,
    row: Status,
    status: Status,
    phrase: &str,
) {
    let (_, findings) = results
        .iter()
        .find(|(id, _)| id == check)
        .unwrap_or_else(|| panic!("{check} did not run"));
    let dump = || {
        findings
            .iter()
            .map(|f| format!("  {} {}: {}", f.status, f.subject.display(), f.message))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        row_status(findings),
        Some(row),
        "{check} row status\n{}",
        dump()
    );
    assert!(
        findings
            .iter()
            .any(|f| f.status == status && f.message.contains(phrase)),
        "{check}: no {status} finding mentions {phrase:?}\n{}",
        dump()
    );
}

/// Every fail/warn of a node check names its evidence and a fix with commands or text.
fn problems_have_evidence_and_fix(results: &[(String, Vec<Finding>)]) {
    for (id, findings) in results {
        for f in findings {
            if matches!(f.status, Status::Fail | Status::Warn | Status::Error) {
                assert!(
                    !f.evidence.is_empty(),
                    "{id}: {} has no evidence",
                    f.message
                );
                let fix = f
                    .fix
                    .as_ref()
                    .unwrap_or_else(|| panic!("{id}: {} has no fix", f.message));
                assert!(!fix.text.is_empty(), "{id}: empty fix text");
                for c in fix.commands.iter().chain(std::iter::once(&fix.text)) {
                    assert!(!c.contains("windoctor bug"), "{id}: {c}");
                }
            }
            assert!(!f.docs.is_empty(), "{id}: finding without docs");
        }
    }
}

#[test]
fn healthy_overlay_node_passes_every_node_check() {
    let r = run("node-overlay-healthy");
    for (id, findings) in &r {
        let row = row_status(findings);
        assert!(
            matches!(row, Some(Status::Pass)),
            "{id} is {row:?} on the healthy node:\n{}",
            findings
                .iter()
                .map(|f| format!("  {} {}", f.status, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    expect(
        &r,
        "flannel-sourcevip",
        Status::Pass,
        Status::Pass,
        "UTF-16LE with BOM",
    );
    expect(
        &r,
        "flannel-subnet-env",
        Status::Pass,
        Status::Pass,
        "podCIDR 10.244.4.0/24",
    );
    expect(
        &r,
        "hns-network",
        Status::Pass,
        Status::Pass,
        "vEthernet (Ethernet)",
    );
    expect(
        &r,
        "cni-exception-list",
        Status::Pass,
        Status::Pass,
        // win-overlay needs the cluster and service CIDRs excepted, not the management subnet
        // (microsoft/SDN helper.psm1#L408-L483; checks/data/layouts.toml [[cni]] overlay).
        "cover cluster 10.244.0.0/16, service 10.96.0.0/12",
    );
    expect(
        &r,
        "kube-proxy-hostname-override",
        Status::Pass,
        Status::Pass,
        "win-2019-a.corp.example.com",
    );
    problems_have_evidence_and_fix(&r);
}

#[test]
fn rejoined_overlay_node_shows_every_documented_problem() {
    let r = run("node-overlay-rejoined");
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "outside the node's current podCIDR 10.244.9.0/24",
    );
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "asks for subnet 10.244.3.0/24",
    );
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "--source-vip=10.244.3.2",
    );
    expect(
        &r,
        "flannel-subnet-env",
        Status::Fail,
        Status::Fail,
        "does not exist",
    );
    expect(
        &r,
        "flannel-subnet-env",
        Status::Fail,
        Status::Fail,
        "cannot read subnet.env",
    );
    expect(
        &r,
        "flanneld-waiting",
        Status::Fail,
        Status::Fail,
        "40 waiting line(s)",
    );
    expect(
        &r,
        "kube-proxy-hostname-override",
        Status::Fail,
        Status::Fail,
        "--hostname-override=win-2019-b, which is not the Node name",
    );
    expect(
        &r,
        "hns-network",
        Status::Fail,
        Status::Fail,
        "HNS network vxlan0 does not exist",
    );
    expect(
        &r,
        "cni-exception-list",
        Status::Fail,
        Status::Fail,
        "comments",
    );
    expect(
        &r,
        "pause-image",
        Status::Fail,
        Status::Fail,
        "but the node runs build 17763",
    );
    expect(&r, "pause-image", Status::Fail, Status::Warn, "disagree");
    expect(
        &r,
        "node-ready",
        Status::Fail,
        Status::Fail,
        "flanneld is not running",
    );
    expect(
        &r,
        "node-services",
        Status::Fail,
        Status::Warn,
        "start mode is Manual",
    );
    expect(
        &r,
        "node-services",
        Status::Fail,
        Status::Warn,
        "kube-proxy runs only as a console process",
    );
    expect(
        &r,
        "proxy-env",
        Status::Warn,
        Status::Warn,
        "the API server k8s-api.corp.example.com",
    );
    expect(
        &r,
        "mac-spoofing",
        Status::Info,
        Status::Info,
        "Hyper-V virtual machine",
    );
    expect(
        &r,
        "kubelet-config",
        Status::Warn,
        Status::Warn,
        "reserves no memory",
    );
    problems_have_evidence_and_fix(&r);
    // Fixes carry the real values.
    let sourcevip = &r
        .iter()
        .find(|(id, _)| id == "flannel-sourcevip")
        .expect("ran")
        .1;
    let fix = sourcevip.iter().find_map(|f| f.fix.clone()).expect("a fix");
    assert!(fix.text.contains("10.244.9.0/24"));
    assert!(fix
        .commands
        .iter()
        .any(|c| c.contains(r"Remove-Item C:\k\SourceVip.json")));
    let hostname = &r
        .iter()
        .find(|(id, _)| id == "kube-proxy-hostname-override")
        .expect("ran")
        .1;
    let fix = hostname.iter().find_map(|f| f.fix.clone()).expect("a fix");
    assert!(fix
        .commands
        .iter()
        .any(|c| c.contains("--hostname-override=win-2019-b.corp.example.com")));
}

#[test]
fn l2bridge_node_with_sc_exe_services_and_v2_conflist() {
    let r = run("node-l2bridge-sc");
    expect(
        &r,
        "kube-proxy-hostname-override",
        Status::Fail,
        Status::Fail,
        "taken literally",
    );
    expect(
        &r,
        "kube-proxy-hostname-override",
        Status::Fail,
        Status::Pass,
        "NODE_NAME from spec.nodeName",
    );
    expect(
        &r,
        "flannel-subnet-env",
        Status::Fail,
        Status::Fail,
        "UTF-16LE with BOM",
    );
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "holds a CNI error",
    );
    expect(
        &r,
        "cni-exception-list",
        Status::Warn,
        Status::Warn,
        "0.0.0.0/0 is over-broad",
    );
    expect(
        &r,
        "mac-spoofing",
        Status::Warn,
        Status::Warn,
        "VMware virtual machine",
    );
    expect(
        &r,
        "node-services",
        Status::Warn,
        Status::Warn,
        "register it through nssm",
    );
    expect(
        &r,
        "hns-network",
        Status::Pass,
        Status::Pass,
        "cbr0 (L2Bridge)",
    );
    expect(
        &r,
        "kubelet-config",
        Status::Warn,
        Status::Warn,
        "reserves only 1Gi",
    );
    expect(
        &r,
        "kubelet-config",
        Status::Warn,
        Status::Info,
        "eviction is not implemented",
    );
    expect(
        &r,
        "pause-image",
        Status::Pass,
        Status::Pass,
        "plugins.cri.sandbox_image",
    );
    expect(
        &r,
        "flannel-vxlan",
        Status::Fail,
        Status::Fail,
        "Backend.Type host-gw here, vxlan in the cluster",
    );
    problems_have_evidence_and_fix(&r);
}

#[test]
fn malformed_files_give_findings_that_say_what_is_wrong() {
    let r = run("node-malformed");
    expect(
        &r,
        "flannel-subnet-env",
        Status::Fail,
        Status::Fail,
        "FLANNEL_SUBNET=\"not-a-subnet\"",
    );
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "not valid JSON",
    );
    expect(
        &r,
        "flannel-sourcevip",
        Status::Fail,
        Status::Fail,
        "names no subnet",
    );
    expect(
        &r,
        "cni-exception-list",
        Status::Fail,
        Status::Fail,
        "not valid JSON",
    );
    expect(
        &r,
        "pause-image",
        Status::Fail,
        Status::Fail,
        "not valid TOML",
    );
    expect(
        &r,
        "flannel-vxlan",
        Status::Fail,
        Status::Fail,
        "Network is 10244",
    );
    expect(
        &r,
        "node-services",
        Status::Error,
        Status::Error,
        "services.json is not valid JSON",
    );
    expect(
        &r,
        "hns-network",
        Status::Error,
        Status::Error,
        "hns-networks.json is not valid JSON",
    );
    expect(&r, "proxy-env", Status::Error, Status::Error, "env.json");
    expect(
        &r,
        "kubelet-config",
        Status::Error,
        Status::Error,
        "not valid YAML",
    );
    problems_have_evidence_and_fix(&r);
}

#[test]
fn absent_subnet_env_on_a_flannel_node_is_a_failure_not_a_skip() {
    let r = run("node-subnet-env-missing");
    problems_have_evidence_and_fix(&r);
    expect(
        &r,
        "flannel-subnet-env",
        Status::Fail,
        Status::Fail,
        r"C:\run\flannel\subnet.env does not exist on win-4.corp.example.com",
    );
    let (_, f) = r
        .iter()
        .find(|(id, _)| id == "flannel-subnet-env")
        .expect("ran");
    let fix = f.iter().find_map(|f| f.fix.clone()).expect("fix");
    assert!(
        fix.commands
            .iter()
            .any(|c| c.contains("FLANNEL_SUBNET=10.244.7.1/24")),
        "{fix:?}"
    );
}

#[test]
fn without_a_node_part_node_checks_skip_naming_the_input() {
    let store = DirStore::open(&bundle_dir("node-overlay-healthy").join("cluster")).expect("dir");
    let facts = bundle::read_bundle(&store);
    assert!(!facts.node.present);
    let world = World::new(facts);
    for id in [
        "node-services",
        "flannel-sourcevip",
        "kube-proxy-hostname-override",
        "cni-exception-list",
        "mac-spoofing",
        "proxy-env",
        "kubelet-config",
    ] {
        let findings = checks::run_on(id, &world).findings;
        assert!(
            findings
                .iter()
                .any(|f| f.status == Status::Skip && f.message.contains("node data not captured")),
            "{id}: {findings:?}"
        );
    }
}

#[test]
fn cli_reports_every_node_check_with_evidence_and_fix() {
    let only = ids_in_scope(Scope::Node).join(",");
    for (bundle, code) in [("node-overlay-healthy", 0), ("node-overlay-rejoined", 1)] {
        let out = windoctor_cmd()
            .args(["--snapshot"])
            .arg(bundle_dir(bundle))
            .args(["--report", "json", "--only", &only])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{bundle}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        let findings = report["findings"].as_array().expect("findings");
        for id in ids_in_scope(Scope::Node) {
            assert!(
                findings
                    .iter()
                    .any(|f| f["check"] == id && f["status"] != "skip"),
                "{bundle}: {id} reported nothing but skips"
            );
        }
        for f in findings {
            if f["status"] == "fail" || f["status"] == "warn" {
                assert!(
                    !f["evidence"].as_array().expect("evidence").is_empty(),
                    "{f}"
                );
                assert!(f["fix"]["text"].is_string(), "{f}");
            }
        }
        assert!(report["environment"]["local_node"]["hostname"].is_string());
    }
}
