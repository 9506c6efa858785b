//! AKS collect-windows-logs.ps1: the zip is named `<COMPUTERNAME>-<yyyyMMdd-HHmmss>_logs.zip`
//! (`Azure/AgentBaker@06836ee:staging/cse/windows/debug/collect-windows-logs.ps1#L58-L59`) and the
//! Node name is the lower-case computer name (`#L473`). Without that name, the transcript's
//! `Machine:` line or the host name in `ip.txt` names the node.

use super::{small_text, Tree};
use crate::sources::files::FileStore;

/// `AKSWIN000000-20240607-102133_logs.zip` (or the folder it was unpacked to) -> `AKSWIN000000`.
pub fn computer_of_archive(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".zip").unwrap_or(name);
    let stem = stem.strip_suffix("_logs")?;
    let (computer, stamp) = stem.rsplit_once('-').and_then(|(rest, time)| {
        let (computer, date) = rest.rsplit_once('-')?;
        Some((computer, format!("{date}{time}")))
    })?;
    (stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()) && !computer.is_empty())
        .then(|| computer.to_string())
}

/// `Machine: AKSWIN000000 (Microsoft Windows NT 10.0.20348.0)` in the transcript.
fn computer_of_transcript(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Machine:"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
}

pub fn node_of(
    store: &dyn FileStore,
    tree: &Tree,
    dir: &str,
    name: &str,
) -> (Option<String>, Option<String>) {
    let computer = computer_of_archive(name)
        .or_else(|| {
            small_text(store, tree, dir, "collect-windows-logs-output.log")
                .and_then(|t| computer_of_transcript(&t))
        })
        .or_else(|| {
            small_text(store, tree, dir, "ip.txt")
                .and_then(|t| super::formats::windows::ipconfig(&t).0)
        });
    match computer {
        Some(c) => (Some(c.to_ascii_lowercase()), Some(c)),
        None => (Some(name.to_ascii_lowercase()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computer_names() {
        assert_eq!(
            computer_of_archive("AKSWIN000000-20240607-102133_logs.zip").as_deref(),
            Some("AKSWIN000000")
        );
        assert_eq!(
            computer_of_archive("aks-win-a-20240607-102133_logs").as_deref(),
            Some("aks-win-a")
        );
        assert_eq!(computer_of_archive("logs.zip"), None);
        assert_eq!(
            computer_of_transcript("Machine: AKSWIN000000 (Microsoft Windows NT 10.0.20348.0)")
                .as_deref(),
            Some("AKSWIN000000")
        );
    }
}
