//! Log tails of the flannel and kube-proxy pods on Windows nodes, as `cluster/logs/NS/POD/C.log`.
//!
//! Each request is bounded like a list page: `--request-timeout`, at most [`MAX_LOG_BYTES`]
//! (`limitBytes` asks the kubelet for no more, and the client cuts off anything beyond), 429s
//! retried within the time left, and all logs together within [`LOGS_TIMEOUT`]. Namespaces, pod
//! and container names come from the API, so they become file names only when they are valid
//! Kubernetes names; anything else is recorded as not captured.

use super::lists::{LogTarget, WriteFailure};
use super::output::{is_kubernetes_name, Output};
use crate::sources::bundle::CaptureError;
use crate::sources::live::paging::encode_component;
use crate::sources::live::{request, LiveOptions};
use kube::Client;
use std::time::{Duration, Instant};

/// At most this many log tails.
pub const MAX_LOGS: usize = 24;
/// Lines asked for per log.
const TAIL_LINES: u32 = 2000;
/// Bytes read per log at most.
pub const MAX_LOG_BYTES: usize = 2 << 20;
/// Time allowed for all the logs.
pub const LOGS_TIMEOUT: Duration = Duration::from_secs(120);

/// What the log capture wrote and could not. Logs are extra evidence the live run does not read,
/// so one that could not be had (a container that never started) leaves the capture complete; it
/// is listed in `capture.json` under `logs_not_captured`.
#[derive(Debug, Default)]
pub struct Logs {
    pub written: Vec<String>,
    pub skipped: Vec<CaptureError>,
}

/// Fetches and writes the tails of `targets`' containers, but for the paths in `written` (the
/// node-data part's system pod logs).
pub async fn capture_logs(
    client: &Client,
    opts: &LiveOptions,
    out: &Output,
    targets: &[LogTarget],
    written: &[String],
    failure: &WriteFailure,
) -> Logs {
    let mut logs = Logs::default();
    let deadline = Instant::now() + LOGS_TIMEOUT.min(opts.list_timeout);
    let mut taken = 0;
    for t in targets {
        for c in &t.containers {
            if taken >= MAX_LOGS || failure.get().is_some() {
                return logs;
            }
            let shown = format!("{}/{}/{}", t.namespace, t.pod, c);
            if ![t.namespace.as_str(), t.pod.as_str(), c.as_str()]
                .iter()
                .all(|n| is_kubernetes_name(n))
            {
                logs.skipped.push(CaptureError {
                    path: "cluster/logs".to_string(),
                    reason: format!(
                        "log of {} not written: a namespace, pod or container name that is not a valid Kubernetes name cannot be a file name",
                        crate::redact::redact(&shown.escape_debug().to_string())
                    ),
                });
                continue;
            }
            let path = format!("cluster/logs/{}/{}/{}.log", t.namespace, t.pod, c);
            if written.contains(&path) {
                continue;
            }
            taken += 1;
            let url = format!(
                "/api/v1/namespaces/{}/pods/{}/log?container={}&tailLines={TAIL_LINES}&limitBytes={MAX_LOG_BYTES}",
                t.namespace,
                t.pod,
                encode_component(c)
            );
            let bounds = request::Bounds {
                timeout: opts.request_timeout,
                max_bytes: MAX_LOG_BYTES,
                deadline,
            };
            match request::get(client, &url, bounds).await {
                Ok(bytes) => {
                    let text = crate::redact::redact(&String::from_utf8_lossy(&bytes));
                    match out.write(&path, text.as_bytes()) {
                        Ok(()) => logs.written.push(path),
                        Err(why) => {
                            failure.set(why);
                            return logs;
                        }
                    }
                }
                Err(e) => logs.skipped.push(CaptureError {
                    path,
                    reason: format!("cannot read the log of {shown}: {}", e.message()),
                }),
            }
        }
    }
    logs
}
