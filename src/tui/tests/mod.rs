//! Tests of the TUI as a whole, on a state built here out of synthetic checks and findings about a
//! small fleet (two Windows nodes and a Linux one, a flannel DaemonSet, a pod with a failing image,
//! a flannel log tail, a node file), with a fixed clock and spinner frame so that the screens are
//! deterministic and do not move when the real checks change.
//!
//! `screens` holds the insta snapshots of every screen at 80x24 and 200x60; `keys` drives the update
//! function with key, paste and mouse events.

mod keys;
mod screens;

use super::state::{App, CheckInfo, Clock};
use super::theme::Theme;
use super::update::{self, Effect};
use super::view;
use crate::catalogue::{Area, DocRef};
use crate::checks::CheckResult;
use crate::engine::{Gathered, Update};
use crate::facts::node::{NodeFacts, NodeFile, NodeFiles};
use crate::facts::{Facts, Input, InputOutcome};
use crate::findings::{Evidence, Finding, Fix, Status, Subject};
use crate::sources::SourceKind;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use std::time::Duration;

pub const FLANNEL_POD: &str = "kube-flannel-ds-windows-amd64-x7k2p";

fn check(id: &str, area: Area, title: &str, inputs: &[&str]) -> CheckInfo {
    CheckInfo {
        id: id.to_string(),
        title: title.to_string(),
        area,
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        explanation: format!(
            "Synthetic explanation of {id}: what the check looks at and why it matters on a \
             Windows node, long enough to wrap over two lines at 80 columns."
        ),
        docs: vec![DocRef {
            file: "001_50144ffaf5c40f78.txt".to_string(),
            section: "도움 받기 및 트러블슈팅 › 네트워킹 문제 해결".to_string(),
            url: Some("https://kubernetes.io/docs/setup/production-environment/windows/".into()),
        }],
    }
}

pub fn finding(id: &str, status: Status, subject: Subject, message: &str) -> Finding {
    Finding {
        check: id.to_string(),
        code: id.to_string(),
        node: (subject.kind == "Node").then(|| subject.name.clone()),
        title: id.to_string(),
        status,
        subject,
        message: message.to_string(),
        evidence: vec![],
        fix: None,
        docs: vec![],
        muted: None,
    }
}

fn checks() -> Vec<CheckInfo> {
    vec![
        check(
            "node-ready",
            Area::Node,
            "Windows nodes are Ready",
            &["nodes", "node"],
        ),
        check(
            "windows-version",
            Area::Node,
            "Node build is supported",
            &["nodes"],
        ),
        check(
            "image-os-match",
            Area::Images,
            "Images match the node build",
            &["pods", "events"],
        ),
        check(
            "os-scheduling",
            Area::Scheduling,
            "Pods select their OS",
            &["pods", "nodes"],
        ),
        check(
            "flannel-subnet-env",
            Area::Flannel,
            "subnet.env is present and consistent",
            &["nodes", "node"],
        ),
        check(
            "flanneld-waiting",
            Area::Flannel,
            "flanneld is not stuck waiting",
            &["logs"],
        ),
        check(
            "hns-network",
            Area::Networking,
            "HNS network exists",
            &["node"],
        ),
        check(
            "nodeport-self-access",
            Area::Networking,
            "NodePort from the node itself",
            &["services"],
        ),
        check(
            "proxy-env",
            Area::Node,
            "Proxy variables cover the cluster",
            &["node"],
        ),
        check(
            "version-skew",
            Area::Cluster,
            "Kubelet versions within skew",
            &["version", "nodes"],
        ),
    ]
}

/// Findings of the finished checks (version-skew stays pending in `streaming_app`).
pub fn results() -> Vec<(&'static str, Vec<Finding>)> {
    let mut not_ready = finding(
        "node-ready",
        Status::Fail,
        Subject::node("win-b.corp.example.com"),
        "win-b.corp.example.com is not Ready: Ready=Unknown (NodeStatusUnknown): Kubelet stopped posting node status.",
    );
    not_ready
        .evidence(Evidence::api(
            "Node/win-b.corp.example.com .status.conditions[Ready]",
            "type=Ready status=Unknown reason=NodeStatusUnknown",
        ))
        .with_fix(Fix {
            text: "Node win-b.corp.example.com is not Ready. On the node, check that kubelet and kube-proxy run, then restart them.".into(),
            commands: vec![
                "kubectl describe node win-b.corp.example.com".into(),
                "Get-Service kubelet, kube-proxy".into(),
                "Start-Service kubelet; Start-Service kube-proxy".into(),
            ],
        });
    let ready = finding(
        "node-ready",
        Status::Pass,
        Subject::node("win-a"),
        "win-a is Ready",
    );
    let mut subnet = finding(
        "flannel-subnet-env",
        Status::Fail,
        Subject::file(r"C:\run\flannel\subnet.env"),
        r"C:\run\flannel\subnet.env on win-a names the subnet 10.244.9.1/24 but the Node's podCIDR is 10.244.3.0/24.",
    );
    subnet.node = Some("win-a".into());
    subnet
        .evidence(Evidence::file(r"C:\run\flannel\subnet.env", "FLANNEL_SUBNET=10.244.9.1/24"))
        .evidence(Evidence::event(
            "Pod/default/iis-0 FailedCreatePodSandBox",
            "FailedCreatePodSandBox (x4) at 2026-01-23T04:10:00Z on win-a: failed to set up sandbox: subnet mismatch",
        ))
        .with_fix(Fix {
            text: "Restart flanneld so it writes subnet.env for 10.244.3.0/24.".into(),
            commands: vec![
                "Restart-Service flanneld".into(),
                r"Get-Content C:\run\flannel\subnet.env".into(),
            ],
        });
    let mut waiting = finding(
        "flanneld-waiting",
        Status::Fail,
        Subject::namespaced("Pod", "kube-flannel", FLANNEL_POD),
        "flannel pod kube-flannel/kube-flannel-ds-windows-amd64-x7k2p is stuck waiting for its network (2 waiting line(s), none followed by success)",
    );
    waiting
        .evidence(Evidence::log(
            format!("pod log kube-flannel/{FLANNEL_POD}/kube-flannel line 5"),
            "I0123 04:15:02.000000    4711 device_windows.go:141] Waiting for the Network to be created",
        ))
        .with_fix(Fix {
            text: "Delete the pod so that its DaemonSet starts a new one.".into(),
            commands: vec![format!("kubectl -n kube-flannel delete pod {FLANNEL_POD}")],
        });
    let mut image = finding(
        "image-os-match",
        Status::Warn,
        Subject::namespaced("Deployment", "default", "iis"),
        "deployment/iis in default: image mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019 is built for build 17763 but its pods run on build 20348 node(s) win-b under process isolation (1 pod)",
    );
    image
        .evidence(Evidence::api(
            "Pod/default/iis-0 .spec.containers[iis].image",
            "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019",
        ))
        .evidence(Evidence::event(
            "Pod/default/iis-0 Failed",
            "Failed (x12) at 2026-01-23T04:12:00Z on win-b.corp.example.com: Failed to pull image: no matching manifest for windows/amd64 10.0.20348",
        ))
        .with_fix(Fix {
            text: "Use the ltsc2022 tag of the image.".into(),
            commands: vec!["kubectl -n default set image deployment/iis iis=mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022".into()],
        });
    vec![
        ("node-ready", vec![ready, not_ready]),
        (
            "windows-version",
            vec![finding(
                "windows-version",
                Status::Pass,
                Subject::node("win-a"),
                "build 20348 is supported by kubelet v1.30.4",
            )],
        ),
        ("image-os-match", vec![image]),
        (
            "os-scheduling",
            vec![finding(
                "os-scheduling",
                Status::Pass,
                Subject::cluster(),
                "checked 12 Windows pods: all select kubernetes.io/os=windows",
            )],
        ),
        ("flannel-subnet-env", vec![subnet]),
        ("flanneld-waiting", vec![waiting]),
        (
            "hns-network",
            vec![finding(
                "hns-network",
                Status::Error,
                Subject::new("Input", "node"),
                "could not be evaluated: hns-networks.json is not valid JSON",
            )],
        ),
        (
            "nodeport-self-access",
            vec![finding(
                "nodeport-self-access",
                Status::Info,
                Subject::namespaced("Service", "web", "frontend"),
                "NodePort 30080 cannot be reached from win-a itself; test from another node.",
            )],
        ),
        (
            "proxy-env",
            vec![finding(
                "proxy-env",
                Status::Skip,
                Subject::new("Input", "node"),
                "not evaluated: no proxy variables recorded",
            )],
        ),
    ]
}

pub fn base_app() -> App {
    let mut app = App::new(checks(), Theme::MONO);
    app.viewport = (80, 24);
    app.clock = Clock {
        now: Duration::from_millis(1300),
        frame: 3,
        started_at: Some(time::macros::datetime!(2026-01-23 04:16:40 UTC)),
    };
    app
}

/// Every check finished except version-skew, whose `nodes` input is still being read.
pub fn streaming_app() -> App {
    let mut app = base_app();
    update::apply(
        &mut app,
        Update::Source(SourceKind::Live {
            context: Some("prod-mixed".into()),
            server: Some("https://10.0.0.1:6443".into()),
        }),
    );
    update::apply(&mut app, Update::InputStarted("version"));
    update::apply(
        &mut app,
        Update::InputDone {
            input: "version",
            outcome: InputOutcome::Ready(1),
            elapsed: Duration::from_millis(80),
        },
    );
    app.clock.now = Duration::from_millis(200);
    update::apply(&mut app, Update::InputStarted("nodes"));
    app.clock.now = Duration::from_millis(1300);
    for (id, findings) in results() {
        update::apply(
            &mut app,
            Update::Check(CheckResult {
                id: id.to_string(),
                findings,
                elapsed: Duration::from_micros(250),
            }),
        );
    }
    app
}

fn list<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> Input<Vec<T>> {
    Input::Ready(serde_json::from_value(json).expect("fixture objects parse"))
}

/// The small fleet the findings are about, as a run gathers it.
pub fn facts() -> Facts {
    let mut facts = Facts {
        local_node_name: Some("win-a".into()),
        ..Default::default()
    };
    let node = |name: &str, os: &str, ready: &str, kernel: &str| {
        serde_json::json!({
            "metadata": {"name": name, "labels": {"kubernetes.io/os": os, "kubernetes.io/arch": "amd64"}},
            "spec": {"podCIDR": "10.244.3.0/24", "taints": [{"key": "os", "value": "windows", "effect": "NoSchedule"}]},
            "status": {
                "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.4"}],
                "nodeInfo": {"operatingSystem": os, "osImage": "Windows Server 2022 Datacenter", "kernelVersion": kernel,
                    "kubeletVersion": "v1.30.4", "kubeProxyVersion": "v1.30.4", "containerRuntimeVersion": "containerd://1.7.20", "architecture": "amd64"},
                "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"}
            }
        })
    };
    facts.cluster.nodes = list(serde_json::json!([
        node("win-a", "windows", "True", "10.0.20348.2762"),
        node(
            "win-b.corp.example.com",
            "windows",
            "Unknown",
            "10.0.20348.2762"
        ),
        node("linux-1", "linux", "True", "6.8.0"),
    ]));
    facts.cluster.pods = list(serde_json::json!([
        {"metadata": {"name": "iis-0", "namespace": "default", "ownerReferences": [{"kind": "ReplicaSet", "name": "iis-5d8f"}]},
         "spec": {"nodeName": "win-b.corp.example.com", "nodeSelector": {"kubernetes.io/os": "windows"},
                  "containers": [{"name": "iis", "image": "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]},
         "status": {"phase": "Pending", "containerStatuses": [{"name": "iis", "image": "x", "ready": false, "restartCount": 0,
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}},
        {"metadata": {"name": FLANNEL_POD, "namespace": "kube-flannel", "ownerReferences": [{"kind": "DaemonSet", "name": "kube-flannel-ds-windows-amd64"}]},
         "spec": {"nodeName": "win-a", "hostNetwork": true,
                  "containers": [{"name": "kube-flannel", "image": "sigwindowstools/flannel:v0.21.5-hostprocess"}]},
         "status": {"phase": "Running", "containerStatuses": [{"name": "kube-flannel", "image": "x", "ready": true, "restartCount": 3, "state": {"running": {}}}]}}
    ]));
    facts.cluster.events = list(serde_json::json!([
        {"metadata": {"name": "e1", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "namespace": "default", "name": "iis-0"},
         "reason": "Failed", "type": "Warning", "count": 12, "lastTimestamp": "2026-01-23T04:12:00Z",
         "firstTimestamp": "2026-01-23T04:01:00Z",
         "source": {"component": "kubelet", "host": "win-b.corp.example.com"},
         "message": "Failed to pull image: no matching manifest for windows/amd64 10.0.20348"},
        {"metadata": {"name": "e0", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "namespace": "default", "name": "iis-0"},
         "reason": "Failed", "type": "Warning", "count": 1, "lastTimestamp": "2026-01-23T03:00:00Z",
         "source": {"component": "kubelet", "host": "win-b.corp.example.com"},
         "message": "Error: ErrImagePull"}
    ]));
    facts.cluster.daemonsets = list(serde_json::json!([
        {"metadata": {"name": "kube-flannel-ds-windows-amd64", "namespace": "kube-flannel"},
         "spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/os": "windows"},
             "containers": [{"name": "kube-flannel", "image": "sigwindowstools/flannel:v0.21.5-hostprocess"}]}}},
         "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1, "numberMisscheduled": 0, "numberUnavailable": 1}}
    ]));
    facts.cluster.logs = vec![crate::facts::k8s::PodLog {
        namespace: "kube-flannel".into(),
        pod: FLANNEL_POD.into(),
        container: "kube-flannel".into(),
        previous: false,
        text: [
            "I0123 04:14:58.000000    4711 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001}",
            "I0123 04:14:59.000000    4711 kube.go:126] Waiting 10m0s for node controller to sync",
            "I0123 04:15:00.000000    4711 kube.go:420] Starting kube subnet manager",
            "I0123 04:15:01.000000    4711 device_windows.go:141] Waiting for the Network to be created",
            "I0123 04:15:02.000000    4711 device_windows.go:141] Waiting for the Network to be created",
            "E0123 04:15:03.000000    4711 main.go:330] Error registering network: timed out\twaiting",
        ]
        .join("\n"),
    }];
    facts.node = NodeFacts {
        present: true,
        hostname: Input::Ready("WIN-A".into()),
        files: Input::Ready(NodeFiles {
            files: vec![NodeFile {
                path: r"C:\run\flannel\subnet.env".into(),
                encoding: "UTF-8",
                text: "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.9.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n".into(),
                size: 90,
            }],
            unreadable: vec![],
            coverage: None,
            captured_by: None,
        }),
        ..NodeFacts::absent()
    };
    facts
}

/// Every check finished, and the run handed over what it gathered.
pub fn finished_app() -> App {
    let mut app = streaming_app();
    update::apply(
        &mut app,
        Update::Check(CheckResult {
            id: "version-skew".into(),
            findings: vec![finding(
                "version-skew",
                Status::Pass,
                Subject::cluster(),
                "kubelets v1.30.4 are within two minors of the API server v1.31.2",
            )],
            elapsed: Duration::from_micros(90),
        }),
    );
    let world = crate::model::World::new(facts());
    update::apply(
        &mut app,
        Update::Finished(Box::new(Gathered {
            world,
            source: SourceKind::Demo,
        })),
    );
    app
}

pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    update::on_resize(app, width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(f, app)).unwrap();
    terminal.backend().to_string()
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// Presses each character of `keys` (`\n` Enter, `\t` Tab, `\x1b` Esc, `\x08` Backspace).
pub fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .filter_map(|c| {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                '\x1b' => KeyCode::Esc,
                '\x08' => KeyCode::Backspace,
                c => KeyCode::Char(c),
            };
            update::on_key(app, key(code))
        })
        .collect()
}

pub fn selected_id(app: &App) -> String {
    app.selected_row().unwrap().info.id.clone()
}

/// The subject of the finding selected in the details.
pub fn selected_subject(app: &App) -> String {
    app.selected_finding().unwrap().2.subject.display()
}
