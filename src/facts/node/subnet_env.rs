//! `C:\run\flannel\subnet.env`, which flanneld writes once it has the node's lease:
//! `FLANNEL_NETWORK=10.244.0.0/16`, `FLANNEL_SUBNET=10.244.4.1/24`, `FLANNEL_MTU=1450`,
//! `FLANNEL_IPMASQ=true`. The flannel CNI plugin reads it on every pod sandbox.

use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq)]
pub struct SubnetEnv {
    /// The whole cluster's pod network.
    pub network: IpNet,
    /// The node's gateway address with the node subnet's prefix (`10.244.4.1/24`).
    pub subnet: IpNet,
    pub mtu: Option<u32>,
    pub ipmasq: Option<bool>,
    /// The FLANNEL_SUBNET line as written, for evidence.
    pub subnet_line: String,
    pub network_line: String,
}

/// Parses subnet.env. Errors say which line or key is wrong.
pub fn parse(text: &str) -> Result<SubnetEnv, String> {
    let mut network = None;
    let mut subnet = None;
    let mut mtu = None;
    let mut ipmasq = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {} is not KEY=VALUE: {:?}",
                n + 1,
                truncate(line, 60)
            ));
        };
        let value = value.trim().trim_matches(['"', '\'']);
        match key.trim() {
            "FLANNEL_NETWORK" => {
                network = Some((cidr(value, "FLANNEL_NETWORK")?, line.to_string()))
            }
            "FLANNEL_SUBNET" => subnet = Some((cidr(value, "FLANNEL_SUBNET")?, line.to_string())),
            "FLANNEL_MTU" => {
                mtu = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| format!("FLANNEL_MTU={value:?} is not a number"))?,
                )
            }
            "FLANNEL_IPMASQ" => ipmasq = Some(value.eq_ignore_ascii_case("true")),
            _ => {}
        }
    }
    let (network, network_line) = network.ok_or("FLANNEL_NETWORK is missing")?;
    let (subnet, subnet_line) = subnet.ok_or("FLANNEL_SUBNET is missing")?;
    Ok(SubnetEnv {
        network,
        subnet,
        mtu,
        ipmasq,
        subnet_line,
        network_line,
    })
}

fn cidr(value: &str, key: &str) -> Result<IpNet, String> {
    value.parse::<IpNet>().map_err(|_| {
        format!("{key}={value:?} is not an address with a prefix length (e.g. 10.244.4.1/24)")
    })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_file_and_rejects_broken_ones() {
        let env = parse("FLANNEL_NETWORK=10.244.0.0/16\r\nFLANNEL_SUBNET=10.244.4.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n")
            .expect("valid");
        assert_eq!(env.subnet.trunc().to_string(), "10.244.4.0/24");
        assert!(env.network.contains(&env.subnet.trunc()));
        assert_eq!(env.mtu, Some(1500));
        assert!(parse("FLANNEL_NETWORK=10.244.0.0/16\n")
            .unwrap_err()
            .contains("FLANNEL_SUBNET"));
        assert!(
            parse("FLANNEL_NETWORK=10.244.0.0\nFLANNEL_SUBNET=10.244.4.1/24")
                .unwrap_err()
                .contains("FLANNEL_NETWORK")
        );
        assert!(parse("garbage line").unwrap_err().contains("line 1"));
    }
}
