//! Moving around: the checklist selection, the findings table selection, scrolling the finding's
//! pane, the evidence viewer, object summaries, the commands view, help and the pickers; mouse wheel
//! and clicks; and the geometry of the current screen these need (page sizes, scroll limits).

use super::super::state::{App, Screen};
use super::super::view::{self, checklist, commands, detail, evidence, object, picker};
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

fn screen_rect(app: &App) -> Rect {
    let (w, h) = app.viewport;
    Rect::new(0, 0, w, h)
}

fn scroll_by(pos: usize, delta: isize, max: usize) -> usize {
    (pos as isize).saturating_add(delta).clamp(0, max as isize) as usize
}

/// One step (or, with a huge `delta`, to the top or bottom) on the current screen.
pub fn step(app: &mut App, delta: isize) {
    if app.picker.is_some() {
        move_picker(app, delta);
        return;
    }
    match app.screen {
        Screen::Checklist => move_selection(app, delta),
        Screen::Detail => select_finding(app, delta),
        Screen::Evidence => scroll_evidence(app, delta),
        Screen::Object => scroll_object(app, delta),
        Screen::Commands => move_command(app, delta),
        Screen::Help => app.help_scroll = scroll_by(app.help_scroll, delta, help_max(app)),
    }
}

/// One page up (`dir` -1) or down (1) on the current screen.
pub fn page(app: &mut App, dir: isize) {
    let body = view::body(screen_rect(app));
    if app.picker.is_some() {
        let rows = picker::page_rows(picker::area(body)).max(2) - 1;
        move_picker(app, dir * rows as isize);
        return;
    }
    let rows = |r: Option<Rect>, f: fn(Rect) -> usize| r.map_or(1, f).saturating_sub(1).max(1);
    let areas = view::app_areas(app);
    match app.screen {
        Screen::Checklist => {
            move_selection(app, dir * rows(areas.list, checklist::page_rows) as isize)
        }
        Screen::Detail => {
            let (_, pane) = detail_areas(app);
            let height = view::inner(pane).1.saturating_sub(1).max(1);
            app.detail.scroll = scroll_by(app.detail.scroll, dir * height as isize, pane_max(app));
        }
        Screen::Evidence => {
            scroll_evidence(app, dir * rows(areas.main, evidence::text_rows) as isize)
        }
        Screen::Object => scroll_object(app, dir * rows(areas.main, object::text_rows) as isize),
        Screen::Commands => move_command(app, dir * 5),
        Screen::Help => {
            let height = view::inner(body).1.saturating_sub(1).max(1);
            app.help_scroll = scroll_by(app.help_scroll, dir * height as isize, help_max(app));
        }
    }
}

/// Moves the checklist selection by `delta` rows (clamped), keeping it on screen.
pub fn move_selection(app: &mut App, delta: isize) {
    let visible = app.visible();
    let Some(pos) = app.selected_pos(&visible) else {
        return;
    };
    let new = scroll_by(pos, delta, visible.len() - 1);
    select_pos(app, &visible, new);
}

fn select_pos(app: &mut App, visible: &[usize], pos: usize) {
    let id = app.rows[visible[pos]].info.id.clone();
    if app.selected.as_deref() != Some(id.as_str()) {
        reset_finding(app);
    }
    app.selected = Some(id);
    let rows = view::app_areas(app).list.map_or(1, checklist::page_rows);
    app.list_offset = checklist::clamp_offset(app.list_offset, pos, visible.len(), rows);
}

/// Back to the first finding of the table, its pane at the top.
pub fn reset_finding(app: &mut App) {
    app.detail.selected = 0;
    app.detail.offset = 0;
    app.detail.scroll = 0;
}

/// The findings table and the finding's pane at the current size.
fn detail_areas(app: &App) -> (Rect, Rect) {
    let area = view::app_areas(app)
        .detail
        .or_else(|| view::areas(screen_rect(app), Screen::Detail).detail)
        .unwrap_or_default();
    let entries = app.selected_row().map_or(0, |r| app.entries(r).len());
    detail::split(area, entries)
}

/// Selects the finding `delta` lines down the table (clamped), keeping it on screen.
pub fn select_finding(app: &mut App, delta: isize) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let n = app.entries(row).len();
    if n == 0 {
        return;
    }
    let current = app.detail.selected.min(n - 1);
    let new = scroll_by(current, delta, n - 1);
    if new != app.detail.selected {
        app.detail.scroll = 0;
    }
    app.detail.selected = new;
    let (table, _) = detail_areas(app);
    app.detail.offset =
        checklist::clamp_offset(app.detail.offset, new, n, detail::table_rows(table));
}

fn pane_max(app: &App) -> usize {
    let Some(row) = app.selected_row() else {
        return 0;
    };
    let (_, pane) = detail_areas(app);
    let (width, height) = view::inner(pane);
    let entries = app.entries(row);
    let entry = entries
        .get(app.detail.selected.min(entries.len().saturating_sub(1)))
        .copied();
    detail::pane_lines(app, row, entry, width.saturating_sub(1))
        .len()
        .saturating_sub(height)
}

fn help_max(app: &App) -> usize {
    let (width, height) = view::inner(view::body(screen_rect(app)));
    view::help::lines(app, width).len().saturating_sub(height)
}

fn scroll_evidence(app: &mut App, delta: isize) {
    let rows = view::app_areas(app).main.map_or(1, evidence::text_rows);
    if let Some(v) = app.evidence.as_mut() {
        let max = v.text.lines.len().saturating_sub(rows.max(1));
        v.scroll = scroll_by(v.scroll.min(max), delta, max);
    }
}

fn scroll_object(app: &mut App, delta: isize) {
    let rows = view::app_areas(app).main.map_or(1, object::text_rows);
    if let Some(v) = app.object.as_mut() {
        let max = v.described.lines.len().saturating_sub(rows.max(1));
        v.scroll = scroll_by(v.scroll.min(max), delta, max);
    }
}

fn move_command(app: &mut App, delta: isize) {
    let body = view::body(screen_rect(app));
    let (width, rows) = (
        body.width as usize,
        (body.height as usize).saturating_sub(commands::HEAD_LINES),
    );
    if let Some(v) = app.commands.as_mut() {
        let n = v.commands().len();
        if n == 0 {
            return;
        }
        v.selected = scroll_by(v.selected, delta, n - 1);
        v.scroll = commands::scroll_for(v, width, rows);
    }
}

fn move_picker(app: &mut App, delta: isize) {
    let rows = picker::page_rows(picker::area(view::body(screen_rect(app))));
    if let Some(p) = app.picker.as_mut() {
        let n = p.items().len();
        p.selected = scroll_by(p.selected, delta, n.saturating_sub(1));
        p.offset = checklist::clamp_offset(p.offset, p.selected, n, rows);
    }
}

/// Scrolls the evidence viewer to the next (`dir` 1) or previous (-1) marked line, two lines
/// below the top.
pub fn jump_mark(app: &mut App, dir: isize) {
    let Some(v) = app.evidence.as_mut() else {
        return;
    };
    let top_of = |m: usize| m.saturating_sub(2);
    let target = if dir > 0 {
        v.text
            .marked
            .iter()
            .copied()
            .find(|m| top_of(*m) > v.scroll)
    } else {
        v.text
            .marked
            .iter()
            .rev()
            .copied()
            .find(|m| top_of(*m) < v.scroll)
    };
    match target {
        Some(m) => v.scroll = top_of(m),
        None => app.notify(
            super::Tone::Info,
            if dir > 0 {
                "no marked line further down"
            } else {
                "no marked line further up"
            },
        ),
    }
}

/// Keeps scroll positions inside the text after a resize.
pub fn clamp_scrolls(app: &mut App) {
    app.detail.scroll = app.detail.scroll.min(pane_max(app));
    app.help_scroll = app.help_scroll.min(help_max(app));
    scroll_evidence(app, 0);
    scroll_object(app, 0);
}

/// Wheel scrolls whatever is under the pointer; a click selects a checklist row or a finding.
pub fn on_mouse(app: &mut App, m: MouseEvent) {
    let inside = |r: Option<Rect>| {
        r.is_some_and(|r| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        })
    };
    let step_size: isize = match m.kind {
        MouseEventKind::ScrollDown => 3,
        MouseEventKind::ScrollUp => -3,
        MouseEventKind::Down(MouseButton::Left) => 0,
        _ => return,
    };
    if app.picker.is_some() {
        if step_size != 0 {
            move_picker(app, step_size.signum());
        }
        return;
    }
    let areas = view::app_areas(app);
    let (table, pane) = match areas.detail {
        Some(_) => {
            let (t, p) = detail_areas(app);
            (Some(t), Some(p))
        }
        None => (None, None),
    };
    if step_size == 0 {
        if let Some(list) = areas.list.filter(|_| inside(areas.list)) {
            click_row(app, list, m.row);
        } else if let Some(table) = table.filter(|_| inside(table)) {
            click_finding(app, table, m.row);
        }
        return;
    }
    match app.screen {
        Screen::Help => app.help_scroll = scroll_by(app.help_scroll, step_size, help_max(app)),
        Screen::Evidence => scroll_evidence(app, step_size),
        Screen::Object => scroll_object(app, step_size),
        Screen::Commands => move_command(app, step_size.signum()),
        Screen::Checklist | Screen::Detail => {
            if inside(table) {
                select_finding(app, step_size.signum());
            } else if inside(pane) {
                app.detail.scroll = scroll_by(app.detail.scroll, step_size, pane_max(app));
            } else if inside(areas.list) {
                move_selection(app, step_size.signum());
            }
        }
    }
}

fn click_row(app: &mut App, list: Rect, y: u16) {
    let first = list.y + 2; // border and column header
    if y < first {
        return;
    }
    let visible = app.visible();
    let Some(sel) = app.selected_pos(&visible) else {
        return;
    };
    let rows = checklist::page_rows(list);
    let offset = checklist::clamp_offset(app.list_offset, sel, visible.len(), rows);
    let pos = offset + (y - first) as usize;
    if pos < visible.len() && pos < offset + rows {
        select_pos(app, &visible, pos);
    }
}

fn click_finding(app: &mut App, table: Rect, y: u16) {
    let first = table.y + 2;
    if y < first {
        return;
    }
    let Some(row) = app.selected_row() else {
        return;
    };
    let n = app.entries(row).len();
    let rows = detail::table_rows(table);
    let selected = app.detail.selected.min(n.saturating_sub(1));
    let offset = checklist::clamp_offset(app.detail.offset, selected, n, rows);
    let pos = offset + (y - first) as usize;
    if pos < n && pos < offset + rows {
        if pos != app.detail.selected {
            app.detail.scroll = 0;
        }
        app.detail.selected = pos;
        app.detail.offset = offset;
    }
}
