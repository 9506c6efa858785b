//! Fix templates as data: a fix's text and its commands, each command saying where it runs (the
//! workstation with kubectl, a Windows or Linux node, a pod, the hypervisor host), the shell it is
//! written for, whether it changes something or only looks, and which commands are alternatives
//! of each other (run one of them). A command is a plain string, which takes the fix's `where`
//! and `shell`, or a table `{ run = "...", where = ..., shell = ..., changes = true,
//! alternative = "runtime" }` overriding them. docs/catalogue.md describes the format.

use crate::findings::{Place, Shell, StepMeta};
use serde::Deserialize;

/// A fix template. `{name}` placeholders are filled with values the check supplies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixTemplate {
    pub text: String,
    /// Where its plain-string commands run.
    #[serde(default, rename = "where")]
    pub place: Option<Place>,
    /// The shell its plain-string commands are written for.
    #[serde(default)]
    pub shell: Option<Shell>,
    #[serde(default)]
    pub commands: Vec<CommandEntry>,
}

/// One command of a fix template, as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CommandEntry {
    /// Takes the fix's `where` and `shell`, and only looks.
    Plain(String),
    Table(CommandTable),
}

/// A command with its own metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandTable {
    pub run: String,
    #[serde(default, rename = "where")]
    pub place: Option<Place>,
    #[serde(default)]
    pub shell: Option<Shell>,
    #[serde(default)]
    pub changes: bool,
    #[serde(default)]
    pub alternative: Option<String>,
}

impl CommandEntry {
    /// The command template.
    pub fn run(&self) -> &str {
        match self {
            CommandEntry::Plain(s) => s,
            CommandEntry::Table(t) => &t.run,
        }
    }
}

impl FixTemplate {
    /// The command templates in order.
    pub fn command_templates(&self) -> impl Iterator<Item = &str> {
        self.commands.iter().map(CommandEntry::run)
    }

    /// Each command template with its metadata, or the problem that leaves its place or shell
    /// unsaid (the catalogue test requires every command to say both).
    pub fn steps(&self) -> Vec<(&str, Result<StepMeta, String>)> {
        self.commands
            .iter()
            .map(|entry| {
                let (place, shell, changes, alternative) = match entry {
                    CommandEntry::Plain(_) => (self.place, self.shell, false, None),
                    CommandEntry::Table(t) => (
                        t.place.or(self.place),
                        t.shell.or(self.shell),
                        t.changes,
                        t.alternative.clone(),
                    ),
                };
                let meta = match (place, shell) {
                    (Some(place), Some(shell)) => Ok(StepMeta {
                        place,
                        shell,
                        changes,
                        alternative,
                    }),
                    (None, _) => Err("says not where it runs (`where`)".to_string()),
                    (_, None) => Err("says not which shell it is for (`shell`)".to_string()),
                };
                (entry.run(), meta)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_take_the_fix_defaults_and_tables_override_them() {
        let t: FixTemplate = toml::from_str(
            r#"
text = "x"
where = "windows-node"
shell = "powershell"
commands = [
  "Get-Service kubelet",
  { run = "Restart-Service kubelet", changes = true },
  { run = "crictl pull a", changes = true, alternative = "pull" },
  { run = "kubectl get node n", where = "workstation", shell = "any" },
]
"#,
        )
        .expect("parses");
        let steps: Vec<StepMeta> = t
            .steps()
            .into_iter()
            .map(|(_, m)| m.expect("said"))
            .collect();
        assert_eq!(steps[0].place, Place::WindowsNode);
        assert!(!steps[0].changes);
        assert!(steps[1].changes);
        assert_eq!(steps[2].alternative.as_deref(), Some("pull"));
        assert_eq!(
            (steps[3].place, steps[3].shell),
            (Place::Workstation, Shell::Any)
        );
    }

    #[test]
    fn a_command_without_place_or_shell_is_reported() {
        let t: FixTemplate =
            toml::from_str("text = \"x\"\ncommands = [\"kubectl get nodes\"]").expect("parses");
        assert!(t.steps()[0].1.is_err());
        let typo: Result<FixTemplate, _> =
            toml::from_str("text = \"x\"\ncommands = [{ run = \"a\", wher = \"pod\" }]");
        assert!(typo.is_err());
    }
}
