//! Benchmark of the TUI's rendering (a measurement, not a test: it prints numbers and asserts
//! nothing about them).
//!
//! - first frame: from an empty state to the first rendered frame with every selected check
//!   pending (what `windoctor` draws before reading any source);
//! - demo: the checks run on the embedded demo bundle, their results applied to the state, then the
//!   checklist, details and help screens rendered at 80x24 and 200x60;
//! - heavy: a synthetic worst case (every check with 40 findings, each with evidence and a fix).
//!
//! Frames are drawn on ratatui's `TestBackend`, so the numbers cover layout, widgets and the buffer
//! diff but not writing escape sequences to a real terminal; `scripts/tui-bench.sh` measures the
//! real binary in tmux for that. Run: `cargo bench --bench tui_render` (add `--profile dev` to skip
//! the optimized build; numbers are then an upper bound).

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::{Duration, Instant};
use windoctor::checks::{self, CheckResult, Selection};
use windoctor::engine::Gathered;
use windoctor::engine::Update;
use windoctor::findings::{Evidence, Finding, Fix, Status, Subject};
use windoctor::sources::{self, SourceKind};
use windoctor::tui::state::{App, CheckInfo, Screen};
use windoctor::tui::theme::Theme;
use windoctor::tui::{update, view};

fn summarize(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "{name:<34} n={n:<5} min {:>8.1} µs  median {:>8.1} µs  mean {:>8.1} µs  p99 {:>8.1} µs",
        samples[0].as_secs_f64() * 1e6,
        pct(0.5).as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
    );
}

fn frame_times(app: &mut App, width: u16, height: u16, iterations: usize) -> Vec<Duration> {
    app.viewport = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let mut out = Vec::with_capacity(iterations);
    for i in 0..iterations {
        // Move the spinner so each frame differs a little, as it does while a run is going.
        app.clock.frame = i as u64;
        let t0 = Instant::now();
        terminal
            .draw(|f| view::render(f, app))
            .expect("draw on test backend");
        out.push(t0.elapsed());
    }
    out
}

fn first_frame(iterations: usize) -> Vec<Duration> {
    (0..iterations)
        .map(|_| {
            let t0 = Instant::now();
            let mut app = App::new(CheckInfo::selected(&Selection::default()), Theme::COLOR);
            app.viewport = (80, 24);
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
            terminal
                .draw(|f| view::render(f, &app))
                .expect("draw on test backend");
            t0.elapsed()
        })
        .collect()
}

fn demo_app() -> (App, Duration) {
    let t0 = Instant::now();
    let sel = Selection::default();
    let mut app = App::new(CheckInfo::selected(&sel), Theme::COLOR);
    let world = windoctor::model::World::new(sources::demo::facts());
    update::apply(&mut app, Update::Source(SourceKind::Demo));
    for id in sel.ids() {
        update::apply(&mut app, Update::Check(checks::run_on(id, &world)));
    }
    update::apply(
        &mut app,
        Update::Finished(Box::new(Gathered {
            world,
            source: SourceKind::Demo,
        })),
    );
    (app, t0.elapsed())
}

fn heavy_app() -> App {
    let sel = Selection::default();
    let mut app = App::new(CheckInfo::selected(&sel), Theme::COLOR);
    for id in sel.ids() {
        let findings = (0..40)
            .map(|i| {
                let status = [Status::Fail, Status::Warn, Status::Pass, Status::Info][i % 4];
                let mut f = Finding {
                    check: id.to_string(),
                    code: String::new(),
                    node: None,
                    title: id.to_string(),
                    status,
                    subject: Subject::namespaced("Pod", "default", format!("web-{i}")),
                    message: format!(
                        "web-{i} runs an ltsc2019 image on build 20348 (ltsc2022) under process isolation, so it cannot start"
                    ),
                    evidence: vec![],
                    fix: None,
                    docs: vec![],
                    muted: None,
                };
                f.evidence(Evidence::event(
                    format!("Event default/web-{i} Failed"),
                    "Failed to pull image: no matching manifest for windows/amd64 10.0.20348 in the manifest list entries",
                ))
                .with_fix(Fix {
                    text: "Use the image tag that matches the node build.".into(),
                    commands: vec![format!(
                        "kubectl set image pod/web-{i} -n default web=mcr.microsoft.com/windows/servercore:ltsc2022"
                    )],
                });
                f
            })
            .collect();
        update::apply(
            &mut app,
            Update::Check(CheckResult {
                id: id.to_string(),
                findings,
                elapsed: Duration::ZERO,
            }),
        );
    }
    app
}

fn main() {
    let iterations = std::env::var("TUI_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    println!("windoctor TUI render benchmark ({iterations} frames per case; TestBackend)");
    summarize("first frame (all pending, 80x24)", first_frame(iterations));

    let (mut demo, demo_run) = demo_app();
    println!(
        "demo: ran {} checks and applied their results in {:.2} ms",
        demo.rows.len(),
        demo_run.as_secs_f64() * 1e3
    );
    for (w, h) in [(80, 24), (200, 60)] {
        for screen in [Screen::Checklist, Screen::Detail, Screen::Help] {
            demo.screen = screen;
            let name = format!("demo {screen:?} {w}x{h}");
            summarize(&name, frame_times(&mut demo, w, h, iterations));
        }
    }
    let mut heavy = heavy_app();
    for (w, h) in [(80, 24), (200, 60)] {
        for screen in [Screen::Checklist, Screen::Detail] {
            heavy.screen = screen;
            let name = format!("heavy {screen:?} {w}x{h}");
            summarize(&name, frame_times(&mut heavy, w, h, iterations));
        }
    }
}
