//! Parsing `--probe-target`: `HOST`, `HOST:PORT`, `[IPv6]:PORT`, a bare IPv6 address, or a URL
//! `http://HOST[:PORT][/PATH]` / `https://…`. Without a scheme the port defaults to 80, like `curl
//! HOST`; the well-known TLS ports (443, 6443, 8443) and `https://` mark the target as https, for
//! which only the TCP connect runs (windoctor has no TLS stack, so the HTTP request is reported as
//! not attempted).

use std::net::IpAddr;

/// Ports that speak TLS when no scheme is given (HTTPS, the API server, common alternates).
const TLS_PORTS: [u16; 3] = [443, 6443, 8443];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// As given on the command line.
    pub spec: String,
    /// Host name or IP address, without brackets.
    pub host: String,
    pub port: u16,
    pub https: bool,
    /// Request path for the HTTP GET (`/` unless the URL names one).
    pub path: String,
}

impl TargetSpec {
    pub fn parse(text: &str) -> Result<TargetSpec, String> {
        let spec = text.trim();
        let bad = |why: &str| {
            format!("--probe-target {spec:?} {why}: expected HOST[:PORT], [IPv6]:PORT or http(s)://HOST[:PORT]/PATH")
        };
        if spec.is_empty() {
            return Err(bad("is empty"));
        }
        let (scheme, rest) = match spec.split_once("://") {
            Some((s, r)) if s.eq_ignore_ascii_case("http") => (Some(false), r),
            Some((s, r)) if s.eq_ignore_ascii_case("https") => (Some(true), r),
            Some((s, _)) => return Err(bad(&format!("has scheme {s:?}, not http or https"))),
            None => (None, spec),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad("contains credentials (user@); leave them out"));
        }
        let (host, port) = split_host_port(authority).map_err(|e| bad(&e))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        if host.parse::<IpAddr>().is_err()
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return Err(bad("is not a host name or IP address"));
        }
        let port = port.unwrap_or(match scheme {
            Some(true) => 443,
            _ => 80,
        });
        let https = scheme.unwrap_or(TLS_PORTS.contains(&port));
        Ok(TargetSpec {
            spec: spec.to_string(),
            host: host.to_string(),
            port,
            https,
            path,
        })
    }

    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The URL an operator would type, e.g. `http://10.0.0.9:8080/`.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{host}:{}{}", self.scheme(), self.port, self.path)
    }
}

/// Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "has an unclosed '['".to_string())?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(parse_port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!("has {after:?} after the IPv6 address")),
        };
    }
    if authority.matches(':').count() > 1 {
        // A bare IPv6 address: no port can be given without brackets.
        return Ok((authority, None));
    }
    match authority.split_once(':') {
        Some((h, p)) => Ok((h, Some(parse_port(p)?))),
        None => Ok((authority, None)),
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("has port {p:?}, not a number from 1 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_urls() {
        let t = TargetSpec::parse("10.0.0.9").expect("ip");
        assert_eq!((t.host.as_str(), t.port, t.https), ("10.0.0.9", 80, false));
        let t = TargetSpec::parse("api.corp.example.com:6443").expect("tls port");
        assert_eq!((t.port, t.https), (6443, true));
        let t = TargetSpec::parse("https://example.org").expect("https");
        assert_eq!((t.port, t.https, t.path.as_str()), (443, true, "/"));
        let t = TargetSpec::parse("http://example.org:8443/healthz").expect("http url");
        assert_eq!(
            (t.port, t.https, t.path.as_str()),
            (8443, false, "/healthz")
        );
        let t = TargetSpec::parse("[fd00::5]:8080").expect("v6");
        assert_eq!((t.host.as_str(), t.port), ("fd00::5", 8080));
        assert_eq!(t.url(), "http://[fd00::5]:8080/");
        let t = TargetSpec::parse("fd00::5").expect("bare v6");
        assert_eq!((t.host.as_str(), t.port), ("fd00::5", 80));
    }

    #[test]
    fn rejects_bad_targets_with_the_expected_shape() {
        for bad in [
            "",
            "host:0",
            "host:99999",
            "host:http",
            "ftp://host",
            "http://user:pw@host",
            "[fd00::5",
            "bad host",
        ] {
            let e = TargetSpec::parse(bad).expect_err(bad);
            assert!(e.contains("expected HOST[:PORT]"), "{bad}: {e}");
        }
    }
}
