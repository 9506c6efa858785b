//! Benchmark of the TUI's rendering (a measurement, not a test: it prints numbers and asserts
//! nothing about them).
//!
//! - first frame: from an empty state to the first rendered frame with every selected check
//!   pending (what `windoctor` draws before reading any source);
//! - demo: the checks run on the embedded demo bundle, their results applied to the state, then the
//!   checklist, details and help screens rendered at 80x24 and 200x60;
//! - heavy: a synthetic worst case (every check with 40 findings, each with evidence and a fix);
//! - fleet: the checks run on a generated cluster (testkit, `TUI_BENCH_CLUSTER`, default
//!   `nodes=5000,pods=150000,seed=1`, written as a kubectl bundle and read back), then a walk through
//!   every screen (details, evidence, object, commands, the node picker with a typed name, the
//!   scope) at 80x24 and 200x60, timing each key from `update::on_key` to the end of its frame;
//!   `TUI_BENCH_CLUSTER=none` skips it.
//!
//! Frames are drawn on ratatui's `TestBackend`, so the numbers cover layout, widgets and the buffer
//! diff but not writing escape sequences to a real terminal; `scripts/tui-bench.sh` measures the
//! real binary in tmux for that. Run: `cargo bench --bench tui_render` (add `--profile dev` to skip
//! the optimized build; numbers are then an upper bound).

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
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

/// The app after a run on a generated cluster, and how long reading and checking took.
fn fleet_app(spec: &str) -> Option<(App, Duration)> {
    let spec = windoctor_testkit::GenerateSpec::parse(spec)
        .expect("TUI_BENCH_CLUSTER is nodes=N,pods=M,seed=S");
    let mut data = windoctor_testkit::ClusterData::generate(&spec).expect("the cluster generates");
    let dir = tempfile::tempdir().expect("a temporary directory");
    data.write_kubectl_bundle(dir.path())
        .expect("the bundle is written");
    drop(data);
    let mut plan = windoctor::plan::RunPlan::demo();
    plan.source = windoctor::plan::SourceChoice::Snapshot(dir.path().to_path_buf());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let t0 = Instant::now();
    let (findings, gathered) = runtime
        .block_on(windoctor::engine::run_to_end(&plan))
        .expect("the run finishes");
    let took = t0.elapsed();
    let sel = Selection::default();
    let mut app = App::new(CheckInfo::selected(&sel), Theme::COLOR);
    update::apply(&mut app, Update::Source(gathered.source.clone()));
    for id in sel.ids() {
        let of_check: Vec<Finding> = findings.iter().filter(|f| f.check == id).cloned().collect();
        update::apply(
            &mut app,
            Update::Check(CheckResult {
                id: id.to_string(),
                findings: of_check,
                elapsed: Duration::ZERO,
            }),
        );
    }
    update::apply(&mut app, Update::Finished(Box::new(gathered)));
    Some((app, took))
}

fn key(c: &str) -> KeyEvent {
    let code = match c {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "Home" => KeyCode::Home,
        c => KeyCode::Char(c.chars().next().unwrap_or(' ')),
    };
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// Times each key of a walk through the screens: update plus the frame that shows it.
fn walk(app: &mut App, width: u16, height: u16, node: &str) -> Vec<(String, Duration)> {
    update::on_resize(app, width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| view::render(f, app)).expect("draw");
    let mut keys: Vec<String> = [
        "j", "k", "Enter", "j", "j", "s", "s", "Enter", "Esc", "o", "Tab", "Esc", "C", "Esc", "/",
        "p", "o", "d", "Enter", "x", "Esc", "N",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    keys.extend(node.chars().map(|c| c.to_string()));
    keys.extend(
        [
            "Enter", "Enter", "Enter", "Esc", "Esc", "A", "Home", "Enter", "N", "Home", "Enter",
            "/",
        ]
        .map(String::from),
    );
    keys.extend(node.chars().map(|c| c.to_string()));
    keys.extend(["Enter", "Esc"].map(String::from));
    keys.into_iter()
        .map(|k| {
            let t0 = Instant::now();
            let _ = update::on_key(app, key(&k));
            terminal.draw(|f| view::render(f, app)).expect("draw");
            (k, t0.elapsed())
        })
        .collect()
}

fn fleet() {
    let spec = std::env::var("TUI_BENCH_CLUSTER")
        .unwrap_or_else(|_| "nodes=5000,pods=150000,seed=1".into());
    if spec == "none" {
        return;
    }
    let Some((mut app, took)) = fleet_app(&spec) else {
        return;
    };
    let findings: usize = app.rows.iter().map(|r| r.findings().len()).sum();
    println!(
        "fleet {spec}: read the bundle and ran {} checks in {:.1} s: {findings} findings",
        app.rows.len(),
        took.as_secs_f64()
    );
    // The node with the worst findings, as the picker lists it first.
    let windows = app
        .gathered
        .as_ref()
        .map(|g| g.environment().windows_nodes)
        .unwrap_or_default();
    let entries =
        windoctor::tui::scope::node_entries(&windows, app.rows.iter().flat_map(|r| r.findings()));
    let node = entries
        .first()
        .map_or("none".to_string(), |e| e.name.clone());
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        app.screen = Screen::Checklist;
        app.set_scope(Default::default());
        app.search.clear();
        let times = walk(&mut app, w, h, &node);
        let mut sorted: Vec<Duration> = times.iter().map(|(_, d)| *d).collect();
        sorted.sort();
        let line: Vec<String> = times
            .iter()
            .map(|(k, d)| format!("{k}={:.1}", d.as_secs_f64() * 1e3))
            .collect();
        println!("fleet {w}x{h}: key-to-frame (ms): {}", line.join(" "));
        println!(
            "fleet {w}x{h}: {} keys (picked node {node}): median {:.2} ms, max {:.2} ms",
            sorted.len(),
            sorted[sorted.len() / 2].as_secs_f64() * 1e3,
            sorted[sorted.len() - 1].as_secs_f64() * 1e3
        );
        app.screen = Screen::Checklist;
        summarize(
            &format!("fleet checklist {w}x{h}"),
            frame_times(&mut app, w, h, 50),
        );
    }
}

fn main() {
    let iterations = std::env::var("TUI_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    println!("windoctor TUI render benchmark ({iterations} frames per case; TestBackend)");
    let t0 = Instant::now();
    let checks = CheckInfo::selected(&Selection::default());
    println!(
        "checklist of {} checks with the catalogue loaded on first use: {:.1} ms",
        checks.len(),
        t0.elapsed().as_secs_f64() * 1e3
    );
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
    fleet();
}
