//! The checklist: one row per check with its status (glyph and word), area, id, and the one line
//! that matters (the worst finding's message in scope and, while searching, matching the search;
//! what a pending check waits for, or the error of the input it needed; what changed since the
//! previous run). Status and counts follow the scope. The box title says how the list is scoped,
//! sorted and filtered.

use super::super::row::Row;
use super::super::state::{format_elapsed, App, RunState, Screen, SortMode, Waiting};
use super::text;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

const STATUS_WIDTH: usize = 7;
const AREA_WIDTH: usize = 10;
const ID_MAX_WIDTH: usize = 28;

/// Number of check rows that fit in the list box `area` (borders and column header excluded).
pub fn page_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// The first row to show so that the selected row is visible, starting from the stored offset.
pub fn clamp_offset(offset: usize, selected: usize, len: usize, rows: usize) -> usize {
    if rows == 0 {
        return selected;
    }
    let mut offset = offset.min(len.saturating_sub(rows));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + rows {
        offset = selected + 1 - rows;
    }
    offset
}

/// The status cell: the label of a finished row, or the spinner for a pending one.
fn status_label(app: &App, row: &Row) -> String {
    match row.scoped_status() {
        Some(s) => s.label().to_string(),
        None => format!("{} WAIT", app.spinner()),
    }
}

/// The one-line result of a row and its style.
pub fn result_line(app: &App, row: &Row) -> (String, Style) {
    let t = app.theme;
    if row.status().is_none() {
        let since = match app.run {
            RunState::Running { since } => app.clock.now.saturating_sub(since),
            RunState::Finished { .. } => Default::default(),
        };
        return match app.waiting_for(row) {
            Waiting::Failed(input, why) => (format!("input {input} failed: {why}"), t.error()),
            Waiting::Inputs(list) if list.is_empty() => {
                (format!("queued · {}", format_elapsed(since)), t.pending())
            }
            Waiting::Inputs(list) => (
                format!(
                    "waiting for {} · {}",
                    list.join(", "),
                    format_elapsed(since)
                ),
                t.pending(),
            ),
        };
    }
    let needle = app.search.trim().to_lowercase();
    let mut shown: Vec<usize> = row.scoped.clone();
    if !needle.is_empty() && shown.iter().any(|i| row.finding_matches(*i, &needle)) {
        shown.retain(|i| row.finding_matches(*i, &needle));
    }
    let findings = row.findings();
    let worst = shown
        .iter()
        .copied()
        .max_by_key(|i| (findings[*i].status.row_rank(), std::cmp::Reverse(*i)));
    let (new, gone) = row.changes();
    let mut text = String::new();
    if row.is_refreshing() {
        text.push_str(&format!("{} ", app.spinner()));
    }
    if new + gone > 0 {
        text.push_str(&format!("+{new} −{gone} · "));
    }
    let Some(worst) = worst else {
        text.push_str(if gone > 0 {
            "no finding in scope any more"
        } else {
            "finished without findings"
        });
        return (text, Style::new());
    };
    text.push_str(&findings[worst].message);
    let more = shown.len() - 1;
    if more > 0 {
        text.push_str(&format!(" (+{more} more)"));
    }
    (text, Style::new())
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let visible = app.visible();
    let focused = app.screen == Screen::Checklist;
    let mut title = format!(" Checks {}/{}", visible.len(), app.rows.len());
    if !app.scope.is_everything() {
        title.push_str(&format!(" about {}", app.scope.describe()));
    }
    title.push_str(&format!(
        " · sort: {} · filter: {}",
        app.sort.label(),
        app.status_filter.label()
    ));
    if let Some(a) = app.area_filter {
        title.push_str(&format!(" · area: {}", a.as_str()));
    }
    if !app.search.is_empty() {
        title.push_str(&format!(" · search: \"{}\"", app.search));
    }
    title.push(' ');
    let rows_fit = page_rows(area);
    let selected = app.selected_pos(&visible);
    let offset = selected.map_or(0, |s| {
        clamp_offset(app.list_offset, s, visible.len(), rows_fit)
    });
    let mut block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(focused));
    if visible.len() > rows_fit {
        block = block.title_bottom(
            Line::from(format!(
                " {}-{} of {} ",
                offset + 1,
                (offset + rows_fit).min(visible.len()),
                visible.len()
            ))
            .right_aligned(),
        );
    }

    if visible.is_empty() {
        let msg = if app.rows.is_empty() {
            "No check is selected (--only/--skip left none)."
        } else if !app.scope.is_everything() {
            "No check has a finding in this scope that matches the filter or search. x clears the filters; N or A changes the scope."
        } else {
            "No check matches the filter or search. Press x to clear them."
        };
        frame.render_widget(
            Paragraph::new(format!(" {msg}"))
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    }

    let inner_width = area.width.saturating_sub(2) as usize;
    // Below 100 columns the area column gives its room to the result, unless sorting by area.
    let show_area = inner_width >= 98 || app.sort == SortMode::Area;
    let id_width = visible
        .iter()
        .map(|i| text::width(&app.rows[*i].info.id))
        .max()
        .unwrap_or(0)
        .min(ID_MAX_WIDTH)
        // On narrow terminals ids give way so the result keeps some room.
        .min((inner_width * 2 / 5).max(12));
    let fixed = 2 + STATUS_WIDTH + 1 + id_width + 1 + if show_area { AREA_WIDTH + 1 } else { 0 };
    let result_width = inner_width.saturating_sub(fixed).max(1);

    // A `>` marks the selected row besides reverse video, for monochrome and screen captures.
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(STATUS_WIDTH as u16),
    ];
    let mut header = vec![Cell::from(""), Cell::from("STATUS")];
    if show_area {
        widths.push(Constraint::Length(AREA_WIDTH as u16));
        header.push(Cell::from("AREA"));
    }
    widths.push(Constraint::Length(id_width as u16));
    widths.push(Constraint::Fill(1));
    header.push(Cell::from("CHECK"));
    header.push(Cell::from("RESULT"));

    let rows: Vec<TableRow> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_fit)
        .map(|(pos, i)| {
            let row = &app.rows[*i];
            let (result, result_style) = result_line(app, row);
            let marker = if Some(pos) == selected { ">" } else { " " };
            let mut cells = vec![
                Cell::from(marker),
                Cell::from(Span::styled(
                    status_label(app, row),
                    t.row_status(row.scoped_status()),
                )),
            ];
            if show_area {
                cells.push(Cell::from(row.info.area.as_str()));
            }
            cells.push(Cell::from(text::truncate(&row.info.id, id_width)));
            cells.push(Cell::from(Span::styled(
                text::truncate(&result, result_width),
                result_style,
            )));
            let r = TableRow::new(cells);
            if Some(pos) == selected {
                r.style(t.selected())
            } else {
                r
            }
        })
        .collect();

    let table = Table::new(rows, widths)
        .header(TableRow::new(header).style(t.title()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_follows_the_selection() {
        assert_eq!(clamp_offset(0, 3, 26, 10), 0);
        assert_eq!(clamp_offset(0, 12, 26, 10), 3);
        assert_eq!(clamp_offset(5, 2, 26, 10), 2);
        // A list that shrank does not leave empty rows at the bottom.
        assert_eq!(clamp_offset(20, 4, 5, 10), 0);
    }
}
