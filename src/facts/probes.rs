//! Results of the opt-in active probes, as plain data: ICMP echo, TCP connect and HTTP GET to one
//! target (`--probe-target`), and TCP connects from the Windows node to its own NodePorts and to
//! Service ClusterIPs. Each probe records what was sent where, what came back, how many attempts
//! it took and how long. The probe runners (`crate::probes`) fill these in a live run; a bundle can
//! carry them as `probes/results.json` (the same JSON), so the checks stay pure functions and the
//! catalogue's examples express probe outcomes without touching the network. When probes were not
//! requested the input is `Missing` and the probe-only check reports `skip`.

use super::Input;
use serde::{Deserialize, Serialize};

/// Why the probe input is missing when `--probe` was not given.
pub const NOT_REQUESTED: &str =
    "active probes not requested: run with --probe --probe-target HOST[:PORT]";

/// The bundle file that records probe results.
pub const BUNDLE_FILE: &str = "probes/results.json";

#[derive(Debug)]
pub struct ProbeFacts {
    /// True when probes were requested for this run (or the bundle recorded a probe run).
    pub requested: bool,
    /// The probe phase's results; `Missing` when probes were not requested.
    pub results: Input<ProbeResults>,
}

impl Default for ProbeFacts {
    fn default() -> Self {
        ProbeFacts {
            requested: false,
            results: Input::Missing(NOT_REQUESTED.to_string()),
        }
    }
}

/// Everything one probe phase found (the content of `probes/results.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeResults {
    /// Host name of the machine the probes ran from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// When the probes ran (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The `--probe-target` test; `None` when no target was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetProbe>,
    /// A target worth suggesting when none was given (the API server endpoint of a live run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_target: Option<String>,
    /// TCP connects from the Windows node to its own IP and each NodePort.
    pub nodeport: ProbeSet,
    /// TCP connects from the Windows node to Service ClusterIPs.
    pub cluster_ip: ProbeSet,
}

impl ProbeResults {
    /// How many probes ran (each ICMP/TCP/HTTP of the target counts once, each service connect once).
    pub fn count(&self) -> usize {
        let target = self.target.as_ref().map_or(0, |t| {
            [&t.icmp, &t.tcp, &t.http]
                .iter()
                .filter(|r| r.attempts > 0)
                .count()
        });
        target + self.nodeport.probes.len() + self.cluster_ip.probes.len()
    }
}

/// A group of service probes, or the reason the group did not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeSet {
    pub probes: Vec<ServiceProbe>,
    /// Why these probes did not run, e.g. "this machine is not a Windows node of the cluster".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

/// ICMP, TCP and HTTP to one target, from the machine windoctor runs on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetProbe {
    /// The target as given, e.g. `api.example.com:6443`.
    pub spec: String,
    pub host: String,
    pub port: u16,
    /// `http` or `https` (https: the HTTP request is not attempted; windoctor has no TLS stack).
    pub scheme: String,
    /// The address probed after name resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Why the host name could not be resolved (then nothing was sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve_error: Option<String>,
    pub icmp: ProbeRecord,
    pub tcp: ProbeRecord,
    pub http: ProbeRecord,
}

impl TargetProbe {
    /// `host (address)` or just the host when it is the address.
    pub fn display(&self) -> String {
        match &self.address {
            Some(a) if *a != self.host => format!("{} ({a})", self.host),
            _ => self.host.clone(),
        }
    }

    /// The address that was probed, or the host when nothing resolved.
    pub fn address_or_host(&self) -> &str {
        self.address.as_deref().unwrap_or(&self.host)
    }
}

/// A TCP connect from a node to a Service's NodePort or ClusterIP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceProbe {
    /// `namespace/name` of the Service.
    pub service: String,
    /// The Node the probe ran from.
    pub node: String,
    /// `ip:port` connected to.
    pub address: String,
    pub tcp: ProbeRecord,
}

/// One probe: what was sent, what came back, how many attempts and how long in total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeRecord {
    pub sent: String,
    pub outcome: Outcome,
    pub reply: String,
    pub attempts: u32,
    pub elapsed_ms: u64,
}

impl ProbeRecord {
    pub fn new(sent: impl Into<String>, outcome: Outcome, reply: impl Into<String>) -> Self {
        ProbeRecord {
            sent: sent.into(),
            outcome,
            reply: reply.into(),
            attempts: 0,
            elapsed_ms: 0,
        }
    }

    /// A record for a probe that was not sent, with the reason.
    pub fn not_attempted(sent: impl Into<String>, why: impl Into<String>) -> Self {
        ProbeRecord::new(sent, Outcome::NotAttempted, why)
    }

    /// The evidence excerpt: `sent …; got …; N attempt(s), T ms`.
    pub fn excerpt(&self) -> String {
        match self.outcome {
            Outcome::NotAttempted | Outcome::Unavailable => {
                format!("{}; not sent: {}", self.sent, self.reply)
            }
            _ => format!(
                "{}; {}: {}; {} attempt{}, {} ms",
                self.sent,
                self.outcome.as_str(),
                self.reply,
                self.attempts,
                if self.attempts == 1 { "" } else { "s" },
                self.elapsed_ms
            ),
        }
    }
}

/// How a probe ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An answer came back: echo reply, connection established, HTTP status line.
    Ok,
    /// Nothing came back within the timeout.
    NoReply,
    /// The host answered a TCP connect with a reset: reachable, but nothing listens on the port.
    Refused,
    /// A router or the local stack said the host or network is unreachable.
    Unreachable,
    /// The probe cannot run on this machine (no ping program and no ICMP socket, no permission).
    Unavailable,
    /// Deliberately not sent (HTTP to an https target, name not resolved, TCP did not connect),
    /// or not recorded.
    #[default]
    NotAttempted,
    /// Some other error (the reply says which).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NoReply => "no reply",
            Outcome::Refused => "refused",
            Outcome::Unreachable => "unreachable",
            Outcome::Unavailable => "unavailable",
            Outcome::NotAttempted => "not attempted",
            Outcome::Error => "error",
        }
    }

    /// The probe was sent and nothing usable came back (the path or the service is broken).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::NoReply | Outcome::Refused | Outcome::Unreachable | Outcome::Error
        )
    }

    pub fn is_ok(self) -> bool {
        self == Outcome::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_through_json_with_defaults() {
        let json = r#"{"target":{"spec":"10.0.0.9:80","host":"10.0.0.9","port":80,"scheme":"http",
            "address":"10.0.0.9",
            "icmp":{"sent":"ICMP echo to 10.0.0.9","outcome":"no_reply","reply":"100% packet loss","attempts":2,"elapsed_ms":4001},
            "tcp":{"sent":"TCP connect to 10.0.0.9:80","outcome":"ok","reply":"connected","attempts":1,"elapsed_ms":3}}}"#;
        let r: ProbeResults = serde_json::from_str(json).expect("parse");
        let t = r.target.as_ref().expect("target");
        assert_eq!(t.icmp.outcome, Outcome::NoReply);
        assert!(t.tcp.outcome.is_ok());
        assert_eq!(t.http.outcome, Outcome::NotAttempted, "absent record");
        assert!(r.nodeport.probes.is_empty());
        let back: ProbeResults =
            serde_json::from_str(&serde_json::to_string(&r).expect("write")).expect("reparse");
        assert_eq!(back, r);
        assert!(t
            .icmp
            .excerpt()
            .contains("no reply: 100% packet loss; 2 attempts, 4001 ms"));
    }

    #[test]
    fn default_probe_facts_say_how_to_request_probes() {
        let p = ProbeFacts::default();
        assert!(!p.requested);
        assert!(matches!(&p.results, Input::Missing(m) if m.contains("--probe")));
    }
}
