//! The TUI in a real terminal (tmux, on a private server socket): termination signals restore the
//! terminal (no alternate screen, no mouse reporting, cursor shown, cooked mode) and exit with 128 +
//! the signal number; a bracketed paste is text, never keys, so pasting `node⏎wem` neither quits
//! nor writes files, and a paste into the search box searches for it; when the terminal goes away
//! and no SIGHUP reaches windoctor (it is not the session leader), it exits instead of spinning on
//! the dead terminal (crossterm-rs/crossterm#793).
//!
//! Needs tmux. Without it the tests skip, except where `.ci/run` installs it and sets
//! `WINDOCTOR_REQUIRE_EXTRA_TOOLS=1`, where a missing tmux fails them. Unix only (tmux, signals),
//! so that `cargo test --target x86_64-pc-windows-gnu` builds every test target.
#![cfg(unix)]

mod helpers;

use rustix::process::Signal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// A private tmux server, or `None` (skip) when tmux is not installed.
    fn start(name: &str) -> Option<Tmux> {
        let found = Command::new("tmux").arg("-V").output().is_ok();
        if !found {
            assert!(
                std::env::var_os("WINDOCTOR_REQUIRE_EXTRA_TOOLS").is_none(),
                "tmux is required where WINDOCTOR_REQUIRE_EXTRA_TOOLS is set (.ci/run installs it)"
            );
            eprintln!("skipping: tmux is not installed");
            return None;
        }
        Some(Tmux {
            socket: format!("windoctor-test-{}-{name}", std::process::id()),
        })
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn flag(&self, name: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", &format!("#{{{name}}}")])
            .trim()
            .to_string()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(Instant::now() < deadline, "{what:?} never showed:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Starts `windoctor --demo` in a 100x30 pane whose shell records the exit code and `stty -a`
/// afterwards into `dir`; returns the windoctor process id.
fn launch(tmux: &Tmux, dir: &Path) -> u32 {
    launch_with(tmux, dir, "")
}

/// `launch`, with windoctor started through `wrapper` (e.g. `setsid`).
fn launch_with(tmux: &Tmux, dir: &Path, wrapper: &str) -> u32 {
    let bin = env!("CARGO_BIN_EXE_windoctor");
    let d = dir.display();
    let script = format!(
        "sh -c 'echo $$ > {d}/pid; exec {wrapper} {bin} --demo' 2>{d}/stderr; echo $? > {d}/rc; stty -a > {d}/stty; sleep 60"
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &d.to_string(),
        &script,
    ]);
    tmux.wait_for("took");
    let pid = std::fs::read_to_string(dir.join("pid")).expect("pid written");
    pid.trim().parse().expect("a pid")
}

fn wait_file(path: PathBuf) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(s) = std::fs::read_to_string(&path) {
            if !s.is_empty() {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal_restores(signal: &str, number: Signal, code: i32) {
    let Some(tmux) = Tmux::start(&signal.to_lowercase()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pid = launch(&tmux, dir.path());
    assert_eq!(tmux.flag("alternate_on"), "1");
    assert_eq!(tmux.flag("mouse_any_flag"), "1");
    helpers::send_signal(pid, number).expect("signal sent");
    let rc = wait_file(dir.path().join("rc"));
    assert_eq!(rc.trim(), code.to_string());
    let stty = wait_file(dir.path().join("stty"));
    assert!(
        stty.contains(" icanon") && stty.contains(" echo "),
        "still raw after {signal}: {stty}"
    );
    assert_eq!(tmux.flag("alternate_on"), "0", "alternate screen left on");
    assert_eq!(tmux.flag("mouse_any_flag"), "0", "mouse reporting left on");
    assert_eq!(tmux.flag("cursor_flag"), "1", "cursor left hidden");
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(
        stderr.contains(&format!("stopped by SIG{signal}")),
        "{stderr}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores("TERM", Signal::TERM, 143);
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores("HUP", Signal::HUP, 129);
}

#[test]
fn a_paste_is_text_and_never_runs_hotkeys() {
    let Some(tmux) = Tmux::start("paste") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    launch(&tmux, dir.path());
    // `w` writes a fixes file, `e` and `m` reports, `q` quits: none of them may act.
    tmux.run(&["set-buffer", "-b", "p", "node\nwemq"]);
    tmux.run(&["paste-buffer", "-p", "-b", "p", "-t", "t"]);
    tmux.wait_for("pasted text ignored");
    tmux.keys(&["/"]);
    tmux.run(&["paste-buffer", "-p", "-b", "p", "-t", "t"]);
    tmux.wait_for("/node wemq_");
    // Typed text in the search is text too.
    tmux.keys(&["C-u", "w", "e", "m", "q", "Enter"]);
    tmux.wait_for("search: \"wemq\"");
    let written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("windoctor-"))
        .collect();
    assert!(written.is_empty(), "files written: {written:?}");
    assert_eq!(tmux.flag("alternate_on"), "1", "the TUI quit");
}

/// Whether process `pid` still runs (a zombie counts as gone).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let state = s.rsplit_once(')')?.1.split_whitespace().next()?.to_string();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// CPU time of process `pid` in clock ticks (user + system).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the command: state is field 3, utime 14 and stime 15.
    let at = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    at(14) + at(15)
}

#[test]
fn the_tui_exits_when_its_terminal_goes_away_without_a_sighup() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("skipping: needs /proc to follow the process");
        return;
    }
    if Command::new("setsid").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("WINDOCTOR_REQUIRE_EXTRA_TOOLS").is_none(),
            "setsid (util-linux) is required where WINDOCTOR_REQUIRE_EXTRA_TOOLS is set"
        );
        eprintln!("skipping: setsid is not installed");
        return;
    }
    let Some(tmux) = Tmux::start("gone") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // In a session of its own, windoctor gets no SIGHUP when the terminal goes away (as when it
    // is not the session leader and the shell exits first); its terminal is still the pane's.
    // Without the hang-up watch it stayed, spinning at a quarter of a core.
    let pid = launch_with(&tmux, dir.path(), "setsid");
    tmux.run(&["kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if running(pid) {
        let before = cpu_ticks(pid);
        std::thread::sleep(Duration::from_secs(1));
        let spent = cpu_ticks(pid) - before;
        let _ = helpers::send_signal(pid, Signal::KILL);
        panic!("windoctor still runs 5 s after its terminal went away ({spent} CPU ticks in the last second)");
    }
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(stderr.contains("the terminal went away"), "{stderr}");
}
