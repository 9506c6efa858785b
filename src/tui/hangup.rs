//! Notices when the terminal goes away while no SIGHUP reaches windoctor: a tmux pane or server
//! killed, an SSH session dropped, while windoctor is not the session leader (started from a
//! script, `sh -c`, a shell with `nohup` set). crossterm's event reader then spins at full CPU on
//! the dead terminal forever, because a hung-up tty stays readable while `read` returns 0 or `EIO`
//! (crossterm-rs/crossterm#793; the fix, crossterm-rs/crossterm#1067, is not released), so the TUI
//! has to stop by itself.
//!
//! A thread blocks in poll(2) on the terminal asking for no events: poll still reports `POLLHUP`,
//! `POLLERR` and `POLLNVAL`, so the thread sleeps until the terminal hangs up, reads no byte of
//! input (keys stay crossterm's) and needs no periodic wake-up. On Windows, where the console
//! closing arrives as a signal (`signals`), there is nothing to watch.

/// Completes once the terminal has hung up.
pub struct Hangup {
    rx: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl Hangup {
    /// Starts watching the terminal the TUI reads keys from (stdin, or /dev/tty when stdin is not
    /// a terminal, as crossterm does). When it cannot be watched, `recv` never completes.
    pub fn watch() -> Hangup {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let started = std::thread::Builder::new()
            .name("windoctor-hangup".into())
            .spawn(move || {
                if imp::wait_for_hangup() {
                    let _ = tx.send(());
                }
            });
        Hangup {
            rx: started.ok().map(|_| rx),
        }
    }

    /// Waits until the terminal hangs up (forever when it cannot be watched).
    pub async fn recv(&mut self) {
        match self.rx.as_mut() {
            Some(rx) => {
                if rx.await.is_err() {
                    // The watcher gave up (poll failed): nothing more to wait for.
                    self.rx = None;
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(unix)]
mod imp {
    use rustix::event::{poll, PollFd, PollFlags};
    use std::io::IsTerminal;
    use std::os::fd::AsFd;

    /// Blocks until the terminal hangs up (`true`), or returns `false` when there is no terminal
    /// to watch or poll fails.
    pub fn wait_for_hangup() -> bool {
        let stdin = std::io::stdin();
        let tty = if stdin.is_terminal() {
            None
        } else {
            match std::fs::File::open("/dev/tty") {
                Ok(f) => Some(f),
                Err(_) => return false,
            }
        };
        let fd = match &tty {
            Some(f) => f.as_fd(),
            None => stdin.as_fd(),
        };
        loop {
            let mut fds = [PollFd::new(&fd, PollFlags::empty())];
            match poll(&mut fds, None) {
                Ok(_) => {
                    let gone = PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL;
                    if fds[0].revents().intersects(gone) {
                        return true;
                    }
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return false,
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn wait_for_hangup() -> bool {
        false
    }
}
