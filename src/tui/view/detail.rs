//! The details of one check: a findings table (what changed since the previous run, status, node,
//! subject, message; sorted and filtered as the operator chose, narrowed to the scope) over a pane
//! with the selected finding: its message, evidence (numbered; Enter opens the whole text), fix and
//! numbered commands, then what the check looks at and the documentation it implements. A check that
//! has not reported yet shows what it waits for instead of the table.

use super::super::row::{Entry, Row};
use super::super::state::{format_elapsed, App, InputState, RunState, Screen, Waiting};
use super::text;
use crate::facts::InputOutcome;
use crate::findings::Finding;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

const STATUS_WIDTH: usize = 7;

/// Where the table and the pane go in the details box `area`, for a table of `entries` lines.
pub fn split(area: Rect, entries: usize) -> (Rect, Rect) {
    let want = (entries as u16).saturating_add(3);
    let max = (area.height * 2 / 5).max(6);
    let table_height = want.clamp(4, max).min(area.height.saturating_sub(3));
    let [table, pane] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(1)]).areas(area);
    (table, pane)
}

/// Number of findings that fit in the table box `table` (borders and column header excluded).
pub fn table_rows(table: Rect) -> usize {
    table.height.saturating_sub(3) as usize
}

/// The scroll position to render: the stored one, kept inside the text.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let focused = app.screen == Screen::Detail;
    let Some(row) = app.selected_row() else {
        let block = Block::bordered()
            .title(" Details ")
            .border_style(t.border(focused));
        frame.render_widget(Paragraph::new(" No check selected.").block(block), area);
        return;
    };
    if row.status().is_none() {
        render_pending(frame, app, row, area, focused);
        return;
    }
    let entries = app.entries(row);
    let (table_area, pane_area) = split(area, entries.len());
    render_table(frame, app, row, &entries, table_area, focused);
    let selected = app.detail.selected.min(entries.len().saturating_sub(1));
    let (pane_width, pane_height) = super::inner(pane_area);
    let entry = entries.get(selected).copied();
    let lines = pane_lines(app, row, entry, pane_width.saturating_sub(1));
    let scroll = clamp_scroll(app.detail.scroll, lines.len(), pane_height);
    let title = match entry.and_then(|e| row.entry(e)) {
        Some(f) => format!(" {} {} ", f.status.label(), f.subject.display()),
        None => format!(" {} ", row.info.id),
    };
    let mut block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            pane_area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(focused));
    if lines.len() > pane_height {
        block = block.title_bottom(
            Line::from(format!(
                " lines {}-{} of {} ",
                scroll + 1,
                (scroll + pane_height).min(lines.len()),
                lines.len()
            ))
            .right_aligned(),
        );
    }
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(pane_height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), pane_area);
}

fn render_table(
    frame: &mut Frame,
    app: &App,
    row: &Row,
    entries: &[Entry],
    area: Rect,
    focused: bool,
) {
    let t = app.theme;
    let in_scope = row.scoped.len();
    let mut title = format!(
        " {} · {} · {} finding{}",
        row.info.id,
        row.scoped_status().map_or("WAIT", |s| s.label()),
        in_scope,
        if in_scope == 1 { "" } else { "s" }
    );
    if !app.scope.is_everything() {
        title.push_str(&format!(" about {}", app.scope.describe()));
    }
    if row.is_refreshing() {
        title.push_str(&format!(" · {} refreshing", app.spinner()));
    }
    if !app.detail.search.is_empty() {
        title.push_str(&format!(
            " · search \"{}\": {}",
            app.detail.search,
            entries.len()
        ));
    }
    title.push(' ');
    let rows_fit = table_rows(area);
    let selected = app.detail.selected.min(entries.len().saturating_sub(1));
    let offset =
        super::checklist::clamp_offset(app.detail.offset, selected, entries.len(), rows_fit);
    let sort = format!(
        " sort: {}{} ",
        app.detail.sort.label(),
        if app.detail.reverse {
            " (reversed)"
        } else {
            ""
        }
    );
    let bottom = if entries.len() > rows_fit {
        format!(
            " {}-{} of {} ·{sort}",
            offset + 1,
            (offset + rows_fit).min(entries.len()),
            entries.len()
        )
    } else {
        sort
    };
    let block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            area.width.saturating_sub(2) as usize,
        )))
        .title_bottom(Line::from(bottom).right_aligned())
        .border_style(t.border(focused));
    if entries.is_empty() {
        let msg = if app.detail.search.is_empty() {
            " No finding of this check is in scope (N or A changes the scope)."
        } else {
            " No finding matches the search (x clears it)."
        };
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    }
    let inner_width = area.width.saturating_sub(2) as usize;
    let findings: Vec<&Finding> = entries.iter().filter_map(|e| row.entry(*e)).collect();
    // A node column when findings name a node their subject does not already show.
    let node_width = findings
        .iter()
        .filter_map(|f| {
            f.node
                .as_deref()
                .filter(|n| !(f.subject.kind == "Node" && f.subject.name == *n))
        })
        .map(text::width)
        .max()
        .unwrap_or(0)
        .min(24);
    let show_node = node_width > 0 && inner_width >= 100;
    let subject_width = findings
        .iter()
        .map(|f| text::width(&f.subject.display()))
        .max()
        .unwrap_or(0)
        .min(inner_width * 2 / 5)
        .max(8);
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(STATUS_WIDTH as u16),
    ];
    let mut header = vec![Cell::from(""), Cell::from("Δ"), Cell::from("STATUS")];
    if show_node {
        widths.push(Constraint::Length(node_width.max(4) as u16));
        header.push(Cell::from("NODE"));
    }
    widths.push(Constraint::Length(subject_width as u16));
    widths.push(Constraint::Fill(1));
    header.push(Cell::from("SUBJECT"));
    header.push(Cell::from("MESSAGE"));
    let fixed = 1
        + 1
        + 1
        + 1
        + STATUS_WIDTH
        + 1
        + if show_node { node_width.max(4) + 1 } else { 0 }
        + subject_width
        + 1;
    let message_width = inner_width.saturating_sub(fixed).max(1);

    let lines: Vec<TableRow> = entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_fit)
        .filter_map(|(pos, e)| {
            let f = row.entry(*e)?;
            let (change, gone) = match e {
                Entry::Current(i) if row.is_fresh(*i) => ("+", false),
                Entry::Current(_) => (" ", false),
                Entry::Gone(_) => ("−", true),
            };
            let marker = if pos == selected { ">" } else { " " };
            let mut cells = vec![
                Cell::from(marker),
                Cell::from(change),
                Cell::from(Span::styled(f.status.label(), t.status(f.status))),
            ];
            if show_node {
                cells.push(Cell::from(text::truncate(
                    f.node.as_deref().unwrap_or(""),
                    node_width.max(4),
                )));
            }
            cells.push(Cell::from(text::truncate(
                &f.subject.display(),
                subject_width,
            )));
            let message = if gone {
                format!("gone: {}", f.message)
            } else {
                f.message.clone()
            };
            cells.push(Cell::from(text::truncate(&message, message_width)));
            let mut r = TableRow::new(cells);
            if gone {
                r = r.style(Style::new().add_modifier(Modifier::DIM | Modifier::CROSSED_OUT));
            }
            if pos == selected {
                r = r.style(t.selected());
            }
            Some(r)
        })
        .collect();
    let table = Table::new(lines, widths)
        .header(TableRow::new(header).style(t.title()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// The pane of the selected finding, laid out for `width` columns.
pub fn pane_lines(app: &App, row: &Row, entry: Option<Entry>, width: usize) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let finding = entry.and_then(|e| row.entry(e));
    if let Some(f) = finding {
        match entry {
            Some(Entry::Gone(_)) => lines.extend(text::block(
                "Gone: the previous run reported this finding, the latest run does not.",
                0,
                width,
                t.good(),
            )),
            Some(Entry::Current(i)) if row.is_fresh(i) => lines.extend(text::block(
                "New: the previous run did not report this finding.",
                0,
                width,
                t.title(),
            )),
            _ => {}
        }
        lines.extend(text::block(&f.message, 0, width, Style::new()));
        if let Some(node) = &f.node {
            if !(f.subject.kind == "Node" && &f.subject.name == node) {
                lines.extend(text::block(
                    &format!("Node: {node}"),
                    0,
                    width,
                    Style::new(),
                ));
            }
        }
        finding_lines(app, f, width, &mut lines);
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!("What {} checks", row.info.id),
        t.heading(),
    )));
    lines.extend(text::block(&row.info.title, 2, width, t.title()));
    if !row.info.explanation.is_empty() {
        lines.extend(text::block(&row.info.explanation, 2, width, Style::new()));
    }
    if !row.info.inputs.is_empty() {
        let inputs: Vec<String> = row
            .info
            .inputs
            .iter()
            .map(|i| input_state(app, i))
            .collect();
        lines.extend(text::block(
            &format!("Reads: {}", inputs.join(", ")),
            2,
            width,
            Style::new(),
        ));
    }
    if let super::super::row::RowState::Done { elapsed, findings } = &row.state {
        lines.extend(text::block(
            &format!(
                "{} finding{} in all · area {} · took {:.1} ms",
                findings.len(),
                if findings.len() == 1 { "" } else { "s" },
                row.info.area.as_str(),
                elapsed.as_secs_f64() * 1000.0
            ),
            2,
            width,
            Style::new(),
        ));
    }
    if !row.info.docs.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "Documentation (seed sections this check implements)",
            t.heading(),
        )));
        for d in &row.info.docs {
            lines.extend(text::block(
                &format!("§ {}", d.section),
                2,
                width,
                Style::new(),
            ));
            lines.extend(text::block(&d.file, 4, width, t.reference()));
            if let Some(url) = &d.url {
                lines.extend(text::verbatim(url, 4, width, t.reference()));
            }
        }
    }
    lines
}

fn finding_lines(app: &App, f: &Finding, width: usize, lines: &mut Vec<Line<'static>>) {
    let t = app.theme;
    if !f.evidence.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("Evidence", t.heading()),
            Span::raw("  Enter opens the whole text · o the object"),
        ]));
        for (i, e) in f.evidence.iter().enumerate() {
            let head = format!("[{}] {}", e.source.as_str(), e.reference);
            for (j, l) in text::wrap(&head, width.saturating_sub(4))
                .into_iter()
                .enumerate()
            {
                let number = if j == 0 {
                    format!("{:>2}  ", i + 1)
                } else {
                    "    ".to_string()
                };
                lines.push(Line::from(vec![
                    Span::styled(number, t.key()),
                    Span::styled(l, t.reference()),
                ]));
            }
            lines.extend(text::verbatim(&e.excerpt, 8, width, Style::new()));
        }
    }
    if let Some(fix) = &f.fix {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("Fix", t.heading())));
        if !fix.text.is_empty() {
            lines.extend(text::block(&fix.text, 2, width, Style::new()));
        }
        if !fix.commands.is_empty() {
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled("Commands", t.heading()),
                Span::raw("  1-9 copies one · c all · C shows them alone"),
            ]));
        }
        for (i, c) in fix.commands.iter().enumerate() {
            for (j, l) in text::verbatim(c, 4, width, t.command())
                .into_iter()
                .enumerate()
            {
                if j == 0 && i < 9 {
                    let mut spans = vec![Span::styled(format!("{:>2}  ", i + 1), t.key())];
                    spans.extend(l.spans.into_iter().skip(1));
                    lines.push(Line::from(spans));
                } else {
                    lines.push(l);
                }
            }
        }
    }
}

fn render_pending(frame: &mut Frame, app: &App, row: &Row, area: Rect, focused: bool) {
    let t = app.theme;
    let (width, height) = super::inner(area);
    let width = width.saturating_sub(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.push(Line::from(vec![
        Span::styled(format!("{} WAIT  ", app.spinner()), t.pending()),
        Span::styled(row.info.title.clone(), t.title()),
    ]));
    let since = match app.run {
        RunState::Running { since } => format!(
            "pending for {}",
            format_elapsed(app.clock.now.saturating_sub(since))
        ),
        RunState::Finished { .. } => "not run".to_string(),
    };
    lines.extend(text::block(
        &format!(
            "{} · area {} · {since}",
            row.info.id,
            row.info.area.as_str()
        ),
        0,
        width,
        Style::new(),
    ));
    lines.push(Line::default());
    let (msg, style) = match app.waiting_for(row) {
        Waiting::Failed(input, why) => (
            format!(
                "Input {input} could not be read: {why}. The check will report it as an error."
            ),
            t.error(),
        ),
        Waiting::Inputs(list) if list.is_empty() => (
            "Queued: its inputs are in; it runs next.".to_string(),
            t.pending(),
        ),
        Waiting::Inputs(list) => (
            format!("Waiting for {} to be read.", list.join(", ")),
            t.pending(),
        ),
    };
    lines.extend(text::block(&msg, 2, width, style));
    let rest = pane_lines(app, row, None, width);
    lines.extend(rest);
    let scroll = clamp_scroll(app.detail.scroll, lines.len(), height);
    let block = Block::bordered()
        .title(Line::from(text::truncate(
            &format!(" {} ", row.info.id),
            area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(focused));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

fn input_state(app: &App, input: &str) -> String {
    match app.inputs.get(input) {
        None => input.to_string(),
        Some(InputState::Reading { since }) => format!(
            "{input} (reading {})",
            format_elapsed(app.clock.now.saturating_sub(*since))
        ),
        Some(InputState::Done { outcome }) => match outcome {
            InputOutcome::Ready(n) => format!("{input} (read, {n})"),
            InputOutcome::Missing(why) => format!("{input} (missing: {why})"),
            InputOutcome::Failed(why) => format!("{input} (FAILED: {why})"),
        },
    }
}
