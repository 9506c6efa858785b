//! The key-binding table: the one place that says which key does what on which screen.
//!
//! `update` looks keys up here, the help screen lists this table, and the footer hints are the
//! entries that carry a short hint. Keys are matched on their code and the Control/Alt modifiers
//! (Shift is already part of the character, so `G` is just `G`). A binding in `Context::Global`
//! applies on every screen after the screen's own bindings. `Context::Search` (a search being typed)
//! and `Context::Picker` (the node or namespace picker, whose filter is typed) are text inputs: they
//! take every character as text and nothing else applies, so typing never triggers a hotkey.

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
    SearchDeleteWord,
    SearchClear,
    SearchType,
    PickNode,
    PickNamespace,
    ReverseSort,
    OpenEvidence,
    OpenObject,
    OpenCommands,
    /// Copy command N (the digit typed) of the selected finding.
    CopyCommand,
    /// Copy the command selected in the commands view.
    CopySelectedCommand,
    /// Copy every command the commands view shows.
    CopyShownCommands,
    ToggleAllCommands,
    /// Next/previous piece of evidence (viewer) or related object (object summary).
    NextItem,
    PrevItem,
    /// Next/previous marked line in the evidence viewer.
    NextMark,
    PrevMark,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Checklist,
    Detail,
    Evidence,
    Object,
    Commands,
    Help,
    Search,
    Picker,
}

impl Context {
    /// Contexts where keys are text: no global binding applies.
    pub fn is_text_input(self) -> bool {
        matches!(self, Context::Search | Context::Picker)
    }

    pub fn heading(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Checklist => "Checklist",
            Context::Detail => "Details of a check (findings table and the selected finding)",
            Context::Evidence => "Evidence viewer (the whole log, event or file)",
            Context::Object => "Object summary (the Node, Pod or DaemonSet a finding is about)",
            Context::Commands => "Commands view (only the commands, for copying)",
            Context::Help => "This help",
            Context::Search => "While typing a search (after /)",
            Context::Picker => "Node and namespace pickers (typing filters the list)",
        }
    }
}

/// One key: a code with Control/Alt modifiers, or any printable character (search input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode, KeyModifiers),
    AnyChar,
    /// A digit 1-9.
    AnyDigit,
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
            Key::AnyDigit => matches!(code, KeyCode::Char('1'..='9')) && mods.is_empty(),
        }
    }

    /// How the key is written in help and hints, e.g. `Ctrl-C`, `↑`, `PgDn`, `Shift-Tab`.
    pub fn label(self) -> String {
        let (code, mods) = match self {
            Key::Code(code, mods) => (code, mods),
            Key::AnyChar => return "any character".to_string(),
            Key::AnyDigit => return "1-9".to_string(),
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
        "open the details of the selected check: its findings table, evidence, fix commands, docs", Some("details")),
    bind(C::Checklist, &[ch('/')], A::StartSearch,
        "search checks by text (id, title, area, subjects, messages, evidence); the details open filtered by it", Some("search")),
    bind(C::Checklist, &[ch('f')], A::CycleStatusFilter,
        "filter by status: all, problems (fail/error/warn), fail, error, warn, info, pass, skip, pending", Some("filter")),
    bind(C::Checklist, &[ch('a')], A::CycleAreaFilter,
        "filter by area: node, networking, flannel, images, scheduling, cluster", None),
    bind(C::Checklist, &[ch('s')], A::CycleSort,
        "sort by status (worst first), by area, or in catalogue order", None),
    bind(C::Checklist, &[ch('x')], A::ClearFilters, "clear the status and area filters and the search", None),
    // Details.
    bind(C::Detail, &[plain(KeyCode::Down), ch('j'), plain(KeyCode::Tab)], A::NextFinding,
        "select the next finding of the table (its evidence, fix and commands show below it)", None),
    bind(C::Detail, &[plain(KeyCode::Up), ch('k'), plain(KeyCode::BackTab)], A::PrevFinding,
        "select the previous finding", None),
    bind(C::Detail, &[plain(KeyCode::Enter), ch('v')], A::OpenEvidence,
        "open the selected finding's evidence: the whole log tail, event or file, the matching line marked", Some("evidence")),
    bind(C::Detail, &[ch('o')], A::OpenObject,
        "show the Node, Pod or DaemonSet the finding is about, as the run read it (describe-like)", Some("object")),
    bind(C::Detail, &[ch('C')], A::OpenCommands,
        "show only the fix commands, without borders, to copy one or select them with the mouse", Some("commands")),
    bind(C::Detail, &[Key::AnyDigit], A::CopyCommand,
        "copy command 1-9 of the selected finding to the clipboard", Some("copy cmd")),
    bind(C::Detail, &[ch('/')], A::StartSearch, "filter the findings table by text (subject, node, message, evidence)", Some("search")),
    bind(C::Detail, &[ch('s')], A::CycleSort, "sort the findings by status (worst first), subject, node or message", Some("sort")),
    bind(C::Detail, &[ch('S')], A::ReverseSort, "reverse the order of the findings table", None),
    bind(C::Detail, &[ch('x')], A::ClearFilters, "clear the findings search", None),
    bind(C::Detail, &[ch('n'), ch(']')], A::NextCheck, "show the next check of the list", None),
    bind(C::Detail, &[ch('p'), ch('[')], A::PrevCheck, "show the previous check of the list", None),
    bind(C::Detail, &[ch('h'), plain(KeyCode::Left), plain(KeyCode::Backspace)], A::Back,
        "back to the checklist", Some("back")),
    // Evidence viewer.
    bind(C::Evidence, &[plain(KeyCode::Tab)], A::NextItem, "the finding's next piece of evidence", Some("next evidence")),
    bind(C::Evidence, &[plain(KeyCode::BackTab)], A::PrevItem, "the finding's previous piece of evidence", None),
    bind(C::Evidence, &[ch('n')], A::NextMark, "jump to the next marked line", Some("next mark")),
    bind(C::Evidence, &[ch('p')], A::PrevMark, "jump to the previous marked line", None),
    bind(C::Evidence, &[ch('o')], A::OpenObject, "show the object the finding is about", None),
    bind(C::Evidence, &[ch('h'), plain(KeyCode::Left), plain(KeyCode::Backspace)], A::Back, "back to the details", Some("back")),
    // Object summary.
    bind(C::Object, &[plain(KeyCode::Tab)], A::NextItem, "the next object the finding is about", Some("next object")),
    bind(C::Object, &[plain(KeyCode::BackTab)], A::PrevItem, "the previous object the finding is about", None),
    bind(C::Object, &[ch('h'), plain(KeyCode::Left), plain(KeyCode::Backspace)], A::Back, "back", Some("back")),
    // Commands view.
    bind(C::Commands, &[plain(KeyCode::Enter), ch('y')], A::CopySelectedCommand,
        "copy the selected command (↑/↓ select) to the clipboard", Some("copy one")),
    bind(C::Commands, &[Key::AnyDigit], A::CopyCommand, "copy command 1-9", None),
    bind(C::Commands, &[ch('c')], A::CopyShownCommands, "copy every command shown", Some("copy all")),
    bind(C::Commands, &[ch('a')], A::ToggleAllCommands,
        "show the commands of every finding of the check in scope, or of the selected finding only", Some("all findings")),
    bind(C::Commands, &[ch('h'), plain(KeyCode::Left), plain(KeyCode::Backspace)], A::Back, "back to the details", Some("back")),
    // Search input.
    bind(C::Search, &[Key::AnyChar], A::SearchType, "narrows the list as you type; a paste is text too", None),
    bind(C::Search, &[plain(KeyCode::Backspace)], A::SearchDelete, "delete the last character", None),
    bind(C::Search, &[ctrl('w')], A::SearchDeleteWord, "delete the last word", None),
    bind(C::Search, &[ctrl('u')], A::SearchClear, "delete everything typed", None),
    bind(C::Search, &[plain(KeyCode::Enter)], A::SearchAccept, "keep the search and go back to the list", Some("keep")),
    bind(C::Search, &[plain(KeyCode::Esc)], A::SearchCancel, "clear the search", Some("clear")),
    bind(C::Search, &[ctrl('c')], A::Quit, "quit", None),
    // Pickers.
    bind(C::Picker, &[Key::AnyChar], A::SearchType, "narrows the list as you type (a paste is text too)", None),
    bind(C::Picker, &[plain(KeyCode::Down)], A::Down, "select the next entry", None),
    bind(C::Picker, &[plain(KeyCode::Up)], A::Up, "select the previous entry", None),
    bind(C::Picker, &[plain(KeyCode::PageDown)], A::PageDown, "one page down", None),
    bind(C::Picker, &[plain(KeyCode::PageUp)], A::PageUp, "one page up", None),
    bind(C::Picker, &[plain(KeyCode::Home)], A::Top, "the first entry: all of them", None),
    bind(C::Picker, &[plain(KeyCode::End)], A::Bottom, "the last entry", None),
    bind(C::Picker, &[plain(KeyCode::Backspace)], A::SearchDelete, "delete the last character", None),
    bind(C::Picker, &[ctrl('w')], A::SearchDeleteWord, "delete the last word", None),
    bind(C::Picker, &[ctrl('u')], A::SearchClear, "delete everything typed", None),
    bind(C::Picker, &[plain(KeyCode::Enter)], A::SearchAccept,
        "scope the checklist, counts and details to the selected entry (the first entry: all)", Some("pick")),
    bind(C::Picker, &[plain(KeyCode::Esc)], A::SearchCancel, "close without changing the scope", Some("cancel")),
    bind(C::Picker, &[ctrl('c')], A::Quit, "quit", None),
    // Everywhere.
    bind(C::Global, &[plain(KeyCode::Down), ch('j')], A::Down, "move down (checklist, commands) or scroll down", None),
    bind(C::Global, &[plain(KeyCode::Up), ch('k')], A::Up, "move up (checklist, commands) or scroll up", None),
    bind(C::Global, &[plain(KeyCode::PageDown), ctrl('d'), ch(' ')], A::PageDown, "one page down (in the details: the finding's pane)", None),
    bind(C::Global, &[plain(KeyCode::PageUp), ctrl('u')], A::PageUp, "one page up", None),
    bind(C::Global, &[plain(KeyCode::Home), ch('g')], A::Top, "go to the top (in the details: the first finding)", None),
    bind(C::Global, &[plain(KeyCode::End), ch('G')], A::Bottom, "go to the bottom (in the details: the last finding)", None),
    bind(C::Global, &[ch('N')], A::PickNode,
        "pick a Windows node (worst status, build, runtime, Ready): the checklist, counts and details show only its findings", Some("node")),
    bind(C::Global, &[ch('A')], A::PickNamespace,
        "pick a namespace: only findings about objects in it, and cluster-wide ones (Nodes, the cluster), are shown, as with -n", None),
    bind(C::Global, &[ch('c'), ch('y')], A::CopyFix,
        "copy the fix of the selected finding (on the checklist: of the worst finding shown) to the clipboard (OSC 52; works over SSH and in tmux)", Some("copy fix")),
    bind(C::Global, &[ch('w')], A::WriteFixes,
        "write every fix in scope (all non-pass findings) to windoctor-fixes-<time>.md in the current directory", Some("write fixes")),
    bind(C::Global, &[ch('e')], A::ExportJson, "export the report as JSON to windoctor-report-<time>.json", None),
    bind(C::Global, &[ch('m')], A::ExportMarkdown,
        "export the report as Markdown (a bug report for a GitHub issue) to windoctor-report-<time>.md", None),
    bind(C::Global, &[ch('r')], A::RerunOne, "rerun the selected check on the facts already gathered", None),
    bind(C::Global, &[ch('R')], A::RerunAll,
        "refresh: read the cluster and node again and rerun everything; new and gone findings are marked + and −", Some("refresh")),
    bind(C::Global, &[ch('M')], A::ToggleMouse,
        "turn mouse capture off (select text with the mouse) or on (the wheel scrolls)", None),
    bind(C::Global, &[ch('?'), plain(KeyCode::F(1))], A::Help, "show or hide this help", Some("help")),
    bind(C::Global, &[plain(KeyCode::Esc)], A::Back, "back (from details, viewers or help); on the checklist it clears the search, then quits", None),
    bind(C::Global, &[ch('q'), ctrl('c')], A::Quit, "quit", Some("quit")),
];

/// The action bound to `key` in `context` (falling back to `Global`, except while searching).
pub fn lookup(context: Context, key: &KeyEvent) -> Option<Action> {
    let (code, mods) = normalize(key);
    let mut contexts = vec![context];
    if !context.is_text_input() {
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
    let contexts: &[Context] = if context.is_text_input() {
        std::slice::from_ref(&context)
    } else {
        &[context, Context::Global]
    };
    // A global binding whose key the screen binds to something else gives no hint there.
    let shadowed = |b: &Binding| {
        b.context == Context::Global
            && BINDINGS
                .iter()
                .filter(|s| s.context == context)
                .any(|s| b.keys.first().is_some_and(|k| s.keys.contains(k)))
    };
    contexts
        .iter()
        .flat_map(|ctx| BINDINGS.iter().filter(move |b| b.context == *ctx))
        .filter(|b| !shadowed(b))
        .filter_map(|b| Some((b.keys.first()?.label(), b.hint?)))
        .collect()
}

/// The key tables of docs/tui.md (one Markdown table per context, in the help screen's order),
/// so that the document says what the help screen says. A test keeps the two the same.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    let mut last: Option<Context> = None;
    for b in BINDINGS {
        if last != Some(b.context) {
            if last.is_some() {
                out.push('\n');
            }
            out.push_str(&format!(
                "### {}\n\n| keys | what it does |\n| --- | --- |\n",
                b.context.heading()
            ));
            last = Some(b.context);
        }
        let keys: Vec<String> = b
            .keys
            .iter()
            .map(|k| format!("`{}`", k.label().replace('|', "\\|")))
            .collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            keys.join(" "),
            b.help.replace('|', "\\|")
        ));
    }
    out
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
        assert_eq!(lookup(Context::Detail, &enter), Some(Action::OpenEvidence));
        assert_eq!(lookup(Context::Help, &enter), None);
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Detail, &j), Some(Action::NextFinding));
        assert_eq!(lookup(Context::Evidence, &j), Some(Action::Down));
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
        let big_n = key(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::Detail, &big_n), Some(Action::PickNode));
    }

    #[test]
    fn text_inputs_take_every_character_but_keep_ctrl_c() {
        for ctx in [Context::Search, Context::Picker] {
            for c in "qwemRNAcy/?1jk ".chars() {
                let k = key(KeyCode::Char(c), KeyModifiers::NONE);
                assert_eq!(lookup(ctx, &k), Some(Action::SearchType), "{c} in {ctx:?}");
            }
            let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
            assert_eq!(lookup(ctx, &ctrl_c), Some(Action::Quit));
            let ctrl_u = key(KeyCode::Char('u'), KeyModifiers::CONTROL);
            assert_eq!(lookup(ctx, &ctrl_u), Some(Action::SearchClear));
        }
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Checklist, &q), Some(Action::Quit));
        let down = key(KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Picker, &down), Some(Action::Down));
        assert_eq!(lookup(Context::Search, &down), None);
    }

    #[test]
    fn digits_copy_commands_in_the_details() {
        let three = key(KeyCode::Char('3'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Detail, &three), Some(Action::CopyCommand));
        assert_eq!(lookup(Context::Commands, &three), Some(Action::CopyCommand));
        assert_eq!(lookup(Context::Checklist, &three), None);
        let zero = key(KeyCode::Char('0'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Detail, &zero), None);
        assert_eq!(Key::AnyDigit.label(), "1-9");
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
        for want in ["details", "node", "copy fix", "refresh", "help", "quit"] {
            assert!(hints.iter().any(|(_, h)| *h == want), "{want} missing");
        }
        assert_eq!(ctrl('c').label(), "Ctrl-C");
        assert_eq!(plain(KeyCode::BackTab).label(), "Shift-Tab");
    }

    #[test]
    fn docs_tui_md_lists_every_binding_as_the_help_screen_does() {
        let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tui.md");
        let doc = std::fs::read_to_string(doc_path).unwrap();
        let begin = "<!-- keys: generated from src/tui/keymap.rs -->\n";
        let end = "<!-- end of keys -->";
        let start = doc
            .find(begin)
            .expect("docs/tui.md marks where the key tables start")
            + begin.len();
        let stop = doc
            .find(end)
            .expect("docs/tui.md marks where the key tables end");
        let tables = markdown_tables();
        if doc[start..stop].trim() != tables.trim() {
            let fresh = format!("{}\n{}", &doc[..start], tables) + &doc[stop..];
            if std::env::var_os("WINDOCTOR_BLESS").is_some() {
                std::fs::write(doc_path, fresh).unwrap();
            } else {
                panic!("docs/tui.md's key tables differ from the key map: run `WINDOCTOR_BLESS=1 cargo test --lib docs_tui_md`");
            }
        }
    }
}
