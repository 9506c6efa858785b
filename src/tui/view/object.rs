//! The object summary: a `kubectl describe`-like view of the Node, Pod or DaemonSet a finding is
//! about, as the run read it. It scrolls by summary line; Tab goes to the next related object.

use super::super::screens::ObjectView;
use super::super::state::App;
use super::text;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Number of summary lines that fit in the box `area` (at one screen line each).
pub fn text_rows(area: Rect) -> usize {
    super::inner(area).1
}

/// The first line to show so that the view stays inside the summary.
pub fn clamp_scroll(view: &ObjectView, rows: usize) -> usize {
    view.scroll
        .min(view.described.lines.len().saturating_sub(rows.max(1)))
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(view) = &app.object else {
        return;
    };
    let (width, height) = super::inner(area);
    let scroll = clamp_scroll(view, height);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut shown_to = scroll;
    'fill: for (i, l) in view.described.lines.iter().enumerate().skip(scroll) {
        let style = if l.heading { t.heading() } else { Style::new() };
        let indent = l.text.len() - l.text.trim_start().len();
        for (j, piece) in text::wrap_chars(&l.text, width.max(1))
            .into_iter()
            .enumerate()
        {
            if lines.len() >= height {
                break 'fill;
            }
            let piece = if j == 0 {
                piece
            } else {
                format!("{}{}", " ".repeat(indent + 2), piece.trim_start())
            };
            lines.push(Line::from(Span::styled(piece, style)));
        }
        shown_to = i + 1;
    }
    let title = format!(
        " {} · related object {}/{} (Tab: next) ",
        view.described.title,
        view.index + 1,
        view.objects.len()
    );
    let total = view.described.lines.len();
    let mut block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(true));
    if total > height {
        block = block.title_bottom(
            Line::from(format!(" lines {}-{} of {total} ", scroll + 1, shown_to)).right_aligned(),
        );
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
