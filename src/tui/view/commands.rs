//! The commands view: only the fix commands, each from the first column, with no box, no numbers and
//! no markers on their lines, so that selecting them with the mouse (mouse capture is off here)
//! copies the commands and nothing else. The selected command is shown in reverse video; headings
//! are shell comments (`# Node/win-a: ...`), harmless when copied along.

use super::super::screens::{CommandLine, CommandsView};
use super::super::state::App;
use super::text;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Lines above the commands (a title and a blank line).
pub const HEAD_LINES: usize = 2;

/// Screen lines `line` takes at `width` columns.
pub fn height_of(line: &CommandLine, width: usize) -> usize {
    match line {
        CommandLine::Heading(h) => text::wrap_chars(h, width).len(),
        CommandLine::Command(c) => c
            .lines()
            .map(|l| text::wrap_chars(l, width).len())
            .sum::<usize>()
            .max(1),
    }
}

/// Index into `lines` of the `n`th command.
pub fn line_of_command(view: &CommandsView, n: usize) -> Option<usize> {
    view.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l, CommandLine::Command(_)))
        .nth(n)
        .map(|(i, _)| i)
}

/// The first line to show so that the selected command is on screen at `width` x `rows`.
pub fn scroll_for(view: &CommandsView, width: usize, rows: usize) -> usize {
    let Some(target) = line_of_command(view, view.selected) else {
        return 0;
    };
    let mut scroll = view.scroll.min(target);
    while scroll < target
        && view.lines[scroll..=target]
            .iter()
            .map(|l| height_of(l, width) + 1)
            .sum::<usize>()
            > rows
    {
        scroll += 1;
    }
    scroll
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(view) = &app.commands else {
        return;
    };
    let width = area.width as usize;
    let rows = (area.height as usize).saturating_sub(HEAD_LINES);
    let count = view.commands().len();
    let title = format!(
        "{} command{} of {} · ↑↓ select · Enter copies one · c all · a {} · {}",
        count,
        if count == 1 { "" } else { "s" },
        if view.all {
            "every finding of the check in scope"
        } else {
            "the selected finding"
        },
        if view.all {
            "one finding"
        } else {
            "all findings"
        },
        if app.mouse_captured {
            "M lets the mouse select text"
        } else {
            "the mouse selects text (M: scroll)"
        },
    );
    let mut lines: Vec<Line<'static>> = vec![
        Line::from(Span::styled(text::truncate(&title, width), t.title())),
        Line::default(),
    ];
    if count == 0 {
        lines.push(Line::from("The selected finding has no fix commands."));
    }
    let scroll = scroll_for(view, width, rows);
    let selected_line = line_of_command(view, view.selected);
    'fill: for (i, l) in view.lines.iter().enumerate().skip(scroll) {
        let (body, style) = match l {
            CommandLine::Heading(h) => (h.as_str(), t.reference()),
            CommandLine::Command(c) if Some(i) == selected_line => (c.as_str(), t.selected()),
            CommandLine::Command(c) => (c.as_str(), t.command()),
        };
        for source_line in body.lines() {
            for piece in text::wrap_chars(source_line, width) {
                if lines.len() >= rows + HEAD_LINES {
                    break 'fill;
                }
                lines.push(Line::from(Span::styled(piece, style)));
            }
        }
        if lines.len() >= rows + HEAD_LINES {
            break;
        }
        lines.push(Line::from(Span::styled(String::new(), Style::new())));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
