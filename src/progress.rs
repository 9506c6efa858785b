//! Progress of a headless run on stderr. When stderr is a terminal: one live line (inputs read,
//! checks done, what is being read now) drawn with indicatif and cleared at the end. Otherwise
//! (CI logs, files): nothing but one clean line per input that could not be read, so logs stay
//! short and greppable. stdout never carries progress: it is the report's.

use crate::engine::Update;
use crate::facts::InputOutcome;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
    inputs_started: usize,
    inputs_done: usize,
    checks_done: usize,
    checks_total: usize,
    /// Reasons already printed: one unreachable cluster fails every input for one reason.
    printed: Vec<String>,
}

impl Progress {
    /// Progress for a run of `checks_total` checks; live only when stderr is a terminal.
    pub fn new(checks_total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} windoctor: {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            inputs_started: 0,
            inputs_done: 0,
            checks_done: 0,
            checks_total,
            printed: Vec::new(),
        }
    }

    pub fn update(&mut self, u: &Update) {
        let mut now = None;
        match u {
            Update::Source(s) => {
                now = Some(format!("reading {}", crate::redact::redact(&s.describe())))
            }
            Update::InputStarted(name) => {
                self.inputs_started += 1;
                now = Some(format!("reading {name}"));
            }
            Update::InputDone { input, outcome, .. } => {
                self.inputs_done += 1;
                if let InputOutcome::Failed(why) = outcome {
                    let why = crate::redact::redact(why.lines().next().unwrap_or(""));
                    if !self.printed.contains(&why) {
                        self.line(&format!("{input}: {why}"));
                        self.printed.push(why);
                    }
                }
                now = Some(format!("{input} read"));
            }
            Update::Check(r) => {
                self.checks_done += 1;
                now = Some(format!("{} done", r.id));
            }
            _ => {}
        }
        if let (Some(bar), Some(now)) = (&self.bar, now) {
            bar.set_message(format!(
                "{}/{} inputs read, {}/{} checks done · {now}",
                self.inputs_done, self.inputs_started, self.checks_done, self.checks_total
            ));
        }
    }

    /// A line that stays: above the live line on a terminal, a plain line otherwise.
    fn line(&self, text: &str) {
        let text = format!("windoctor: {text}");
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
