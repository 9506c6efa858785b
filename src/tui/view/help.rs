//! The help screen, generated from the key table (`keymap::BINDINGS`) so it cannot drift from what
//! the keys do, followed by what each status means.

use super::super::keymap::{self, Context};
use super::super::state::App;
use super::text;
use crate::findings::Status;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

const KEY_COLUMN: usize = 24;

fn meaning(s: Status) -> &'static str {
    match s {
        Status::Fail => "a problem that breaks Windows workloads; the evidence shows it",
        Status::Error => "the check could not be evaluated (API error, timeout, unreadable file)",
        Status::Warn => "a likely problem or a risky configuration",
        Status::Info => "a documented limitation or advice that applies to this cluster",
        Status::Pass => "checked and fine",
        Status::Skip => "not applicable here, or its input was not captured",
    }
}

/// The help text laid out for `width` columns.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut out: Vec<Line<'static>> = text::block(
        "windoctor runs the Kubernetes Windows troubleshooting checklist. Each row is one check; \
         open it (Enter) for its findings: pick one to read why it failed, open its evidence \
         (Enter) or the object it is about (o), and copy its fix (c) or one command (1-9). N \
         narrows everything to one Windows node, A to one namespace; R reads the cluster again \
         and marks findings that appeared (+) or went away (−). The header counts checks (one \
         status per check: its worst finding) and findings.",
        1,
        width,
        Style::new(),
    );
    for ctx in [
        Context::Checklist,
        Context::Detail,
        Context::Evidence,
        Context::Object,
        Context::Commands,
        Context::Search,
        Context::Picker,
        Context::Global,
    ] {
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            format!(" {}", ctx.heading()),
            t.heading(),
        )));
        for b in keymap::BINDINGS.iter().filter(|b| b.context == ctx) {
            let keys = keymap::keys_label(b);
            let help_width = width.saturating_sub(KEY_COLUMN + 3).max(10);
            for (i, h) in text::wrap(b.help, help_width).into_iter().enumerate() {
                let key_cell = if i == 0 {
                    format!("   {:<w$}", keys, w = KEY_COLUMN)
                } else {
                    " ".repeat(KEY_COLUMN + 3)
                };
                out.push(Line::from(vec![
                    Span::styled(key_cell, t.key()),
                    Span::raw(h),
                ]));
            }
        }
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(" Statuses", t.heading())));
    for s in Status::ALL {
        let help_width = width.saturating_sub(KEY_COLUMN + 3).max(10);
        for (i, h) in text::wrap(meaning(s), help_width).into_iter().enumerate() {
            let cell = if i == 0 {
                format!("   {:<w$}", s.label(), w = KEY_COLUMN)
            } else {
                " ".repeat(KEY_COLUMN + 3)
            };
            out.push(Line::from(vec![
                Span::styled(cell, if i == 0 { t.status(s) } else { Style::new() }),
                Span::raw(h),
            ]));
        }
    }
    out
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let (width, height) = super::inner(area);
    let all = lines(app, width);
    let scroll = super::detail::clamp_scroll(app.help_scroll, all.len(), height);
    let mut block = Block::bordered()
        .title(" Help: keys and statuses (Esc or ? to go back) ")
        .border_style(app.theme.border(true));
    if all.len() > height {
        block = block.title_bottom(
            Line::from(format!(
                " lines {}-{} of {} ",
                scroll + 1,
                (scroll + height).min(all.len()),
                all.len()
            ))
            .right_aligned(),
        );
    }
    let shown: Vec<Line> = all.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}
