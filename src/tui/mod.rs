//! The interactive TUI (`windoctor` with no `--report`, stdout a terminal): the checklist of every
//! selected check with live status, narrowed to one Windows node or namespace if asked; the details
//! of a check as a findings table with the selected finding's evidence, fix and commands; the
//! whole text of an evidence, the Node, Pod or DaemonSet a finding is about, the commands alone for
//! copying; filters, search, reruns and periodic refresh with what changed marked, export and
//! clipboard copy.
//!
//! Layout of the module: `state` (the model), `row` (one check and what changed between runs),
//! `scope` (node and namespace scope, the pickers' lists), `screens` (the state of the screens
//! opened from a check), `evidence` and `describe` (what the viewer and the object summary show,
//! from what the run gathered), `input` (text inputs and pastes), `update` (engine updates, keys,
//! pastes and mouse -> state and effects), `keymap` (the key table that drives `update`, the help
//! screen and the footer hints), `view` (pure rendering), `theme` (ANSI-16 colours, NO_COLOR),
//! `terminal` (raw mode, alternate screen, bracketed paste, restore on exit and panic), `signals`
//! (termination signals), `hangup` (the terminal went away without a signal), `clipboard` (OSC 52) and `export` (report and fixes files).
//! This file is the event loop: it draws the first frame with every check pending before any source
//! is read, then sleeps until a terminal event, an engine update, a signal, a panic on another
//! thread, or the next moment the screen changes by itself (`update::next_wake`: the spinner while
//! a run goes on, the `--refresh` countdown). It draws only when something changed, so an idle TUI
//! costs no CPU.

pub mod clipboard;
pub mod describe;
pub mod evidence;
pub mod export;
pub mod hangup;
pub mod input;
pub mod keymap;
pub mod row;
pub mod scope;
pub mod screens;
pub mod signals;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

#[cfg(test)]
mod tests;

use crate::engine::{self, Update};
use crate::findings::Status;
use crate::plan::RunPlan;
use crate::report::ReportFormat;
use futures_util::StreamExt;
use ratatui::crossterm::event::{Event, EventStream};
use state::{App, CheckInfo, Tone};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use update::Effect;

/// Frame timing, printed to stderr at exit when `WINDOCTOR_TUI_STATS` is set.
#[derive(Debug, Default)]
struct FrameStats {
    /// When the checklist was built and when the terminal was in TUI mode.
    app_ready: Duration,
    terminal_ready: Duration,
    first_frame: Duration,
    all_results_frame: Option<Duration>,
    frames: u32,
    render_total: Duration,
    render_max: Duration,
    /// From reading a key, paste or mouse event to the end of the frame that shows its effect.
    inputs: u32,
    input_total: Duration,
    input_max: Duration,
}

impl FrameStats {
    fn report(&self) -> String {
        let mean = |total: Duration, n: u32| if n > 0 { total / n } else { Duration::ZERO };
        format!(
            "windoctor tui: checklist built at {:.1} ms, terminal ready at {:.1} ms, first frame {:.1} ms after start; all results on screen at {}; {} frames, render mean {:.0} µs, max {:.0} µs; {} keys, key-to-redraw mean {:.1} ms, max {:.1} ms",
            self.app_ready.as_secs_f64() * 1e3,
            self.terminal_ready.as_secs_f64() * 1e3,
            self.first_frame.as_secs_f64() * 1e3,
            self.all_results_frame
                .map_or("-".to_string(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3)),
            self.frames,
            mean(self.render_total, self.frames).as_secs_f64() * 1e6,
            self.render_max.as_secs_f64() * 1e6,
            self.inputs,
            mean(self.input_total, self.inputs).as_secs_f64() * 1e3,
            self.input_max.as_secs_f64() * 1e3,
        )
    }

    fn input_done(&mut self, since: Instant) {
        let took = since.elapsed();
        self.inputs += 1;
        self.input_total += took;
        self.input_max = self.input_max.max(took);
    }
}

/// Sleeps until `at`, or forever when there is nothing to wake for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

type EngineFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Polls the running engine, or never completes when there is none.
fn poll_engine<'a, 'b>(
    engine: &'b mut Option<EngineFuture<'a>>,
) -> impl Future<Output = ()> + use<'a, 'b> {
    std::future::poll_fn(move |cx| match engine.as_mut() {
        Some(f) => f.as_mut().poll(cx),
        None => Poll::Pending,
    })
}

fn start_engine(plan: &RunPlan) -> (EngineFuture<'_>, UnboundedReceiver<Update>) {
    let (tx, rx) = unbounded_channel();
    (Box::pin(engine::run(plan, tx)), rx)
}

/// Runs the TUI until the operator quits (or a termination signal arrives); returns the exit code
/// for the findings on screen (128 + the signal number after a signal).
pub async fn run(plan: &RunPlan, threshold: Option<u8>) -> i32 {
    let started = Instant::now();
    let mut app = App::new(
        CheckInfo::selected(&plan.selection),
        theme::Theme::from_env(),
    );
    app.clock.started_at = Some(time::OffsetDateTime::now_utc());
    app.refresh = plan.refresh;
    // `--node` and `-n` start scoped to that node and namespace.
    app.set_scope(scope::Scope {
        node: plan.node_name.clone(),
        namespace: plan.namespace.clone(),
    });
    let app_ready = started.elapsed();
    let mut stop = signals::Stop::listen();
    let mut hangup = hangup::Hangup::watch();
    let mut session = match terminal::Session::start(app.mouse_captured) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("windoctor: cannot open the interactive terminal UI ({e}); use --report text to print the report instead");
            return crate::exit::EXIT_USAGE;
        }
    };
    if let Ok(size) = session.terminal.size() {
        update::on_resize(&mut app, size.width, size.height);
    }
    let mut stats = FrameStats {
        app_ready,
        terminal_ready: started.elapsed(),
        ..Default::default()
    };
    draw(&mut session, &app, &mut stats);
    stats.first_frame = started.elapsed();

    let mut events = EventStream::new();
    let (engine_future, mut rx) = start_engine(plan);
    let mut engine = Some(engine_future);
    let mut rx_open = true;
    let mut fatal: Option<String> = None;
    let mut stopped: Option<signals::Stopped> = None;

    loop {
        let mut dirty = false;
        let mut effect = None;
        let mut input_at: Option<Instant> = None;
        let wake_at = update::next_wake(&app).map(|at| started + at);
        tokio::select! {
            signal = stop.recv() => stopped = Some(signal),
            () = hangup.recv() => {
                stopped = Some(signals::Stopped {
                    name: "a hang-up (the terminal went away)",
                    exit_code: 128 + 1,
                })
            }
            () = poll_engine(&mut engine), if engine.is_some() => engine = None,
            msg = rx.recv(), if rx_open => match msg {
                Some(first) => {
                    update::on_tick(&mut app, started.elapsed());
                    let mut next = Some(first);
                    while let Some(u) = next.take() {
                        if let Update::Fatal(e) = u {
                            fatal = Some(e);
                            break;
                        }
                        update::apply(&mut app, u);
                        next = rx.try_recv().ok();
                    }
                    dirty = true;
                }
                None => rx_open = false,
            },
            ev = events.next() => {
                input_at = Some(Instant::now());
                match ev {
                    Some(Ok(Event::Key(key))) => {
                        effect = update::on_key(&mut app, key);
                        dirty = true;
                    }
                    Some(Ok(Event::Paste(text))) => {
                        update::on_paste(&mut app, &text);
                        dirty = true;
                    }
                    Some(Ok(Event::Mouse(m))) => {
                        update::on_mouse(&mut app, m);
                        dirty = true;
                    }
                    Some(Ok(Event::Resize(w, h))) => {
                        update::on_resize(&mut app, w, h);
                        dirty = true;
                    }
                    Some(Ok(_)) => input_at = None,
                    Some(Err(e)) => {
                        fatal = Some(format!("cannot read the terminal: {e}"));
                    }
                    None => effect = Some(Effect::Quit),
                }
            },
            () = terminal::panic_notice() => {
                fatal = Some("stopped after an internal error (the panic message is above)".to_string());
            }
            () = sleep_until(wake_at) => {
                dirty = update::on_tick(&mut app, started.elapsed());
                if update::refresh_due(&app) {
                    effect = Some(Effect::RerunAll);
                    dirty = true;
                }
            }
        }
        if fatal.is_some() || stopped.is_some() {
            break;
        }
        match effect {
            Some(Effect::Quit) => break,
            Some(e) => carry_out(e, &mut app, &mut session, || {
                let (f, r) = start_engine(plan);
                engine = Some(f);
                rx = r;
                rx_open = true;
            }),
            None => {}
        }
        if dirty {
            update::on_tick(&mut app, started.elapsed());
            let was_running = app.animating();
            draw(&mut session, &app, &mut stats);
            if !was_running && stats.all_results_frame.is_none() {
                stats.all_results_frame = Some(started.elapsed());
            }
            if let Some(at) = input_at {
                stats.input_done(at);
            }
        }
    }
    drop(session);

    if let Some(s) = stopped {
        say(&format!(
            "windoctor: stopped by {}; the terminal is restored",
            s.name
        ));
        return s.exit_code;
    }
    if let Some(e) = fatal {
        say(&format!("windoctor: {e}"));
        return crate::exit::EXIT_USAGE;
    }
    for path in &app.written {
        say(&format!("windoctor: wrote {path}"));
    }
    say(&format!("windoctor: {}", summary(&app)));
    if std::env::var_os("WINDOCTOR_TUI_STATS").is_some() {
        say(&stats.report());
    }
    exit_code(threshold, &app)
}

/// A line on stderr, which may be the terminal that just went away: unlike `eprintln!`, a failed
/// write is ignored instead of panicking.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn draw(session: &mut terminal::Session, app: &App, stats: &mut FrameStats) {
    let t0 = Instant::now();
    // A failed draw (terminal gone) shows up as an event-stream error right after.
    let _ = session.terminal.draw(|f| view::render(f, app));
    let took = t0.elapsed();
    stats.frames += 1;
    stats.render_total += took;
    stats.render_max = stats.render_max.max(took);
}

/// Performs an effect that touches the outside world and reports it in the footer.
fn carry_out(
    effect: Effect,
    app: &mut App,
    session: &mut terminal::Session,
    restart_engine: impl FnOnce(),
) {
    match effect {
        Effect::Quit => {}
        Effect::Copy { text, what } => {
            let in_tmux = std::env::var_os("TMUX").is_some();
            match session.write_raw(&clipboard::sequences(&text, in_tmux)) {
                Ok(()) => app.notify(
                    Tone::Good,
                    format!("copied {what} · no paste? w writes all fixes to a file"),
                ),
                Err(e) => app.notify(Tone::Bad, format!("copy failed: {e}")),
            }
        }
        Effect::Export(format) => {
            let now = crate::clock::now_rfc3339();
            let stem = format!("windoctor-report-{}", export::file_stamp(&now));
            let written = export::report_text(app, format, now)
                .and_then(|text| write_here(&stem, format.extension(), &text));
            let kind = match format {
                ReportFormat::Json => "JSON report",
                ReportFormat::Markdown => "Markdown report",
                ReportFormat::Text => "text report",
                ReportFormat::Junit => "JUnit report",
                ReportFormat::Sarif => "SARIF report",
            };
            finish_write(app, kind, written);
        }
        Effect::WriteFixes => {
            let now = crate::clock::now_rfc3339();
            let stem = format!("windoctor-fixes-{}", export::file_stamp(&now));
            let text = export::fixes_markdown(app, &now);
            finish_write(app, "fixes", write_here(&stem, "md", &text));
        }
        Effect::RerunAll => {
            update::restart(app);
            restart_engine();
            let why = match app.refresh {
                Some(every) if app.notice.is_none() => format!(
                    "refreshing (every {}): reading the sources again; changes will be marked + and −",
                    humantime::format_duration(every)
                ),
                _ => "refreshing: reading the sources again; changes will be marked + and −"
                    .to_string(),
            };
            app.notify(Tone::Info, why);
        }
        Effect::SetMouse(on) => {
            if let Err(e) = session.set_mouse(on) {
                app.notify(Tone::Bad, format!("cannot change mouse capture: {e}"));
            }
        }
    }
}

fn write_here(stem: &str, ext: &str, text: &str) -> Result<String, String> {
    let dir =
        std::env::current_dir().map_err(|e| format!("cannot find the current directory: {e}"))?;
    export::write_new(&dir, stem, ext, text)
        .map(|p| p.display().to_string())
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

fn finish_write(app: &mut App, kind: &str, written: Result<String, String>) {
    match written {
        Ok(path) => {
            let name = std::path::Path::new(&path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            app.notify(Tone::Good, format!("wrote {kind} to ./{name}"));
            app.written.push(path);
        }
        Err(e) => app.notify(Tone::Bad, format!("{kind} not written: {e}")),
    }
}

/// `26 checks: 3 fail, 1 error, ...` for stderr after the TUI closes (the whole run, whatever
/// the scope).
fn summary(app: &App) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for r in &app.rows {
        *counts.entry(r.status()).or_insert(0usize) += 1;
    }
    let mut parts: Vec<String> = Status::ALL
        .iter()
        .map(|s| format!("{} {}", counts.get(&Some(*s)).copied().unwrap_or(0), s))
        .collect();
    let pending = app.pending();
    if pending > 0 {
        parts.push(format!("{pending} not finished"));
    }
    format!("{} checks: {}", app.rows.len(), parts.join(", "))
}

fn exit_code(threshold: Option<u8>, app: &App) -> i32 {
    let findings = app.all_findings();
    let evaluated = app.gathered.as_ref().is_none_or(|g| g.evaluated_anything());
    crate::exit::code(evaluated, &findings, threshold)
}
