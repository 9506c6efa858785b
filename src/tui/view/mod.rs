//! Rendering: a pure function from `App` to a frame. The screen is a two-line header (source, scope
//! or local node, when the data was read, counts of checks and of findings, what changed since the
//! previous run), a body and a one-line footer (the input being typed, the last notice, or key hints
//! from the key table). The body is the checklist, the details of a check (findings table over the
//! selected finding), the evidence viewer, an object summary, the commands view or help; on
//! terminals at least `SPLIT_MIN_WIDTH` wide the checklist and the details sit side by side. The
//! node and namespace pickers open over the body.

pub mod checklist;
pub mod commands;
pub mod detail;
pub mod evidence;
pub mod help;
pub mod object;
pub mod picker;
pub mod text;

use super::keymap::{self, Context};
use super::state::{format_elapsed, App, RunState, Screen, Tone, Typing};
use crate::findings::Status;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::time::Duration;

/// From this width on, the details are shown next to the checklist.
pub const SPLIT_MIN_WIDTH: u16 = 150;
/// Below this size the screen only says it is too small.
pub const MIN_SIZE: (u16, u16) = (40, 8);

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub list: Option<Rect>,
    pub detail: Option<Rect>,
    /// The whole body, for help, the evidence viewer, object summaries and the commands view.
    pub main: Option<Rect>,
    pub footer: Rect,
}

pub fn areas(size: Rect, screen: Screen) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(size);
    let mut out = Areas {
        header,
        list: None,
        detail: None,
        main: None,
        footer,
    };
    match screen {
        Screen::Help | Screen::Evidence | Screen::Object | Screen::Commands => {
            out.main = Some(body)
        }
        _ if body.width >= SPLIT_MIN_WIDTH => {
            let [list, detail] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(body);
            out.list = Some(list);
            out.detail = Some(detail);
        }
        Screen::Checklist => out.list = Some(body),
        Screen::Detail => out.detail = Some(body),
    }
    out
}

/// The body of a screen of `size`.
pub fn body(size: Rect) -> Rect {
    areas(size, Screen::Help).main.unwrap_or(size)
}

/// The areas for the app's current screen and viewport.
pub fn app_areas(app: &App) -> Areas {
    let (w, h) = app.viewport;
    areas(Rect::new(0, 0, w, h), app.screen)
}

/// Inner size of a bordered box.
pub fn inner(r: Rect) -> (usize, usize) {
    (
        r.width.saturating_sub(2) as usize,
        r.height.saturating_sub(2) as usize,
    )
}

pub fn render(frame: &mut Frame, app: &App) {
    let size = frame.area();
    if size.width < MIN_SIZE.0 || size.height < MIN_SIZE.1 {
        let msg = format!(
            "Terminal too small ({}x{}); windoctor needs at least {}x{}. q quits.",
            size.width, size.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(
            Paragraph::new(text::wrap(&msg, size.width as usize).join("\n")),
            size,
        );
        return;
    }
    let areas = areas(size, app.screen);
    render_header(frame, app, areas.header);
    if let Some(r) = areas.list {
        checklist::render(frame, app, r);
    }
    if let Some(r) = areas.detail {
        detail::render(frame, app, r);
    }
    if let Some(r) = areas.main {
        match app.screen {
            Screen::Evidence => evidence::render(frame, app, r),
            Screen::Object => object::render(frame, app, r),
            Screen::Commands => commands::render(frame, app, r),
            _ => help::render(frame, app, r),
        }
    }
    if app.picker.is_some() {
        picker::render(frame, app, picker::area(body(size)));
    }
    render_footer(frame, app, areas.footer);
}

fn render_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let width = area.width as usize;
    let source = app
        .source
        .as_ref()
        .map_or_else(|| "reading sources…".to_string(), |s| s.describe());
    // What is looked at comes before where it comes from: the source is cut first.
    let focus = if app.scope.is_everything() {
        let node = match (&app.local_node, app.run) {
            (Some(n), _) => n.clone(),
            (None, RunState::Finished { .. }) => "none".to_string(),
            (None, RunState::Running { .. }) => "…".to_string(),
        };
        format!("local node: {node}")
    } else {
        format!("scope: {}", app.scope.describe())
    };
    let narrow = width < 100;
    let read = app.read_at.and_then(|at| app.clock.wall(at));
    let mut run = match (app.run, read) {
        (RunState::Running { since }, read) => {
            let mut r = format!(
                "{} {} {}",
                app.spinner(),
                if app.runs > 1 {
                    "refreshing"
                } else {
                    "running"
                },
                format_elapsed(app.clock.now.saturating_sub(since))
            );
            if let Some(read) = read.filter(|_| !narrow) {
                r.push_str(&format!(" · last read {read}"));
            }
            r
        }
        (RunState::Finished { .. }, Some(read)) if narrow => format!("read {read}"),
        (RunState::Finished { took }, Some(read)) => {
            format!("read {read}, took {}", format_elapsed(took))
        }
        (RunState::Finished { took }, None) => format!("done in {}", format_elapsed(took)),
    };
    if let Some(next) = app.next_refresh() {
        run.push_str(&format!(
            " · next in {}",
            format_elapsed(Duration::from_secs(
                next.saturating_sub(app.clock.now).as_secs()
            ))
        ));
    }
    let room = width.saturating_sub(text::width(&run) + 3);
    let focus = text::truncate(
        &focus,
        room.saturating_sub(text::width(" windoctor │ ") + 11),
    );
    let source_room = room.saturating_sub(text::width(" windoctor │ ") + text::width(&focus) + 3);
    let left = text::truncate(
        &format!(
            " windoctor │ {focus} │ {}",
            text::truncate(&source, source_room.max(8))
        ),
        room,
    );
    let gap = width.saturating_sub(text::width(&left) + text::width(&run) + 1);
    let bar = Line::from(format!("{left}{}{run} ", " ".repeat(gap))).style(t.bar());
    frame.render_widget(Paragraph::new(vec![bar, counts_line(app, width)]), area);
}

/// `checks: ✗ 2 FAIL ... │ findings: ✗ 3 ... │ +2 new −1 gone`, in short form when it does not fit.
fn counts_line(app: &App, width: usize) -> Line<'static> {
    let t = app.theme;
    let checks = app.counts();
    let findings = app.finding_counts();
    let pending = app.pending();
    let (new, gone) = app.changes();
    for long in [true, false] {
        let mut spans = vec![Span::raw(if long { " checks: " } else { " checks " })];
        for s in Status::ALL {
            let n = checks.get(&Some(s)).copied().unwrap_or(0);
            let (glyph, word) = s.label().split_once(' ').unwrap_or(("", s.label()));
            let style = if n > 0 { t.status(s) } else { Style::new() };
            let text = if long {
                format!("{glyph} {n} {word}  ")
            } else {
                format!("{glyph}{n} ")
            };
            spans.push(Span::styled(text, style));
        }
        if pending > 0 {
            spans.push(Span::styled(
                if long {
                    format!("{} {pending} WAIT  ", app.spinner())
                } else {
                    format!("{pending} waiting ")
                },
                t.pending(),
            ));
        }
        spans.push(Span::raw(if long {
            "│ findings: "
        } else {
            "· findings "
        }));
        for s in Status::ALL {
            let n = findings.get(&s).copied().unwrap_or(0);
            let glyph = s.label().split_once(' ').map_or("", |(g, _)| g);
            let style = if n > 0 { t.status(s) } else { Style::new() };
            spans.push(Span::styled(
                if long {
                    format!("{glyph} {n}  ")
                } else {
                    format!("{glyph}{n} ")
                },
                style,
            ));
        }
        if new + gone > 0 {
            spans.push(Span::styled(
                if long {
                    format!("│ since last read: +{new} new −{gone} gone")
                } else {
                    format!("· +{new} −{gone}")
                },
                t.title(),
            ));
        }
        let line = Line::from(spans);
        if !long || line.width() <= width {
            return line;
        }
    }
    Line::default()
}

fn render_footer(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let typed = match (app.picker.as_ref(), app.typing) {
        (Some(p), _) => Some((format!(" {} ", p.noun()), p.filter.clone(), Context::Picker)),
        (None, Some(Typing::ChecklistSearch)) => {
            Some((" /".to_string(), app.search.clone(), Context::Search))
        }
        (None, Some(Typing::FindingSearch)) => Some((
            " findings /".to_string(),
            app.detail.search.clone(),
            Context::Search,
        )),
        (None, None) => None,
    };
    let line = if let Some((prompt, typed, ctx)) = typed {
        let mut spans = vec![
            Span::styled(prompt.clone(), t.key()),
            Span::raw(typed.clone()),
            Span::styled("_", t.key()),
            Span::raw("   "),
        ];
        let used = text::width(&prompt) + text::width(&typed) + 4;
        spans.extend(hint_spans(app, ctx, area.width.saturating_sub(used as u16)));
        Line::from(spans)
    } else if let Some(n) = &app.notice {
        let style = match n.tone {
            Tone::Info => Style::new(),
            Tone::Good => t.good(),
            Tone::Bad => t.error(),
        };
        let max = area.width.saturating_sub(1) as usize;
        Line::from(Span::styled(
            format!(" {}", text::truncate(&n.text, max)),
            style,
        ))
    } else {
        let mut spans = vec![Span::raw(" ")];
        spans.extend(hint_spans(app, context_of(app.screen), area.width));
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The key context of a screen.
pub fn context_of(screen: Screen) -> Context {
    match screen {
        Screen::Checklist => Context::Checklist,
        Screen::Detail => Context::Detail,
        Screen::Evidence => Context::Evidence,
        Screen::Object => Context::Object,
        Screen::Commands => Context::Commands,
        Screen::Help => Context::Help,
    }
}

/// `key hint · key hint ...` spans, as many as fit the width.
fn hint_spans(app: &App, ctx: Context, width: u16) -> Vec<Span<'static>> {
    let max = width.saturating_sub(2) as usize;
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, hint) in keymap::hints(ctx) {
        let w = text::width(&key) + 1 + text::width(hint) + 2;
        if used + w > max {
            continue;
        }
        used += w;
        spans.push(Span::styled(key, app.theme.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    spans
}
