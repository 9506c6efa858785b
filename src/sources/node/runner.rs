//! Running the node's own tools (PowerShell, sc.exe) as subprocesses, behind a trait so that the
//! collector's parsing is tested with canned outputs on any OS.
//!
//! `SystemRunner` runs real programs with a timeout and returns stdout; `FakeRunner` answers from a
//! table keyed by command id. Every command the collector runs is a `NodeCommand` with a stable id
//! (`services`, `hns-networks`, `sc-qc:kubelet`...), the program and its arguments.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One command the collector runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCommand {
    /// Stable id, also the key of `FakeRunner`'s table.
    pub id: String,
    pub program: String,
    pub args: Vec<String>,
}

impl NodeCommand {
    pub fn new(id: &str, program: &str, args: &[&str]) -> Self {
        NodeCommand {
            id: id.to_string(),
            program: program.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// A PowerShell script run without profile, non-interactively, with errors as a failure exit.
    pub fn powershell(id: &str, script: &str) -> Self {
        let wrapped = format!(
            "$ErrorActionPreference='Stop'; $ProgressPreference='SilentlyContinue'; {script}"
        );
        NodeCommand::new(
            id,
            "powershell.exe",
            &[
                "-NoLogo",
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-Command",
                &wrapped,
            ],
        )
    }

    /// The command as one would type it, for messages.
    pub fn display(&self) -> String {
        let mut words = vec![self.program.clone()];
        words.extend(self.args.iter().cloned());
        crate::facts::node::cmdline::join_for_display(&words)
    }
}

pub trait CommandRunner: Send + Sync {
    /// Runs `cmd` and returns its stdout, or a sentence saying why it failed (not found, exit code
    /// with the first stderr line, timeout).
    fn run(&self, cmd: &NodeCommand) -> Result<Vec<u8>, String>;
}

/// Runs real programs.
pub struct SystemRunner {
    pub timeout: Duration,
}

impl Default for SystemRunner {
    fn default() -> Self {
        SystemRunner {
            timeout: Duration::from_secs(60),
        }
    }
}

impl CommandRunner for SystemRunner {
    fn run(&self, cmd: &NodeCommand) -> Result<Vec<u8>, String> {
        let mut child = Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", cmd.program))?;
        // Read both pipes on threads so a chatty program cannot block on a full pipe.
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let out = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut buf);
            }
            buf
        });
        let err = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(64 * 1024).read_to_end(&mut buf);
            }
            buf
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{} did not finish within {}s",
                        cmd.program,
                        self.timeout.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("cannot wait for {}: {e}", cmd.program)),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if status.success() {
            Ok(stdout)
        } else {
            let text = crate::sources::text::decode(&stderr);
            let first = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            let out_text = crate::sources::text::decode(&stdout);
            let detail = if first.is_empty() {
                out_text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("")
                    .to_string()
            } else {
                first
            };
            Err(format!(
                "{} exited with {}{}",
                cmd.program,
                status
                    .code()
                    .map(|c| format!("code {c}"))
                    .unwrap_or_else(|| "a signal".to_string()),
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ))
        }
    }
}

/// Answers from a table keyed by command id; unknown ids fail like a missing program.
#[derive(Default)]
pub struct FakeRunner {
    pub answers: BTreeMap<String, Result<Vec<u8>, String>>,
}

impl FakeRunner {
    pub fn answer(mut self, id: &str, stdout: impl Into<Vec<u8>>) -> Self {
        self.answers.insert(id.to_string(), Ok(stdout.into()));
        self
    }
    pub fn fail(mut self, id: &str, why: &str) -> Self {
        self.answers.insert(id.to_string(), Err(why.to_string()));
        self
    }
}

impl CommandRunner for FakeRunner {
    fn run(&self, cmd: &NodeCommand) -> Result<Vec<u8>, String> {
        match self.answers.get(&cmd.id) {
            Some(a) => a.clone(),
            None => Err(format!(
                "cannot run {}: program not found (no fake answer for {})",
                cmd.program, cmd.id
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_runner_answers_by_id() {
        let r = FakeRunner::default()
            .answer("services", "[]")
            .fail("hns-networks", "Get-HnsNetwork is not recognized");
        assert_eq!(
            r.run(&NodeCommand::powershell("services", "x")),
            Ok(b"[]".to_vec())
        );
        assert!(r
            .run(&NodeCommand::powershell("hns-networks", "x"))
            .unwrap_err()
            .contains("not recognized"));
        assert!(r
            .run(&NodeCommand::new("other", "sc.exe", &[]))
            .unwrap_err()
            .contains("no fake answer"));
    }

    #[test]
    fn system_runner_reports_missing_programs_and_exit_codes() {
        let r = SystemRunner {
            timeout: Duration::from_secs(20),
        };
        let missing = r.run(&NodeCommand::new("x", "windoctor-no-such-program", &[]));
        assert!(missing.unwrap_err().contains("cannot run"));
        let (ok, fail) = if cfg!(windows) {
            (
                NodeCommand::new("echo", "cmd.exe", &["/C", "echo hello"]),
                NodeCommand::new("exit", "cmd.exe", &["/C", "echo oops 1>&2 & exit 3"]),
            )
        } else {
            (
                NodeCommand::new("echo", "sh", &["-c", "echo hello"]),
                NodeCommand::new("exit", "sh", &["-c", "echo oops >&2; exit 3"]),
            )
        };
        let out = r.run(&ok).expect("runs");
        assert!(crate::sources::text::decode(&out).contains("hello"));
        let err = r.run(&fail).unwrap_err();
        assert!(err.contains("code 3") && err.contains("oops"), "{err}");
    }
}
