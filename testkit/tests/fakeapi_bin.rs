//! Runs the `fakeapi` binary: it prints its URL first, writes the requested
//! kubeconfig, serves the bundle with the injected failures, and exits with
//! status 2 on bad arguments.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use anyhow::Context;
use common::{bundle_dir, get};

/// Kills the child when dropped, so a failed assertion leaves nothing
/// running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn fakeapi_serves_a_bundle() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("config.yaml");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_fakeapi"))
            .arg("--bundle")
            .arg(bundle_dir())
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .args(["--forbid", "events,configmaps"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting fakeapi")?,
    );
    let stdout = child.0.stdout.take().context("fakeapi stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let url = first.trim();
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .with_context(|| format!("first line is not a URL: {first:?}"))?
        .parse()?;
    assert_eq!(get(addr, "/version")?.json()?["gitVersion"], "v1.32.2");
    assert_eq!(get(addr, "/api/v1/events")?.status, 403);
    assert_eq!(get(addr, "/api/v1/configmaps")?.status, 403);
    assert_eq!(get(addr, "/api/v1/pods")?.status, 200);
    let config = std::fs::read_to_string(&kubeconfig)?;
    assert!(config.contains(&format!("server: \"{url}\"")));
    assert!(config.contains("current-context: fake"));
    Ok(())
}

#[test]
fn fakeapi_rejects_bad_arguments() -> anyhow::Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_fakeapi"))
        .arg("--bogus")
        .output()?;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: fakeapi"));
    let output = Command::new(env!("CARGO_BIN_EXE_fakeapi"))
        .args(["--bundle", "/nonexistent/bundle"])
        .output()?;
    assert_eq!(output.status.code(), Some(1));
    Ok(())
}
