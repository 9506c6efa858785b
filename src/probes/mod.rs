//! The opt-in active probes (`--probe`): ICMP echo, TCP connect and HTTP GET to one target, and
//! TCP connects from the Windows node to its own NodePorts and to Service ClusterIPs.
//!
//! Nothing here runs unless the operator asks. Every probe has a short timeout and a bounded
//! number of attempts, the groups run concurrently, and the whole phase is bounded by a budget, so
//! a run with `--probe` takes at most a few seconds longer. The results are plain data
//! (`facts::probes`), which the probe checks read like any other input.

pub mod cluster;
pub mod icmp;
pub mod target;
pub mod tcp;

use crate::facts::probes::{ProbeFacts, ProbeRecord, ProbeResults, TargetProbe};
use crate::facts::{Facts, Input};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
pub use target::TargetSpec;

/// Limits and tools of one probe phase.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Timeout of one attempt (one echo, one connect, the HTTP response).
    pub timeout: Duration,
    /// Attempts per ICMP and TCP probe (stops at the first answer).
    pub attempts: u32,
    /// Upper bound of the whole phase.
    pub budget: Duration,
    /// The platform's ping program.
    pub ping_program: String,
    /// Try an unprivileged ICMP datagram socket before the ping program (Linux).
    pub icmp_socket: bool,
    /// At most this many NodePort connects, and this many ClusterIP connects.
    pub max_service_probes: usize,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            timeout: Duration::from_secs(2),
            attempts: 2,
            budget: Duration::from_secs(10),
            ping_program: if cfg!(windows) { "ping.exe" } else { "ping" }.to_string(),
            icmp_socket: true,
            max_service_probes: 8,
        }
    }
}

/// What the operator asked to probe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeRequest {
    pub target: Option<TargetSpec>,
    /// Shown when no target was given (e.g. the API server endpoint, `host:port`).
    pub suggested_target: Option<String>,
}

impl ProbeRequest {
    /// `None` when `--probe` was not given; an error (usage, exit 2) for a bad `--probe-target` or
    /// one given without `--probe`.
    pub fn from_flags(probe: bool, target: Option<&str>) -> Result<Option<ProbeRequest>, String> {
        if !probe {
            return match target {
                Some(t) => Err(format!(
                    "--probe-target {t} needs --probe: active probes run only when asked (add --probe)"
                )),
                None => Ok(None),
            };
        }
        let target = target.map(TargetSpec::parse).transpose()?;
        Ok(Some(ProbeRequest {
            target,
            suggested_target: None,
        }))
    }
}

/// `host:port` of an API server URL such as `https://10.0.0.1:6443`, to suggest as a target.
pub fn server_target(server: &str) -> Option<String> {
    let spec = TargetSpec::parse(server).ok()?;
    let host = if spec.host.contains(':') {
        format!("[{}]", spec.host)
    } else {
        spec.host
    };
    Some(format!("{host}:{}", spec.port))
}

/// Runs every requested probe, bounded by `cfg.budget`, and gives the probe facts.
pub async fn run_phase(req: &ProbeRequest, facts: &Facts, cfg: &ProbeConfig) -> ProbeFacts {
    let plan = cluster::plan(facts, cfg.max_service_probes);
    let work = async {
        let (target, nodeport, cluster_ip) = tokio::join!(
            async {
                match &req.target {
                    Some(t) => Some(probe_target(t, cfg).await),
                    None => None,
                }
            },
            cluster::run(plan.nodeport.clone(), cfg),
            cluster::run(plan.cluster_ip.clone(), cfg),
        );
        ProbeResults {
            from: hostname::get()
                .ok()
                .map(|h| h.to_string_lossy().into_owned()),
            collected_at: Some(crate::clock::now_rfc3339()),
            target,
            suggested_target: req.suggested_target.clone(),
            nodeport,
            cluster_ip,
        }
    };
    let results = match tokio::time::timeout(cfg.budget, work).await {
        Ok(r) => Input::Ready(r),
        Err(_) => Input::Failed(format!(
            "the probe phase did not finish within its {} s budget",
            cfg.budget.as_secs()
        )),
    };
    ProbeFacts {
        requested: true,
        results,
    }
}

/// ICMP, TCP and (for http targets) HTTP to one target.
pub async fn probe_target(spec: &TargetSpec, cfg: &ProbeConfig) -> TargetProbe {
    let mut out = TargetProbe {
        spec: spec.spec.clone(),
        host: spec.host.clone(),
        port: spec.port,
        scheme: spec.scheme().to_string(),
        ..Default::default()
    };
    let address = match resolve(&spec.host, spec.port, cfg).await {
        Ok(a) => a,
        Err(why) => {
            let not_sent = "not sent: the host name did not resolve";
            out.icmp = ProbeRecord::not_attempted(format!("ICMP echo to {}", spec.host), not_sent);
            out.tcp = ProbeRecord::not_attempted(
                format!("TCP connect to {}:{}", spec.host, spec.port),
                not_sent,
            );
            out.http = ProbeRecord::not_attempted(format!("GET {}", spec.url()), not_sent);
            out.resolve_error = Some(why);
            return out;
        }
    };
    out.address = Some(address.to_string());
    let socket = SocketAddr::new(address, spec.port);
    let (icmp, (tcp, stream)) = tokio::join!(icmp::echo(address, cfg), tcp::connect(socket, cfg));
    out.icmp = icmp;
    out.tcp = tcp;
    out.http = match stream {
        Some(_) if spec.https => ProbeRecord::not_attempted(
            format!("GET {}", spec.url()),
            "https target: windoctor has no TLS stack, so only the TCP connect was tested",
        ),
        Some(stream) => {
            let host_header = if spec.port == 80 {
                spec.host.clone()
            } else if spec.host.contains(':') {
                format!("[{}]:{}", spec.host, spec.port)
            } else {
                format!("{}:{}", spec.host, spec.port)
            };
            tcp::http_get(stream, &host_header, &spec.path, cfg).await
        }
        None => ProbeRecord::not_attempted(
            format!("GET {}", spec.url()),
            "the TCP connection was not established",
        ),
    };
    out
}

/// The address to probe: the literal, or the first IPv4 (else IPv6) address the name resolves to.
async fn resolve(host: &str, port: u16, cfg: &ProbeConfig) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(cfg.timeout, lookup).await {
        Err(_) => Err(format!(
            "resolving {host} took longer than {} s",
            cfg.timeout.as_secs_f32()
        )),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            addrs
                .iter()
                .find(|a| a.is_ipv4())
                .or(addrs.first())
                .map(|a| a.ip())
                .ok_or_else(|| format!("{host} resolves to no address"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_targets() {
        assert_eq!(
            server_target("https://10.0.0.1:6443").as_deref(),
            Some("10.0.0.1:6443")
        );
        assert_eq!(
            server_target("https://api.example.com").as_deref(),
            Some("api.example.com:443")
        );
        assert_eq!(
            server_target("https://[fd00::1]:6443").as_deref(),
            Some("[fd00::1]:6443")
        );
    }
}
