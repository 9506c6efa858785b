//! `C:\k\SourceVip.json` and `C:\k\SourceVipRequest.json`, left by the overlay start scripts: the
//! request is a host-local IPAM configuration for the node's pod subnet, and SourceVip.json is what
//! `host-local.exe` answered, either a CNI 0.2.0 result (`{"ip4":{"ip":"10.244.4.2/24"}}`), a 0.3+
//! result (`{"ips":[{"address":"10.244.4.2/24"}]}`), or a CNI error (`{"code":11,"msg":...}`) when
//! the allocation failed. PowerShell's `Out-File` writes them as UTF-16LE with a BOM.

use ipnet::IpNet;
use serde_json::Value;
use std::net::IpAddr;

/// What SourceVip.json holds.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceVip {
    /// The source VIP, with its prefix when written as a CIDR, and which JSON shape held it.
    Address {
        ip: IpAddr,
        net: Option<IpNet>,
        shape: &'static str,
    },
    /// host-local failed and wrote a CNI error instead of an address.
    CniError { code: Option<i64>, msg: String },
}

/// Parses SourceVip.json. `Err` says why the content is unusable (empty, not JSON, no address).
pub fn parse(text: &str) -> Result<SourceVip, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err("the file is empty (host-local wrote nothing)".to_string());
    }
    let v: Value = serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".to_string());
    }
    if let Some(msg) = v.get("msg").and_then(Value::as_str) {
        return Ok(SourceVip::CniError {
            code: v.get("code").and_then(Value::as_i64),
            msg: msg.to_string(),
        });
    }
    let candidates: [(&'static str, Option<&Value>); 5] = [
        ("ip4.ip", v.pointer("/ip4/ip")),
        ("ip4.ip_address", v.pointer("/ip4/ip_address")),
        ("ip4.address", v.pointer("/ip4/address")),
        ("ips[0].address", v.pointer("/ips/0/address")),
        ("ips[0].ip", v.pointer("/ips/0/ip")),
    ];
    for (shape, value) in candidates {
        if let Some(s) = value.and_then(Value::as_str) {
            return address(s)
                .map(|(ip, net)| SourceVip::Address { ip, net, shape })
                .ok_or_else(|| format!("{shape} holds {s:?}, which is not an IP address"));
        }
    }
    Err("no address in it (expected ip4.ip or ips[0].address)".to_string())
}

fn address(s: &str) -> Option<(IpAddr, Option<IpNet>)> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Some((net.addr(), Some(net)));
    }
    s.parse::<IpAddr>().ok().map(|ip| (ip, None))
}

/// The subnets SourceVipRequest.json asks host-local to allocate from: `ipam.subnet` or
/// `ipam.ranges[][].subnet`. `Err` when the file is unusable.
pub fn parse_request(text: &str) -> Result<Vec<IpNet>, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err("the file is empty".to_string());
    }
    let v: Value = serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
    let ipam = v.get("ipam").ok_or("it has no \"ipam\" section")?;
    let mut texts: Vec<&str> = Vec::new();
    if let Some(s) = ipam.get("subnet").and_then(Value::as_str) {
        texts.push(s);
    }
    if let Some(ranges) = ipam.get("ranges").and_then(Value::as_array) {
        for set in ranges {
            let entries: Vec<&Value> = match set {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for r in entries {
                if let Some(s) = r.get("subnet").and_then(Value::as_str) {
                    texts.push(s);
                }
            }
        }
    }
    if texts.is_empty() {
        return Err("its ipam section names no subnet".to_string());
    }
    texts
        .into_iter()
        .map(|s| {
            s.trim()
                .parse::<IpNet>()
                .map(|n| n.trunc())
                .map_err(|_| format!("ipam subnet {s:?} is not a CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_result_shapes_errors_and_garbage() {
        match parse(r#"{"ip4":{"ip":"10.244.4.2/24","gateway":"10.244.4.1"},"dns":{}}"#) {
            Ok(SourceVip::Address { ip, shape, .. }) => {
                assert_eq!(ip.to_string(), "10.244.4.2");
                assert_eq!(shape, "ip4.ip");
            }
            other => panic!("{other:?}"),
        }
        match parse(r#"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.244.7.2/24"}]}"#) {
            Ok(SourceVip::Address { shape, .. }) => assert_eq!(shape, "ips[0].address"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(
                r#"{"code":11,"msg":"failed to allocate for range 0: no IP addresses available in range set"}"#
            ),
            Ok(SourceVip::CniError { code: Some(11), .. })
        ));
        assert!(parse("").is_err());
        assert!(parse("{\"ip4\":{\"ip\":\"nope\"}}")
            .unwrap_err()
            .contains("nope"));
        assert!(parse("[]").is_err());
    }

    #[test]
    fn request_subnets() {
        let r = parse_request(
            r#"{"cniVersion":"0.2.0","name":"vxlan0","ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.4.0/24"}]],"dataDir":"/var/lib/cni/networks"}}"#,
        )
        .expect("ok");
        assert_eq!(r[0].to_string(), "10.244.4.0/24");
        let r = parse_request(r#"{"ipam":{"type":"host-local","subnet":"10.244.9.0/24"}}"#)
            .expect("ok");
        assert_eq!(r[0].to_string(), "10.244.9.0/24");
        assert!(parse_request(r#"{"ipam":{}}"#).is_err());
    }
}
