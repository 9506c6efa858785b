//! flannel's `net-conf.json` as the Windows flanneld reads it (`C:\etc\kube-flannel\net-conf.json`,
//! the same content as the `kube-flannel-cfg` ConfigMap): the cluster network and the backend.
//!
//! ```json
//! {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan", "VNI": 4096, "Port": 4789, "name": "vxlan0"}}
//! ```

use super::cni::get_ci;
use ipnet::IpNet;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetConf {
    pub network: Option<IpNet>,
    /// `vxlan`, `host-gw`, ... lower case.
    pub backend_type: Option<String>,
    pub vni: Option<i64>,
    pub port: Option<i64>,
    /// Backend `name`: the HNS network flanneld creates on Windows (`cbr0`, `vxlan0`).
    pub backend_name: Option<String>,
}

pub fn parse(text: &str) -> Result<NetConf, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err("the file is empty".to_string());
    }
    let v: Value = serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".to_string());
    }
    let network = match get_ci(&v, "Network") {
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<IpNet>()
                .map_err(|_| format!("Network {s:?} is not a CIDR"))?
                .trunc(),
        ),
        Some(other) => return Err(format!("Network is {other}, not a CIDR string")),
        None => None,
    };
    let backend = get_ci(&v, "Backend");
    if let Some(b) = backend {
        if !b.is_object() {
            return Err(format!(
                "Backend is {b}, not an object with Type, VNI and Port"
            ));
        }
    }
    let num = |key: &str| {
        backend.and_then(|b| get_ci(b, key)).and_then(|x| match x {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    Ok(NetConf {
        network,
        backend_type: backend
            .and_then(|b| get_ci(b, "Type"))
            .and_then(Value::as_str)
            .map(|s| s.to_ascii_lowercase()),
        vni: num("VNI"),
        port: num("Port"),
        backend_name: backend
            .and_then(|b| get_ci(b, "name"))
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vxlan_and_host_gw() {
        let c = parse(r#"{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","VNI":4096,"Port":4789,"name":"vxlan0"}}"#)
            .expect("vxlan");
        assert_eq!(c.vni, Some(4096));
        assert_eq!(c.backend_name.as_deref(), Some("vxlan0"));
        let c =
            parse(r#"{"Network":"10.244.0.0/16","Backend":{"Type":"host-gw"}}"#).expect("hostgw");
        assert_eq!(c.backend_type.as_deref(), Some("host-gw"));
        assert!(parse(r#"{"Network":"ten"}"#).is_err());
        assert!(parse(r#"{"Network":10244,"Backend":"vxlan"}"#).is_err());
        assert!(parse(r#"{"Network":"10.244.0.0/16","Backend":"vxlan"}"#).is_err());
        assert!(parse("nope").is_err());
    }
}
