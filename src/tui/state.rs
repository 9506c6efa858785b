//! The TUI's model: one row per selected check (in catalogue order, all pending at start), what the
//! engine has reported about the source and its inputs, the scope (node, namespace), and the
//! operator's view of it (screen, selection, filters, search, sort, the screens opened from a check,
//! the last notice). Time and the spinner frame are plain fields (`Clock`) set by the event loop, so
//! rendering is a pure function of this state and tests can fix them.

use super::row::{Entry, Row};
use super::scope::Scope;
use super::screens::{CommandsView, DetailView, EvidenceView, FindingSort, ObjectView, Picker};
use super::theme::Theme;
use crate::catalogue::{Area, CheckMeta, DocRef};
use crate::checks::Selection;
use crate::engine::Gathered;
use crate::facts::InputOutcome;
use crate::facts::SourceKind;
use crate::findings::{Finding, Status};
use std::collections::BTreeMap;
use std::time::Duration;

/// Joins the hard-wrapped lines of a TOML paragraph; blank lines stay paragraph breaks.
pub fn reflow(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// What the TUI shows about a check besides its findings, copied from the catalogue.
#[derive(Debug, Clone)]
pub struct CheckInfo {
    pub id: String,
    pub title: String,
    pub area: Area,
    pub inputs: Vec<String>,
    pub explanation: String,
    pub docs: Vec<DocRef>,
}

impl CheckInfo {
    pub fn from_meta(meta: &CheckMeta) -> CheckInfo {
        CheckInfo {
            id: meta.id.clone(),
            title: meta.title.clone(),
            area: meta.area,
            inputs: meta.inputs.clone(),
            explanation: reflow(&meta.explanation),
            docs: meta.docs.clone(),
        }
    }

    /// The checks `sel` selects, in catalogue order.
    pub fn selected(sel: &Selection) -> Vec<CheckInfo> {
        sel.ids()
            .into_iter()
            .filter_map(crate::catalogue::meta)
            .map(CheckInfo::from_meta)
            .collect()
    }
}

/// How far one input has come.
#[derive(Debug, Clone, PartialEq)]
pub enum InputState {
    Reading { since: Duration },
    Done { outcome: InputOutcome },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunState {
    Running { since: Duration },
    Finished { took: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Checklist,
    /// The findings table of the selected check and the selected finding.
    Detail,
    /// The whole text of one piece of evidence.
    Evidence,
    /// The summary of an object a finding is about.
    Object,
    /// Only the fix commands, without borders.
    Commands,
    Help,
}

/// Which text input keys go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// The checklist search (`/` on the checklist).
    ChecklistSearch,
    /// The findings search (`/` in the details).
    FindingSearch,
}

/// Which statuses the checklist shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// fail, error and warn.
    Problems,
    Only(Status),
    Pending,
}

impl StatusFilter {
    const CYCLE: [StatusFilter; 9] = [
        StatusFilter::All,
        StatusFilter::Problems,
        StatusFilter::Only(Status::Fail),
        StatusFilter::Only(Status::Error),
        StatusFilter::Only(Status::Warn),
        StatusFilter::Only(Status::Info),
        StatusFilter::Only(Status::Pass),
        StatusFilter::Only(Status::Skip),
        StatusFilter::Pending,
    ];

    pub fn next(self) -> StatusFilter {
        let i = Self::CYCLE.iter().position(|f| *f == self).unwrap_or(0);
        Self::CYCLE[(i + 1) % Self::CYCLE.len()]
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Problems => "problems",
            StatusFilter::Only(s) => s.as_str(),
            StatusFilter::Pending => "pending",
        }
    }

    pub fn admits(self, status: Option<Status>) -> bool {
        match (self, status) {
            (StatusFilter::All, _) => true,
            (StatusFilter::Problems, Some(s)) => {
                matches!(s, Status::Fail | Status::Error | Status::Warn)
            }
            (StatusFilter::Only(want), Some(s)) => want == s,
            (StatusFilter::Pending, None) => true,
            _ => false,
        }
    }
}

pub const AREAS: [Area; 6] = [
    Area::Node,
    Area::Networking,
    Area::Flannel,
    Area::Images,
    Area::Scheduling,
    Area::Cluster,
];

pub fn next_area(area: Option<Area>) -> Option<Area> {
    match area {
        None => Some(AREAS[0]),
        Some(a) => {
            let i = AREAS.iter().position(|x| *x == a).unwrap_or(0);
            AREAS.get(i + 1).copied()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    /// Worst first, pending last, catalogue order within a status.
    Status,
    /// By area, worst first within an area.
    Area,
    Catalogue,
}

impl SortMode {
    pub fn next(self) -> SortMode {
        match self {
            SortMode::Status => SortMode::Area,
            SortMode::Area => SortMode::Catalogue,
            SortMode::Catalogue => SortMode::Status,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortMode::Status => "status",
            SortMode::Area => "area",
            SortMode::Catalogue => "catalogue",
        }
    }
}

/// Time as the view sees it: `now` since the TUI started, the spinner frame, and the wall-clock
/// time the TUI started at (for "read at" in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    pub now: Duration,
    pub frame: u64,
    pub started_at: Option<time::OffsetDateTime>,
}

impl Clock {
    /// `14:03:05 UTC`: the wall-clock time at `at` since the TUI started.
    pub fn wall(&self, at: Duration) -> Option<String> {
        let t = self.started_at? + at;
        Some(format!(
            "{:02}:{:02}:{:02} UTC",
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// A one-line message in the footer (what was copied, which file was written, what went wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub tone: Tone,
}

/// The whole TUI state.
#[derive(Debug)]
pub struct App {
    pub rows: Vec<Row>,
    pub source: Option<SourceKind>,
    pub local_node: Option<String>,
    pub inputs: BTreeMap<String, InputState>,
    pub run: RunState,
    /// Runs started so far (1 for the first).
    pub runs: u32,
    /// When the last finished run ended (`clock.now` then).
    pub read_at: Option<Duration>,
    /// `--refresh`: rerun every this long after a run ends.
    pub refresh: Option<Duration>,
    /// The facts of the last finished run, for export, reruns of one check, evidence and objects;
    /// kept while a new run goes on.
    pub gathered: Option<Box<Gathered>>,
    pub scope: Scope,
    pub screen: Screen,
    /// Where Help returns to.
    pub help_return: Screen,
    pub status_filter: StatusFilter,
    pub area_filter: Option<Area>,
    pub search: String,
    /// The text input keys go to, if any.
    pub typing: Option<Typing>,
    pub sort: SortMode,
    /// The selected check id (kept across sorting and filtering); `None` until the operator moves
    /// the cursor, which then stays on the top row: the worst check as results arrive.
    pub selected: Option<String>,
    pub list_offset: usize,
    pub detail: DetailView,
    pub evidence: Option<EvidenceView>,
    pub object: Option<ObjectView>,
    pub commands: Option<CommandsView>,
    /// The node or namespace picker, when open (over any screen).
    pub picker: Option<Picker>,
    pub help_scroll: usize,
    pub notice: Option<Notice>,
    pub mouse_captured: bool,
    /// Terminal size, set by the event loop (page sizes and scroll limits depend on it).
    pub viewport: (u16, u16),
    pub clock: Clock,
    pub theme: Theme,
    /// Files written during the session, listed on stderr at exit.
    pub written: Vec<String>,
}

impl App {
    pub fn new(checks: Vec<CheckInfo>, theme: Theme) -> App {
        App {
            rows: checks.into_iter().map(Row::new).collect(),
            source: None,
            local_node: None,
            inputs: BTreeMap::new(),
            run: RunState::Running {
                since: Duration::ZERO,
            },
            runs: 1,
            read_at: None,
            refresh: None,
            gathered: None,
            scope: Scope::default(),
            screen: Screen::Checklist,
            help_return: Screen::Checklist,
            status_filter: StatusFilter::All,
            area_filter: None,
            search: String::new(),
            typing: None,
            sort: SortMode::Status,
            selected: None,
            list_offset: 0,
            detail: DetailView::default(),
            evidence: None,
            object: None,
            commands: None,
            picker: None,
            help_scroll: 0,
            notice: None,
            mouse_captured: true,
            viewport: (80, 24),
            clock: Clock::default(),
            theme,
            written: Vec::new(),
        }
    }

    /// Narrows everything to `scope`.
    pub fn set_scope(&mut self, scope: Scope) {
        for r in &mut self.rows {
            r.rescope(&scope);
        }
        self.scope = scope;
        self.list_offset = 0;
        self.detail.selected = 0;
        self.detail.offset = 0;
        self.detail.scroll = 0;
    }

    /// Records the findings of check `id` for the current run.
    pub fn set_result(&mut self, id: &str, findings: Vec<Finding>, elapsed: Duration) {
        let scope = self.scope.clone();
        if let Some(row) = self.rows.iter_mut().find(|r| r.info.id == id) {
            row.set_done(findings, elapsed, &scope);
        }
    }

    /// Whether the scope leaves anything of `r` to show (a check that has never reported always).
    pub fn in_scope(&self, r: &Row) -> bool {
        self.scope.is_everything()
            || r.status().is_none()
            || !r.scoped.is_empty()
            || !r.scoped_gone.is_empty()
    }

    /// Indices into `rows` of the rows the scope, filters and search admit, in the chosen order.
    pub fn visible(&self) -> Vec<usize> {
        let needle = self.search.trim().to_lowercase();
        let mut idx: Vec<usize> = (0..self.rows.len())
            .filter(|i| {
                let r = &self.rows[*i];
                self.in_scope(r)
                    && self.status_filter.admits(r.scoped_status())
                    && self.area_filter.is_none_or(|a| a == r.info.area)
                    && (needle.is_empty() || r.mentions(&needle))
            })
            .collect();
        let badness = |i: &usize| {
            std::cmp::Reverse(
                self.rows[*i]
                    .scoped_status()
                    .map_or(0, |s| s.row_rank() + 1),
            )
        };
        match self.sort {
            SortMode::Status => idx.sort_by_key(badness),
            SortMode::Area => idx.sort_by_key(|i| (self.rows[*i].info.area, badness(i))),
            SortMode::Catalogue => {}
        }
        idx
    }

    /// Position of the selected row in `visible`, falling back to the first row.
    pub fn selected_pos(&self, visible: &[usize]) -> Option<usize> {
        if visible.is_empty() {
            return None;
        }
        let pos = self
            .selected
            .as_deref()
            .and_then(|id| visible.iter().position(|i| self.rows[*i].info.id == id));
        Some(pos.unwrap_or(0))
    }

    /// The selected row, if any row is visible.
    pub fn selected_row(&self) -> Option<&Row> {
        let visible = self.visible();
        let pos = self.selected_pos(&visible)?;
        Some(&self.rows[visible[pos]])
    }

    pub fn row_mut(&mut self, id: &str) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.info.id == id)
    }

    /// The findings table of `row`: findings in scope matching the findings search, sorted; the
    /// findings that went away since the previous run last.
    pub fn entries(&self, row: &Row) -> Vec<Entry> {
        let needle = self.detail.search.trim().to_lowercase();
        let mut current: Vec<usize> = row
            .scoped
            .iter()
            .copied()
            .filter(|i| needle.is_empty() || row.finding_matches(*i, &needle))
            .collect();
        let findings = row.findings();
        sort_findings(&mut current, |i| &findings[i], self.detail.sort);
        let mut gone: Vec<usize> = row
            .scoped_gone
            .iter()
            .copied()
            .filter(|i| {
                needle.is_empty()
                    || row.gone[*i].message.to_lowercase().contains(&needle)
                    || row.gone[*i]
                        .subject
                        .display()
                        .to_lowercase()
                        .contains(&needle)
            })
            .collect();
        sort_findings(&mut gone, |i| &row.gone[i], self.detail.sort);
        if self.detail.reverse {
            current.reverse();
            gone.reverse();
        }
        current
            .into_iter()
            .map(Entry::Current)
            .chain(gone.into_iter().map(Entry::Gone))
            .collect()
    }

    /// The selected check and the finding selected in its table.
    pub fn selected_finding(&self) -> Option<(&Row, Entry, &Finding)> {
        let row = self.selected_row()?;
        let entries = self.entries(row);
        let entry = *entries.get(self.detail.selected.min(entries.len().checked_sub(1)?))?;
        Some((row, entry, row.entry(entry)?))
    }

    /// Checks per status (never-run checks under `None`), among the checks in scope.
    pub fn counts(&self) -> BTreeMap<Option<Status>, usize> {
        let mut out = BTreeMap::new();
        for r in self.rows.iter().filter(|r| self.in_scope(r)) {
            *out.entry(r.scoped_status()).or_insert(0) += 1;
        }
        out
    }

    /// Findings in scope per status.
    pub fn finding_counts(&self) -> BTreeMap<Status, usize> {
        let mut out = BTreeMap::new();
        for r in &self.rows {
            for f in r.scoped_findings() {
                *out.entry(f.status).or_insert(0) += 1;
            }
        }
        out
    }

    /// Findings in scope that appeared and went away since the previous run.
    pub fn changes(&self) -> (usize, usize) {
        self.rows.iter().fold((0, 0), |(n, g), r| {
            let (rn, rg) = r.changes();
            (n + rn, g + rg)
        })
    }

    /// Checks that have not reported in the current run.
    pub fn pending(&self) -> usize {
        self.rows.iter().filter(|r| r.is_pending()).count()
    }

    /// All findings shown (the current run's, or the previous run's while a check runs again), in
    /// catalogue order, whatever the scope.
    pub fn all_findings(&self) -> Vec<Finding> {
        self.rows_in_catalogue_order()
            .iter()
            .flat_map(|r| r.findings().iter().cloned())
            .collect()
    }

    /// The findings in scope, in catalogue order.
    pub fn scoped_findings(&self) -> Vec<Finding> {
        self.rows_in_catalogue_order()
            .iter()
            .flat_map(|r| r.scoped_findings().cloned())
            .collect()
    }

    fn rows_in_catalogue_order(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|r| {
            crate::catalogue::CHECK_IDS
                .iter()
                .position(|id| *id == r.info.id)
        });
        rows
    }

    /// Whether something on screen moves with time (spinner, elapsed counters).
    pub fn animating(&self) -> bool {
        matches!(self.run, RunState::Running { .. })
    }

    /// When the next automatic refresh starts (`clock.now` then), with `--refresh`.
    pub fn next_refresh(&self) -> Option<Duration> {
        match (self.refresh, self.run) {
            (Some(every), RunState::Finished { .. }) => Some(self.read_at? + every),
            _ => None,
        }
    }

    /// The spinner character for the current frame: ASCII plus the box-drawing bar every console
    /// font has (not `-`, which is the SKIP glyph).
    pub fn spinner(&self) -> char {
        const FRAMES: [char; 4] = ['|', '/', '─', '\\'];
        FRAMES[(self.clock.frame % FRAMES.len() as u64) as usize]
    }

    pub fn notify(&mut self, tone: Tone, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            tone,
        });
    }

    /// Why a pending row is still pending: the inputs it waits for, or the input that failed.
    ///
    /// Before the engine has said anything about inputs, every declared input counts as awaited
    /// (offline sources deliver them all at once). Once it has, only inputs being read are awaited:
    /// the engine resolves some inputs itself without announcing them (the node part on a live
    /// run), and a pending row whose inputs are all in is simply queued.
    pub fn waiting_for(&self, row: &Row) -> Waiting {
        let mut waiting = Vec::new();
        for input in &row.info.inputs {
            match self.inputs.get(input) {
                Some(InputState::Done {
                    outcome: InputOutcome::Failed(why),
                }) => return Waiting::Failed(input.clone(), why.clone()),
                Some(InputState::Done { .. }) => {}
                Some(InputState::Reading { .. }) => waiting.push(input.clone()),
                None if self.inputs.is_empty() => waiting.push(input.clone()),
                None => {}
            }
        }
        Waiting::Inputs(waiting)
    }
}

/// Sorts finding indices by `sort`: worst first (then by subject), or by subject, node or message.
fn sort_findings<'f>(idx: &mut [usize], get: impl Fn(usize) -> &'f Finding, sort: FindingSort) {
    let worst = |f: &Finding| std::cmp::Reverse(f.status.row_rank());
    match sort {
        FindingSort::Status => {
            idx.sort_by_cached_key(|i| (worst(get(*i)), get(*i).subject.display()))
        }
        FindingSort::Subject => idx.sort_by_cached_key(|i| get(*i).subject.display()),
        FindingSort::Node => {
            idx.sort_by_cached_key(|i| (get(*i).node.clone().is_none(), get(*i).node.clone()))
        }
        FindingSort::Message => idx.sort_by(|a, b| get(*a).message.cmp(&get(*b).message)),
    }
}

/// See `App::waiting_for`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    Inputs(Vec<String>),
    Failed(String, String),
}

/// `35 ms`, `4.2s`, `12s`, `3m05s`.
pub fn format_elapsed(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if secs < 10.0 {
        format!("{secs:.1}s")
    } else if secs < 60.0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Subject;

    pub(crate) fn info(id: &str, area: Area) -> CheckInfo {
        CheckInfo {
            id: id.to_string(),
            title: format!("title of {id}"),
            area,
            inputs: vec!["nodes".to_string()],
            explanation: String::new(),
            docs: vec![],
        }
    }

    fn finding(id: &str, status: Status, message: &str) -> Finding {
        Finding {
            check: id.into(),
            code: String::new(),
            node: None,
            title: id.into(),
            status,
            subject: Subject::node("win-1"),
            message: message.into(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        }
    }

    fn app() -> App {
        let mut app = App::new(
            vec![
                info("a", Area::Node),
                info("b", Area::Flannel),
                info("c", Area::Networking),
                info("d", Area::Node),
            ],
            Theme::MONO,
        );
        app.set_result(
            "a",
            vec![finding("a", Status::Pass, "fine")],
            Duration::ZERO,
        );
        app.set_result(
            "b",
            vec![
                finding("b", Status::Pass, "ok"),
                finding("b", Status::Fail, "subnet.env is missing"),
            ],
            Duration::ZERO,
        );
        app.set_result("c", vec![], Duration::ZERO);
        app
    }

    #[test]
    fn rows_sort_worst_first_with_pending_last() {
        let app = app();
        let ids: Vec<&str> = app
            .visible()
            .iter()
            .map(|i| app.rows[*i].info.id.as_str())
            .collect();
        assert_eq!(ids, ["b", "a", "c", "d"]);
        assert_eq!(app.rows[2].status(), Some(Status::Skip));
        assert_eq!(app.rows[3].status(), None);
    }

    #[test]
    fn filters_and_search_combine() {
        let mut app = app();
        app.status_filter = StatusFilter::Problems;
        assert_eq!(app.visible(), vec![1]);
        app.status_filter = StatusFilter::Pending;
        assert_eq!(app.visible(), vec![3]);
        app.status_filter = StatusFilter::All;
        app.area_filter = Some(Area::Node);
        app.sort = SortMode::Catalogue;
        assert_eq!(app.visible(), vec![0, 3]);
        app.area_filter = None;
        app.search = "SUBNET".into();
        assert_eq!(app.visible(), vec![1]);
    }

    #[test]
    fn scope_hides_checks_without_findings_in_it_and_counts_follow() {
        let mut app = app();
        app.rows[0].set_done(
            vec![{
                let mut f = finding("a", Status::Warn, "on win-2");
                f.node = Some("win-2".into());
                f.subject = Subject::node("win-2");
                f
            }],
            Duration::ZERO,
            &Scope::default(),
        );
        app.set_scope(Scope {
            node: Some("win-2".into()),
            namespace: None,
        });
        // a has a finding about win-2; d has never reported; b and c have nothing about it.
        let ids: Vec<&str> = app
            .visible()
            .iter()
            .map(|i| app.rows[*i].info.id.as_str())
            .collect();
        assert_eq!(ids, ["a", "d"]);
        assert_eq!(app.counts().get(&Some(Status::Warn)), Some(&1));
        assert_eq!(app.counts().get(&Some(Status::Fail)), None);
        assert_eq!(app.finding_counts().values().sum::<usize>(), 1);
        app.set_scope(Scope::default());
        assert_eq!(app.finding_counts().values().sum::<usize>(), 3);
    }

    #[test]
    fn the_findings_table_sorts_and_filters() {
        let mut app = app();
        let row = |app: &App| app.rows[1].clone();
        let r = row(&app);
        let first = |app: &App, r: &Row| r.entry(app.entries(r)[0]).unwrap().message.clone();
        assert_eq!(first(&app, &r), "subnet.env is missing");
        app.detail.reverse = true;
        assert_eq!(first(&app, &r), "ok");
        app.detail.reverse = false;
        app.detail.sort = FindingSort::Message;
        assert_eq!(first(&app, &r), "ok");
        app.detail.search = "SUBNET".into();
        assert_eq!(app.entries(&r).len(), 1);
    }

    #[test]
    fn wall_clock_reads_in_utc() {
        let clock = Clock {
            now: Duration::ZERO,
            frame: 0,
            started_at: Some(time::macros::datetime!(2026-01-23 04:16:40 UTC)),
        };
        assert_eq!(
            clock.wall(Duration::from_secs(65)).as_deref(),
            Some("04:17:45 UTC")
        );
        assert_eq!(Clock::default().wall(Duration::ZERO), None);
    }

    #[test]
    fn filter_and_area_cycles_come_back_to_all() {
        let mut f = StatusFilter::All;
        for _ in 0..9 {
            f = f.next();
        }
        assert_eq!(f, StatusFilter::All);
        let mut a = None;
        for _ in 0..7 {
            a = next_area(a);
        }
        assert_eq!(a, None);
    }

    #[test]
    fn explanations_are_reflowed_into_paragraphs() {
        assert_eq!(
            reflow("\nOne line\nwrapped here.\n\nSecond   para.\n"),
            "One line wrapped here.\n\nSecond para."
        );
    }

    #[test]
    fn the_spinner_never_looks_like_a_status_glyph() {
        let mut app = app();
        for frame in 0..8 {
            app.clock.frame = frame;
            let c = app.spinner();
            for s in Status::ALL {
                assert!(!s.label().starts_with(c), "frame {frame} looks like {s}");
            }
        }
    }

    #[test]
    fn elapsed_reads_naturally() {
        assert_eq!(format_elapsed(Duration::from_millis(42)), "42 ms");
        assert_eq!(format_elapsed(Duration::from_millis(4210)), "4.2s");
        assert_eq!(format_elapsed(Duration::from_secs(12)), "12s");
        assert_eq!(format_elapsed(Duration::from_secs(185)), "3m05s");
    }
}
