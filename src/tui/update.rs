//! State transitions: engine updates, keys (through the key table) and mouse events change the
//! `App`; anything that touches the outside world (quitting, the clipboard, files, restarting the
//! engine, mouse capture) is returned as an `Effect` for the event loop to carry out. Rerunning one
//! check happens here, because it is a pure function of the gathered facts.

use super::keymap::{self, Action, Context};
use super::state::{
    next_area, App, InputState, Row, RowState, RunState, Screen, StatusFilter, Tone,
};
use super::view::{self, checklist, detail};
use crate::engine::Update;
use crate::findings::Finding;
use crate::report::ReportFormat;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use std::time::Duration;

/// Work for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Put `text` on the clipboard (OSC 52); `what` describes it for the notice.
    Copy {
        text: String,
        what: String,
    },
    Export(ReportFormat),
    WriteFixes,
    RerunAll,
    SetMouse(bool),
}

/// Applies one engine update. `Fatal` is the event loop's business and is ignored here.
pub fn apply(app: &mut App, update: Update) {
    match update {
        Update::Source(kind) => app.source = Some(kind),
        Update::InputStarted(input) => {
            app.inputs.insert(
                input.to_string(),
                InputState::Reading {
                    since: app.clock.now,
                },
            );
        }
        Update::InputDone { input, outcome, .. } => {
            app.inputs
                .insert(input.to_string(), InputState::Done { outcome });
        }
        Update::Check(result) => {
            let mut findings = result.findings;
            findings
                .iter_mut()
                .for_each(crate::output::finding_for_terminal);
            if let Some(row) = app.row_mut(&result.id) {
                row.state = RowState::Done {
                    findings,
                    elapsed: result.elapsed,
                };
            }
        }
        Update::Finished(gathered) => {
            app.local_node = gathered.local_node_name().map(str::to_string);
            app.source = Some(gathered.source.clone());
            if let RunState::Running { since } = app.run {
                app.run = RunState::Finished {
                    took: app.clock.now.saturating_sub(since),
                };
            }
            app.gathered = Some(gathered);
        }
        Update::Fatal(_) => {}
    }
}

/// Resets every row to pending for a fresh run started now.
pub fn restart(app: &mut App) {
    for row in &mut app.rows {
        row.state = RowState::Pending;
    }
    app.inputs.clear();
    app.gathered = None;
    app.run = RunState::Running {
        since: app.clock.now,
    };
    app.detail_finding = 0;
    app.detail_scroll = 0;
}

/// Handles one key press.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Effect> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let context = if app.searching {
        Context::Search
    } else {
        match app.screen {
            Screen::Checklist => Context::Checklist,
            Screen::Detail => Context::Detail,
            Screen::Help => Context::Help,
        }
    };
    let action = keymap::lookup(context, &key)?;
    app.notice = None;
    match action {
        Action::Quit => return Some(Effect::Quit),
        Action::Back => return back(app),
        Action::Help => {
            if app.screen == Screen::Help {
                app.screen = app.help_return;
            } else {
                app.help_return = app.screen;
                app.screen = Screen::Help;
                app.help_scroll = 0;
            }
        }
        Action::Up => scroll(app, -1),
        Action::Down => scroll(app, 1),
        Action::PageUp => scroll(app, -(page(app) as isize)),
        Action::PageDown => scroll(app, page(app) as isize),
        Action::Top => scroll(app, isize::MIN / 2),
        Action::Bottom => scroll(app, isize::MAX / 2),
        Action::Open => {
            if app.selected_row().is_some() {
                app.screen = Screen::Detail;
                app.detail_scroll = 0;
                app.detail_finding = 0;
            }
        }
        Action::NextFinding => select_finding(app, 1),
        Action::PrevFinding => select_finding(app, -1),
        Action::NextCheck => move_selection(app, 1),
        Action::PrevCheck => move_selection(app, -1),
        Action::CycleStatusFilter => {
            app.status_filter = app.status_filter.next();
            app.list_offset = 0;
        }
        Action::CycleAreaFilter => {
            app.area_filter = next_area(app.area_filter);
            app.list_offset = 0;
        }
        Action::CycleSort => app.sort = app.sort.next(),
        Action::ClearFilters => {
            app.status_filter = StatusFilter::All;
            app.area_filter = None;
            app.search.clear();
            app.notify(Tone::Info, "filters and search cleared");
        }
        Action::StartSearch => {
            app.searching = true;
            app.search.clear();
        }
        Action::SearchType => {
            if let KeyCode::Char(c) = key.code {
                app.search.push(c);
                app.list_offset = 0;
            }
        }
        Action::SearchDelete => {
            app.search.pop();
        }
        Action::SearchAccept => app.searching = false,
        Action::SearchCancel => {
            app.searching = false;
            app.search.clear();
        }
        Action::CopyFix => return copy_fix(app),
        Action::WriteFixes => {
            if app.rows.iter().all(|r| r.status().is_none()) {
                app.notify(Tone::Bad, "no check has finished yet; nothing to write");
            } else {
                return Some(Effect::WriteFixes);
            }
        }
        Action::ExportJson => return export(app, ReportFormat::Json),
        Action::ExportMarkdown => return export(app, ReportFormat::Markdown),
        Action::RerunOne => rerun_one(app),
        Action::RerunAll => return Some(Effect::RerunAll),
        Action::ToggleMouse => {
            app.mouse_captured = !app.mouse_captured;
            app.notify(
                Tone::Info,
                if app.mouse_captured {
                    "mouse capture on: the wheel scrolls, click selects a check"
                } else {
                    "mouse capture off: drag to select text; M turns it back on"
                },
            );
            return Some(Effect::SetMouse(app.mouse_captured));
        }
    }
    None
}

/// Wheel scrolls whatever is under the pointer; a click on a checklist row selects it.
pub fn on_mouse(app: &mut App, m: MouseEvent) {
    let areas = view::app_areas(app);
    let inside = |r: Option<ratatui::layout::Rect>| {
        r.is_some_and(|r| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        })
    };
    let step: isize = match m.kind {
        MouseEventKind::ScrollDown => 3,
        MouseEventKind::ScrollUp => -3,
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some(list) = areas.list.filter(|_| inside(areas.list)) {
                click_row(app, list, m.row);
            }
            return;
        }
        _ => return,
    };
    if app.screen == Screen::Help {
        app.help_scroll = scroll_by(app.help_scroll, step, help_max(app));
    } else if inside(areas.detail) {
        app.detail_scroll = scroll_by(app.detail_scroll, step, detail_max(app));
    } else if inside(areas.list) {
        move_selection(app, step.signum());
    }
}

/// Records the new terminal size.
pub fn on_resize(app: &mut App, width: u16, height: u16) {
    app.viewport = (width, height);
    app.detail_scroll = app.detail_scroll.min(detail_max(app));
    app.help_scroll = app.help_scroll.min(help_max(app));
}

/// Advances the clock; returns whether the screen shows something that moved.
pub fn on_tick(app: &mut App, now: Duration) -> bool {
    app.clock.now = now;
    app.clock.frame = (now.as_millis() / 100) as u64;
    app.animating()
}

fn back(app: &mut App) -> Option<Effect> {
    match app.screen {
        Screen::Help => app.screen = app.help_return,
        Screen::Detail => app.screen = Screen::Checklist,
        Screen::Checklist if !app.search.is_empty() => {
            app.search.clear();
            app.notify(Tone::Info, "search cleared (Esc again quits)");
        }
        Screen::Checklist => return Some(Effect::Quit),
    }
    None
}

fn page(app: &App) -> usize {
    let areas = view::app_areas(app);
    let rows = match app.screen {
        Screen::Checklist => areas.list.map(checklist::page_rows),
        Screen::Detail => areas.detail.map(|r| view::inner(r).1),
        Screen::Help => areas.help.map(|r| view::inner(r).1),
    };
    rows.unwrap_or(1).saturating_sub(1).max(1)
}

fn scroll(app: &mut App, delta: isize) {
    match app.screen {
        Screen::Checklist => move_selection(app, delta),
        Screen::Detail => app.detail_scroll = scroll_by(app.detail_scroll, delta, detail_max(app)),
        Screen::Help => app.help_scroll = scroll_by(app.help_scroll, delta, help_max(app)),
    }
}

fn scroll_by(pos: usize, delta: isize, max: usize) -> usize {
    (pos as isize).saturating_add(delta).clamp(0, max as isize) as usize
}

/// Moves the checklist selection by `delta` rows (clamped), keeping it on screen.
fn move_selection(app: &mut App, delta: isize) {
    let visible = app.visible();
    let Some(pos) = app.selected_pos(&visible) else {
        return;
    };
    let new = scroll_by(pos, delta, visible.len() - 1);
    select_pos(app, &visible, new);
}

fn select_pos(app: &mut App, visible: &[usize], pos: usize) {
    let id = app.rows[visible[pos]].info.id.clone();
    if app.selected.as_deref() != Some(id.as_str()) {
        app.detail_scroll = 0;
        app.detail_finding = 0;
    }
    app.selected = Some(id);
    let rows = view::app_areas(app).list.map_or(1, checklist::page_rows);
    app.list_offset = checklist::clamp_offset(app.list_offset, pos, visible.len(), rows);
}

fn click_row(app: &mut App, list: ratatui::layout::Rect, y: u16) {
    let first = list.y + 2; // border and column header
    if y < first {
        return;
    }
    let visible = app.visible();
    let Some(sel) = app.selected_pos(&visible) else {
        return;
    };
    let rows = checklist::page_rows(list);
    let offset = checklist::clamp_offset(app.list_offset, sel, visible.len(), rows);
    let pos = offset + (y - first) as usize;
    if pos < visible.len() && pos < offset + rows {
        select_pos(app, &visible, pos);
    }
}

/// The geometry of the selected row's details at the current size.
struct DetailLayout {
    total: usize,
    findings: Vec<(usize, usize)>,
    height: usize,
}

fn detail_layout(app: &App) -> Option<DetailLayout> {
    let area = view::app_areas(app).detail.or_else(|| {
        let (w, h) = app.viewport;
        view::areas(ratatui::layout::Rect::new(0, 0, w, h), Screen::Detail).detail
    })?;
    let (width, height) = view::inner(area);
    let row = app.selected_row()?;
    let text = detail::build(app, row, width.saturating_sub(1));
    Some(DetailLayout {
        total: text.lines.len(),
        findings: text.findings,
        height,
    })
}

fn detail_max(app: &App) -> usize {
    detail_layout(app).map_or(0, |d| d.total.saturating_sub(d.height))
}

fn help_max(app: &App) -> usize {
    let (w, h) = app.viewport;
    let Some(area) = view::areas(ratatui::layout::Rect::new(0, 0, w, h), Screen::Help).help else {
        return 0;
    };
    let (width, height) = view::inner(area);
    super::view::help::lines(app, width)
        .len()
        .saturating_sub(height)
}

/// Selects the next/previous finding (wrapping) and scrolls so that it is in view.
fn select_finding(app: &mut App, delta: isize) {
    let n = app.selected_row().map_or(0, |r| r.findings().len());
    if n == 0 {
        return;
    }
    let current = app.detail_finding.min(n - 1) as isize;
    app.detail_finding = (current + delta).rem_euclid(n as isize) as usize;
    if let Some(d) = detail_layout(app) {
        if let Some((start, end)) = d.findings.get(app.detail_finding).copied() {
            let max = d.total.saturating_sub(d.height);
            let visible = app.detail_scroll..app.detail_scroll + d.height;
            if !(visible.contains(&start) && end <= visible.end) {
                // Show the finding from its first line, with one line of context above.
                app.detail_scroll = start.saturating_sub(1).min(max);
            }
        }
    }
}

/// The finding whose fix `c` copies: on the details screen the selected finding; on the checklist
/// the worst finding of the selected check that has a fix.
fn finding_to_copy(app: &App) -> Result<&Finding, String> {
    let row: &Row = app
        .selected_row()
        .ok_or_else(|| "no check is selected".to_string())?;
    if row.status().is_none() {
        return Err(format!("{} has not finished yet", row.info.id));
    }
    let findings = row.findings_worst_first();
    if app.screen == Screen::Detail {
        let f = findings
            .get(app.detail_finding.min(findings.len().saturating_sub(1)))
            .ok_or_else(|| format!("{} has no findings", row.info.id))?;
        if f.fix.is_none() {
            return Err(format!(
                "this finding ({} {}) has no fix; Tab selects another",
                f.status.label(),
                f.subject.display()
            ));
        }
        return Ok(f);
    }
    findings
        .into_iter()
        .find(|f| f.fix.is_some())
        .ok_or_else(|| format!("{} has no fix to copy", row.info.id))
}

fn copy_fix(app: &mut App) -> Option<Effect> {
    match finding_to_copy(app) {
        Ok(f) => {
            let fix = f.fix.as_ref()?;
            let (text, what) = if fix.commands.is_empty() {
                (fix.text.clone(), "the fix text".to_string())
            } else {
                (
                    fix.commands.join("\n"),
                    format!(
                        "{} command{}",
                        fix.commands.len(),
                        if fix.commands.len() == 1 { "" } else { "s" }
                    ),
                )
            };
            Some(Effect::Copy {
                text,
                what: format!("{what} of {} for {}", f.check, f.subject.display()),
            })
        }
        Err(why) => {
            app.notify(Tone::Bad, format!("nothing copied: {why}"));
            None
        }
    }
}

fn export(app: &mut App, format: ReportFormat) -> Option<Effect> {
    if app.gathered.is_none() {
        app.notify(
            Tone::Bad,
            "the run has not finished yet; export when every check is done",
        );
        return None;
    }
    Some(Effect::Export(format))
}

fn rerun_one(app: &mut App) {
    let Some(id) = app.selected_row().map(|r| r.info.id.clone()) else {
        return;
    };
    let Some(gathered) = &app.gathered else {
        app.notify(
            Tone::Bad,
            "the run has not finished yet; wait for it (or press R to restart everything)",
        );
        return;
    };
    let result = gathered.rerun(&id);
    let elapsed = result.elapsed;
    apply(app, Update::Check(result));
    app.detail_finding = 0;
    let status = app
        .rows
        .iter()
        .find(|r| r.info.id == id)
        .and_then(Row::status)
        .map_or("no result", |s| s.label());
    app.notify(
        Tone::Info,
        format!(
            "reran {id} on the gathered facts: {status} ({:.1} ms)",
            elapsed.as_secs_f64() * 1000.0
        ),
    );
}
