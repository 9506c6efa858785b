//! Terminal setup and teardown: raw mode, the alternate screen, mouse capture, bracketed paste,
//! hidden cursor. The terminal is restored on every way out: normal return (the `Session` guard's
//! `Drop`), early returns and errors (same guard), panics (a panic hook that restores before the
//! panic message is printed, so the message is readable and the shell is usable), and termination
//! signals (the event loop stops on SIGTERM, SIGHUP, SIGINT and SIGQUIT, see `signals`, and drops
//! the guard). Restoring twice is harmless.

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is currently in TUI mode (so restore only undoes what was done).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Set by the panic hook: a panic on another thread (an engine task) has restored the terminal, so
/// the event loop must stop drawing and exit.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether some thread panicked since the TUI started.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Woken by the panic hook, so that the event loop, which sleeps while nothing happens, learns of
/// a panic on another thread at once.
static PANIC_NOTICE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Completes when some thread has panicked since the TUI started.
pub async fn panic_notice() {
    while !panicked() {
        PANIC_NOTICE.notified().await;
    }
}

/// Owns the TUI mode of the terminal; dropping it restores the terminal.
pub struct Session {
    pub terminal: Tui,
}

impl Session {
    /// Enters raw mode and the alternate screen, with mouse capture when `mouse` is true.
    pub fn start(mouse: bool) -> io::Result<Session> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        let entered = execute!(
            stdout,
            EnterAlternateScreen,
            cursor::Hide,
            EnableBracketedPaste
        )
        .and_then(|_| {
            if mouse {
                execute!(stdout, EnableMouseCapture)
            } else {
                Ok(())
            }
        });
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Session { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        let out = self.terminal.backend_mut();
        if on {
            execute!(out, EnableMouseCapture)
        } else {
            execute!(out, DisableMouseCapture)
        }
    }

    /// Writes raw bytes (an OSC 52 sequence) to the terminal.
    pub fn write_raw(&mut self, bytes: &str) -> io::Result<()> {
        let out = self.terminal.backend_mut();
        out.write_all(bytes.as_bytes())?;
        out.flush()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the TUI mode if it is on: mouse capture off, main screen, cursor shown, raw mode off.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

/// Restores the terminal before the default panic output (installed once).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            PANIC_NOTICE.notify_one();
            restore();
            previous(info);
        }));
    });
}
