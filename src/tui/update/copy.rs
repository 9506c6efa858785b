//! What the copy keys put on the clipboard: `c` the fix of the finding on screen (the selected
//! finding of the details, the viewer's finding; on the checklist the worst finding shown for the
//! selected check), `1`-`9` and Enter in the commands view one command, `c` in the commands view
//! every command shown. Copying itself (OSC 52) is the event loop's `Effect::Copy`.

use super::super::screens::CommandLine;
use super::super::state::{App, Screen, Tone};
use super::Effect;
use crate::findings::Finding;

/// The finding the copy keys are about on the current screen.
fn finding_on_screen(app: &App) -> Result<Finding, String> {
    if app.screen == Screen::Evidence {
        if let Some(v) = &app.evidence {
            return Ok(v.finding.clone());
        }
    }
    let row = app
        .selected_row()
        .ok_or_else(|| "no check is selected".to_string())?;
    if row.status().is_none() {
        return Err(format!("{} has not finished yet", row.info.id));
    }
    if app.screen == Screen::Checklist {
        // The finding the row's result names: the worst in scope (matching the search, if any) that
        // has a fix.
        let needle = app.search.trim().to_lowercase();
        let mut shown: Vec<usize> = row.scoped.clone();
        if !needle.is_empty() && shown.iter().any(|i| row.finding_matches(*i, &needle)) {
            shown.retain(|i| row.finding_matches(*i, &needle));
        }
        let findings = row.findings();
        return shown
            .into_iter()
            .filter(|i| findings[*i].fix.is_some())
            .max_by_key(|i| (findings[*i].status.row_rank(), std::cmp::Reverse(*i)))
            .map(|i| findings[i].clone())
            .ok_or_else(|| format!("{} has no fix to copy in this scope", row.info.id));
    }
    app.selected_finding()
        .map(|(_, _, f)| f.clone())
        .ok_or_else(|| format!("{} has no finding in scope", row.info.id))
}

/// `c`: the fix of the finding on screen (its commands, or its text when it has none).
pub fn fix(app: &mut App) -> Option<Effect> {
    let f = match finding_on_screen(app) {
        Ok(f) => f,
        Err(why) => {
            app.notify(Tone::Bad, format!("nothing copied: {why}"));
            return None;
        }
    };
    let Some(fix) = &f.fix else {
        app.notify(
            Tone::Bad,
            format!(
                "nothing copied: this finding ({} {}) has no fix; select another",
                f.status.label(),
                f.subject.display()
            ),
        );
        return None;
    };
    let (text, what) = if fix.commands.is_empty() {
        (fix.text.clone(), "the fix text".to_string())
    } else {
        (
            fix.commands.join("\n"),
            format!(
                "{} command{}",
                fix.commands.len(),
                if fix.commands.len() == 1 { "" } else { "s" }
            ),
        )
    };
    Some(Effect::Copy {
        text,
        what: format!("{what} of {} for {}", f.check, f.subject.display()),
    })
}

/// Command `n` (from 0): of the commands view, else of the finding on screen.
pub fn command(app: &mut App, n: usize) -> Option<Effect> {
    if app.screen == Screen::Commands {
        let view = app.commands.as_ref()?;
        let commands = view.commands();
        let Some(c) = commands.get(n) else {
            let have = commands.len();
            app.notify(
                Tone::Bad,
                format!("nothing copied: there are {have} commands"),
            );
            return None;
        };
        return Some(Effect::Copy {
            text: c.to_string(),
            what: format!("command {} of {}", n + 1, commands.len()),
        });
    }
    let f = match finding_on_screen(app) {
        Ok(f) => f,
        Err(why) => {
            app.notify(Tone::Bad, format!("nothing copied: {why}"));
            return None;
        }
    };
    let commands = f.fix.as_ref().map_or(&[][..], |fix| &fix.commands[..]);
    match commands.get(n) {
        Some(c) => Some(Effect::Copy {
            text: c.clone(),
            what: format!(
                "command {} of {} of {} for {}",
                n + 1,
                commands.len(),
                f.check,
                f.subject.display()
            ),
        }),
        None => {
            app.notify(
                Tone::Bad,
                format!(
                    "nothing copied: {} has {} command{}",
                    f.subject.display(),
                    commands.len(),
                    if commands.len() == 1 { "" } else { "s" }
                ),
            );
            None
        }
    }
}

/// `c` in the commands view: every line shown (headings are comments).
pub fn shown_commands(app: &mut App) -> Option<Effect> {
    let view = app.commands.as_ref()?;
    let count = view.commands().len();
    if count == 0 {
        app.notify(Tone::Bad, "nothing copied: no commands are shown");
        return None;
    }
    let text: Vec<&str> = view
        .lines
        .iter()
        .map(|l| match l {
            CommandLine::Heading(h) => h.as_str(),
            CommandLine::Command(c) => c.as_str(),
        })
        .collect();
    Some(Effect::Copy {
        text: text.join("\n"),
        what: format!("{count} commands (with their # headings)"),
    })
}
