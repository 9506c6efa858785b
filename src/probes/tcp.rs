//! TCP connect probes, and a minimal HTTP GET over the connection a TCP probe opened.
//!
//! A connect is tried up to `attempts` times with a short timeout each and stops at the first
//! answer: a connection, or a reset (`refused`, which is final: the host answered). The HTTP probe
//! sends one `GET` with `Connection: close` and reads only the status line; windoctor has no TLS
//! stack, so https targets get the TCP connect alone.

use super::ProbeConfig;
use crate::facts::probes::{Outcome, ProbeRecord};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects to `addr`; gives the record and, on success, the open stream.
pub async fn connect(addr: SocketAddr, cfg: &ProbeConfig) -> (ProbeRecord, Option<TcpStream>) {
    let sent = format!(
        "TCP connect (SYN) to {addr}, {} s timeout per attempt",
        cfg.timeout.as_secs_f32()
    );
    let started = Instant::now();
    let mut record = ProbeRecord::new(sent, Outcome::NoReply, "");
    for attempt in 1..=cfg.attempts.max(1) {
        record.attempts = attempt;
        let try_started = Instant::now();
        match tokio::time::timeout(cfg.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let local = stream
                    .local_addr()
                    .map(|a| format!(" from {a}"))
                    .unwrap_or_default();
                record.outcome = Outcome::Ok;
                record.reply = format!(
                    "connected{local} in {} ms",
                    try_started.elapsed().as_millis()
                );
                record.elapsed_ms = started.elapsed().as_millis() as u64;
                return (record, Some(stream));
            }
            Ok(Err(e)) => {
                let (outcome, reply) = classify_connect_error(&e);
                record.outcome = outcome;
                record.reply = reply;
                if outcome == Outcome::Refused {
                    break;
                }
            }
            Err(_) => {
                record.outcome = Outcome::NoReply;
                record.reply = format!(
                    "no answer to the SYN within {} s",
                    cfg.timeout.as_secs_f32()
                );
            }
        }
    }
    record.elapsed_ms = started.elapsed().as_millis() as u64;
    (record, None)
}

fn classify_connect_error(e: &std::io::Error) -> (Outcome, String) {
    match e.kind() {
        ErrorKind::ConnectionRefused => (
            Outcome::Refused,
            "connection refused (the host answered with a reset: nothing listens on that port)"
                .to_string(),
        ),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            (Outcome::Unreachable, format!("{e}"))
        }
        ErrorKind::TimedOut => (Outcome::NoReply, format!("{e}")),
        _ => (Outcome::Error, format!("{e}")),
    }
}

/// Sends `GET path` with `Host: host_header` over `stream` and reads the status line.
pub async fn http_get(
    mut stream: TcpStream,
    host_header: &str,
    path: &str,
    cfg: &ProbeConfig,
) -> ProbeRecord {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: windoctor/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let sent = format!("GET {path} HTTP/1.1 (Host: {host_header}) over the TCP connection");
    let started = Instant::now();
    let mut record = ProbeRecord::new(sent, Outcome::NoReply, "");
    record.attempts = 1;
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 512];
        while buf.len() < 4096 && !buf.contains(&b'\n') {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok::<Vec<u8>, std::io::Error>(buf)
    };
    let (outcome, reply) = match tokio::time::timeout(cfg.timeout, exchange).await {
        Err(_) => (
            Outcome::NoReply,
            format!("no HTTP response within {} s", cfg.timeout.as_secs_f32()),
        ),
        Ok(Err(e)) => (Outcome::Error, format!("the HTTP exchange failed: {e}")),
        Ok(Ok(bytes)) => interpret_response(&bytes),
    };
    record.outcome = outcome;
    record.reply = reply;
    record.elapsed_ms = started.elapsed().as_millis() as u64;
    record
}

fn interpret_response(bytes: &[u8]) -> (Outcome, String) {
    if bytes.is_empty() {
        return (
            Outcome::Error,
            "the connection was closed without a response".to_string(),
        );
    }
    let first = String::from_utf8_lossy(bytes);
    let line: String = first
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(160)
        .collect();
    if line.starts_with("HTTP/") {
        (Outcome::Ok, line)
    } else {
        (
            Outcome::Error,
            format!("answered, but not with HTTP: {:?}", line),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_and_other_answers_are_told_apart() {
        assert_eq!(
            interpret_response(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
            (Outcome::Ok, "HTTP/1.1 403 Forbidden".to_string())
        );
        let (o, r) = interpret_response(b"SSH-2.0-OpenSSH_9.2\r\n");
        assert_eq!(o, Outcome::Error);
        assert!(r.contains("not with HTTP"), "{r}");
        assert_eq!(interpret_response(b"").0, Outcome::Error);
    }
}
