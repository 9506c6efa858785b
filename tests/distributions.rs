//! Windows nodes of each distribution (AKS, EKS, GKE, RKE2 with Calico and with flannel, kubeadm with
//! HostProcess flannel, OpenShift WMCO, Calico manual and HostProcess, microsoft/SDN flannel), run
//! through the binary as `--snapshot DIR --report json`: every healthy bundle gives no `fail` and
//! no `warn` beyond the few that are true on that node, each broken bundle is caught by the right
//! check and part, and the report's environment names the layout detected. The bundles are under
//! tests/bundles/<layout>-healthy and <layout>-<fault> (written by make_distribution_bundles.py from
//! samples of each distribution's public scripts; docs/distributions.md cites them).

mod helpers;
mod support;
use helpers::copy_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn bundle(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bundles")
        .join(name)
}

/// The JSON report of `--snapshot` on the test bundle `name`.
fn report(name: &str) -> Value {
    report_of(&bundle(name))
}

/// The JSON report of `--snapshot dir`.
fn report_of(dir: &Path) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"))
        .stdin(std::process::Stdio::null())
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .env("WINDOCTOR_NOW", "2026-11-20T10:00:00Z")
        .arg("--snapshot")
        .arg(dir)
        .args(["--report", "json"])
        .output()
        .expect("windoctor runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8 report");
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The JSON report of `--snapshot` on a copy of the test bundle `name` that `change` edited (the
/// copy is in a temporary directory, gone afterwards).
fn report_of_changed(name: &str, change: impl FnOnce(&Path)) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&bundle(name), dir.path());
    change(dir.path());
    report_of(dir.path())
}

/// Takes `--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS` out of these files of a bundle (a
/// command-line array's item, or a word of a service's command line); each must have had it.
fn drop_priority_class(dir: &Path, files: &[&str]) {
    for file in files {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect(file);
        let without = text
            .replace(
                r#""--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS","#,
                "",
            )
            .replace(" --windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS", "");
        assert_ne!(text, without, "{file}: the kubelet sets the priority class");
        std::fs::write(&path, without).expect(file);
    }
}

fn findings(r: &Value) -> Vec<(String, String, String)> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap_or("").to_string(),
                f["code"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn dump(r: &Value) -> String {
    findings(r)
        .iter()
        .filter(|(s, _, _)| s != "pass" && s != "skip")
        .map(|(s, c, m)| format!("  {s} {c}: {m}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The layout the environment names for the local node part.
fn layout(r: &Value) -> (String, Option<String>) {
    let l = &r["environment"]["layouts"][0];
    (
        l["id"].as_str().unwrap_or("").to_string(),
        l["cni"].as_str().map(str::to_string),
    )
}

/// (bundle, layout id, phrase the CNI description holds, warns that are true on that node)
const HEALTHY: &[(&str, &str, &str, &[&str])] = &[
    ("aks-healthy", "aks", "azure-vnet", &[]),
    // EKS sets no system-reserved memory: the documentation's advice holds there.
    (
        "eks-healthy",
        "eks",
        "vpc-bridge",
        &["kubelet-config/system-reserved"],
    ),
    (
        "gke-healthy",
        "gke",
        "sdnbridge",
        &["kubelet-config/system-reserved"],
    ),
    (
        "rke2-healthy",
        "rke2",
        "Calico",
        &["kubelet-config/system-reserved"],
    ),
    (
        "rke2-flannel-healthy",
        "rke2",
        "Overlay",
        &["kubelet-config/system-reserved"],
    ),
    // kubeadm itself warns that containerd's sandbox image differs from the one it pins.
    (
        "kubeadm-hostprocess-healthy",
        "kubeadm-hostprocess",
        "Overlay",
        &[
            "kubelet-config/system-reserved",
            "pause-image/sandbox-settings-disagree",
        ],
    ),
    (
        "openshift-wmco-healthy",
        "openshift-wmco",
        "OVN-Kubernetes hybrid overlay",
        &[],
    ),
    (
        "calico-manual-healthy",
        "calico-manual",
        "Calico",
        &["kubelet-config/system-reserved"],
    ),
    (
        "calico-hostprocess-healthy",
        "calico-hostprocess",
        "Calico",
        &["kubelet-config/system-reserved"],
    ),
    // The documentation's own advice: write VNI and port out in net-conf.json.
    (
        "sdn-flannel-healthy",
        "sdn-flannel",
        "Overlay",
        &[
            "kubelet-config/system-reserved",
            "flannel-vxlan/node-net-conf",
        ],
    ),
];

#[test]
fn healthy_nodes_of_every_distribution_give_no_fail() {
    for (name, id, cni, allowed_warns) in HEALTHY {
        let r = report(name);
        let all = findings(&r);
        assert!(!all.is_empty(), "{name}: no findings");
        let fails: Vec<_> = all.iter().filter(|(s, _, _)| s == "fail").collect();
        assert!(fails.is_empty(), "{name} has fails:\n{}", dump(&r));
        let errors: Vec<_> = all.iter().filter(|(s, _, _)| s == "error").collect();
        assert!(errors.is_empty(), "{name} has errors:\n{}", dump(&r));
        for (_, code, message) in all.iter().filter(|(s, _, _)| s == "warn") {
            assert!(
                allowed_warns.contains(&code.as_str()),
                "{name}: unexpected warn {code}: {message}\n{}",
                dump(&r)
            );
        }
        let (found, cni_in_use) = layout(&r);
        assert_eq!(&found, id, "{name}: layout\n{}", r["environment"]);
        assert!(
            cni_in_use.as_deref().is_some_and(|c| c.contains(cni)),
            "{name}: CNI {cni_in_use:?} should mention {cni}"
        );
    }
}

/// (bundle, layout id, status, code, phrase of the message)
const BROKEN: &[(&str, &str, &str, &str, &str)] = &[
    (
        "aks-azure-network-missing",
        "aks",
        "fail",
        "hns-network/network-missing",
        "HNS network azure does not exist on akswin000002",
    ),
    (
        "eks-vpcbr-missing",
        "eks",
        "fail",
        "hns-network/network-missing",
        "HNS network matching ^vpcbr[0-9a-f]{12}$ does not exist on ip-10-0-45-17",
    ),
    (
        "gke-exception-list-no-cluster",
        "gke",
        "fail",
        "cni-exception-list/cluster-range-not-excepted",
        "the cluster CIDR 10.64.0.0/14",
    ),
    (
        "rke2-cni-conf-dir-wrong",
        "rke2",
        "warn",
        "cni-exception-list/no-cni-config",
        r"C:\var\lib\rancher\rke2\agent\etc\cni",
    ),
    (
        "kubeadm-hostprocess-no-lease",
        "kubeadm-hostprocess",
        "fail",
        "hns-network/network-missing",
        "HNS network flannel.4096 does not exist",
    ),
    (
        "kubeadm-hostprocess-no-lease",
        "kubeadm-hostprocess",
        "fail",
        "flannel-subnet-env/subnet-env-missing",
        r"C:\run\flannel\subnet.env does not exist",
    ),
    (
        "openshift-wmco-hybrid-overlay-missing",
        "openshift-wmco",
        "fail",
        "hns-network/network-missing",
        "OVNKubernetesHybridOverlayNetwork",
    ),
    (
        "calico-manual-calico-network-missing",
        "calico-manual",
        "fail",
        "hns-network/network-missing",
        "HNS network Calico does not exist",
    ),
    (
        "calico-hostprocess-exception-list-empty",
        "calico-hostprocess",
        "fail",
        "cni-exception-list/cluster-range-not-excepted",
        "the service CIDR 10.96.0.0/12 (which Calico",
    ),
    (
        "sdn-flannel-wrong-network-name",
        "sdn-flannel",
        "fail",
        "hns-network/network-missing",
        "HNS network cbr0 does not exist",
    ),
];

#[test]
fn broken_nodes_are_caught_by_the_right_check_and_part() {
    for (name, id, status, code, phrase) in BROKEN {
        let r = report(name);
        assert!(
            findings(&r)
                .iter()
                .any(|(s, c, m)| s == status && c == code && m.contains(phrase)),
            "{name}: no {status} {code} mentioning {phrase:?}:\n{}",
            dump(&r)
        );
        assert_eq!(&layout(&r).0, id, "{name}: layout");
    }
}

/// A missing network's fix points at what creates it: start.ps1 only on the documentation's layout.
#[test]
fn a_missing_network_is_sent_to_what_creates_it() {
    let fix_of = |name: &str| -> String {
        let r = report(name);
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["code"] == "hns-network/network-missing" && f["status"] == "fail")
            .map(|f| f["fix"]["text"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    for (name, creator) in [
        ("aks-azure-network-missing", "created by Azure CNI"),
        ("eks-vpcbr-missing", "created by Amazon VPC CNI"),
        ("calico-manual-calico-network-missing", "created by Calico"),
        (
            "openshift-wmco-hybrid-overlay-missing",
            "created by OVN-Kubernetes",
        ),
    ] {
        let fix = fix_of(name);
        assert!(fix.contains(creator), "{name}: {fix}");
        assert!(!fix.contains("rerun start.ps1"), "{name}: {fix}");
    }
    // A network found by a pattern is named by it, in the fix as in the message.
    let fix = fix_of("eks-vpcbr-missing");
    assert!(
        fix.starts_with(
            "Check the HNS network matching ^vpcbr[0-9a-f]{12}$ and the vEthernet adapter"
        ),
        "eks: {fix}"
    );
    let fix = fix_of("aks-azure-network-missing");
    assert!(
        fix.starts_with("Check the HNS network azure and the vEthernet adapter"),
        "aks: {fix}"
    );
    let fix = fix_of("sdn-flannel-wrong-network-name");
    assert!(fix.contains("rerun start.ps1"), "sdn-flannel: {fix}");
}

#[test]
fn every_distribution_has_a_healthy_and_a_broken_bundle() {
    let layouts: Vec<&str> = HEALTHY.iter().map(|(_, id, _, _)| *id).collect();
    for id in [
        "aks",
        "eks",
        "gke",
        "rke2",
        "kubeadm-hostprocess",
        "openshift-wmco",
        "calico-manual",
        "calico-hostprocess",
        "sdn-flannel",
    ] {
        assert!(layouts.contains(&id), "no healthy bundle for {id}");
        assert!(
            BROKEN.iter().any(|(_, l, _, _, _)| *l == id),
            "no broken bundle for {id}"
        );
    }
}

/// The text and markdown reports name the detected layout too.
#[test]
fn text_and_markdown_name_the_layout() {
    for (format, phrase) in [
        (
            "text",
            "layout of ip-10-0-45-17.eu-west-1.compute.internal: Amazon EKS",
        ),
        (
            "markdown",
            "**Layout of ip-10-0-45-17.eu-west-1.compute.internal**: Amazon EKS",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"))
            .stdin(std::process::Stdio::null())
            .env_remove("KUBECONFIG")
            .env("NO_COLOR", "1")
            .arg("--snapshot")
            .arg(bundle("eks-healthy"))
            .args(["--report", format])
            .output()
            .expect("windoctor runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(phrase),
            "{format} report lacks {phrase:?}:\n{text}"
        );
    }
}

/// azure-vnet creates its HNS network at the first pod's ADD: a missing `azure` network on a node
/// where no pod's network was seen is `info`, never `fail`.
#[test]
fn azure_network_missing_without_pods_is_info() {
    let r = report_of_changed("aks-azure-network-missing", |dir| {
        std::fs::remove_file(dir.join("cluster/pods.json")).expect("pods.json there");
    });
    let all = findings(&r);
    assert!(
        all.iter().any(|(s, c, m)| s == "info"
            && c == "hns-network/network-missing"
            && m.contains("creates it when the first pod gets a network")),
        "{}",
        dump(&r)
    );
    assert!(
        !all.iter()
            .any(|(s, c, _)| s == "fail" && c.starts_with("hns-network/")),
        "{}",
        dump(&r)
    );
}

/// The failing `hns-network/network-missing` finding of the Calico manual bundle when the network
/// is expected only through `KUBE_NETWORK` (Calico's pattern `Calico.*`, set for the machine) and no
/// CNI configuration is written yet, after `change` to the bundle.
fn missing_pattern_network(change: impl FnOnce(&Path)) -> Value {
    let r = report_of_changed("calico-manual-calico-network-missing", |dir| {
        std::fs::remove_file(
            dir.join("node/files/C/Program Files/containerd/cni/conf/10-calico.conf"),
        )
        .expect("the CNI configuration is there");
        std::fs::write(dir.join("node/env.json"), r#"{"KUBE_NETWORK": "Calico.*"}"#)
            .expect("env.json written");
        change(dir);
    });
    let missing = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "hns-network/network-missing" && f["status"] == "fail")
        .unwrap_or_else(|| panic!("no missing network:\n{}", dump(&r)));
    missing.clone()
}

/// A network expected only through `KUBE_NETWORK` is named as the variable gives it, and its fix
/// sends the operator to the CNI of the node's layout, not to the documentation's start.ps1.
#[test]
fn a_kube_network_pattern_missing_on_a_distributions_node_is_sent_to_its_cni() {
    let missing = missing_pattern_network(|_| {});
    let message = missing["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("HNS network matching Calico.* does not exist on win-calico-01"),
        "{message}"
    );
    let fix = missing["fix"]["text"].as_str().unwrap_or_default();
    assert!(
        fix.contains("Calico for Windows, manual install")
            && fix.contains("created by the CNI or its agent, not by start.ps1"),
        "{fix}"
    );
    assert!(!fix.contains("rerun start.ps1"), "{fix}");
}

/// The same missing network on a node of no known layout (the Calico bundle without what marks
/// its layout: the file `C:\CalicoWindows\nodename` and the services CalicoNode and
/// CalicoFelix): the message names the pattern as the variable gives it, and the fix is the
/// generic one (look the network up; start.ps1 makes it on the documentation's layout), not one
/// that names a distribution or a CNI.
#[test]
fn a_kube_network_pattern_missing_on_a_node_of_no_known_layout_gets_the_generic_fix() {
    let missing = missing_pattern_network(|dir| {
        std::fs::remove_file(dir.join("node/files/C/CalicoWindows/nodename"))
            .expect("the nodename file is there");
        let services = dir.join("node/services.json");
        let listed: Vec<Value> =
            serde_json::from_slice(&std::fs::read(&services).expect("services.json read"))
                .expect("services.json parses");
        let others: Vec<&Value> = listed
            .iter()
            .filter(|s| !s["name"].as_str().is_some_and(|n| n.starts_with("Calico")))
            .collect();
        assert_eq!(
            others.len(),
            listed.len() - 2,
            "CalicoNode and CalicoFelix are listed"
        );
        std::fs::write(&services, serde_json::to_vec(&others).expect("serializes"))
            .expect("services.json written");
    });
    let message = missing["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("HNS network matching Calico.* does not exist on "),
        "{message}"
    );
    let fix = missing["fix"]["text"].as_str().unwrap_or_default();
    assert!(fix.contains("rerun start.ps1"), "{fix}");
    assert!(
        !fix.contains("Calico") && !fix.contains("created by the CNI"),
        "{fix}"
    );
    let commands = missing["fix"]["commands"].as_array().expect("fix commands");
    assert!(
        commands
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.starts_with("Get-HnsNetwork"))),
        "{commands:#?}"
    );
}

/// The fix commands of the first finding of `code` in the report of bundle `name`.
fn fix_commands(name: &str, code: &str) -> Vec<String> {
    fix_commands_in(&report(name), code)
}

/// The fix commands of the first finding of `code` in report `r`.
fn fix_commands_in(r: &Value, code: &str) -> Vec<String> {
    let finding = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding:\n{}", dump(r)));
    finding["fix"]["commands"]
        .as_array()
        .expect("fix commands")
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn kubelet_flags_are_changed_where_each_distribution_starts_the_kubelet() {
    // RKE2 starts the kubelet as a child of its one service, with the kubelet-arg list of its
    // config file: the fix edits that list and restarts rke2. Before, it told the operator to
    // stop the kubelet process and install a second kubelet service with nssm.
    for name in ["rke2-healthy", "rke2-flannel-healthy"] {
        let commands = fix_commands(name, "kubelet-config/system-reserved");
        assert_eq!(
            commands.first().map(String::as_str),
            Some(
                r#"notepad C:\etc\rancher\rke2\config.yaml   # add "system-reserved=memory=2Gi" to the kubelet-arg list (or to the config.yaml.d file that sets it)"#
            ),
            "{name}: {commands:#?}"
        );
        assert!(
            commands.iter().any(|c| c == "Restart-Service rke2"),
            "{name}: {commands:#?}"
        );
        for c in &commands {
            assert!(
                !c.contains("nssm")
                    && !c.contains("Stop-Process")
                    && !c.contains("Restart-Service kubelet"),
                "{name}: {c}"
            );
        }
    }
    // EKS and GKE run the kubelet from a wrapper their kubelet service starts
    // (EKS-WindowsServiceHost.exe, kube-log-runner.exe): the fix rewrites that service's command
    // line, wrapper and all, and restarts the service, and says how long that lasts: a new node
    // gets its service from the node group's bootstrap (EKS: -KubeletExtraArgs of
    // Start-EKSBootstrap.ps1) or is re-created from its node pool (GKE). Before, it also said
    // nssm install.
    for (name, wrapper, lasts) in [
        (
            "eks-healthy",
            r#""C:\Program Files\Amazon\EKS\EKS-WindowsServiceHost.exe" kubelet "C:\Program Files\kubernetes\kubelet.exe" --config="#,
            r#"'   # lasts until the node is replaced: for the nodes to come, add "--system-reserved=memory=2Gi" to -KubeletExtraArgs of Start-EKSBootstrap.ps1 in the node group launch template user data"#,
        ),
        (
            "gke-healthy",
            r"C:\etc\kubernetes\node\bin\kube-log-runner.exe -log-file=C:\etc\kubernetes\logs\kubelet.log C:\etc\kubernetes\node\bin\kubelet.exe --",
            "'   # lasts until GKE re-creates the node (node pool upgrade or repair): changes on a node boot disk do not persist",
        ),
    ] {
        let commands = fix_commands(name, "kubelet-config/system-reserved");
        let set = commands.first().expect("a command");
        let prefix = format!(
            r"Set-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Services\kubelet' -Name ImagePath -Value '{wrapper}"
        );
        assert!(set.starts_with(&prefix), "{name}: {set}");
        assert!(
            set.ends_with(&format!(" --system-reserved=memory=2Gi{lasts}")),
            "{name}: {set}"
        );
        assert_eq!(
            commands.get(1).map(String::as_str),
            Some("Restart-Service kubelet")
        );
        assert!(
            !commands.iter().any(|c| c.contains("nssm")),
            "{name}: {commands:#?}"
        );
    }
    // A kubelet nssm service whose own settings were not collected. Calico's kubelet-service.ps1
    // runs in PowerShell: the flags are in that script. Otherwise what nssm runs is looked at
    // first (`nssm set ... AppParameters` on a service that runs a script would replace its
    // path). Before, these nodes were told to stop the kubelet and `nssm install kubelet`, which
    // fails where the service exists (and sig-windows-tools installs nssm under Program Files,
    // whose unquoted path was not recognised as nssm's).
    let calico = fix_commands("calico-manual-healthy", "kubelet-config/system-reserved");
    assert_eq!(
        calico.first().map(String::as_str),
        Some(
            r"notepad C:\CalicoWindows\kubernetes\kubelet-service.ps1   # add --system-reserved=memory=2Gi to the kubelet's flags there (service kubelet runs it)"
        )
    );
    for name in ["sdn-flannel-healthy", "calico-hostprocess-healthy"] {
        let commands = fix_commands(name, "kubelet-config/system-reserved");
        let look = commands.first().expect("a command");
        assert!(
            look.starts_with("nssm get kubelet Application; nssm get kubelet AppParameters   # add --system-reserved=memory=2Gi"),
            "{name}: {look}"
        );
    }
    for name in [
        "calico-manual-healthy",
        "sdn-flannel-healthy",
        "calico-hostprocess-healthy",
    ] {
        let commands = fix_commands(name, "kubelet-config/system-reserved");
        assert!(
            !commands
                .iter()
                .any(|c| c.contains("nssm install") || c.contains("Stop-Process")),
            "{name}: {commands:#?}"
        );
    }
}

/// On OpenShift, WICD writes the kubelet service's command line back from WMCO's services
/// ConfigMap: the fix that changes it says that the change does not last.
#[test]
fn an_openshift_kubelet_flag_fix_says_wicd_writes_the_service_back() {
    let r = report_of_changed("openshift-wmco-healthy", |dir| {
        drop_priority_class(dir, &["node/processes.json", "node/services.json"]);
    });
    let commands = fix_commands_in(&r, "kubelet-config/priority-class");
    let set = commands.first().expect("a command");
    assert!(
        set.starts_with(r"Set-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Services\kubelet' -Name ImagePath -Value 'C:\k\kube-log-runner.exe -log-file=C:\var\log\kubelet\kubelet.log C:\k\kubelet.exe --config="),
        "{set}"
    );
    assert!(
        set.ends_with(" --windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS'   # WICD writes this service's command line back from WMCO's windows-services ConfigMap at its next reconcile: the change does not last"),
        "{set}"
    );
    // The note's apostrophes are in a comment: the command parses as PowerShell.
    support::powershell::assert_parses("the WMCO kubelet flag fix", set);
}

/// AKS's Kubelet service (nssm) runs kubeletstart.ps1, which starts the kubelet with the flags of
/// `Kubernetes.Kubelet.ConfigArgs` in kubeclusterconfig.json: a kubelet without the documented
/// priority class is sent there. Before, the kubelet process was taken for a console one: stop it
/// and install a kubelet service with nssm, beside the Kubelet service AKS has.
#[test]
fn an_aks_kubelet_flag_is_added_to_the_cluster_configuration() {
    let r = report_of_changed("aks-healthy", |dir| {
        drop_priority_class(dir, &["node/processes.json"]);
    });
    let commands = fix_commands_in(&r, "kubelet-config/priority-class");
    assert_eq!(
        commands,
        [
            r#"notepad C:\k\kubeclusterconfig.json   # add "--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS" to Kubernetes.Kubelet.ConfigArgs; AKS writes this file again when it upgrades or reimages the node"#,
            "Restart-Service kubelet",
        ]
    );
}
