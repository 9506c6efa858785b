//! microsoft/SDN collectlogs.ps1: the output folder has a random 8.3 name
//! (`microsoft/SDN@242fb0c:Kubernetes/windows/debug/collectlogs.ps1#L36-L43`), so the node is named
//! by the host name `ip.txt` (ipconfig /all) records, else by the `Source` column of the hot fix
//! table in `winver.txt` (the computer name), else by the folder.

use super::formats::tables::{format_table, Table};
use super::{small_text, Tree};
use crate::sources::files::FileStore;

pub fn node_of(
    store: &dyn FileStore,
    tree: &Tree,
    dir: &str,
    name: &str,
) -> (Option<String>, Option<String>) {
    let host = small_text(store, tree, dir, "ip.txt")
        .and_then(|t| super::formats::windows::ipconfig(&t).0)
        .or_else(|| {
            let text = small_text(store, tree, dir, "winver.txt")?;
            let table = format_table(&text)?;
            table
                .rows
                .first()
                .and_then(|r| Table::cell(r, "Source"))
                .map(str::to_string)
        });
    match host {
        Some(h) => (Some(h.to_ascii_lowercase()), Some(h)),
        None => (Some(name.to_string()), None),
    }
}
