//! The evidence viewer: the whole text one piece of evidence was cut from (a log tail, an event, a
//! file), with line numbers, the lines the excerpt came from marked with `▶` and reverse video, and
//! long lines wrapped under their number. It scrolls by source line.

use super::super::screens::EvidenceView;
use super::super::state::App;
use super::text;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Lines of the box above the text (what the text is, how the marks were found).
pub const HEAD_LINES: usize = 2;

/// Number of text lines that fit in the viewer box `area` (at one screen line each).
pub fn text_rows(area: Rect) -> usize {
    super::inner(area).1.saturating_sub(HEAD_LINES)
}

/// The first line to show so that the view stays inside the text.
pub fn clamp_scroll(view: &EvidenceView, rows: usize) -> usize {
    view.scroll
        .min(view.text.lines.len().saturating_sub(rows.max(1)))
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(view) = &app.evidence else {
        return;
    };
    let (width, _) = super::inner(area);
    let rows = text_rows(area);
    let total = view.finding.evidence.len();
    let title = format!(
        " Evidence {}/{} of {} · {} {} ",
        view.index + 1,
        total,
        view.finding.check,
        view.finding.status.label(),
        view.finding.subject.display()
    );
    let scroll = clamp_scroll(view, rows);
    let digits = view.text.lines.len().max(1).to_string().len();
    let gutter = digits + 2;
    let mut lines: Vec<Line<'static>> = vec![
        Line::from(Span::styled(
            text::truncate(&view.text.title, width),
            t.title(),
        )),
        Line::from(Span::styled(
            text::truncate(&view.text.note, width),
            t.reference(),
        )),
    ];
    let mut shown_to = scroll;
    'fill: for (i, l) in view.text.lines.iter().enumerate().skip(scroll) {
        let marked = view.text.marked.binary_search(&i).is_ok();
        let style = if marked { t.selected() } else { Style::new() };
        let pieces = text::wrap_chars(l, width.saturating_sub(gutter).max(1));
        for (j, piece) in pieces.into_iter().enumerate() {
            if lines.len() >= rows + HEAD_LINES {
                break 'fill;
            }
            let number = if j == 0 {
                format!("{:>digits$}{} ", i + 1, if marked { '▶' } else { ' ' })
            } else {
                " ".repeat(gutter)
            };
            lines.push(Line::from(vec![
                Span::styled(number, t.reference()),
                Span::styled(piece, style),
            ]));
        }
        shown_to = i + 1;
    }
    let marks = view.text.marked.len();
    let bottom = format!(
        " lines {}-{} of {}{} ",
        scroll + 1,
        shown_to.max(scroll + 1).min(view.text.lines.len().max(1)),
        view.text.lines.len(),
        match marks {
            0 => String::new(),
            1 => " · 1 marked".to_string(),
            n => format!(" · {n} marked (n/p jump)"),
        }
    );
    let block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            area.width.saturating_sub(2) as usize,
        )))
        .title_bottom(Line::from(bottom).right_aligned())
        .border_style(t.border(true));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
