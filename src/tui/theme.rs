//! Colours and emphasis. Only the 16 ANSI colours (which every terminal maps to something readable on
//! its own background, light or dark, including Windows consoles) plus bold and reverse video; no
//! RGB, no 256-colour palette, no white or black text. With `NO_COLOR` set (non-empty) every colour is
//! dropped and only bold/reverse remain; statuses always carry a glyph and a word, so nothing depends
//! on colour.

use crate::findings::Status;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub const COLOR: Theme = Theme { color: true };
    pub const MONO: Theme = Theme { color: false };

    /// Colour unless `NO_COLOR` is set to a non-empty value (https://no-color.org).
    pub fn from_env() -> Theme {
        Theme::from_no_color(std::env::var_os("NO_COLOR").as_deref())
    }

    pub fn from_no_color(value: Option<&std::ffi::OsStr>) -> Theme {
        Theme {
            color: value.is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn status(self, status: Status) -> Style {
        match status {
            Status::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Error => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Status::Warn => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Status::Info => self.fg(Color::Cyan),
            Status::Pass => self.fg(Color::Green),
            Status::Skip => Style::new(),
        }
    }

    /// Status of a row that may still be pending.
    pub fn row_status(self, status: Option<Status>) -> Style {
        status.map_or_else(|| self.pending(), |s| self.status(s))
    }

    /// Pending rows stay in the default colour: the spinner and the word say they are pending.
    pub fn pending(self) -> Style {
        Style::new()
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Section headings: bold and underlined rather than blue, which is unreadable on the black
    /// background of a classic Windows console.
    pub fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Fix commands: stand out so the eye finds what to run.
    pub fn command(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn reference(self) -> Style {
        Style::new().add_modifier(Modifier::ITALIC)
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan)
        } else {
            Style::new()
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn bar(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_drops_colours_but_keeps_emphasis() {
        assert!(Theme::from_no_color(None).color);
        assert!(Theme::from_no_color(Some(OsStr::new(""))).color);
        let mono = Theme::from_no_color(Some(OsStr::new("1")));
        assert!(!mono.color);
        let fail = mono.status(Status::Fail);
        assert_eq!(fail.fg, None);
        assert!(fail.add_modifier.contains(Modifier::BOLD));
        assert_eq!(Theme::COLOR.status(Status::Fail).fg, Some(Color::Red));
    }

    #[test]
    fn only_ansi_16_colours_are_used() {
        let t = Theme::COLOR;
        let mut styles: Vec<Style> = Status::ALL.iter().map(|s| t.status(*s)).collect();
        styles.extend([
            t.pending(),
            t.heading(),
            t.key(),
            t.command(),
            t.reference(),
            t.border(true),
            t.error(),
            t.good(),
        ]);
        for s in styles {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(
                        c,
                        Color::Rgb(..)
                            | Color::Indexed(_)
                            | Color::Blue
                            | Color::White
                            | Color::Black
                            | Color::Gray
                    ),
                    "{c:?} is not a safe ANSI colour"
                );
            }
        }
    }
}
