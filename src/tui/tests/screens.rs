//! Snapshots of every screen at 80x24 and 200x60 (fixed clock), each with assertions on what it
//! must show.

use super::*;
use crate::tui::state::{InputState, Screen};

/// Renders at 80x24 and 200x60 and checks both against their snapshots.
fn both(app: &mut App, name: &str) -> (String, String) {
    let small = screen(app, 80, 24);
    insta::assert_snapshot!(format!("{name}_80x24"), small);
    let wide = screen(app, 200, 60);
    insta::assert_snapshot!(format!("{name}_200x60"), wide);
    (small, wide)
}

#[test]
fn first_frame_all_pending() {
    let mut app = base_app();
    app.clock.now = Duration::from_millis(5);
    app.clock.frame = 0;
    let (s, _) = both(&mut app, "first_frame");
    assert!(s.contains("10 waiting"), "{s}");
}

#[test]
fn checklist_streaming() {
    let mut app = streaming_app();
    app.inputs.insert(
        "nodes".into(),
        InputState::Done {
            outcome: InputOutcome::Failed("cannot list nodes: forbidden (403)".into()),
        },
    );
    let (s, _) = both(&mut app, "checklist_streaming");
    assert!(s.contains("input nodes failed"), "{s}");
}

#[test]
fn checklist_finished_counts_checks_and_findings() {
    let mut app = finished_app();
    let (s, wide) = both(&mut app, "checklist");
    assert!(s.contains("checks ✗3"), "{s}");
    assert!(s.contains("findings ✗3 ?1 !1 i1 ✓4 -1"), "{s}");
    assert!(wide.contains("checks: ✗ 3 FAIL"), "{wide}");
    assert!(wide.contains("findings: ✗ 3  ? 1  ! 1  i 1  ✓ 4"), "{wide}");
    assert!(s.contains("read 04:16:41 UTC "), "{s}");
    assert!(wide.contains("read 04:16:41 UTC, took 1.3s"), "{wide}");
}

#[test]
fn details_table_and_selected_finding() {
    let mut app = finished_app();
    press(&mut app, "\n");
    assert_eq!(app.screen, Screen::Detail);
    let (s, wide) = both(&mut app, "detail");
    assert!(s.contains("SUBJECT"), "{s}");
    assert!(s.contains(">   ✗ FAIL  Node/win-b.corp.example.com"), "{s}");
    assert!(
        wide.contains(" 1  kubectl describe node win-b.corp.example.com"),
        "{wide}"
    );
}

#[test]
fn details_filtered_by_a_search() {
    let mut app = finished_app();
    press(&mut app, "\n/win-a");
    let (s, _) = both(&mut app, "detail_search");
    assert!(s.contains("findings /win-a_"), "{s}");
    assert!(s.contains("search \"win-a\": 1"), "{s}");
    assert!(!s.contains("Node/win-b"), "{s}");
}

#[test]
fn evidence_viewer_marks_the_log_line() {
    let mut app = finished_app();
    press(&mut app, "/stuck\n\n\n");
    assert_eq!(app.screen, Screen::Evidence);
    let (s, _) = both(&mut app, "evidence_log");
    assert!(s.contains("pod log kube-flannel/"), "{s}");
    assert!(s.contains("5▶ I0123 04:15:02"), "{s}");
    assert!(s.contains("4  I0123 04:15:01"), "{s}");
    assert!(s.contains("6  E0123 04:15:03"), "{s}");
    assert!(!s.contains('\t'), "{s}");
}

#[test]
fn evidence_viewer_shows_the_whole_file_and_events() {
    let mut app = finished_app();
    press(&mut app, "/subnet\n\n\n");
    let (s, _) = both(&mut app, "evidence_file");
    assert!(
        s.contains(r"file C:\run\flannel\subnet.env (UTF-8) (4 lines)"),
        "{s}"
    );
    assert!(s.contains("2▶ FLANNEL_SUBNET=10.244.9.1/24"), "{s}");
    assert!(s.contains("1  FLANNEL_NETWORK"), "{s}");
    press(&mut app, "\x1bx\x1bx/image\n\n\n\t");
    let (s, _) = both(&mut app, "evidence_event");
    assert!(s.contains("Event 1 of 2"), "{s}");
    assert!(s.contains("9▶   Message:    Failed to pull image"), "{s}");
    assert!(s.contains("Object:     Pod/default/iis-0 "), "{s}");
}

#[test]
fn object_summaries() {
    let mut app = finished_app();
    press(&mut app, "\no");
    assert_eq!(app.screen, Screen::Object);
    let (s, wide) = both(&mut app, "object_node");
    assert!(s.contains("Node/win-b.corp.example.com"), "{s}");
    assert!(wide.contains("Kubelet Version:"), "{wide}");
    assert!(wide.contains("default/iis-0"), "{wide}");
    press(&mut app, "\x1b\x1bx/stuck\n\no");
    let (_, wide) = both(&mut app, "object_pod");
    assert!(
        wide.contains("Controlled By:        DaemonSet/kube-flannel-ds-windows-amd64"),
        "{wide}"
    );
    press(&mut app, "\t");
    let (_, wide) = both(&mut app, "object_daemonset");
    assert!(wide.contains("2 desired, 2 scheduled, 1 ready"), "{wide}");
}

#[test]
fn commands_view_has_no_borders() {
    let mut app = finished_app();
    press(&mut app, "\nC");
    let (s, _) = both(&mut app, "commands");
    for line in s.lines().skip(3).take(20) {
        let inner = line.trim_matches('"');
        assert!(!inner.contains('│'), "a border in {line}");
    }
    assert!(
        s.contains("\"kubectl describe node win-b.corp.example.com"),
        "{s}"
    );
}

#[test]
fn node_and_namespace_pickers() {
    let mut app = finished_app();
    press(&mut app, "N");
    let (s, wide) = both(&mut app, "node_picker");
    assert!(s.contains("(all nodes)"), "{s}");
    assert!(wide.contains("win-b.corp.example.com"), "{wide}");
    assert!(wide.contains("NotReady"), "{wide}");
    assert!(wide.contains("containerd://1.7.20"), "{wide}");
    press(&mut app, "\x1bA");
    let (s, _) = both(&mut app, "namespace_picker");
    assert!(s.contains("kube-flannel"), "{s}");
}

#[test]
fn scoped_checklist() {
    let mut app = finished_app();
    press(&mut app, "Nwin-b\n");
    let (s, _) = both(&mut app, "scoped_checklist");
    assert!(s.contains("│ scope: node win-b.corp.example.com │"), "{s}");
    assert!(!s.contains("flannel-subnet-env"), "{s}");
}

#[test]
fn refresh_marks_changes() {
    let mut app = finished_app();
    update::restart(&mut app);
    app.clock.now = Duration::from_secs(40);
    let mut fixed = results();
    // win-b is Ready again, and a new node is not.
    fixed[0].1[1] = finding(
        "node-ready",
        Status::Pass,
        Subject::node("win-b.corp.example.com"),
        "win-b.corp.example.com is Ready",
    );
    fixed[0].1.push(finding(
        "node-ready",
        Status::Fail,
        Subject::node("win-c"),
        "win-c is not Ready: Ready=False (KubeletNotReady)",
    ));
    fixed.push((
        "version-skew",
        vec![finding(
            "version-skew",
            Status::Pass,
            Subject::cluster(),
            "kubelets v1.30.4 are within two minors of the API server v1.31.2",
        )],
    ));
    for (id, findings) in fixed {
        update::apply(
            &mut app,
            Update::Check(CheckResult {
                id: id.to_string(),
                findings,
                elapsed: Duration::from_micros(250),
            }),
        );
    }
    let (s, _) = both(&mut app, "refresh_running");
    assert!(s.contains("refreshing"), "{s}");
    assert!(s.contains("+2 −1"), "{s}");
    update::apply(
        &mut app,
        Update::Finished(Box::new(Gathered {
            world: crate::model::World::new(facts()),
            source: SourceKind::Demo,
        })),
    );
    press(&mut app, "\n");
    let (s, _) = both(&mut app, "refresh_detail");
    assert!(s.contains("+ ✗ FAIL  Node/win-c"), "{s}");
    assert!(s.contains("− ✗ FAIL  Node/win-b.corp.example.com"), "{s}");
    assert!(s.contains("gone: win-b"), "{s}");
}

#[test]
fn help_lists_every_screen() {
    let mut app = finished_app();
    press(&mut app, "?");
    let (s, wide) = both(&mut app, "help");
    assert!(s.contains("Checklist"), "{s}");
    assert!(wide.contains("Evidence viewer"), "{wide}");
}

#[test]
fn too_small() {
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
    for b in crate::tui::keymap::BINDINGS {
        let keys = crate::tui::keymap::keys_label(b);
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
