//! ICMP echo: on Linux an unprivileged ICMP datagram socket where the kernel allows it
//! (`net.ipv4.ping_group_range`), else a raw ICMP socket where this process may open one (root or
//! CAP_NET_RAW), otherwise the platform's ping program (`ping.exe` on Windows, `ping` elsewhere),
//! one echo per attempt with a short timeout. When none is possible the record's outcome is
//! `unavailable` and its reply says why, so the check can report `error` instead of mistaking
//! "could not send" for "no reply".
//!
//! ping's output is localised on Windows, so success there is judged by the exit code together with
//! a `TTL=` reply line, which every language keeps; elsewhere by iputils/busybox exit codes.

use super::ProbeConfig;
use crate::facts::probes::{Outcome, ProbeRecord};
use std::net::IpAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Sends up to `cfg.attempts` echo requests to `addr` and records the first reply or the failure.
pub async fn echo(addr: IpAddr, cfg: &ProbeConfig) -> ProbeRecord {
    let mut socket_note: Option<String> = None;
    #[cfg(target_os = "linux")]
    if cfg.icmp_socket {
        let (timeout, attempts) = (cfg.timeout, cfg.attempts);
        match tokio::task::spawn_blocking(move || socket::echo(addr, timeout, attempts)).await {
            Ok(Ok(record)) => return record,
            Ok(Err(why)) => socket_note = Some(why),
            Err(e) => socket_note = Some(format!("the ICMP socket probe did not finish: {e}")),
        }
    }
    #[cfg(not(target_os = "linux"))]
    if cfg.icmp_socket {
        socket_note = Some("unprivileged ICMP sockets are used on Linux only".to_string());
    }
    with_program(addr, cfg, socket_note).await
}

/// The arguments for one echo with the platform's ping.
fn ping_args(addr: IpAddr, timeout: Duration, numeric: bool) -> Vec<String> {
    if cfg!(windows) {
        vec![
            "-n".into(),
            "1".into(),
            "-w".into(),
            timeout.as_millis().max(1).to_string(),
            addr.to_string(),
        ]
    } else {
        let mut args = Vec::new();
        if numeric {
            args.push("-n".to_string());
        }
        args.extend([
            "-c".to_string(),
            "1".to_string(),
            "-W".to_string(),
            timeout.as_secs().max(1).to_string(),
            addr.to_string(),
        ]);
        args
    }
}

async fn with_program(addr: IpAddr, cfg: &ProbeConfig, socket_note: Option<String>) -> ProbeRecord {
    let program = cfg.ping_program.clone();
    let mut numeric = true;
    let started = Instant::now();
    let mut record = ProbeRecord::new(
        format!(
            "ICMP echo request to {addr} via `{program} {}`",
            ping_args(addr, cfg.timeout, numeric).join(" ")
        ),
        Outcome::NoReply,
        "",
    );
    let also = socket_note
        .as_deref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    let mut attempt = 0;
    while attempt < cfg.attempts.max(1) {
        attempt += 1;
        record.attempts = attempt;
        let args = ping_args(addr, cfg.timeout, numeric);
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let limit = cfg.timeout + Duration::from_secs(1);
        let output = match tokio::time::timeout(limit, cmd.output()).await {
            Err(_) => {
                record.outcome = Outcome::NoReply;
                record.reply = format!("{program} did not finish within {} s", limit.as_secs());
                continue;
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                record.outcome = Outcome::Unavailable;
                record.reply = format!("no ping program: {program} was not found on PATH{also}");
                record.attempts = 0;
                return record;
            }
            Ok(Err(e)) => {
                record.outcome = Outcome::Unavailable;
                record.reply = format!("cannot run {program}: {e}{also}");
                record.attempts = 0;
                return record;
            }
            Ok(Ok(o)) => o,
        };
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if numeric
            && !output.status.success()
            && (text.contains("invalid option") || text.contains("unrecognized option"))
        {
            // A ping without -n (busybox): ask again without it, not counting this run.
            numeric = false;
            attempt -= 1;
            record.sent = format!(
                "ICMP echo request to {addr} via `{program} {}`",
                ping_args(addr, cfg.timeout, numeric).join(" ")
            );
            continue;
        }
        let (outcome, reply) = if cfg!(windows) {
            interpret_windows(output.status.success(), &text)
        } else {
            interpret_unix(output.status.code(), &text)
        };
        record.outcome = outcome;
        record.reply = reply;
        if outcome == Outcome::Unavailable {
            record.reply.push_str(&also);
            record.attempts = 0;
            break;
        }
        if outcome == Outcome::Ok {
            break;
        }
    }
    record.elapsed_ms = started.elapsed().as_millis() as u64;
    record
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// iputils / busybox: 0 = a reply, 1 = no reply, 2 (or other) = an error.
fn interpret_unix(code: Option<i32>, text: &str) -> (Outcome, String) {
    let find = |needle: &str| {
        lines(text)
            .find(|l| l.to_ascii_lowercase().contains(needle))
            .map(str::to_string)
    };
    match code {
        Some(0) => (
            Outcome::Ok,
            find("bytes from").unwrap_or_else(|| "echo reply received".to_string()),
        ),
        Some(1) => match find("unreachable") {
            Some(line) => (Outcome::Unreachable, line),
            None => (
                Outcome::NoReply,
                find("packet loss")
                    .or_else(|| find("received"))
                    .unwrap_or_else(|| "no echo reply".to_string()),
            ),
        },
        _ => {
            let lower = text.to_ascii_lowercase();
            let first = lines(text).next().unwrap_or("ping failed").to_string();
            if lower.contains("operation not permitted")
                || lower.contains("permission denied")
                || lower.contains("socket:")
            {
                (
                    Outcome::Unavailable,
                    format!("ping cannot open an ICMP socket without privileges: {first}"),
                )
            } else if lower.contains("unreachable") {
                (Outcome::Unreachable, first)
            } else {
                (Outcome::Error, first)
            }
        }
    }
}

/// ping.exe: a reply line carries `TTL=` in every language; exit code 0 without it means a router
/// answered with an error (e.g. destination host unreachable).
fn interpret_windows(success: bool, text: &str) -> (Outcome, String) {
    if let Some(line) = lines(text).find(|l| l.to_ascii_uppercase().contains("TTL=")) {
        return (Outcome::Ok, line.to_string());
    }
    // The line after the "Pinging x with 32 bytes of data:" header is the result of the echo.
    let result = lines(text).nth(1).unwrap_or("no echo reply").to_string();
    if success {
        (Outcome::Unreachable, result)
    } else {
        (Outcome::NoReply, result)
    }
}

#[cfg(target_os = "linux")]
mod socket {
    //! ICMP sockets: the unprivileged datagram kind (`socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`),
    //! whose kernel fills in the identifier and hands back only our own replies, else the raw kind
    //! (`SOCK_RAW`, root or CAP_NET_RAW), whose replies are matched by source, identifier and
    //! sequence.

    use crate::facts::probes::{Outcome, ProbeRecord};
    use socket2::{Domain, Protocol, Socket, Type};
    use std::io::ErrorKind;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
    use std::time::{Duration, Instant};

    fn ping_group_range() -> String {
        std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".to_string())
    }

    fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for pair in data.chunks(2) {
            let word = match pair {
                [a, b] => u16::from_be_bytes([*a, *b]),
                [a] => u16::from_be_bytes([*a, 0]),
                _ => 0,
            };
            sum += u32::from(word);
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// An echo request; a datagram socket overwrites `ident` with its own.
    fn echo_request(ident: u16, seq: u16) -> Vec<u8> {
        let mut packet = vec![8u8, 0, 0, 0];
        packet.extend_from_slice(&ident.to_be_bytes());
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(b"windoctor probe");
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
        packet
    }

    /// The kind of ICMP socket open.
    #[derive(Debug, Clone, Copy)]
    enum Flavor {
        /// `SOCK_DGRAM`: the kernel sets the identifier and hands back our replies only, without
        /// the IP header.
        Datagram,
        /// `SOCK_RAW` (root or CAP_NET_RAW): we set the identifier and read whole IP packets.
        Raw { ident: u16 },
    }

    impl Flavor {
        fn describe(self) -> &'static str {
            match self {
                Flavor::Datagram => "unprivileged ICMP socket",
                Flavor::Raw { .. } => "raw ICMP socket",
            }
        }
    }

    /// An identifier for raw echoes that differs between probes running at once.
    fn next_ident() -> u16 {
        use std::sync::atomic::{AtomicU16, Ordering};
        static NEXT: AtomicU16 = AtomicU16::new(0);
        (std::process::id() as u16) ^ NEXT.fetch_add(0x9e37, Ordering::Relaxed)
    }

    /// An ICMP socket: the unprivileged datagram kind where `ping_group_range` allows it, else a
    /// raw one where this process may open it (root, CAP_NET_RAW). `Err` says why neither.
    fn open() -> Result<(Socket, Flavor), String> {
        let dgram = match Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)) {
            Ok(s) => return Ok((s, Flavor::Datagram)),
            Err(e) => e,
        };
        match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
            Ok(s) => Ok((s, Flavor::Raw { ident: next_ident() })),
            Err(raw) => Err(format!(
                "unprivileged ICMP sockets are not allowed here ({dgram}; net.ipv4.ping_group_range = {}) and a raw ICMP socket needs root or CAP_NET_RAW ({raw})",
                ping_group_range()
            )),
        }
    }

    /// The ICMP message of a received datagram: after the IP header for a raw socket, as it is for a
    /// datagram socket. `None` when it is too short or not from `from`.
    fn icmp_of(packet: &[u8], flavor: Flavor, from: Ipv4Addr) -> Option<&[u8]> {
        match flavor {
            Flavor::Datagram => Some(packet),
            Flavor::Raw { .. } => {
                let first = *packet.first()?;
                if first >> 4 != 4 {
                    return None;
                }
                let ihl = usize::from(first & 0x0f) * 4;
                if ihl < 20 || packet.len() < ihl + 8 || packet[12..16] != from.octets() {
                    return None;
                }
                Some(&packet[ihl..])
            }
        }
    }

    /// Whether `icmp` is the echo reply to request `seq` (for a raw socket, with our identifier).
    fn is_reply(icmp: &[u8], flavor: Flavor, seq: u16) -> bool {
        icmp.len() >= 8
            && icmp[0] == 0
            && icmp[6..8] == seq.to_be_bytes()
            && match flavor {
                Flavor::Datagram => true,
                Flavor::Raw { ident } => icmp[4..6] == ident.to_be_bytes(),
            }
    }

    /// `Err` when no ICMP socket can be used here (then the ping program is tried).
    pub fn echo(addr: IpAddr, timeout: Duration, attempts: u32) -> Result<ProbeRecord, String> {
        let IpAddr::V4(v4) = addr else {
            return Err("ICMP sockets are used for IPv4 only".to_string());
        };
        let (socket, flavor) = open()?;
        socket
            .connect(&SocketAddr::new(addr, 0).into())
            .map_err(|e| format!("cannot address {addr} with an ICMP socket: {e}"))?;
        let udp: UdpSocket = socket.into();
        let started = Instant::now();
        let mut record = ProbeRecord::new(
            format!(
                "ICMP echo request to {addr} ({}, {} s timeout per attempt)",
                flavor.describe(),
                timeout.as_secs_f32()
            ),
            Outcome::NoReply,
            format!("no echo reply within {} s", timeout.as_secs_f32()),
        );
        'attempts: for attempt in 1..=attempts.max(1) {
            record.attempts = attempt;
            let seq = attempt as u16;
            let sent_at = Instant::now();
            let ident = match flavor {
                Flavor::Raw { ident } => ident,
                Flavor::Datagram => 0,
            };
            if let Err(e) = udp.send(&echo_request(ident, seq)) {
                (record.outcome, record.reply) = classify(&e);
                continue;
            }
            let deadline = sent_at + timeout;
            let mut buf = [0u8; 1500];
            loop {
                let now = Instant::now();
                if now >= deadline {
                    record.outcome = Outcome::NoReply;
                    record.reply = format!("no echo reply within {} s", timeout.as_secs_f32());
                    continue 'attempts;
                }
                if udp.set_read_timeout(Some(deadline - now)).is_err() {
                    break 'attempts;
                }
                match udp.recv(&mut buf) {
                    Ok(n) => {
                        let Some(icmp) = icmp_of(&buf[..n], flavor, v4) else {
                            continue;
                        };
                        if is_reply(icmp, flavor, seq) {
                            record.outcome = Outcome::Ok;
                            record.reply = format!(
                                "echo reply from {addr}: icmp_seq={seq} time={:.1} ms",
                                sent_at.elapsed().as_secs_f64() * 1000.0
                            );
                            break 'attempts;
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        continue
                    }
                    Err(e) => {
                        (record.outcome, record.reply) = classify(&e);
                        continue 'attempts;
                    }
                }
            }
        }
        record.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(record)
    }

    fn classify(e: &std::io::Error) -> (Outcome, String) {
        match e.kind() {
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                (Outcome::Unreachable, e.to_string())
            }
            _ => (Outcome::Error, e.to_string()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn echo_request_checksums_to_zero() {
            let p = echo_request(0xbeef, 7);
            assert_eq!(p[0], 8);
            assert_eq!(p[4..6], [0xbe, 0xef]);
            assert_eq!(checksum(&p), 0);
        }

        /// A raw socket reads whole IP packets: the reply is found after the header, by source,
        /// identifier and sequence; our own request (seen on loopback) is not a reply.
        #[test]
        fn raw_replies_are_matched_by_source_identifier_and_sequence() {
            let from = Ipv4Addr::new(10, 0, 0, 2);
            let flavor = Flavor::Raw { ident: 0x1234 };
            let mut reply = echo_request(0x1234, 3);
            reply[0] = 0;
            let mut packet = vec![
                0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
            ];
            packet.extend_from_slice(&reply);
            let icmp = icmp_of(&packet, flavor, from).expect("from the target");
            assert!(is_reply(icmp, flavor, 3));
            assert!(!is_reply(icmp, flavor, 4));
            assert!(!is_reply(icmp, Flavor::Raw { ident: 0x4321 }, 3));
            assert!(icmp_of(&packet, flavor, Ipv4Addr::new(10, 0, 0, 9)).is_none());
            let mut request = packet.clone();
            request[20] = 8;
            assert!(!is_reply(
                icmp_of(&request, flavor, from).expect("icmp"),
                flavor,
                3
            ));
            assert!(icmp_of(&packet[..10], flavor, from).is_none());
        }

        /// Where this process may open an ICMP socket of either kind, loopback answers through it.
        #[test]
        fn loopback_answers_through_whichever_socket_opens() {
            if open().is_err() {
                eprintln!("skipping: no ICMP socket may be opened here");
                return;
            }
            let r = echo(IpAddr::V4(Ipv4Addr::LOCALHOST), Duration::from_secs(2), 2)
                .expect("socket opens");
            assert_eq!(r.outcome, Outcome::Ok, "{r:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_ping_outputs_are_classified() {
        let ok = "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\n64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.390 ms\n";
        assert_eq!(
            interpret_unix(Some(0), ok),
            (
                Outcome::Ok,
                "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.390 ms".to_string()
            )
        );
        let lost = "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\n\n--- 10.0.0.2 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n";
        assert_eq!(interpret_unix(Some(1), lost).0, Outcome::NoReply);
        assert!(interpret_unix(Some(1), lost).1.contains("100% packet loss"));
        let unreach = "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n";
        assert_eq!(interpret_unix(Some(1), unreach).0, Outcome::Unreachable);
        let perm = "ping: socket: Operation not permitted\n";
        assert_eq!(interpret_unix(Some(2), perm).0, Outcome::Unavailable);
    }

    #[test]
    fn windows_ping_outputs_are_classified_in_any_language() {
        let ok = "\r\nPinging 10.0.0.2 with 32 bytes of data:\r\nReply from 10.0.0.2: bytes=32 time<1ms TTL=128\r\n";
        assert_eq!(interpret_windows(true, ok).0, Outcome::Ok);
        let ko = "\r\nPing 10.0.0.2 32바이트 데이터 사용:\r\n10.0.0.2의 응답: 바이트=32 시간<1ms TTL=128\r\n";
        assert_eq!(interpret_windows(true, ko).0, Outcome::Ok);
        let timeout = "\r\nPinging 10.0.0.2 with 32 bytes of data:\r\nRequest timed out.\r\n\r\nPing statistics for 10.0.0.2:\r\n";
        assert_eq!(
            interpret_windows(false, timeout),
            (Outcome::NoReply, "Request timed out.".to_string())
        );
        let unreach = "Pinging 10.0.0.2 with 32 bytes of data:\r\nReply from 10.0.0.1: Destination host unreachable.\r\n";
        assert_eq!(interpret_windows(true, unreach).0, Outcome::Unreachable);
    }
}
