//! The details of one check: what it checks (the catalogue explanation and the inputs it reads), each
//! finding with its subject, message, evidence excerpts and fix (text and the commands with the real
//! values), and the seed-documentation sections it implements. The text is laid out here, line by
//! line, so that the update function can scroll to the selected finding.

use super::super::state::{format_elapsed, App, InputState, Row, RunState, Screen, Waiting};
use super::text;
use crate::facts::InputOutcome;
use crate::findings::Finding;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// The laid-out details and the line where each finding starts and ends (exclusive).
pub struct DetailText {
    pub lines: Vec<Line<'static>>,
    pub findings: Vec<(usize, usize)>,
}

/// Lays out the details of `row` for a text width of `width` columns.
pub fn build(app: &App, row: &Row, width: usize) -> DetailText {
    let t = app.theme;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let status = row.status();
    let label = match status {
        Some(s) => s.label().to_string(),
        None => format!("{} WAIT", app.spinner()),
    };
    let label_width = text::width(&label) + 2;
    for (i, l) in text::wrap(&row.info.title, width.saturating_sub(label_width))
        .into_iter()
        .enumerate()
    {
        let first = if i == 0 {
            Span::styled(format!("{label}  "), t.row_status(status))
        } else {
            Span::raw(" ".repeat(label_width))
        };
        lines.push(Line::from(vec![first, Span::styled(l, t.title())]));
    }
    let state = match (&row.state, app.run) {
        (super::super::state::RowState::Done { elapsed, findings }, _) => format!(
            "{} finding{} · took {:.1} ms",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            elapsed.as_secs_f64() * 1000.0
        ),
        (_, RunState::Running { since }) => format!(
            "pending for {}",
            format_elapsed(app.clock.now.saturating_sub(since))
        ),
        (_, RunState::Finished { .. }) => "not run".to_string(),
    };
    lines.extend(text::block(
        &format!(
            "{} · area {} · {state}",
            row.info.id,
            row.info.area.as_str()
        ),
        0,
        width,
        Style::new(),
    ));
    lines.push(Line::default());

    let mut spans = Vec::new();
    let mut finding_ranges = Vec::new();
    if status.is_none() {
        lines.push(Line::from(Span::styled("Findings", t.heading())));
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
    } else {
        let findings = row.findings_worst_first();
        spans.push(Span::styled(
            format!("Findings ({})", findings.len()),
            t.heading(),
        ));
        if findings.len() > 1 {
            spans.push(Span::raw("  Tab selects the next one; c copies its fix"));
        } else {
            spans.push(Span::raw("  c copies the fix"));
        }
        lines.push(Line::from(std::mem::take(&mut spans)));
        let selected = app.detail_finding.min(findings.len().saturating_sub(1));
        for (i, f) in findings.iter().enumerate() {
            let start = lines.len();
            finding_lines(app, f, i == selected, width, &mut lines);
            finding_ranges.push((start, lines.len()));
        }
    }

    if status.is_none() {
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled("What is checked", t.heading())));
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
    DetailText {
        lines,
        findings: finding_ranges,
    }
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

fn finding_lines(
    app: &App,
    f: &Finding,
    selected: bool,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let t = app.theme;
    let marker = if selected { ">" } else { " " };
    let subject = text::truncate(
        &f.subject.display(),
        width.saturating_sub(text::width(f.status.label()) + 4),
    );
    let mut head = Line::from(vec![
        Span::raw(format!("{marker} ")),
        Span::styled(f.status.label(), t.status(f.status)),
        Span::raw("  "),
        Span::styled(subject, t.title()),
    ]);
    if selected {
        head = head.style(t.selected());
    }
    lines.push(head);
    lines.extend(text::block(&f.message, 4, width, Style::new()));
    if !f.evidence.is_empty() {
        lines.push(Line::from(Span::styled("    Evidence", t.title())));
        for e in &f.evidence {
            lines.extend(text::block(
                &format!("[{}] {}", e.source.as_str(), e.reference),
                6,
                width,
                t.reference(),
            ));
            for l in text::verbatim(&e.excerpt, 8, width, Style::new()) {
                lines.push(l);
            }
        }
    }
    if let Some(fix) = &f.fix {
        lines.push(Line::from(Span::styled("    Fix", t.title())));
        if !fix.text.is_empty() {
            lines.extend(text::block(&fix.text, 6, width, Style::new()));
        }
        for (place, commands) in crate::findings::group_by_place(fix) {
            let heading = if fix.steps.is_empty() {
                "Run"
            } else {
                place.heading()
            };
            lines.push(Line::from(Span::styled(
                format!("    {heading}"),
                t.title(),
            )));
            for (c, meta) in commands {
                lines.extend(text::verbatim(c, 6, width, t.command()));
                let marks = meta.marks();
                if !fix.steps.is_empty() && !marks.is_empty() {
                    lines.push(Line::from(Span::styled(
                        format!("      {marks}"),
                        t.reference(),
                    )));
                }
            }
        }
    }
    lines.push(Line::default());
}

/// The scroll position to render: the stored one, kept inside the text.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let focused = app.screen == Screen::Detail;
    let (width, height) = super::inner(area);
    let Some(row) = app.selected_row() else {
        let block = Block::bordered()
            .title(" Details ")
            .border_style(t.border(focused));
        frame.render_widget(Paragraph::new(" No check selected.").block(block), area);
        return;
    };
    let detail = build(app, row, width.saturating_sub(1));
    let scroll = clamp_scroll(app.detail_scroll, detail.lines.len(), height);
    let mut block = Block::bordered()
        .title(Line::from(text::truncate(
            &format!(" {} ", row.info.id),
            area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(focused));
    if detail.lines.len() > height {
        block = block.title_bottom(
            Line::from(format!(
                " lines {}-{} of {} ",
                scroll + 1,
                (scroll + height).min(detail.lines.len()),
                detail.lines.len()
            ))
            .right_aligned(),
        );
    }
    let lines: Vec<Line> = detail.lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(lines).block(block).style(Style::new()), area);
}
