//! The node and namespace pickers, drawn over the body: the filter being typed, then one line per
//! node (worst status of its findings, problem count, Windows build, container runtime, kubelet,
//! Ready) or namespace (worst status, problems, findings). The first line stands for all of them.

use super::super::screens::{Picker, PickerKind};
use super::super::state::App;
use super::text;
use crate::findings::Status;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

/// Where the picker goes over the body `body`.
pub fn area(body: Rect) -> Rect {
    let width = body.width.saturating_sub(2).min(120);
    let height = body.height.saturating_sub(2).max(3);
    Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    )
}

/// Number of entries that fit in the picker box `area` (filter line, column header, borders).
pub fn page_rows(area: Rect) -> usize {
    area.height.saturating_sub(4) as usize
}

fn status_cell(app: &App, worst: Option<Status>) -> Cell<'static> {
    match worst {
        Some(s) => Cell::from(Span::styled(s.label(), app.theme.status(s))),
        None => Cell::from("-"),
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(p) = &app.picker else {
        return;
    };
    frame.render_widget(Clear, area);
    let items = p.items();
    let rows_fit = page_rows(area);
    let selected = p.selected.min(items.len().saturating_sub(1));
    let offset = super::checklist::clamp_offset(p.offset, selected, items.len(), rows_fit);
    let (count, noun) = match p.kind {
        PickerKind::Node => (p.nodes.len(), "nodes (Windows, and any a finding names)"),
        PickerKind::Namespace => (p.namespaces.len(), "namespaces findings are about"),
    };
    let title = format!(
        " Pick a {}: {count} {noun} · type to filter · Enter picks · Esc cancels ",
        p.noun()
    );
    let mut block = Block::bordered()
        .title(Line::from(text::truncate(
            &title,
            area.width.saturating_sub(2) as usize,
        )))
        .border_style(t.border(true));
    if items.len() > rows_fit {
        block = block.title_bottom(
            Line::from(format!(
                " {}-{} of {} ",
                offset + 1,
                (offset + rows_fit).min(items.len()),
                items.len()
            ))
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let filter = Line::from(vec![
        Span::styled(format!("{} ", p.noun()), t.key()),
        Span::raw(p.filter.clone()),
        Span::styled("_", t.key()),
    ]);
    frame.render_widget(
        Paragraph::new(filter),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let table_area = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    );
    let table = match p.kind {
        PickerKind::Node => node_table(app, p, &items, selected, offset, rows_fit),
        PickerKind::Namespace => namespace_table(app, p, &items, selected, offset, rows_fit),
    };
    frame.render_widget(table, table_area);
}

fn node_table<'a>(
    app: &App,
    p: &Picker,
    items: &[Option<usize>],
    selected: usize,
    offset: usize,
    rows_fit: usize,
) -> Table<'a> {
    let t = app.theme;
    let current = app.scope.node.as_deref();
    let wide = app.viewport.0 >= 100;
    let rows: Vec<TableRow> = items
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_fit)
        .map(|(pos, item)| {
            let marker = if pos == selected { ">" } else { " " };
            let cells = match item.and_then(|i| p.nodes.get(i)) {
                None => vec![
                    Cell::from(marker),
                    Cell::from(if current.is_none() {
                        "(all nodes) ◀"
                    } else {
                        "(all nodes)"
                    }),
                ],
                Some(n) => {
                    let s = n.summary.as_ref();
                    let name = if current == Some(n.name.as_str()) {
                        format!("{} ◀", n.name)
                    } else {
                        n.name.clone()
                    };
                    let mut cells = vec![
                        Cell::from(marker),
                        Cell::from(name),
                        status_cell(app, n.worst),
                        Cell::from(format!("{:>4}", n.problems)),
                        Cell::from(
                            s.and_then(|s| s.build)
                                .map_or("-".into(), |b| b.to_string()),
                        ),
                        Cell::from(s.map_or("-".to_string(), |s| s.container_runtime.clone())),
                    ];
                    if wide {
                        cells.push(Cell::from(
                            s.map_or("-".to_string(), |s| s.kubelet_version.clone()),
                        ));
                    }
                    cells.push(Cell::from(s.map_or("-", |s| {
                        if s.ready {
                            "Ready"
                        } else {
                            "NotReady"
                        }
                    })));
                    cells
                }
            };
            let r = TableRow::new(cells);
            if pos == selected {
                r.style(t.selected())
            } else {
                r
            }
        })
        .collect();
    let mut names = vec!["", "NODE", "WORST", "PROB", "BUILD", "RUNTIME"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Fill(2),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Fill(1),
    ];
    if wide {
        names.push("KUBELET");
        widths.push(Constraint::Length(8));
    }
    names.push("READY");
    widths.push(Constraint::Length(8));
    let header = TableRow::new(names.into_iter().map(Cell::from)).style(t.title());
    Table::new(rows, widths).header(header).column_spacing(1)
}

fn namespace_table<'a>(
    app: &App,
    p: &Picker,
    items: &[Option<usize>],
    selected: usize,
    offset: usize,
    rows_fit: usize,
) -> Table<'a> {
    let t = app.theme;
    let current = app.scope.namespace.as_deref();
    let rows: Vec<TableRow> = items
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_fit)
        .map(|(pos, item)| {
            let marker = if pos == selected { ">" } else { " " };
            let cells = match item.and_then(|i| p.namespaces.get(i)) {
                None => vec![
                    Cell::from(marker),
                    Cell::from(if current.is_none() {
                        "(all namespaces) ◀"
                    } else {
                        "(all namespaces)"
                    }),
                ],
                Some(n) => vec![
                    Cell::from(marker),
                    Cell::from(if current == Some(n.name.as_str()) {
                        format!("{} ◀", n.name)
                    } else {
                        n.name.clone()
                    }),
                    status_cell(app, n.worst),
                    Cell::from(format!("{:>4}", n.problems)),
                    Cell::from(format!("{:>8}", n.findings)),
                ],
            };
            let r = TableRow::new(cells);
            if pos == selected {
                r.style(t.selected())
            } else {
                r
            }
        })
        .collect();
    let header = TableRow::new(["", "NAMESPACE", "WORST", "PROB", "FINDINGS"].map(Cell::from))
        .style(t.title());
    Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(8),
        ],
    )
    .header(header)
    .column_spacing(1)
}
