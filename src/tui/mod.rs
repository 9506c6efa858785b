//! The interactive TUI (`windoctor` with no `--report`, stdout a terminal): the checklist of every
//! selected check with live status, the details of a check with evidence and fix commands, filters,
//! search, reruns, export and clipboard copy.
//!
//! Layout of the module: `state` (the model), `update` (engine updates, keys and mouse -> state and
//! effects), `keymap` (the key table that drives `update`, the help screen and the footer hints),
//! `view` (pure rendering), `theme` (ANSI-16 colours, NO_COLOR), `terminal` (raw mode, alternate
//! screen, restore on exit and panic), `clipboard` (OSC 52) and `export` (report and fixes files).
//! This file is the event loop: it draws the first frame with every check pending before any source
//! is read, then waits on terminal events, engine updates and a 100 ms tick for the spinner.

pub mod clipboard;
pub mod export;
pub mod keymap;
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
    first_frame: Duration,
    all_results_frame: Option<Duration>,
    frames: u32,
    render_total: Duration,
    render_max: Duration,
}

impl FrameStats {
    fn report(&self) -> String {
        let mean = if self.frames > 0 {
            self.render_total / self.frames
        } else {
            Duration::ZERO
        };
        format!(
            "windoctor tui: first frame {:.1} ms after start; all results on screen at {}; {} frames, render mean {:.0} µs, max {:.0} µs",
            self.first_frame.as_secs_f64() * 1e3,
            self.all_results_frame
                .map_or("-".to_string(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3)),
            self.frames,
            mean.as_secs_f64() * 1e6,
            self.render_max.as_secs_f64() * 1e6,
        )
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

/// Runs the TUI until the operator quits; returns the exit code for the findings on screen.
pub async fn run(plan: &RunPlan, threshold: Option<u8>) -> i32 {
    let started = Instant::now();
    let mut app = App::new(
        CheckInfo::selected(&plan.selection),
        theme::Theme::from_env(),
    );
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
    let mut stats = FrameStats::default();
    draw(&mut session, &app, &mut stats);
    stats.first_frame = started.elapsed();

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (engine_future, mut rx) = start_engine(plan);
    let mut engine = Some(engine_future);
    let mut rx_open = true;
    let mut fatal: Option<String> = None;

    loop {
        let mut dirty = false;
        let mut effect = None;
        tokio::select! {
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
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    effect = update::on_key(&mut app, key);
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
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    fatal = Some(format!("cannot read the terminal: {e}"));
                }
                None => effect = Some(Effect::Quit),
            },
            _ = tick.tick() => {
                dirty = update::on_tick(&mut app, started.elapsed());
                if terminal::panicked() {
                    fatal = Some("stopped after an internal error (the panic message is above)".to_string());
                }
            }
        }
        if fatal.is_some() {
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
        }
    }
    drop(session);

    if let Some(e) = fatal {
        eprintln!("windoctor: {e}");
        return crate::exit::EXIT_USAGE;
    }
    for path in &app.written {
        eprintln!("windoctor: wrote {path}");
    }
    eprintln!("windoctor: {}", summary(&app));
    if std::env::var_os("WINDOCTOR_TUI_STATS").is_some() {
        eprintln!("{}", stats.report());
    }
    exit_code(threshold, &app)
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
            app.notify(
                Tone::Info,
                "rerunning every check: reading the sources again",
            );
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

/// `26 checks: 3 fail, 1 error, ...` for stderr after the TUI closes.
fn summary(app: &App) -> String {
    let counts = app.counts();
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
