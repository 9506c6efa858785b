//! Opening the screens reached from a check (details, evidence viewer, object summary, commands
//! view) and the node and namespace pickers, and picking from them. What each shows is computed
//! here, once, from the selected finding and what the run gathered.

use super::super::describe::{self, related_objects_in};
use super::super::evidence::source_text;
use super::super::row::Entry;
use super::super::scope::{self, Scope};
use super::super::screens::{
    CommandLine, CommandsView, EvidenceView, ObjectView, Picker, PickerKind,
};
use super::super::state::{App, Screen, Tone};
use super::super::view;
use super::navigate;
use super::Effect;
use crate::findings::Finding;

/// Opens the details of the selected check. A checklist search that matches some of its findings
/// filters the findings table too.
pub fn detail(app: &mut App) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let needle = app.search.trim().to_lowercase();
    let carry = !needle.is_empty() && row.scoped.iter().any(|i| row.finding_matches(*i, &needle));
    app.detail.search = if carry {
        app.search.trim().to_string()
    } else {
        String::new()
    };
    app.screen = Screen::Detail;
    navigate::reset_finding(app);
}

fn selected(app: &App) -> Option<Finding> {
    app.selected_finding().map(|(_, _, f)| f.clone())
}

/// The finding the current screen is about.
fn current_finding(app: &App) -> Option<Finding> {
    match app.screen {
        Screen::Evidence => app.evidence.as_ref().map(|v| v.finding.clone()),
        _ => selected(app),
    }
}

/// Opens the evidence viewer on the selected finding's first piece of evidence.
pub fn evidence(app: &mut App) {
    let Some(f) = selected(app) else {
        app.notify(Tone::Bad, "no finding is selected");
        return;
    };
    if f.evidence.is_empty() {
        app.notify(
            Tone::Bad,
            format!("{} has no evidence to open", f.subject.display()),
        );
        return;
    }
    app.evidence = Some(viewer(app, f, 0));
    app.screen = Screen::Evidence;
}

fn viewer(app: &App, finding: Finding, index: usize) -> EvidenceView {
    let text = source_text(app.gathered.as_deref(), &finding.evidence[index]);
    // From the top when the first mark is on the first screen, else with two lines above it.
    let (w, h) = app.viewport;
    let rows = view::areas(ratatui::layout::Rect::new(0, 0, w, h), Screen::Evidence)
        .main
        .map_or(1, view::evidence::text_rows);
    let scroll = match text.marked.first() {
        Some(m) if *m + 2 > rows => m.saturating_sub(2),
        _ => 0,
    };
    EvidenceView {
        finding,
        index,
        text,
        scroll,
    }
}

/// Opens the summary of the first Node, Pod or DaemonSet the finding is about.
pub fn object(app: &mut App) {
    let Some(f) = current_finding(app) else {
        app.notify(Tone::Bad, "no finding is selected");
        return;
    };
    let objects = related_objects_in(app.gathered.as_deref(), &f);
    if objects.is_empty() {
        app.notify(
            Tone::Bad,
            format!(
                "{} names no Node, Pod or DaemonSet to show",
                f.subject.display()
            ),
        );
        return;
    }
    let described = describe_one(app, &objects[0]);
    app.object = Some(ObjectView {
        objects,
        index: 0,
        described,
        scroll: 0,
        from_evidence: app.screen == Screen::Evidence,
    });
    app.screen = Screen::Object;
}

fn describe_one(app: &App, obj: &describe::ObjectRef) -> describe::Described {
    let findings: Vec<&Finding> = app.rows.iter().flat_map(|r| r.findings()).collect();
    describe::describe(app.gathered.as_deref(), obj, &findings)
}

/// Tab and Shift-Tab in the evidence viewer and the object summary.
pub fn next_item(app: &mut App, dir: isize) {
    match app.screen {
        Screen::Evidence => {
            let Some(v) = app.evidence.take() else { return };
            let n = v.finding.evidence.len().max(1);
            let index = (v.index as isize + dir).rem_euclid(n as isize) as usize;
            app.evidence = Some(viewer(app, v.finding, index));
        }
        Screen::Object => {
            let Some(mut v) = app.object.take() else {
                return;
            };
            let n = v.objects.len().max(1);
            v.index = (v.index as isize + dir).rem_euclid(n as isize) as usize;
            v.described = describe_one(app, &v.objects[v.index]);
            v.scroll = 0;
            app.object = Some(v);
        }
        _ => {}
    }
}

/// Opens the commands view on the selected finding; mouse capture goes off so that the mouse
/// selects text (it comes back on when leaving).
pub fn commands(app: &mut App) -> Option<Effect> {
    let Some(f) = selected(app) else {
        app.notify(Tone::Bad, "no finding is selected");
        return None;
    };
    app.commands = Some(CommandsView {
        lines: command_lines(&[&f], false),
        selected: 0,
        scroll: 0,
        all: false,
        restore_mouse: app.mouse_captured,
    });
    app.screen = Screen::Commands;
    if app.mouse_captured {
        app.mouse_captured = false;
        return Some(Effect::SetMouse(false));
    }
    None
}

/// Switches the commands view between the selected finding and every finding of the check in scope.
pub fn toggle_all_commands(app: &mut App) {
    let all = !app.commands.as_ref().is_some_and(|c| c.all);
    let lines = if all {
        let Some(row) = app.selected_row() else {
            return;
        };
        let findings: Vec<&Finding> = app
            .entries(row)
            .into_iter()
            .filter(|e| matches!(e, Entry::Current(_)))
            .filter_map(|e| row.entry(e))
            .collect();
        command_lines(&findings, true)
    } else {
        match selected(app) {
            Some(f) => command_lines(&[&f], false),
            None => Vec::new(),
        }
    };
    if let Some(c) = app.commands.as_mut() {
        c.lines = lines;
        c.all = all;
        c.selected = 0;
        c.scroll = 0;
    }
}

fn command_lines(findings: &[&Finding], all: bool) -> Vec<CommandLine> {
    let mut out = Vec::new();
    for f in findings {
        let Some(fix) = &f.fix else { continue };
        if fix.commands.is_empty() {
            continue;
        }
        let heading = if all {
            format!(
                "# {} {}: {}",
                f.status.as_str(),
                f.subject.display(),
                f.message
            )
        } else {
            format!(
                "# {} · {} {}",
                f.check,
                f.status.as_str(),
                f.subject.display()
            )
        };
        out.push(CommandLine::Heading(
            heading.lines().next().unwrap_or("").to_string(),
        ));
        out.extend(fix.commands.iter().cloned().map(CommandLine::Command));
    }
    out
}

/// Opens the node picker (Windows nodes with the worst status of their findings).
pub fn node_picker(app: &mut App) {
    let windows = app
        .gathered
        .as_ref()
        .map(|g| g.environment().windows_nodes)
        .unwrap_or_default();
    let nodes = scope::node_entries(&windows, app.rows.iter().flat_map(|r| r.findings()));
    let selected = app
        .scope
        .node
        .as_ref()
        .and_then(|n| nodes.iter().position(|e| &e.name == n))
        .map_or(0, |i| i + 1);
    if nodes.is_empty() {
        app.notify(
            Tone::Info,
            "no Windows node is known yet (the node list has not been read)",
        );
    }
    app.picker = Some(Picker {
        kind: PickerKind::Node,
        filter: String::new(),
        selected,
        offset: 0,
        nodes,
        namespaces: Vec::new(),
    });
}

/// Opens the namespace picker (namespaces of the findings' subjects).
pub fn namespace_picker(app: &mut App) {
    let namespaces = scope::namespace_entries(app.rows.iter().flat_map(|r| r.findings()));
    let selected = app
        .scope
        .namespace
        .as_ref()
        .and_then(|n| namespaces.iter().position(|e| &e.name == n))
        .map_or(0, |i| i + 1);
    app.picker = Some(Picker {
        kind: PickerKind::Namespace,
        filter: String::new(),
        selected,
        offset: 0,
        nodes: Vec::new(),
        namespaces,
    });
}

/// Scopes everything to the picker's selected entry and closes it.
pub fn pick(app: &mut App) -> Option<Effect> {
    let p = app.picker.take()?;
    let items = p.items();
    let item = *items.get(p.selected.min(items.len().saturating_sub(1)))?;
    let name = p.name(item);
    let mut scope = app.scope.clone();
    match p.kind {
        PickerKind::Node => scope.node = name,
        PickerKind::Namespace => scope.namespace = name,
    }
    let leaving_commands = app.screen == Screen::Commands;
    set_scope(app, scope);
    let restore = leaving_commands && app.commands.take().is_some_and(|c| c.restore_mouse);
    if restore && !app.mouse_captured {
        app.mouse_captured = true;
        return Some(Effect::SetMouse(true));
    }
    None
}

/// Changes the scope, going back to the details from screens about one finding.
pub fn set_scope(app: &mut App, scope: Scope) {
    app.set_scope(scope);
    if matches!(
        app.screen,
        Screen::Evidence | Screen::Object | Screen::Commands
    ) {
        app.screen = Screen::Detail;
    }
    let checks = app.visible().len();
    let findings: usize = app.finding_counts().values().sum();
    let text = format!(
        "scope: {} · {checks} checks, {findings} findings",
        app.scope.describe()
    );
    app.notify(Tone::Info, text);
}
