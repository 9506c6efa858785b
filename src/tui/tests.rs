//! Tests of the TUI as a whole: snapshots of every screen rendered with `TestBackend` from a state
//! built here out of synthetic checks and findings (fixed clock and spinner frame, so the screens are
//! deterministic and do not move when the real checks change), and the update function driven by
//! key and mouse events.

use super::export;
use super::state::{App, CheckInfo, Clock, InputState, RunState, Screen, StatusFilter};
use super::theme::Theme;
use super::update::{self, Effect};
use super::view;
use crate::catalogue::{Area, DocRef};
use crate::checks::CheckResult;
use crate::engine::Gathered;
use crate::engine::Update;
use crate::facts::Facts;
use crate::facts::InputOutcome;
use crate::facts::SourceKind;
use crate::findings::{Evidence, Finding, Fix, Status, Subject};
use crate::report::ReportFormat;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use std::time::Duration;

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

fn finding(id: &str, status: Status, subject: Subject, message: &str) -> Finding {
    Finding {
        check: id.to_string(),
        code: String::new(),
        node: None,
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
fn results() -> Vec<(&'static str, Vec<Finding>)> {
    let mut not_ready = finding(
        "node-ready",
        Status::Fail,
        Subject::node("win-2022-b.corp.example.com"),
        "win-2022-b.corp.example.com is not Ready: Ready=Unknown (NodeStatusUnknown): Kubelet stopped posting node status.",
    );
    not_ready
        .evidence(Evidence::api(
            "Node/win-2022-b.corp.example.com .status.conditions[Ready]",
            "type=Ready status=Unknown reason=NodeStatusUnknown",
        ))
        .with_fix(Fix {
            text: "Node win-2022-b.corp.example.com is not Ready. On the node, check that kubelet and kube-proxy run, then restart them.".into(),
            commands: vec![
                "kubectl describe node win-2022-b.corp.example.com".into(),
                "Get-Service kubelet, kube-proxy".into(),
                "Start-Service kubelet; Start-Service kube-proxy".into(),
            ],
        });
    let ready = finding(
        "node-ready",
        Status::Pass,
        Subject::node("win-2022-a"),
        "win-2022-a is Ready",
    );
    let mut subnet = finding(
        "flannel-subnet-env",
        Status::Fail,
        Subject::file(r"C:\run\flannel\subnet.env"),
        r"C:\run\flannel\subnet.env is missing on win-2022-a, so flannel has not given the node a subnet.",
    );
    subnet
        .evidence(Evidence::file(r"C:\run\flannel\subnet.env", "(file absent)"))
        .evidence(Evidence::event(
            "Event default/iis-0 FailedCreatePodSandBox",
            "failed to set up sandbox: open C:\\run\\flannel\\subnet.env: The system cannot find the file specified.",
        ))
        .with_fix(Fix {
            text: "Restart flanneld so it writes subnet.env for 10.244.3.0/24.".into(),
            commands: vec![
                "Restart-Service flanneld".into(),
                r"Get-Content C:\run\flannel\subnet.env".into(),
            ],
        });
    let mut image = finding(
        "image-os-match",
        Status::Warn,
        Subject::namespaced("Pod", "default", "iis-0"),
        "iis-0 runs mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019 on build 20348 (ltsc2022) under process isolation.",
    );
    image.with_fix(Fix {
        text: "Use the ltsc2022 tag of the image.".into(),
        commands: vec!["kubectl set image pod/iis-0 -n default iis=mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022".into()],
    });
    vec![
        ("node-ready", vec![ready, not_ready]),
        (
            "windows-version",
            vec![finding(
                "windows-version",
                Status::Pass,
                Subject::node("win-2022-a"),
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
                Subject::namespaced("Service", "default", "web"),
                "NodePort 30080 cannot be reached from win-2022-a itself; test from another node.",
            )],
        ),
        (
            "proxy-env",
            vec![finding(
                "proxy-env",
                Status::Skip,
                Subject::new("Input", "node"),
                "not evaluated: no node part in the bundle",
            )],
        ),
    ]
}

fn base_app() -> App {
    let mut app = App::new(checks(), Theme::MONO);
    app.viewport = (80, 24);
    app.clock = Clock {
        now: Duration::from_millis(1300),
        frame: 3,
    };
    app
}

/// Every check finished except version-skew, whose `nodes` input is still being read.
fn streaming_app() -> App {
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

fn finished_app() -> App {
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
    let world = crate::model::World::new(Facts {
        local_node_name: Some("win-2022-a".into()),
        ..Default::default()
    });
    update::apply(
        &mut app,
        Update::Finished(Box::new(Gathered {
            world,
            source: SourceKind::Demo,
        })),
    );
    app
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.viewport = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(f, app)).unwrap();
    terminal.backend().to_string()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .filter_map(|c| {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                '\x1b' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            update::on_key(app, key(code))
        })
        .collect()
}

fn selected_id(app: &App) -> String {
    app.selected_row().unwrap().info.id.clone()
}

// ---- snapshots -------------------------------------------------------------------------------

#[test]
fn snapshot_first_frame_all_pending() {
    let mut app = base_app();
    app.clock = Clock {
        now: Duration::from_millis(5),
        frame: 0,
    };
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("| 9 WAIT"));
    insta::assert_snapshot!("first_frame_80x24", s);
}

#[test]
fn snapshot_checklist_streaming() {
    let mut app = streaming_app();
    app.inputs.insert(
        "nodes".into(),
        InputState::Done {
            outcome: InputOutcome::Failed("cannot list nodes: forbidden (403)".into()),
        },
    );
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("input nodes failed"), "{s}");
    insta::assert_snapshot!("checklist_streaming_80x24", s);
}

#[test]
fn snapshot_checklist_finished() {
    let mut app = finished_app();
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("✗ 2 FAIL"));
    insta::assert_snapshot!("checklist_80x24", s);
}

#[test]
fn snapshot_detail() {
    let mut app = finished_app();
    press(&mut app, "\n");
    assert_eq!(app.screen, Screen::Detail);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("kubectl describe node win-2022-b.corp.example.com"));
    insta::assert_snapshot!("detail_80x24", s);
}

#[test]
fn snapshot_filter_and_search() {
    let mut app = finished_app();
    press(&mut app, "f");
    assert_eq!(app.status_filter, StatusFilter::Problems);
    let s = screen(&mut app, 80, 24);
    insta::assert_snapshot!("filter_problems_80x24", s);
    press(&mut app, "/subnet");
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("/subnet_"));
    insta::assert_snapshot!("search_typing_80x24", s);
}

#[test]
fn snapshot_help() {
    let mut app = finished_app();
    press(&mut app, "?");
    let s = screen(&mut app, 80, 24);
    insta::assert_snapshot!("help_80x24", s);
}

#[test]
fn snapshot_wide_split_view() {
    let mut app = finished_app();
    press(&mut app, "j");
    let s = screen(&mut app, 200, 40);
    assert!(s.contains("Restart-Service flanneld"));
    insta::assert_snapshot!("split_200x40", s);
}

#[test]
fn snapshot_too_small() {
    let mut app = finished_app();
    let s = screen(&mut app, 30, 6);
    assert!(s.contains("Terminal too small"));
}

#[test]
fn every_binding_appears_on_the_help_screen() {
    let app = finished_app();
    let text: String = view::help::lines(&app, 120)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    for b in super::keymap::BINDINGS {
        let keys = super::keymap::keys_label(b);
        assert!(text.contains(&keys), "help lacks {keys}");
        let first_words: String = b
            .help
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&first_words), "help lacks {:?}", b.help);
    }
}

// ---- update driven by events ------------------------------------------------------------------

#[test]
fn failing_checks_come_first_and_the_first_one_is_selected() {
    let app = finished_app();
    assert_eq!(selected_id(&app), "node-ready");
    let order: Vec<Option<Status>> = app
        .visible()
        .iter()
        .map(|i| app.rows[*i].status())
        .collect();
    assert_eq!(order[0], Some(Status::Fail));
    assert_eq!(order[1], Some(Status::Fail));
    assert_eq!(order[2], Some(Status::Error));
}

#[test]
fn arrows_and_vim_keys_move_and_clamp() {
    let mut app = finished_app();
    press(&mut app, "j");
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    update::on_key(&mut app, key(KeyCode::Down));
    assert_eq!(selected_id(&app), "hns-network");
    press(&mut app, "k");
    update::on_key(&mut app, key(KeyCode::Up));
    update::on_key(&mut app, key(KeyCode::Up));
    assert_eq!(selected_id(&app), "node-ready");
    press(&mut app, "G");
    assert_eq!(selected_id(&app), "proxy-env");
    press(&mut app, "jjj");
    assert_eq!(selected_id(&app), "proxy-env");
    press(&mut app, "g");
    assert_eq!(selected_id(&app), "node-ready");
}

#[test]
fn the_list_scrolls_to_keep_the_selection_visible() {
    let mut app = finished_app();
    app.viewport = (80, 10); // 4 list rows
    press(&mut app, "G");
    assert_eq!(app.list_offset, 5);
    let s = screen(&mut app, 80, 10);
    assert!(s.contains("> - SKIP"), "{s}");
    assert!(s.contains("6-9 of 9"), "{s}");
}

#[test]
fn enter_opens_details_and_esc_or_h_goes_back_then_quits() {
    let mut app = finished_app();
    assert!(press(&mut app, "\n").is_empty());
    assert_eq!(app.screen, Screen::Detail);
    press(&mut app, "\x1b");
    assert_eq!(app.screen, Screen::Checklist);
    press(&mut app, "lh");
    assert_eq!(app.screen, Screen::Checklist);
    assert_eq!(press(&mut app, "\x1b"), vec![Effect::Quit]);
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
    let ctrl_c = KeyEvent {
        modifiers: KeyModifiers::CONTROL,
        ..key(KeyCode::Char('c'))
    };
    press(&mut app, "\n");
    assert_eq!(update::on_key(&mut app, ctrl_c), Some(Effect::Quit));
}

#[test]
fn key_releases_are_ignored() {
    let mut app = finished_app();
    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..key(KeyCode::Char('j'))
    };
    update::on_key(&mut app, release);
    assert_eq!(selected_id(&app), "node-ready");
}

#[test]
fn filters_cycle_and_clear() {
    let mut app = finished_app();
    press(&mut app, "ff");
    assert_eq!(app.status_filter, StatusFilter::Only(Status::Fail));
    assert_eq!(app.visible().len(), 2);
    press(&mut app, "a");
    assert_eq!(app.area_filter, Some(Area::Node));
    assert_eq!(app.visible().len(), 1);
    press(&mut app, "x");
    assert_eq!(app.visible().len(), 9);
    press(&mut app, "s");
    assert_eq!(app.sort, super::state::SortMode::Area);
}

#[test]
fn search_narrows_as_you_type_and_esc_clears() {
    let mut app = finished_app();
    press(&mut app, "/sandbox");
    assert!(app.searching);
    // The event excerpt of flannel-subnet-env mentions the sandbox.
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    assert_eq!(app.visible().len(), 1);
    // q is text while searching, not quit.
    assert!(press(&mut app, "q").is_empty());
    update::on_key(&mut app, key(KeyCode::Backspace));
    press(&mut app, "\n");
    assert!(!app.searching);
    assert_eq!(app.search, "sandbox");
    press(&mut app, "/x\x1b");
    assert_eq!(app.search, "");
    assert_eq!(app.visible().len(), 9);
}

#[test]
fn copy_gives_the_commands_of_the_worst_finding_with_a_fix() {
    let mut app = finished_app();
    let effects = press(&mut app, "c");
    let [Effect::Copy { text, what }] = effects.as_slice() else {
        panic!("expected a copy, got {effects:?}");
    };
    assert_eq!(
        text,
        "kubectl describe node win-2022-b.corp.example.com\nGet-Service kubelet, kube-proxy\nStart-Service kubelet; Start-Service kube-proxy"
    );
    assert!(what.contains("3 commands of node-ready for Node/win-2022-b.corp.example.com"));
}

#[test]
fn copy_in_details_follows_the_selected_finding() {
    let mut app = finished_app();
    press(&mut app, "\n\t");
    assert_eq!(app.detail_finding, 1);
    assert!(press(&mut app, "c").is_empty());
    let notice = app.notice.clone().unwrap().text;
    assert!(notice.contains("has no fix"), "{notice}");
    press(&mut app, "\t");
    assert_eq!(app.detail_finding, 0);
    assert!(matches!(
        press(&mut app, "c").as_slice(),
        [Effect::Copy { .. }]
    ));
}

#[test]
fn tab_scrolls_the_selected_finding_into_view() {
    let mut app = finished_app();
    app.viewport = (80, 12);
    press(&mut app, "\n\t");
    assert!(app.detail_scroll > 0);
    let s = screen(&mut app, 80, 12);
    assert!(s.contains("> ✓ PASS  Node/win-2022-a"), "{s}");
}

#[test]
fn details_scroll_and_next_check_keys() {
    let mut app = finished_app();
    press(&mut app, "\n");
    press(&mut app, "jjj");
    assert_eq!(app.detail_scroll, 3);
    press(&mut app, "g");
    assert_eq!(app.detail_scroll, 0);
    press(&mut app, "G");
    assert!(app.detail_scroll > 3);
    press(&mut app, "n");
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    assert_eq!(app.detail_scroll, 0);
    press(&mut app, "p");
    assert_eq!(selected_id(&app), "node-ready");
}

#[test]
fn export_waits_for_the_run_and_then_asks_the_loop() {
    let mut app = streaming_app();
    assert!(press(&mut app, "e").is_empty());
    assert!(app.notice.as_ref().unwrap().text.contains("not finished"));
    let mut app = finished_app();
    assert_eq!(
        press(&mut app, "e"),
        vec![Effect::Export(ReportFormat::Json)]
    );
    assert_eq!(
        press(&mut app, "m"),
        vec![Effect::Export(ReportFormat::Markdown)]
    );
    assert_eq!(press(&mut app, "w"), vec![Effect::WriteFixes]);
    assert_eq!(press(&mut app, "R"), vec![Effect::RerunAll]);
    assert_eq!(press(&mut app, "M"), vec![Effect::SetMouse(false)]);
}

#[test]
fn rerun_one_runs_the_check_on_the_gathered_facts() {
    let mut app = finished_app();
    // node-ready on empty facts: its nodes input is missing, so the real check now skips.
    press(&mut app, "r");
    assert_eq!(app.rows[0].status(), Some(Status::Skip));
    assert!(app
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("reran node-ready"));
    let mut streaming = streaming_app();
    press(&mut streaming, "r");
    assert!(streaming
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("not finished"));
}

#[test]
fn restart_makes_every_row_pending_again() {
    let mut app = finished_app();
    app.clock.now = Duration::from_secs(9);
    update::restart(&mut app);
    assert_eq!(app.pending(), 9);
    assert!(app.gathered.is_none());
    assert_eq!(
        app.run,
        RunState::Running {
            since: Duration::from_secs(9)
        }
    );
}

#[test]
fn finished_sets_the_local_node_and_run_time() {
    let app = finished_app();
    assert_eq!(app.local_node.as_deref(), Some("win-2022-a"));
    assert_eq!(
        app.run,
        RunState::Finished {
            took: Duration::from_millis(1300)
        }
    );
    assert!(!app.animating());
}

#[test]
fn findings_are_redacted_on_arrival() {
    let mut app = base_app();
    update::apply(
        &mut app,
        Update::Check(CheckResult {
            id: "proxy-env".into(),
            findings: vec![finding(
                "proxy-env",
                Status::Warn,
                Subject::cluster(),
                "kubelet runs with --token=abcdefghijklmnop",
            )],
            elapsed: Duration::ZERO,
        }),
    );
    let row = app.rows.iter().find(|r| r.info.id == "proxy-env").unwrap();
    assert!(!row.findings()[0].message.contains("abcdefghijklmnop"));
}

#[test]
fn mouse_wheel_and_click() {
    let mut app = finished_app();
    let wheel = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    update::on_mouse(&mut app, wheel(MouseEventKind::ScrollDown, 6));
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    // Row 4 of the screen is the first check row (header 2, border 1, column header 1).
    update::on_mouse(
        &mut app,
        wheel(
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
            6,
        ),
    );
    assert_eq!(selected_id(&app), "hns-network");
    update::on_mouse(
        &mut app,
        wheel(
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
            4,
        ),
    );
    assert_eq!(selected_id(&app), "node-ready");
    press(&mut app, "\n");
    update::on_mouse(&mut app, wheel(MouseEventKind::ScrollDown, 10));
    assert_eq!(app.detail_scroll, 3);
    press(&mut app, "?");
    update::on_mouse(&mut app, wheel(MouseEventKind::ScrollDown, 10));
    assert_eq!(app.help_scroll, 3);
}

#[test]
fn resize_keeps_scroll_positions_inside_the_text() {
    let mut app = finished_app();
    app.viewport = (80, 12);
    press(&mut app, "\nG");
    let deep = app.detail_scroll;
    update::on_resize(&mut app, 200, 60);
    assert!(app.detail_scroll < deep);
}

#[test]
fn fixes_file_lists_every_fix_worst_first() {
    let app = finished_app();
    let md = export::fixes_markdown(&app, "2026-01-23T04:16:40Z");
    let node = md.find("## ✗ FAIL node-ready").unwrap();
    let image = md.find("## ! WARN image-os-match").unwrap();
    assert!(node < image);
    assert!(md.contains("```\nRestart-Service flanneld\n"));
    assert!(md.contains("## Findings without a fix\n\n- ? ERROR hns-network"));
    assert!(!md.contains("win-2022-a is Ready"));
}

#[test]
fn report_export_uses_the_report_writers() {
    let app = finished_app();
    let json =
        export::report_text(&app, ReportFormat::Json, "2026-01-23T04:16:40Z".into()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "windoctor.report/v1");
    assert_eq!(v["summary"]["fail"], 2);
    assert_eq!(v["findings"][0]["check"], "node-ready");
    let md = export::report_text(&app, ReportFormat::Markdown, "x".into()).unwrap();
    assert!(md.contains("/sig windows"));
}

#[test]
fn pending_rows_say_what_they_wait_for() {
    use super::state::Waiting;
    let mut app = base_app();
    let row = |app: &App| {
        app.rows
            .iter()
            .find(|r| r.info.id == "version-skew")
            .unwrap()
            .clone()
    };
    // Nothing heard yet: every declared input is awaited.
    assert_eq!(
        app.waiting_for(&row(&app)),
        Waiting::Inputs(vec!["version".into(), "nodes".into()])
    );
    update::apply(&mut app, Update::InputStarted("nodes"));
    assert_eq!(
        app.waiting_for(&row(&app)),
        Waiting::Inputs(vec!["nodes".into()])
    );
    update::apply(
        &mut app,
        Update::InputDone {
            input: "nodes",
            outcome: InputOutcome::Failed("cannot list nodes: Unauthorized".into()),
            elapsed: Duration::from_secs(1),
        },
    );
    assert_eq!(
        app.waiting_for(&row(&app)),
        Waiting::Failed("nodes".into(), "cannot list nodes: Unauthorized".into())
    );
}
