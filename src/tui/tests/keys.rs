//! The update function driven by key, paste and mouse events.

use super::*;
use crate::report::ReportFormat;
use crate::tui::export;
use crate::tui::scope::Scope;
use crate::tui::screens::FindingSort;
use crate::tui::state::{RunState, Screen, StatusFilter, Typing};
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

fn copied(effects: &[Effect]) -> (String, String) {
    match effects {
        [Effect::Copy { text, what }] => (text.clone(), what.clone()),
        other => panic!("expected one copy, got {other:?}"),
    }
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn failing_checks_come_first_and_the_first_one_is_selected() {
    let app = finished_app();
    assert_eq!(selected_id(&app), "node-ready");
    let order: Vec<Option<Status>> = app
        .visible()
        .iter()
        .map(|i| app.rows[*i].status())
        .collect();
    assert_eq!(&order[..3], [Some(Status::Fail); 3]);
    assert_eq!(order[3], Some(Status::Error));
}

/// Until the operator moves, the cursor is on the top row whichever check turns out worst; once
/// they move, it stays on the check they chose while more results arrive.
#[test]
fn the_cursor_follows_the_worst_check_until_the_operator_moves_it() {
    let mut app = base_app();
    let arrive = |app: &mut App, id: &str, status: Status| {
        update::apply(
            app,
            Update::Check(CheckResult {
                id: id.to_string(),
                findings: vec![finding(id, status, Subject::cluster(), "m")],
                elapsed: Duration::from_micros(250),
            }),
        );
    };
    arrive(&mut app, "node-ready", Status::Pass);
    arrive(&mut app, "hns-network", Status::Error);
    assert_eq!(selected_id(&app), "hns-network");
    arrive(&mut app, "version-skew", Status::Fail);
    assert_eq!(selected_id(&app), "version-skew");
    press(&mut app, "j");
    assert_eq!(selected_id(&app), "hns-network");
    arrive(&mut app, "os-scheduling", Status::Fail);
    assert_eq!(
        selected_id(&app),
        "hns-network",
        "the chosen check keeps the cursor"
    );
}

#[test]
fn arrows_and_vim_keys_move_and_clamp() {
    let mut app = finished_app();
    press(&mut app, "j");
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    update::on_key(&mut app, key(KeyCode::Down));
    assert_eq!(selected_id(&app), "flanneld-waiting");
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
    update::on_resize(&mut app, 80, 10); // 4 list rows
    press(&mut app, "G");
    assert_eq!(app.list_offset, 6);
    let s = screen(&mut app, 80, 10);
    assert!(s.contains("> - SKIP"), "{s}");
    assert!(s.contains("7-10 of 10"), "{s}");
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
    assert_eq!(app.visible().len(), 3);
    press(&mut app, "a");
    assert_eq!(app.area_filter, Some(Area::Node));
    assert_eq!(app.visible().len(), 1);
    press(&mut app, "x");
    assert_eq!(app.visible().len(), 10);
    press(&mut app, "s");
    assert_eq!(app.sort, crate::tui::state::SortMode::Area);
}

#[test]
fn search_narrows_as_you_type_and_esc_clears() {
    let mut app = finished_app();
    press(&mut app, "/sandbox");
    assert_eq!(app.typing, Some(Typing::ChecklistSearch));
    // The event excerpt of flannel-subnet-env mentions the sandbox.
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    assert_eq!(app.visible().len(), 1);
    // q is text while searching, not quit.
    assert!(press(&mut app, "q").is_empty());
    press(&mut app, "\x08\n");
    assert_eq!(app.typing, None);
    assert_eq!(app.search, "sandbox");
    press(&mut app, "/x\x1b");
    assert_eq!(app.search, "");
    assert_eq!(app.visible().len(), 10);
}

#[test]
fn typing_a_node_name_never_triggers_hotkeys() {
    // `w` writes fixes, `e` and `m` export, `R` refreshes, `q` quits: all text inside inputs.
    let mut app = finished_app();
    assert!(press(&mut app, "/node wemRq\n").is_empty());
    assert_eq!(app.search, "node wemRq");
    assert!(press(&mut app, "x\n/win-b wemRqNA\n").is_empty());
    assert_eq!(app.detail.search, "win-b wemRqNA");
    assert!(press(&mut app, "Nwemq").is_empty());
    assert_eq!(app.picker.as_ref().unwrap().filter, "wemq");
    assert!(app.written.is_empty());
}

#[test]
fn a_paste_is_text_and_never_keys() {
    let mut app = finished_app();
    update::on_paste(&mut app, "node\nwem");
    assert!(notice(&app).contains("pasted text ignored"));
    assert_eq!(app.search, "");
    assert_eq!(app.screen, Screen::Checklist);
    press(&mut app, "/");
    update::on_paste(&mut app, "win-b\r\nwem");
    assert_eq!(app.search, "win-b wem");
    press(&mut app, "\x1bN");
    update::on_paste(&mut app, "win-b");
    assert_eq!(app.picker.as_ref().unwrap().filter, "win-b");
    press(&mut app, "\n");
    assert_eq!(app.scope.node.as_deref(), Some("win-b.corp.example.com"));
}

#[test]
fn picking_a_node_scopes_the_checklist_counts_and_details() {
    let mut app = finished_app();
    press(&mut app, "N");
    let picker = app.picker.as_ref().unwrap();
    // Worst first, then most problems: win-b (not Ready, and the image warning names it).
    assert_eq!(picker.nodes[0].name, "win-b.corp.example.com");
    assert_eq!(picker.nodes[0].worst, Some(Status::Fail));
    assert_eq!(picker.nodes[0].problems, 2);
    assert_eq!(picker.nodes[1].name, "win-a");
    press(&mut app, "win-b\n");
    assert!(app.picker.is_none());
    assert_eq!(app.scope.node.as_deref(), Some("win-b.corp.example.com"));
    let ids: Vec<String> = app
        .visible()
        .iter()
        .map(|i| app.rows[*i].info.id.clone())
        .collect();
    assert_eq!(ids, ["node-ready", "image-os-match"]);
    assert_eq!(app.finding_counts().values().sum::<usize>(), 2);
    assert!(
        notice(&app).contains("2 checks, 2 findings"),
        "{}",
        notice(&app)
    );
    press(&mut app, "\n");
    let row = app.selected_row().unwrap();
    assert_eq!(app.entries(row).len(), 1, "only the finding about win-b");
    assert_eq!(selected_subject(&app), "Node/win-b.corp.example.com");
    // The first entry of the picker goes back to every node.
    press(&mut app, "N");
    assert_eq!(
        app.picker.as_ref().unwrap().selected,
        1,
        "the picker opens on the scope"
    );
    update::on_key(&mut app, key(KeyCode::Home));
    press(&mut app, "\n");
    assert_eq!(app.scope, Scope::default());
}

#[test]
fn picking_a_namespace_keeps_its_findings_and_cluster_wide_ones() {
    let mut app = finished_app();
    press(&mut app, "Akube-fl\n");
    assert_eq!(app.scope.namespace.as_deref(), Some("kube-flannel"));
    let visible = app.visible();
    let ids: Vec<&str> = visible
        .iter()
        .map(|i| app.rows[*i].info.id.as_str())
        .collect();
    assert!(ids.contains(&"flanneld-waiting"), "{ids:?}");
    // As with -n: findings about objects in other namespaces go, cluster-wide ones stay.
    let shown: Vec<&Finding> = visible
        .iter()
        .flat_map(|i| app.rows[*i].scoped_findings())
        .collect();
    assert!(shown.iter().all(|f| f
        .subject
        .namespace
        .as_deref()
        .is_none_or(|n| n == "kube-flannel")));
    assert!(shown.iter().any(|f| f.subject.namespace.is_none()));
    let everything: usize = app.rows.iter().map(|r| r.findings().len()).sum();
    assert!(
        shown.len() < everything,
        "other namespaces' findings are hidden"
    );
}

#[test]
fn node_flag_starts_scoped() {
    let mut app = finished_app();
    app.set_scope(Scope {
        node: Some("WIN-A".into()),
        namespace: None,
    });
    let ids: Vec<String> = app
        .visible()
        .iter()
        .map(|i| app.rows[*i].info.id.clone())
        .collect();
    // node-ready has only a pass about win-a, so it sorts below the failing subnet.env finding.
    assert_eq!(
        ids,
        [
            "flannel-subnet-env",
            "nodeport-self-access",
            "node-ready",
            "windows-version"
        ]
    );
}

#[test]
fn details_table_moves_sorts_and_searches() {
    let mut app = finished_app();
    press(&mut app, "\n");
    assert_eq!(selected_subject(&app), "Node/win-b.corp.example.com");
    press(&mut app, "j");
    assert_eq!(selected_subject(&app), "Node/win-a");
    press(&mut app, "jjj");
    assert_eq!(selected_subject(&app), "Node/win-a", "clamped at the end");
    press(&mut app, "\t");
    press(&mut app, "g");
    assert_eq!(app.detail.selected, 0);
    press(&mut app, "s");
    assert_eq!(app.detail.sort, FindingSort::Subject);
    assert_eq!(selected_subject(&app), "Node/win-a");
    press(&mut app, "S");
    assert_eq!(selected_subject(&app), "Node/win-b.corp.example.com");
    press(&mut app, "/ready\n");
    assert_eq!(app.typing, None);
    let row = app.selected_row().unwrap();
    assert_eq!(app.entries(row).len(), 2);
    press(&mut app, "/NOT READY");
    let row = app.selected_row().unwrap();
    assert_eq!(app.entries(row).len(), 1);
    press(&mut app, "\x1b");
    let row = app.selected_row().unwrap();
    assert_eq!(app.entries(row).len(), 2);
    press(&mut app, "n");
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    press(&mut app, "p");
    assert_eq!(selected_id(&app), "node-ready");
}

#[test]
fn a_checklist_search_filters_the_details_it_opens() {
    let mut app = finished_app();
    press(&mut app, "/win-a\n");
    assert_eq!(selected_id(&app), "node-ready");
    press(&mut app, "\n");
    assert_eq!(app.detail.search, "win-a");
    assert_eq!(selected_subject(&app), "Node/win-a");
    // A search that only matched the check's title does not filter its findings.
    press(&mut app, "\x1b\x1b/subnet.env is present\n\n");
    assert_eq!(app.detail.search, "");
}

#[test]
fn page_keys_scroll_the_finding_pane() {
    let mut app = finished_app();
    press(&mut app, "\n");
    assert_eq!(app.detail.scroll, 0);
    press(&mut app, " ");
    assert!(app.detail.scroll > 0);
    press(&mut app, "j");
    assert_eq!(app.detail.scroll, 0, "another finding starts at its top");
}

#[test]
fn copy_on_the_checklist_gives_the_worst_finding_shown() {
    let mut app = finished_app();
    let (text, what) = copied(&press(&mut app, "c"));
    assert_eq!(
        text,
        "kubectl describe node win-b.corp.example.com\nGet-Service kubelet, kube-proxy\nStart-Service kubelet; Start-Service kube-proxy"
    );
    assert!(what.contains("3 commands of node-ready for Node/win-b.corp.example.com"));
}

#[test]
fn copy_in_details_follows_the_visible_selected_finding() {
    let mut app = finished_app();
    press(&mut app, "\nj");
    assert!(press(&mut app, "c").is_empty());
    assert!(notice(&app).contains("has no fix"), "{}", notice(&app));
    press(&mut app, "k");
    let (text, _) = copied(&press(&mut app, "c"));
    assert!(text.starts_with("kubectl describe node win-b"));
}

#[test]
fn a_digit_copies_one_command() {
    let mut app = finished_app();
    press(&mut app, "\n");
    let (text, what) = copied(&press(&mut app, "2"));
    assert_eq!(text, "Get-Service kubelet, kube-proxy");
    assert!(what.starts_with("command 2 of 3"));
    assert!(press(&mut app, "7").is_empty());
    assert!(notice(&app).contains("has 3 commands"));
}

#[test]
fn the_commands_view_releases_the_mouse_and_copies_one_command() {
    let mut app = finished_app();
    assert_eq!(press(&mut app, "\nC"), vec![Effect::SetMouse(false)]);
    assert_eq!(app.screen, Screen::Commands);
    assert!(!app.mouse_captured);
    press(&mut app, "j");
    let (text, _) = copied(&press(&mut app, "\n"));
    assert_eq!(text, "Get-Service kubelet, kube-proxy");
    let (text, _) = copied(&press(&mut app, "3"));
    assert_eq!(text, "Start-Service kubelet; Start-Service kube-proxy");
    let (all, _) = copied(&press(&mut app, "c"));
    assert!(all.starts_with("# node-ready · fail Node/win-b.corp.example.com\nkubectl describe"));
    press(&mut app, "a");
    assert!(app.commands.as_ref().unwrap().all);
    assert_eq!(press(&mut app, "\x1b"), vec![Effect::SetMouse(true)]);
    assert!(app.mouse_captured);
    assert_eq!(app.screen, Screen::Detail);
}

#[test]
fn evidence_viewer_jumps_between_marks_and_evidence() {
    let mut app = finished_app();
    press(&mut app, "/subnet\n\n\n");
    let v = app.evidence.as_ref().unwrap();
    assert_eq!(v.text.marked, [1]);
    assert_eq!(v.scroll, 0);
    press(&mut app, "\t");
    let v = app.evidence.as_ref().unwrap();
    assert_eq!(v.index, 1);
    // The run holds no FailedCreatePodSandBox event of iis-0: only the excerpt is shown.
    assert!(v
        .text
        .title
        .starts_with("[event] Pod/default/iis-0 FailedCreatePodSandBox"));
    assert!(
        v.text.note.contains("does not hold the whole text"),
        "{}",
        v.text.note
    );
    press(&mut app, "\t");
    assert_eq!(app.evidence.as_ref().unwrap().index, 0);
    press(&mut app, "n");
    assert!(notice(&app).contains("no marked line further down"));
    press(&mut app, "o");
    assert_eq!(app.screen, Screen::Object);
    press(&mut app, "\x1b");
    assert_eq!(app.screen, Screen::Evidence);
    press(&mut app, "\x1b");
    assert_eq!(app.screen, Screen::Detail);
}

#[test]
fn evidence_without_a_whole_text_shows_the_excerpt() {
    let mut app = finished_app();
    press(&mut app, "\n\n");
    let v = app.evidence.as_ref().unwrap();
    assert_eq!(
        v.text.lines,
        ["type=Ready status=Unknown reason=NodeStatusUnknown"]
    );
    assert!(v.text.note.contains("o shows the object"));
}

#[test]
fn objects_that_are_not_in_the_run_say_so() {
    let mut app = finished_app();
    press(&mut app, "/frontend\n\no");
    assert!(notice(&app).contains("names no Node, Pod or DaemonSet"));
    assert_eq!(app.screen, Screen::Detail);
}

#[test]
fn export_waits_for_the_run_and_then_asks_the_loop() {
    let mut app = streaming_app();
    assert!(press(&mut app, "e").is_empty());
    assert!(notice(&app).contains("not finished"));
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
    // proxy-env on a node part without environment: the real check now says so.
    press(&mut app, "Gr");
    assert!(notice(&app).contains("reran proxy-env"), "{}", notice(&app));
    let mut streaming = streaming_app();
    press(&mut streaming, "r");
    assert!(notice(&streaming).contains("not finished"));
}

#[test]
fn a_refresh_keeps_the_previous_findings_until_new_ones_arrive() {
    let mut app = finished_app();
    app.clock.now = Duration::from_secs(9);
    update::restart(&mut app);
    assert_eq!(app.pending(), 10);
    assert!(app.gathered.is_some(), "evidence stays readable meanwhile");
    assert_eq!(app.runs, 2);
    assert_eq!(
        app.run,
        RunState::Running {
            since: Duration::from_secs(9)
        }
    );
    assert_eq!(app.rows[0].status(), Some(Status::Fail));
    assert!(app.rows[0].is_refreshing());
    assert!(
        press(&mut app, "e").is_empty(),
        "no export of a half-read run"
    );
}

#[test]
fn refresh_interval_triggers_after_each_run() {
    let mut app = finished_app();
    app.refresh = Some(Duration::from_secs(30));
    assert_eq!(app.next_refresh(), Some(Duration::from_millis(31_300)));
    assert!(!update::refresh_due(&app));
    assert!(
        update::on_tick(&mut app, Duration::from_secs(12)),
        "the countdown moves"
    );
    assert!(!update::on_tick(&mut app, Duration::from_millis(12_100)));
    update::on_tick(&mut app, Duration::from_millis(31_300));
    assert!(update::refresh_due(&app));
    update::restart(&mut app);
    assert!(!update::refresh_due(&app), "not while running");
}

#[test]
fn an_idle_tui_sleeps_until_something_changes_on_screen() {
    let mut app = finished_app();
    assert_eq!(
        update::next_wake(&app),
        None,
        "no timer when nothing moves by itself"
    );
    // --refresh: wake when the countdown shows one second less, and for the refresh itself.
    app.refresh = Some(Duration::from_secs(30));
    app.clock.now = Duration::from_millis(12_000);
    let wake = update::next_wake(&app).unwrap();
    assert_eq!(wake, Duration::from_millis(12_301));
    assert!(update::on_tick(&mut app, wake), "the countdown moved");
    app.clock.now = Duration::from_millis(31_000);
    assert_eq!(update::next_wake(&app), Some(Duration::from_millis(31_300)));
    update::on_tick(&mut app, Duration::from_millis(31_300));
    assert!(update::refresh_due(&app));
    // A run goes on: the spinner turns every 100 ms.
    update::restart(&mut app);
    app.clock.now = Duration::from_millis(31_342);
    assert_eq!(update::next_wake(&app), Some(Duration::from_millis(31_400)));
}

#[test]
fn finished_sets_the_local_node_and_run_time() {
    let app = finished_app();
    assert_eq!(app.local_node.as_deref(), Some("win-a"));
    assert_eq!(
        app.run,
        RunState::Finished {
            took: Duration::from_millis(1300)
        }
    );
    assert_eq!(app.read_at, Some(Duration::from_millis(1300)));
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

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

#[test]
fn mouse_wheel_and_click() {
    let mut app = finished_app();
    update::on_mouse(&mut app, mouse(MouseEventKind::ScrollDown, 10, 6));
    assert_eq!(selected_id(&app), "flannel-subnet-env");
    // Row 4 of the screen is the first check row (header 2, border 1, column header 1).
    let click = MouseEventKind::Down(MouseButton::Left);
    update::on_mouse(&mut app, mouse(click, 10, 6));
    assert_eq!(selected_id(&app), "flanneld-waiting");
    update::on_mouse(&mut app, mouse(click, 10, 4));
    assert_eq!(selected_id(&app), "node-ready");
    press(&mut app, "\n");
    // The findings table starts at row 2: border, column header, then findings.
    update::on_mouse(&mut app, mouse(click, 10, 5));
    assert_eq!(selected_subject(&app), "Node/win-a");
    update::on_mouse(&mut app, mouse(MouseEventKind::ScrollUp, 10, 5));
    assert_eq!(selected_subject(&app), "Node/win-b.corp.example.com");
    update::on_mouse(&mut app, mouse(MouseEventKind::ScrollDown, 10, 15));
    assert_eq!(app.detail.scroll, 3, "the wheel over the pane scrolls it");
    press(&mut app, "?");
    update::on_mouse(&mut app, mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(app.help_scroll, 3);
}

#[test]
fn resize_keeps_scroll_positions_inside_the_text() {
    let mut app = finished_app();
    update::on_resize(&mut app, 80, 14);
    press(&mut app, "\n          ");
    let deep = app.detail.scroll;
    assert!(deep > 0);
    update::on_resize(&mut app, 200, 60);
    assert!(app.detail.scroll < deep);
}

#[test]
fn fixes_file_lists_every_fix_in_scope_worst_first() {
    let mut app = finished_app();
    let md = export::fixes_markdown(&app, "2026-01-23T04:16:40Z");
    let node = md.find("## ✗ FAIL node-ready").unwrap();
    let image = md.find("## ! WARN image-os-match").unwrap();
    assert!(node < image);
    assert!(md.contains("```\nRestart-Service flanneld\n"));
    assert!(md.contains("## Findings without a fix\n\n- ? ERROR hns-network"));
    assert!(!md.contains("win-a is Ready"));
    app.set_scope(Scope {
        node: Some("win-b".into()),
        namespace: None,
    });
    let md = export::fixes_markdown(&app, "2026-01-23T04:16:40Z");
    assert!(md.contains("Only findings about node win-b"));
    assert!(!md.contains("Restart-Service flanneld"));
    assert!(md.contains("kubectl describe node win-b.corp.example.com"));
}

#[test]
fn report_export_uses_the_report_writers_and_the_whole_run() {
    let mut app = finished_app();
    app.set_scope(Scope {
        node: Some("win-b".into()),
        namespace: None,
    });
    let json =
        export::report_text(&app, ReportFormat::Json, "2026-01-23T04:16:40Z".into()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "windoctor.report/v1");
    assert_eq!(v["summary"]["fail"], 3);
    assert_eq!(v["findings"][0]["check"], "node-ready");
    let md = export::report_text(&app, ReportFormat::Markdown, "x".into()).unwrap();
    assert!(md.contains("/sig windows"));
}

#[test]
fn pending_rows_say_what_they_wait_for() {
    use crate::tui::state::Waiting;
    let mut app = base_app();
    let row = |app: &App| {
        app.rows
            .iter()
            .find(|r| r.info.id == "version-skew")
            .unwrap()
            .clone()
    };
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
