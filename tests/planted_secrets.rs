//! Issue 15, classes "secrets never leak" (4) and "terminal escape injection" (5): one planted-secrets
//! test over every output path.
//!
//! A distinct secret is planted in each source windoctor reads: the kubeconfig (its token, the
//! server URL's userinfo), an exec credential plugin (the ExecCredential it prints before exiting
//! non-zero, its arguments and environment), annotations, container arguments, environment values,
//! events, ConfigMap data, pod logs, and node files and logs under `--node-root` (containerd
//! registry credentials, the node's kubeconfig, log lines). Events and logs also carry terminal
//! escapes (OSC 52 clipboard, 8-bit CSI, a carriage return). Then every output path is searched:
//! the JSON, markdown and text reports, stderr, a captured bundle (every file) and its replay, and
//! the TUI (the report and fixes files it exports, and the text of every screen it renders). No
//! secret may appear anywhere, and no raw control character may reach a terminal-facing output.

mod helpers;
use helpers::copy_dir;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use windoctor_testkit::hostile_data::{self, TERMINAL_ESCAPE};
use windoctor_testkit::kubeconfig::{self, ExecPlugin};
use windoctor_testkit::{ClusterData, FakeApiServer, ResourceKind, ServerOptions};

const HEALTHY: &str = "tests/bundles/node-overlay-healthy";
const NODE: &str = "win-2019-a.corp.example.com";

/// Secrets this test plants beyond `hostile_data::SECRETS`, one per source.
const KUBECONFIG_TOKEN: &str = "kc-t0ken-9a8b7c6d5e";
const URL_PASSWORD: &str = "URLpassw0rd-42";
const EXEC_TOKEN: &str = "exec-plugin-t0ken-5150";
const EXEC_ARG: &str = "exec-arg-s3cret-77";
const EXEC_ENV: &str = "exec-env-s3cret-88";
const ANNOTATION: &str = "annot-passw0rd-31";
const ARG_TOKEN: &str = "arg-t0ken-2718";
const ENV_VALUE: &str = "env-ap1key-value";
const EVENT_TOKEN: &str = "evt-auth-t0ken-1618";
const EVENT_COOKIE: &str = "evt-c00kie-1414";
const CONFIGMAP_TOKEN: &str = "cm-t0ken-abcdef0123456789";
const CONFIGMAP_PASSWORD: &str = "cm-passw0rd-5772";
const POD_LOG: &str = "podlog-bearer-0123456789";
const NODE_AUTH: &str = "dXNlcjpub2RlLWF1dGgtMzE0";
const NODE_PASSWORD: &str = "node-reg-passw0rd";
const NODE_IDTOKEN: &str = "node-identity-t0ken";
const NODE_LOG: &str = "nodelog-curl-passw0rd";
const NODE_KUBECONFIG: &str = "node-kc-passw0rd-99";
const NODE_PS: &str = "node-securestring-55";

fn planted() -> Vec<&'static str> {
    let mut all = vec![
        KUBECONFIG_TOKEN,
        URL_PASSWORD,
        EXEC_TOKEN,
        EXEC_ARG,
        EXEC_ENV,
        ANNOTATION,
        ARG_TOKEN,
        ENV_VALUE,
        EVENT_TOKEN,
        EVENT_COOKIE,
        CONFIGMAP_TOKEN,
        CONFIGMAP_PASSWORD,
        POD_LOG,
        NODE_AUTH,
        NODE_PASSWORD,
        NODE_IDTOKEN,
        NODE_LOG,
        NODE_KUBECONFIG,
        NODE_PS,
    ];
    all.extend(hostile_data::SECRETS);
    all
}

/// The raw control characters no terminal-facing output may carry.
const CONTROLS: &[char] = &['\u{1b}', '\u{7}', '\u{9b}', '\r', '\u{202e}'];

fn healthy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(HEALTHY)
}

/// The healthy cluster with a secret in every cluster source and escapes in events and logs.
fn cluster() -> ClusterData {
    let mut data = ClusterData::from_bundle_dir(healthy()).expect("cluster loads");
    hostile_data::plant_secrets(&mut data).expect("secrets");
    hostile_data::plant_terminal_escape(&mut data).expect("escape");
    data.add(
        ResourceKind::Pods,
        json!({
            "metadata": {"name": "web-win", "namespace": "default", "uid": "uid-web-win",
                "annotations": {
                    "flannel.alpha.coreos.com/public-ip": format!("10.0.0.21 password={ANNOTATION}"),
                    "example.com/db": format!("password: {ANNOTATION}")
                }},
            "spec": {"nodeName": NODE, "nodeSelector": {"kubernetes.io/os": "windows"},
                "containers": [{"name": "web", "image": "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019",
                    "args": ["--token", ARG_TOKEN, "--v=2"],
                    "env": [{"name": "API_KEY", "value": ENV_VALUE}]}]},
            "status": {"phase": "Pending"}
        }),
    )
    .expect("pod");
    data.add(
        ResourceKind::Pods,
        json!({
            "metadata": {"name": "kube-flannel-ds-windows-x7k2p", "namespace": "kube-flannel", "uid": "uid-flannel-win"},
            "spec": {"nodeName": NODE, "containers": [{"name": "kube-flannel", "image": "sigwindowstools/flannel:v0.21.5-hostprocess"}]},
            "status": {"phase": "Running"}
        }),
    )
    .expect("flannel pod");
    data.add_log(
        "kube-flannel",
        "kube-flannel-ds-windows-x7k2p",
        "kube-flannel",
        format!(
            "I1120 09:00:00 main.go:1] Waiting for the Network to be created (Authorization: Bearer {POD_LOG})\n\
             I1120 09:00:01 main.go:2] {TERMINAL_ESCAPE}\u{9b}2J\n"
        ),
    );
    let sandbox = format!(
        "Failed to create pod sandbox: rpc error: the operating system of the container does not match the operating system of the host \
         (pull with Authorization: token {EVENT_TOKEN}) {TERMINAL_ESCAPE} hidden\roverwritten \u{9b}31m \u{202e}txt.exe"
    );
    for (name, reason, message) in [
        ("web-win.sandbox", "FailedCreatePodSandBox", sandbox),
        (
            "web-win.network",
            "NetworkNotReady",
            format!("network \"cbr0\" not found; probe sent Cookie: sid={EVENT_COOKIE}"),
        ),
    ] {
        data.add(
            ResourceKind::Events,
            json!({
                "metadata": {"name": name, "namespace": "default"},
                "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-win", "uid": "uid-web-win"},
                "reason": reason, "message": message, "type": "Warning", "count": 3,
                "source": {"component": "kubelet", "host": NODE}
            }),
        )
        .expect("event");
    }
    data.add(
        ResourceKind::ConfigMaps,
        json!({
            "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
            "data": {
                "config.conf": format!("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  token: {CONFIGMAP_TOKEN}\n  password: \"{CONFIGMAP_PASSWORD}\"\nmode: iptables\n"),
                "token": CONFIGMAP_TOKEN
            }
        }),
    )
    .expect("configmap");
    data
}

/// The healthy node's files with secrets in containerd's registry credentials, the node's
/// kubeconfig, a start script and log lines (one of which the flanneld check quotes).
fn node_root(dir: &Path) -> PathBuf {
    let from = healthy().join("node/files/C");
    let root = dir.join("C");
    copy_dir(&from, &root);
    let toml = root.join("Program Files/containerd/config.toml");
    let mut text = std::fs::read_to_string(&toml).expect("config.toml");
    text.push_str(&format!(
        "\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"registry.corp.example.com\".auth]\n  username = \"svc\"\n  password = \"{NODE_PASSWORD}\"\n  auth = \"{NODE_AUTH}\"\n  identitytoken = \"{NODE_IDTOKEN}\"\n"
    ));
    std::fs::write(&toml, text).expect("write");
    let log = root.join("k/flanneld.log");
    let mut text = std::fs::read_to_string(&log).expect("flanneld.log");
    text.push_str(&format!(
        "E1120 09:40:00.000000    4410 main.go:1] Waiting for the Network to be created: curl -u admin:{NODE_LOG} failed {TERMINAL_ESCAPE}\n"
    ));
    std::fs::write(&log, text).expect("write");
    std::fs::write(
        root.join("k/config"),
        format!("apiVersion: v1\nclusters:\n- cluster:\n    server: https://admin:{NODE_KUBECONFIG}@10.0.0.5:6443\n  name: k\nusers:\n- name: u\n  user:\n    token: {NODE_KUBECONFIG}\n"),
    )
    .expect("write");
    std::fs::write(
        root.join("k/StartKubelet.ps1"),
        format!("$pw = ConvertTo-SecureString \"{NODE_PS}\" -AsPlainText -Force\r\nC:\\k\\kubelet.exe --v=2\r\n"),
    )
    .expect("write");
    root
}

/// One output and where it came from.
struct Output {
    what: String,
    text: String,
    /// Shown on a terminal (no raw control characters allowed).
    terminal: bool,
}

fn windoctor(kubeconfig: &Path, root: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_windoctor"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--node-root")
        .arg(root)
        .args(["--node", NODE, "--request-timeout", "10"]);
    cmd
}

fn run(cmd: &mut Command, what: &str, out: &mut Vec<Output>) -> String {
    let o = cmd.output().expect("windoctor runs");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    out.push(Output {
        what: format!("{what} stdout"),
        text: stdout.clone(),
        terminal: !what.contains("json"),
    });
    out.push(Output {
        what: format!("{what} stderr"),
        text: String::from_utf8_lossy(&o.stderr).into_owned(),
        terminal: true,
    });
    stdout
}

/// The reports, stderr, a capture (stderr and every file) and its replay, for one kubeconfig.
fn cli_outputs(label: &str, kubeconfig: &Path, root: &Path, dir: &Path, out: &mut Vec<Output>) {
    for format in ["json", "markdown", "text"] {
        run(
            windoctor(kubeconfig, root).args(["--report", format]),
            &format!("{label} --report {format}"),
            out,
        );
    }
    let bundle = dir.join(format!("bundle-{label}"));
    run(
        windoctor(kubeconfig, root).arg("capture").arg(&bundle),
        &format!("{label} capture"),
        out,
    );
    for file in walk(&bundle) {
        out.push(Output {
            what: format!("{label} captured {}", file.display()),
            text: String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned(),
            terminal: false,
        });
    }
    if bundle.is_dir() {
        let mut replay = Command::new(env!("CARGO_BIN_EXE_windoctor"));
        replay
            .arg("--snapshot")
            .arg(&bundle)
            .args(["--report", "text"]);
        run(&mut replay, &format!("{label} replay text"), out);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// The TUI on the same run: the files it exports and the text of the checklist and of every
/// check's details, rendered as a terminal shows them.
async fn tui_outputs(label: &str, kubeconfig: &Path, root: &Path, out: &mut Vec<Output>) {
    use windoctor::checks::Selection;
    use windoctor::plan::{RunPlan, SourceChoice};
    use windoctor::report::ReportFormat;
    use windoctor::sources::live::LiveOptions;
    use windoctor::tui::{export, state, theme::Theme, update, view};
    let selection = Selection::default();
    let plan = RunPlan {
        source: SourceChoice::Live,
        live: LiveOptions {
            kubeconfig: Some(kubeconfig.to_path_buf()),
            request_timeout: std::time::Duration::from_secs(10),
            ..Default::default()
        },
        node_name: Some(NODE.to_string()),
        node_root: Some(root.to_path_buf()),
        selection: selection.clone(),
        probe: None,
        refresh: None,
        namespace: None,
        // Node data through the API stays on (the default): its sources are sinks too.
        node_data: Default::default(),
        fleet: None,
    };
    let mut app = state::App::new(
        state::CheckInfo::selected(&selection),
        Theme::from_no_color(Some(std::ffi::OsStr::new("1"))),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = windoctor::engine::run(&plan, tx);
    let collect = async {
        let mut updates = Vec::new();
        while let Some(u) = rx.recv().await {
            updates.push(u);
        }
        updates
    };
    let ((), updates) = tokio::join!(engine, collect);
    for u in updates {
        update::apply(&mut app, u);
    }
    let now = "2026-11-20T09:15:00Z".to_string();
    for format in [ReportFormat::Json, ReportFormat::Markdown] {
        out.push(Output {
            what: format!("{label} TUI export {format:?}"),
            text: export::report_text(&app, format, now.clone()).expect("finished"),
            terminal: format == ReportFormat::Markdown,
        });
    }
    out.push(Output {
        what: format!("{label} TUI fixes file"),
        text: export::fixes_markdown(&app, &now),
        terminal: true,
    });
    let mut screens = String::new();
    let mut terminal = Terminal::new(TestBackend::new(160, 60)).expect("terminal");
    terminal.draw(|f| view::render(f, &app)).expect("draw");
    screens.push_str(&terminal.backend().to_string());
    for row in &app.rows {
        // The pane of every finding of the check, as the details show the selected one.
        for entry in app.entries(row) {
            for line in view::detail::pane_lines(&app, row, Some(entry), 150) {
                for span in line.spans {
                    screens.push_str(&span.content);
                }
                screens.push('\n');
            }
        }
    }
    out.push(Output {
        what: format!("{label} TUI screens"),
        text: screens,
        terminal: true,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_secret_and_no_terminal_escape_reaches_any_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = node_root(tmp.path());
    let server =
        FakeApiServer::start_background(cluster(), ServerOptions::new().token(KUBECONFIG_TOKEN))
            .expect("server");
    let url = server.url();
    let with_userinfo = url.replacen("://", &format!("://admin:{URL_PASSWORD}@"), 1);
    let kc = tmp.path().join("kubeconfig");
    kubeconfig::write_kubeconfig_file(&kc, &with_userinfo, KUBECONFIG_TOKEN).expect("kubeconfig");

    // An exec plugin that prints its credential and then fails, as issue 15 found leaking.
    let plugin = tmp.path().join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{}'\necho \"error: token refresh failed for $SECRET_ENV\" >&2\nexit 1\n",
            kubeconfig::exec_credential_json(EXEC_TOKEN)
        ),
    )
    .expect("plugin");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let exec_kc = tmp.path().join("exec");
    server
        .write_kubeconfig_exec(
            &exec_kc,
            &ExecPlugin::new(plugin.display().to_string())
                .arg("--token")
                .arg(EXEC_ARG)
                .env("SECRET_ENV", EXEC_ENV),
        )
        .expect("exec kubeconfig");
    let exec_kc = exec_kc.join("kubeconfig");

    let mut out = Vec::new();
    cli_outputs("token", &kc, &root, tmp.path(), &mut out);
    cli_outputs("exec", &exec_kc, &root, tmp.path(), &mut out);
    tui_outputs("token", &kc, &root, &mut out).await;
    tui_outputs("exec", &exec_kc, &root, &mut out).await;

    let mut leaks = Vec::new();
    for o in &out {
        for secret in planted() {
            if o.text.contains(secret) {
                let at = o.text.find(secret).unwrap_or(0);
                let from = o.text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let context: String = o.text[from..].chars().take(140).collect();
                leaks.push(format!("{secret} in {}: ...{context:?}", o.what));
            }
        }
        if o.terminal {
            if let Some(c) = o.text.chars().find(|c| CONTROLS.contains(c)) {
                leaks.push(format!("raw control {c:?} in {}", o.what));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leak(s):\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // The sinks were reached: the runs saw the cluster and the node, the plugin's failure is
    // reported, and the planted escape shows up escaped in the text report.
    let find = |what: &str| {
        out.iter()
            .find(|o| o.what == what)
            .map(|o| o.text.as_str())
            .unwrap_or_else(|| panic!("no output {what}"))
    };
    let text = find("token --report text stdout");
    assert!(text.contains(NODE), "{text}");
    assert!(
        text.contains("\\x1B]52;c;"),
        "the OSC 52 event is shown, escaped:\n{text}"
    );
    assert!(text.contains("<redacted"), "{text}");
    let exec = find("exec --report json stdout");
    assert!(exec.contains("exec credential plugin failed"), "{exec}");
    assert!(
        out.iter()
            .any(|o| o.what.starts_with("token captured") && o.what.ends_with("events.json")),
        "the capture wrote events"
    );
}
