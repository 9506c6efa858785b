//! State transitions: engine updates, keys (through the key table), pastes and mouse events change
//! the `App`; anything that touches the outside world (quitting, the clipboard, files, restarting
//! the engine, mouse capture) is returned as an `Effect` for the event loop to carry out. Rerunning
//! one check happens here, because it is a pure function of the gathered facts.
//!
//! Submodules: `navigate` (selection and scrolling on every screen, and the geometry they need),
//! `open` (opening the evidence viewer, object summaries, the commands view and the pickers) and
//! `copy` (what `c`, `1`-`9` and the commands view copy).

mod copy;
mod navigate;
mod open;

use super::input;
use super::keymap::{self, Action, Context};
use super::state::{next_area, App, InputState, RunState, Screen, StatusFilter, Tone, Typing};
use super::view;
use crate::engine::Update;
use crate::report::ReportFormat;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use std::time::Duration;

pub use navigate::on_mouse;

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
            app.set_result(&result.id, findings, result.elapsed);
        }
        Update::Finished(gathered) => {
            app.local_node = gathered.local_node_name().map(str::to_string);
            app.source = Some(gathered.source.clone());
            if let RunState::Running { since } = app.run {
                app.run = RunState::Finished {
                    took: app.clock.now.saturating_sub(since),
                };
            }
            app.read_at = Some(app.clock.now);
            app.gathered = Some(gathered);
        }
        Update::Fatal(_) => {}
    }
}

/// Starts a new run now: every check runs again, showing its previous findings meanwhile. What was
/// gathered stays (for evidence and objects) until the new run hands over its own.
pub fn restart(app: &mut App) {
    for row in &mut app.rows {
        row.begin_rerun();
    }
    app.inputs.clear();
    app.runs += 1;
    app.run = RunState::Running {
        since: app.clock.now,
    };
}

/// Whether `--refresh` asks for a new run now.
pub fn refresh_due(app: &App) -> bool {
    app.next_refresh().is_some_and(|at| app.clock.now >= at)
}

/// The key context of the current state: a picker or a search being typed take every key.
pub fn context(app: &App) -> Context {
    if app.picker.is_some() {
        return Context::Picker;
    }
    if app.typing.is_some() {
        return Context::Search;
    }
    view::context_of(app.screen)
}

/// Handles one key press.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Effect> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let action = keymap::lookup(context(app), &key)?;
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
        Action::Up => navigate::step(app, -1),
        Action::Down => navigate::step(app, 1),
        Action::PageUp => navigate::page(app, -1),
        Action::PageDown => navigate::page(app, 1),
        Action::Top => navigate::step(app, isize::MIN / 2),
        Action::Bottom => navigate::step(app, isize::MAX / 2),
        Action::Open => open::detail(app),
        Action::NextFinding => navigate::select_finding(app, 1),
        Action::PrevFinding => navigate::select_finding(app, -1),
        Action::NextCheck => navigate::move_selection(app, 1),
        Action::PrevCheck => navigate::move_selection(app, -1),
        Action::CycleStatusFilter => {
            app.status_filter = app.status_filter.next();
            app.list_offset = 0;
        }
        Action::CycleAreaFilter => {
            app.area_filter = next_area(app.area_filter);
            app.list_offset = 0;
        }
        Action::CycleSort => {
            if app.screen == Screen::Detail {
                app.detail.sort = app.detail.sort.next();
                navigate::reset_finding(app);
            } else {
                app.sort = app.sort.next();
            }
        }
        Action::ReverseSort => {
            app.detail.reverse = !app.detail.reverse;
            navigate::reset_finding(app);
        }
        Action::ClearFilters => {
            if app.screen == Screen::Detail {
                app.detail.search.clear();
                navigate::reset_finding(app);
                app.notify(Tone::Info, "findings search cleared");
            } else {
                app.status_filter = StatusFilter::All;
                app.area_filter = None;
                app.search.clear();
                app.notify(Tone::Info, "filters and search cleared");
            }
        }
        Action::StartSearch => {
            if app.screen == Screen::Detail {
                app.typing = Some(Typing::FindingSearch);
                app.detail.search.clear();
                navigate::reset_finding(app);
            } else {
                app.typing = Some(Typing::ChecklistSearch);
                app.search.clear();
            }
        }
        Action::SearchType => {
            if let KeyCode::Char(c) = key.code {
                edit_text(app, |t| input::type_char(t, c));
            }
        }
        Action::SearchDelete => edit_text(app, input::delete_char),
        Action::SearchDeleteWord => edit_text(app, input::delete_word),
        Action::SearchClear => edit_text(app, String::clear),
        Action::SearchAccept => {
            if app.picker.is_some() {
                return open::pick(app);
            }
            app.typing = None;
        }
        Action::SearchCancel => {
            if app.picker.take().is_some() {
                return None;
            }
            match app.typing.take() {
                Some(Typing::FindingSearch) => {
                    app.detail.search.clear();
                    navigate::reset_finding(app);
                }
                Some(Typing::ChecklistSearch) => app.search.clear(),
                None => {}
            }
        }
        Action::PickNode => open::node_picker(app),
        Action::PickNamespace => open::namespace_picker(app),
        Action::OpenEvidence => open::evidence(app),
        Action::OpenObject => open::object(app),
        Action::OpenCommands => return open::commands(app),
        Action::NextItem => open::next_item(app, 1),
        Action::PrevItem => open::next_item(app, -1),
        Action::NextMark => navigate::jump_mark(app, 1),
        Action::PrevMark => navigate::jump_mark(app, -1),
        Action::ToggleAllCommands => open::toggle_all_commands(app),
        Action::CopyFix => return copy::fix(app),
        Action::CopyCommand => {
            if let KeyCode::Char(c) = key.code {
                let n = c.to_digit(10).unwrap_or(1) as usize;
                return copy::command(app, n.saturating_sub(1));
            }
        }
        Action::CopySelectedCommand => {
            let n = app.commands.as_ref().map_or(0, |c| c.selected);
            return copy::command(app, n);
        }
        Action::CopyShownCommands => return copy::shown_commands(app),
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
                    "mouse capture on: the wheel scrolls, click selects"
                } else {
                    "mouse capture off: drag to select text; M turns it back on"
                },
            );
            return Some(Effect::SetMouse(app.mouse_captured));
        }
    }
    None
}

/// Handles a paste (bracketed paste): text for the input being typed, never keys.
pub fn on_paste(app: &mut App, text: &str) {
    if app.picker.is_some() || app.typing.is_some() {
        edit_text(app, |t| input::paste(t, text));
    } else {
        app.notify(
            Tone::Info,
            "pasted text ignored: press / to search (or N, A to pick) and paste there",
        );
    }
}

/// Applies an edit to the text being typed and keeps the selections inside what it now matches.
fn edit_text(app: &mut App, edit: impl FnOnce(&mut String)) {
    if let Some(p) = app.picker.as_mut() {
        edit(&mut p.filter);
        p.selected = usize::from(!p.filter.is_empty() && p.items().len() > 1);
        p.offset = 0;
        return;
    }
    match app.typing {
        Some(Typing::ChecklistSearch) => {
            edit(&mut app.search);
            app.list_offset = 0;
        }
        Some(Typing::FindingSearch) => {
            edit(&mut app.detail.search);
            navigate::reset_finding(app);
        }
        None => {}
    }
}

/// Records the new terminal size.
pub fn on_resize(app: &mut App, width: u16, height: u16) {
    app.viewport = (width, height);
    navigate::clamp_scrolls(app);
}

/// Advances the clock; returns whether the screen shows something that moved (the spinner and
/// elapsed counters while a run goes on, the refresh countdown when its whole seconds change).
pub fn on_tick(app: &mut App, now: Duration) -> bool {
    let before = countdown(app);
    app.clock.now = now;
    app.clock.frame = (now.as_millis() / 100) as u64;
    app.animating() || countdown(app) != before
}

/// The refresh countdown as the header shows it (whole seconds left), with `--refresh`.
fn countdown(app: &App) -> Option<u64> {
    app.next_refresh()
        .map(|at| at.saturating_sub(app.clock.now).as_secs())
}

/// How often the spinner turns while a run goes on.
pub const SPINNER_STEP: Duration = Duration::from_millis(100);

/// When the event loop must wake if no input and no data arrive (time since start, like
/// `clock.now`): the next spinner step while a run goes on, the moment the refresh countdown
/// shows one second less (and the refresh itself), or never. An idle TUI without `--refresh`
/// sleeps until a key, a paste, a resize or a signal.
pub fn next_wake(app: &App) -> Option<Duration> {
    let now = app.clock.now;
    if app.animating() {
        let step = SPINNER_STEP.as_millis();
        let next = (now.as_millis() / step + 1) * step;
        return Some(Duration::from_millis(
            u64::try_from(next).unwrap_or(u64::MAX),
        ));
    }
    let due = app.next_refresh()?;
    if now >= due {
        return Some(now);
    }
    // `as_secs` truncates: the shown value drops just after exactly that many seconds remain.
    let shown = due.saturating_sub(now).as_secs();
    let drops = due.saturating_sub(Duration::from_secs(shown)) + Duration::from_millis(1);
    Some(drops.min(due))
}

fn back(app: &mut App) -> Option<Effect> {
    match app.screen {
        Screen::Help => app.screen = app.help_return,
        Screen::Detail => app.screen = Screen::Checklist,
        Screen::Evidence => app.screen = Screen::Detail,
        Screen::Object => {
            let from_evidence = app.object.as_ref().is_some_and(|o| o.from_evidence);
            app.screen = if from_evidence && app.evidence.is_some() {
                Screen::Evidence
            } else {
                Screen::Detail
            };
        }
        Screen::Commands => {
            app.screen = Screen::Detail;
            let restore = app.commands.take().is_some_and(|c| c.restore_mouse);
            if restore && !app.mouse_captured {
                app.mouse_captured = true;
                return Some(Effect::SetMouse(true));
            }
        }
        Screen::Checklist if !app.search.is_empty() => {
            app.search.clear();
            app.notify(Tone::Info, "search cleared (Esc again quits)");
        }
        Screen::Checklist => return Some(Effect::Quit),
    }
    None
}

fn export(app: &mut App, format: ReportFormat) -> Option<Effect> {
    if app.gathered.is_none() || app.animating() {
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
    let gathered = match &app.gathered {
        Some(g) if !app.animating() => g,
        _ => {
            app.notify(
                Tone::Bad,
                "the run has not finished yet; wait for it (or press R to restart everything)",
            );
            return;
        }
    };
    let result = gathered.rerun(&id);
    let elapsed = result.elapsed;
    if let Some(row) = app.row_mut(&id) {
        row.begin_rerun();
    }
    apply(app, Update::Check(result));
    let status = app
        .rows
        .iter()
        .find(|r| r.info.id == id)
        .and_then(|r| r.status())
        .map_or("no result", |s| s.label());
    app.notify(
        Tone::Info,
        format!(
            "reran {id} on the gathered facts: {status} ({:.1} ms)",
            elapsed.as_secs_f64() * 1000.0
        ),
    );
}
