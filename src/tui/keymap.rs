//! The key-binding table: the one place that says which key does what on which screen.
//!
//! `update` looks keys up here, the help screen lists this table, and the footer hints are the
//! entries that carry a short hint. Keys are matched on their code and the Control/Alt modifiers
//! (Shift is already part of the character, so `G` is just `G`). A binding in `Context::Global`
//! applies on every screen after the screen's own bindings; `Context::Search` applies while a search
//! is being typed, and then nothing else does.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something the operator asked for; `update` decides what it means on the current screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    NextFinding,
    PrevFinding,
    NextCheck,
    PrevCheck,
    CycleStatusFilter,
    CycleAreaFilter,
    CycleSort,
    StartSearch,
    ClearFilters,
    CopyFix,
    WriteFixes,
    ExportJson,
    ExportMarkdown,
    RerunOne,
    RerunAll,
    ToggleMouse,
    SearchAccept,
    SearchCancel,
    SearchDelete,
    SearchType,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Checklist,
    Detail,
    Help,
    Search,
}

impl Context {
    pub fn heading(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Checklist => "Checklist",
            Context::Detail => "Details of a check",
            Context::Help => "This help",
            Context::Search => "While typing a search (after /)",
        }
    }
}

/// One key: a code with Control/Alt modifiers, or any printable character (search input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode, KeyModifiers),
    AnyChar,
}

const fn plain(code: KeyCode) -> Key {
    Key::Code(code, KeyModifiers::NONE)
}
const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}
const fn ctrl(c: char) -> Key {
    Key::Code(KeyCode::Char(c), KeyModifiers::CONTROL)
}

impl Key {
    fn matches(self, code: KeyCode, mods: KeyModifiers) -> bool {
        match self {
            Key::Code(c, m) => c == code && m == mods,
            Key::AnyChar => matches!(code, KeyCode::Char(_)) && mods.is_empty(),
        }
    }

    /// How the key is written in help and hints, e.g. `Ctrl-C`, `↑`, `PgDn`, `Shift-Tab`.
    pub fn label(self) -> String {
        let Key::Code(code, mods) = self else {
            return "any character".to_string();
        };
        let name = match code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut out = String::new();
        if mods.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
            return out + &name.to_uppercase();
        }
        if mods.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        out + &name
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// The sentence shown on the help screen.
    pub help: &'static str,
    /// A word or two for the footer of the screens in `context`, when this binding deserves one.
    pub hint: Option<&'static str>,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        help,
        hint,
    }
}

use Action as A;
use Context as C;

/// Every key binding, in the order the help screen lists them.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    // Checklist.
    bind(C::Checklist, &[plain(KeyCode::Enter), ch('l'), plain(KeyCode::Right)], A::Open,
        "open the details of the selected check: findings, evidence, fix commands, docs", Some("details")),
    bind(C::Checklist, &[ch('f')], A::CycleStatusFilter,
        "filter by status: all, problems (fail/error/warn), fail, error, warn, info, pass, skip, pending", Some("filter")),
    bind(C::Checklist, &[ch('a')], A::CycleAreaFilter,
        "filter by area: node, networking, flannel, images, scheduling, cluster", None),
    bind(C::Checklist, &[ch('s')], A::CycleSort,
        "sort by status (worst first), by area, or in catalogue order", None),
    bind(C::Checklist, &[ch('/')], A::StartSearch,
        "search checks by text (id, title, area, subjects, messages, evidence)", Some("search")),
    bind(C::Checklist, &[ch('x')], A::ClearFilters, "clear the status and area filters and the search", None),
    // Details.
    bind(C::Detail, &[plain(KeyCode::Tab)], A::NextFinding,
        "select the next finding (the selected finding's fix is the one c copies)", Some("next finding")),
    bind(C::Detail, &[plain(KeyCode::BackTab)], A::PrevFinding, "select the previous finding", None),
    bind(C::Detail, &[ch('n'), ch(']')], A::NextCheck, "show the next check of the list", None),
    bind(C::Detail, &[ch('p'), ch('[')], A::PrevCheck, "show the previous check of the list", None),
    bind(C::Detail, &[ch('h'), plain(KeyCode::Left), plain(KeyCode::Backspace)], A::Back,
        "back to the checklist", Some("back")),
    // Search input.
    bind(C::Search, &[Key::AnyChar], A::SearchType, "narrows the list as you type", None),
    bind(C::Search, &[plain(KeyCode::Backspace)], A::SearchDelete, "delete the last character", None),
    bind(C::Search, &[plain(KeyCode::Enter)], A::SearchAccept, "keep the search and go back to the list", Some("keep")),
    bind(C::Search, &[plain(KeyCode::Esc)], A::SearchCancel, "clear the search", Some("clear")),
    bind(C::Search, &[ctrl('c')], A::Quit, "quit", None),
    // Everywhere.
    bind(C::Global, &[plain(KeyCode::Down), ch('j')], A::Down, "move down (checklist) or scroll down (details, help)", None),
    bind(C::Global, &[plain(KeyCode::Up), ch('k')], A::Up, "move up (checklist) or scroll up (details, help)", None),
    bind(C::Global, &[plain(KeyCode::PageDown), ctrl('d'), ch(' ')], A::PageDown, "one page down", None),
    bind(C::Global, &[plain(KeyCode::PageUp), ctrl('u')], A::PageUp, "one page up", None),
    bind(C::Global, &[plain(KeyCode::Home), ch('g')], A::Top, "go to the top", None),
    bind(C::Global, &[plain(KeyCode::End), ch('G')], A::Bottom, "go to the bottom", None),
    bind(C::Global, &[ch('c'), ch('y')], A::CopyFix,
        "copy the fix commands of the selected finding to the clipboard (OSC 52 escape; works over SSH in most terminals)", Some("copy fix")),
    bind(C::Global, &[ch('w')], A::WriteFixes,
        "write every fix (all non-pass findings) to windoctor-fixes-<time>.md in the current directory", Some("write fixes")),
    bind(C::Global, &[ch('e')], A::ExportJson, "export the report as JSON to windoctor-report-<time>.json", None),
    bind(C::Global, &[ch('m')], A::ExportMarkdown,
        "export the report as Markdown (a bug report for a GitHub issue) to windoctor-report-<time>.md", None),
    bind(C::Global, &[ch('r')], A::RerunOne, "rerun the selected check on the facts already gathered", None),
    bind(C::Global, &[ch('R')], A::RerunAll, "rerun everything, reading the cluster and node again", None),
    bind(C::Global, &[ch('M')], A::ToggleMouse,
        "turn mouse capture off (select text with the mouse) or on (the wheel scrolls)", None),
    bind(C::Global, &[ch('?'), plain(KeyCode::F(1))], A::Help, "show or hide this help", Some("help")),
    bind(C::Global, &[plain(KeyCode::Esc)], A::Back, "back (from details or help); on the checklist it quits", None),
    bind(C::Global, &[ch('q'), ctrl('c')], A::Quit, "quit", Some("quit")),
];

/// The action bound to `key` in `context` (falling back to `Global`, except while searching).
pub fn lookup(context: Context, key: &KeyEvent) -> Option<Action> {
    let (code, mods) = normalize(key);
    let mut contexts = vec![context];
    if context != Context::Search {
        contexts.push(Context::Global);
    }
    contexts.into_iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .filter(|b| b.context == ctx)
            .find(|b| b.keys.iter().any(|k| k.matches(code, mods)))
            .map(|b| b.action)
    })
}

/// Drops Shift (it is already in the character, and in `BackTab`) and modifiers we never bind.
fn normalize(key: &KeyEvent) -> (KeyCode, KeyModifiers) {
    let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    let code = match key.code {
        // Some terminals report Ctrl-letters in upper case.
        KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        other => other,
    };
    (code, mods)
}

/// The keys of a binding joined for display, e.g. `Enter, l, →`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The footer hints for a screen: `(first key, hint)` of every binding in `context` and `Global`
/// that has one, screen bindings first.
pub fn hints(context: Context) -> Vec<(String, &'static str)> {
    let contexts: &[Context] = if context == Context::Search {
        &[Context::Search]
    } else {
        &[context, Context::Global]
    };
    contexts
        .iter()
        .flat_map(|ctx| BINDINGS.iter().filter(move |b| b.context == *ctx))
        .filter_map(|b| Some((b.keys.first()?.label(), b.hint?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyEventKind, KeyEventState};

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn screen_bindings_win_over_global_ones() {
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Checklist, &esc), Some(Action::Back));
        assert_eq!(lookup(Context::Search, &esc), Some(Action::SearchCancel));
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Checklist, &enter), Some(Action::Open));
        assert_eq!(lookup(Context::Detail, &enter), None);
    }

    #[test]
    fn shift_is_part_of_the_character_and_ctrl_is_case_blind() {
        let big_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::Checklist, &big_g), Some(Action::Bottom));
        let ctrl_c = key(
            KeyCode::Char('C'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(lookup(Context::Detail, &ctrl_c), Some(Action::Quit));
        let back_tab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            lookup(Context::Detail, &back_tab),
            Some(Action::PrevFinding)
        );
    }

    #[test]
    fn search_input_takes_every_character_but_keeps_ctrl_c() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Search, &q), Some(Action::SearchType));
        assert_eq!(lookup(Context::Checklist, &q), Some(Action::Quit));
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Search, &ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context != b.context {
                    continue;
                }
                for k in a.keys {
                    assert!(
                        !b.keys.contains(k),
                        "{} is bound to {:?} and {:?} in {:?}",
                        k.label(),
                        a.action,
                        b.action,
                        a.context
                    );
                }
            }
        }
    }

    #[test]
    fn quit_copy_and_help_are_hinted_on_the_checklist() {
        let hints = hints(Context::Checklist);
        for want in ["details", "copy fix", "help", "quit"] {
            assert!(hints.iter().any(|(_, h)| *h == want), "{want} missing");
        }
        assert_eq!(ctrl('c').label(), "Ctrl-C");
        assert_eq!(plain(KeyCode::BackTab).label(), "Shift-Tab");
    }
}
