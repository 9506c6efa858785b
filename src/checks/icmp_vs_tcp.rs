//! Check `icmp-vs-tcp`: ICMP echo and TCP (plus HTTP) to the same target from this machine. ICMP
//! failing while TCP connects is the documented limitation (ICMP is not translated outbound), so
//! `info` with "use curl"; both failing is a real connectivity problem (`fail`) with the checks to
//! look at next; both working is `pass`. A reset on the TCP port or TCP silently dropped while ping
//! works are `warn`. See checks/icmp-vs-tcp.toml.

use super::Eval;
use crate::facts::probes::{Outcome, TargetProbe};
use crate::findings::{Evidence, Status, Subject};

pub fn run(ev: &mut Eval) {
    let Some(results) = ev.probes() else {
        return;
    };
    ev.part("probe-incomplete");
    let Some(target) = &results.target else {
        let hint = match &results.suggested_target {
            Some(t) => format!(" (the API server {t} is a good target)"),
            None => String::new(),
        };
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!(
                "probes ran without a target, so ICMP and TCP were not compared: run with --probe --probe-target HOST[:PORT]{hint}"
            ),
        );
        return;
    };
    let subject = Subject::new("Target", target.spec.clone());
    let evidence = evidence_of(target);

    if let Some(why) = &target.resolve_error {
        let fix = ev.fix("resolve", &[("host", &target.host)]);
        ev.emit(
            Status::Error,
            subject,
            format!("nothing was sent to {}: {why}", target.host),
        )
        .evidence(Evidence::probe(
            format!("resolve {}", target.host),
            why.clone(),
        ))
        .with_fix(fix);
        return;
    }

    let port = target.port.to_string();
    let addr = target.address_or_host().to_string();
    let url = url_of(target);
    let shown = target.display();
    let vars = [
        ("host", target.host.as_str()),
        ("address", addr.as_str()),
        ("port", port.as_str()),
        ("url", url.as_str()),
    ];
    let http = http_note(target);
    let icmp = Icmp::of(target.icmp.outcome);
    let tcp = target.tcp.outcome;

    if icmp == Icmp::Unknown {
        let fix = ev.fix("icmp_unavailable", &vars);
        ev.emit(
            Status::Error,
            subject.clone(),
            format!(
                "ICMP could not be tested from this machine: {}",
                if target.icmp.reply.is_empty() {
                    "no ICMP result was recorded"
                } else {
                    target.icmp.reply.as_str()
                }
            ),
        )
        .evidence(evidence[0].clone())
        .with_fix(fix);
    }

    let ping = target.icmp.outcome.as_str();
    let got = tcp.as_str();
    let (status, message, fix_name) = match (icmp, tcp) {
        (_, Outcome::NotAttempted | Outcome::Unavailable) => (
            Status::Error,
            format!(
                "TCP port {port} of {shown} was not tested: {}",
                target.tcp.reply
            ),
            None,
        ),
        (Icmp::Ok, Outcome::Ok) => (
            Status::Pass,
            format!("ping and TCP port {port} both reach {shown}{http}"),
            None,
        ),
        (Icmp::Unknown, Outcome::Ok) => (
            Status::Pass,
            format!("TCP port {port} of {shown} connects{http}: the network path works"),
            None,
        ),
        (Icmp::Failed, Outcome::Ok) => (
            Status::Info,
            format!(
                "ping to {shown} gets {ping} but TCP port {port} connects{http}: the failed ping is the documented ICMP limitation (ICMP is not NATed outbound on Windows), not a broken network"
            ),
            Some("use_tcp"),
        ),
        (_, Outcome::Refused) => (
            Status::Warn,
            format!(
                "{shown} refused TCP port {port}: the host answered with a reset, so the network path works but nothing listens on that port (ping: {ping})"
            ),
            Some("port_closed"),
        ),
        (Icmp::Ok, _) => (
            Status::Warn,
            format!(
                "ping reaches {shown} but TCP port {port} gets {got}: a firewall or security group drops TCP to that port"
            ),
            Some("tcp_filtered"),
        ),
        (Icmp::Unknown, _) => (
            Status::Fail,
            format!(
                "TCP port {port} of {shown} gets {got} (ICMP could not be tested): a real connectivity problem, not the ICMP limitation"
            ),
            Some("both_fail"),
        ),
        (Icmp::Failed, _) => (
            Status::Fail,
            format!(
                "neither ping ({ping}) nor TCP port {port} ({got}) reaches {shown}: a real connectivity problem, not the documented ICMP limitation"
            ),
            Some("both_fail"),
        ),
    };
    let fix = fix_name.map(|name| ev.fix(name, &vars));
    ev.part(match (fix_name, status) {
        (Some("use_tcp"), _) | (None, Status::Pass) => "icmp-limitation",
        (Some("port_closed"), _) => "port-closed",
        (Some("tcp_filtered"), _) => "tcp-filtered",
        (Some(_), _) => "connectivity-failed",
        (None, _) => "probe-incomplete",
    });
    let finding = ev.emit(status, subject, message);
    for e in evidence {
        finding.evidence(e);
    }
    if let Some(fix) = fix {
        finding.with_fix(fix);
    }
}

/// What the ICMP probe showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Icmp {
    Ok,
    /// Sent, and no reply (or an error reply) came back.
    Failed,
    /// Could not be sent from this machine, or was not recorded.
    Unknown,
}

impl Icmp {
    fn of(outcome: Outcome) -> Icmp {
        match outcome {
            Outcome::Ok => Icmp::Ok,
            o if o.is_failure() => Icmp::Failed,
            _ => Icmp::Unknown,
        }
    }
}

fn url_of(t: &TargetProbe) -> String {
    let host = if t.host.contains(':') {
        format!("[{}]", t.host)
    } else {
        t.host.clone()
    };
    format!("{}://{host}:{}/", t.scheme, t.port)
}

/// `, HTTP: HTTP/1.1 200 OK` and the like, for the message.
fn http_note(t: &TargetProbe) -> String {
    match t.http.outcome {
        Outcome::Ok => format!(" (HTTP answered {:?})", t.http.reply),
        Outcome::NotAttempted if t.tcp.outcome.is_ok() => {
            " (HTTP not attempted: https target, TCP only)".to_string()
        }
        Outcome::NotAttempted => String::new(),
        o => format!(" (but the HTTP GET got {}: {})", o.as_str(), t.http.reply),
    }
}

fn evidence_of(t: &TargetProbe) -> Vec<Evidence> {
    let addr = t.address_or_host();
    let host = if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    };
    vec![
        Evidence::probe(format!("ICMP echo {addr}"), t.icmp.excerpt()),
        Evidence::probe(format!("TCP connect {host}:{}", t.port), t.tcp.excerpt()),
        Evidence::probe(format!("HTTP GET {}", url_of(t)), t.http.excerpt()),
    ]
}
