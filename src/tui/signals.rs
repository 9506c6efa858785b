//! Termination signals while the TUI runs. Raw mode turns Ctrl-C into a key, but the process can
//! still be told to stop from outside: SIGTERM (`kill`, systemd, a container runtime), SIGHUP (the
//! terminal or SSH session went away), SIGINT and SIGQUIT sent with `kill`; on Windows, the console
//! window closing or Ctrl-Break. The event loop waits on `Stop::recv` and, when a signal arrives,
//! leaves the loop so that the terminal guard restores raw mode, the alternate screen, mouse capture
//! and bracketed paste before the process exits with 128 + the signal number.

/// A stop request: the signal's name and the exit code to leave with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub name: &'static str,
    pub exit_code: i32,
}

#[cfg(unix)]
mod imp {
    use super::Stopped;
    use tokio::signal::unix::{signal, Signal, SignalKind};

    pub struct Stop {
        signals: Vec<(Signal, Stopped)>,
    }

    impl Stop {
        /// Listens for the termination signals; those that cannot be listened for are left out.
        pub fn listen() -> Stop {
            let wanted = [
                (SignalKind::terminate(), "SIGTERM", 15),
                (SignalKind::hangup(), "SIGHUP", 1),
                (SignalKind::interrupt(), "SIGINT", 2),
                (SignalKind::quit(), "SIGQUIT", 3),
            ];
            let signals = wanted
                .into_iter()
                .filter_map(|(kind, name, number)| {
                    signal(kind).ok().map(|s| {
                        (
                            s,
                            Stopped {
                                name,
                                exit_code: 128 + number,
                            },
                        )
                    })
                })
                .collect();
            Stop { signals }
        }

        /// Waits for the next signal (forever when none could be listened for).
        pub async fn recv(&mut self) -> Stopped {
            std::future::poll_fn(|cx| {
                for (signal, stopped) in &mut self.signals {
                    if signal.poll_recv(cx).is_ready() {
                        return std::task::Poll::Ready(*stopped);
                    }
                }
                std::task::Poll::Pending
            })
            .await
        }
    }
}

#[cfg(windows)]
mod imp {
    use super::Stopped;
    use tokio::signal::windows::{ctrl_break, ctrl_close, CtrlBreak, CtrlClose};

    pub struct Stop {
        close: Option<CtrlClose>,
        brk: Option<CtrlBreak>,
    }

    impl Stop {
        pub fn listen() -> Stop {
            Stop {
                close: ctrl_close().ok(),
                brk: ctrl_break().ok(),
            }
        }

        pub async fn recv(&mut self) -> Stopped {
            std::future::poll_fn(|cx| {
                if let Some(c) = self.close.as_mut() {
                    if c.poll_recv(cx).is_ready() {
                        return std::task::Poll::Ready(Stopped {
                            name: "CTRL_CLOSE",
                            exit_code: 128 + 1,
                        });
                    }
                }
                if let Some(b) = self.brk.as_mut() {
                    if b.poll_recv(cx).is_ready() {
                        return std::task::Poll::Ready(Stopped {
                            name: "CTRL_BREAK",
                            exit_code: 128 + 21,
                        });
                    }
                }
                std::task::Poll::Pending
            })
            .await
        }
    }
}

pub use imp::Stop;
