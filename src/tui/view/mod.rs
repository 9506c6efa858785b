//! Rendering: a pure function from `App` to a frame. The screen is a two-line header (source, local
//! node, run state, counts per status), a body (checklist, details, or help) and a one-line footer
//! (search input, the last notice, or key hints from the key table). On terminals at least
//! `SPLIT_MIN_WIDTH` wide the checklist and the details of the selected check sit side by side.

pub mod checklist;
pub mod detail;
pub mod help;
pub mod text;

use super::keymap::{self, Context};
use super::state::{format_elapsed, App, RunState, Screen, Tone};
use crate::findings::Status;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

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
    pub help: Option<Rect>,
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
        help: None,
        footer,
    };
    match screen {
        Screen::Help => out.help = Some(body),
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
    if let Some(r) = areas.help {
        help::render(frame, app, r);
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
    let node = match (&app.local_node, app.run) {
        (Some(n), _) => n.clone(),
        (None, RunState::Finished { .. }) => "none".to_string(),
        (None, RunState::Running { .. }) => "…".to_string(),
    };
    let run = match app.run {
        RunState::Running { since } => format!(
            "{} running {}",
            app.spinner(),
            format_elapsed(app.clock.now.saturating_sub(since))
        ),
        RunState::Finished { took } => format!("done in {}", format_elapsed(took)),
    };
    let node_part = format!(" │ local node: {node}");
    let room = width.saturating_sub(text::width(&run) + 3);
    let source_room = room.saturating_sub(text::width(" windoctor │ ") + text::width(&node_part));
    let left = text::truncate(
        &format!(
            " windoctor │ {}{node_part}",
            text::truncate(&source, source_room.max(8))
        ),
        room,
    );
    let gap = width.saturating_sub(text::width(&left) + text::width(&run) + 1);
    let bar = Line::from(format!("{left}{}{run} ", " ".repeat(gap))).style(t.bar());

    let counts = app.counts();
    let mut spans = vec![Span::raw(" ")];
    for s in Status::ALL {
        let n = counts.get(&Some(s)).copied().unwrap_or(0);
        let (glyph, word) = s.label().split_once(' ').unwrap_or(("", s.label()));
        let style = if n > 0 { t.status(s) } else { Style::new() };
        spans.push(Span::styled(format!("{glyph} {n} {word}"), style));
        spans.push(Span::raw("  "));
    }
    let pending = app.pending();
    if pending > 0 {
        spans.push(Span::styled(
            format!("{} {pending} WAIT", app.spinner()),
            t.pending(),
        ));
    }
    frame.render_widget(Paragraph::new(vec![bar, Line::from(spans)]), area);
}

fn render_footer(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let line = if app.searching {
        let mut spans = vec![
            Span::styled(" /", t.key()),
            Span::raw(app.search.clone()),
            Span::styled("_", t.key()),
            Span::raw("   "),
        ];
        spans.extend(hint_spans(
            app,
            Context::Search,
            area.width
                .saturating_sub(text::width(&app.search) as u16 + 6),
        ));
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
        let ctx = match app.screen {
            Screen::Checklist => Context::Checklist,
            Screen::Detail => Context::Detail,
            Screen::Help => Context::Help,
        };
        let mut spans = vec![Span::raw(" ")];
        spans.extend(hint_spans(app, ctx, area.width));
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// `key hint · key hint ...` spans, as many as fit the width.
fn hint_spans(app: &App, ctx: Context, width: u16) -> Vec<Span<'static>> {
    let max = width.saturating_sub(2) as usize;
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, hint) in keymap::hints(ctx) {
        let w = text::width(&key) + 1 + text::width(hint) + 2;
        if used + w > max {
            break;
        }
        used += w;
        spans.push(Span::styled(key, app.theme.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    spans
}
