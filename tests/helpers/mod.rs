//! Small helpers shared by integration tests that compare reports or copy bundles (`mod helpers;`
//! in a test file). The shell-grammar helpers are in `support` (they bring tree-sitter).

#![allow(dead_code)]

/// `check status subject message` of every finding of a JSON report that is not a skip, sorted:
/// what two runs of the same cluster (live and replayed, whole and sieved) must agree on. Node
/// checks skip in runs without a node part, each naming its own missing input.
pub fn judged(report: &serde_json::Value) -> Vec<String> {
    let mut lines: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["status"] != "skip")
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["check"], f["status"], f["subject"], f["message"]
            )
        })
        .collect();
    lines.sort();
    lines
}

/// Copies the folder `from` into `to` (created), recursively, files by content.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Sends `signal` to process `pid` with kill(2), as `kill -SIGNAL PID` would, without needing a
/// `kill` program on the machine (a minimal Debian has none: it comes with procps).
#[cfg(unix)]
pub fn send_signal(pid: u32, signal: rustix::process::Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::other(format!("{pid} is not a process id")))?;
    rustix::process::kill_process(pid, signal).map_err(std::io::Error::from)
}
