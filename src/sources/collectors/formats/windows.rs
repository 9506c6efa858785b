//! The node records of a bundle (processes, services, HNS networks, adapters, IP addresses, OS
//! details) from the text outputs collectors save: `Get-Process`, `Get-Service` (table and list
//! views), `sc.exe queryex` and `sc.exe qc`, `Get-HnsNetwork` (its table followed by JSON, HNS v1 or
//! v2 schema), `hnsdiag list all`, `Get-NetAdapter` (table, or `Format-List *`), `ipconfig /all`,
//! `systeminfo` and `[Environment]::OSVersion`. Each returns the JSON the bundle reader's parsers
//! (`facts::node::records`) accept, or an error naming the file.

use super::tables::{format_list, format_table, json_after_table, Table};
use serde_json::{json, Map, Value};

/// `Get-Process` default table -> `[{name, pid, command_line: []}]`. The table has no command
/// lines, so `command_line` stays empty (the model reads an empty command line as unknown).
pub fn processes_from_table(text: &str, what: &str) -> Result<Value, String> {
    let table = format_table(text).ok_or_else(|| format!("{what}: no Get-Process table found"))?;
    if !table
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("ProcessName"))
    {
        return Err(format!("{what}: the table has no ProcessName column"));
    }
    let items: Vec<Value> = table
        .rows
        .iter()
        .filter_map(|r| {
            let name = Table::cell(r, "ProcessName")?;
            let pid = Table::cell(r, "Id").and_then(|p| p.parse::<u64>().ok());
            Some(json!({"name": name, "pid": pid, "command_line": []}))
        })
        .collect();
    Ok(Value::Array(items))
}

/// `Get-Service` table (`Status Name DisplayName`) -> `[{name, state}]`.
pub fn services_from_table(text: &str, what: &str) -> Result<Value, String> {
    let table = format_table(text).ok_or_else(|| format!("{what}: no Get-Service table found"))?;
    if !table
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("Status"))
    {
        return Err(format!("{what}: the table has no Status column"));
    }
    Ok(Value::Array(
        table
            .rows
            .iter()
            .filter_map(|r| {
                Some(json!({
                    "name": Table::cell(r, "Name")?,
                    "state": Table::cell(r, "Status").unwrap_or_default(),
                    "display_name": Table::cell(r, "DisplayName"),
                }))
            })
            .collect(),
    ))
}

/// `Get-Service | Format-List` -> `[{name, state}]`.
pub fn services_from_list(text: &str, what: &str) -> Result<Value, String> {
    let records = format_list(text);
    let items: Vec<Value> = records
        .iter()
        .filter_map(|r| {
            let name = r.get("Name")?;
            Some(json!({
                "name": name,
                "state": r.get("Status").cloned().unwrap_or_default(),
                "display_name": r.get("DisplayName"),
            }))
        })
        .collect();
    if items.is_empty() && !text.trim().is_empty() {
        return Err(format!(
            "{what}: no Get-Service records (Name, Status) found"
        ));
    }
    Ok(Value::Array(items))
}

/// `sc.exe queryex` blocks followed by `sc.exe qc` blocks -> `[{name, state, start_mode,
/// path_name}]`, one per service, the fields of both merged.
pub fn services_from_sc(text: &str) -> Value {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("SERVICE_NAME:") {
            blocks.push((name.trim().to_string(), format!("{trimmed}\n")));
        } else if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let mut merged: Vec<crate::facts::node::WinService> = Vec::new();
    for (name, body) in blocks {
        let Some(svc) = crate::facts::node::records::parse_sc_output(&name, &body) else {
            continue;
        };
        match merged
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(&name))
        {
            Some(s) => {
                if s.state.is_empty() {
                    s.state = svc.state;
                }
                if s.start_mode.is_empty() {
                    s.start_mode = svc.start_mode;
                }
                if s.path_name.is_empty() {
                    s.path_name = svc.path_name;
                }
            }
            None => merged.push(svc),
        }
    }
    Value::Array(
        merged
            .into_iter()
            .map(|s| {
                let mut o = Map::new();
                o.insert("name".into(), json!(s.name));
                o.insert("state".into(), json!(s.state));
                if !s.start_mode.is_empty() {
                    o.insert("start_mode".into(), json!(s.start_mode));
                }
                if !s.path_name.is_empty() {
                    o.insert("path_name".into(), json!(s.path_name));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

/// `Get-NetAdapter` default table -> `[{Name, InterfaceDescription, Status, MacAddress}]`.
pub fn adapters_from_table(text: &str, what: &str) -> Result<Value, String> {
    let table =
        format_table(text).ok_or_else(|| format!("{what}: no Get-NetAdapter table found"))?;
    Ok(Value::Array(
        table
            .rows
            .iter()
            .filter_map(|r| {
                Some(json!({
                    "Name": Table::cell(r, "Name")?,
                    "InterfaceDescription": Table::cell(r, "InterfaceDescription").unwrap_or_default(),
                    "Status": Table::cell(r, "Status").unwrap_or_default(),
                    "MacAddress": Table::cell(r, "MacAddress").unwrap_or_default(),
                }))
            })
            .collect(),
    ))
}

/// The `Format-List *` records of adapters in a text (collectlogs' `adapters\<name>_int.txt`,
/// after the netsh block) -> the adapter objects.
pub fn adapters_from_list(text: &str) -> Vec<Value> {
    format_list(text)
        .into_iter()
        .filter(|r| r.contains_key("Name") && r.contains_key("InterfaceDescription"))
        .map(|r| {
            json!({
                "Name": r.get("Name"),
                "InterfaceDescription": r.get("InterfaceDescription"),
                "Status": r.get("Status").cloned().unwrap_or_default(),
                "MacAddress": r.get("MacAddress").cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// What `ipconfig /all` (or `/allcompartments /all`) says about the host: its host name and the
/// IPv4 addresses of the host compartment (`[{InterfaceAlias, IPAddress, PrefixLength}]`).
pub fn ipconfig(text: &str) -> (Option<String>, Value) {
    let mut host = None;
    let mut out = Vec::new();
    let mut adapter: Option<String> = None;
    let mut pending_ip: Option<String> = None;
    let mut compartment_ok = true;
    let flush = |out: &mut Vec<Value>, adapter: &Option<String>, ip: Option<String>, prefix| {
        if let (Some(a), Some(ip)) = (adapter, ip) {
            out.push(json!({"InterfaceAlias": a, "IPAddress": ip, "PrefixLength": prefix}));
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Network Information for Compartment ") {
            flush(&mut out, &adapter, pending_ip.take(), Value::Null);
            adapter = None;
            compartment_ok = rest.split_whitespace().next() == Some("1");
            continue;
        }
        if !compartment_ok || trimmed.is_empty() || trimmed.starts_with('=') {
            continue;
        }
        if !line.starts_with(' ') && trimmed.ends_with(':') {
            flush(&mut out, &adapter, pending_ip.take(), Value::Null);
            adapter = trimmed
                .trim_end_matches(':')
                .split_once(" adapter ")
                .map(|(_, name)| name.trim().to_string());
            continue;
        }
        let Some((key, value)) = trimmed.split_once(" : ") else {
            continue;
        };
        let key = key.trim_end_matches(['.', ' ']).to_ascii_lowercase();
        let value = value.trim();
        match key.as_str() {
            "host name" => host = Some(value.to_string()),
            "ipv4 address" | "autoconfiguration ipv4 address" => {
                flush(&mut out, &adapter, pending_ip.take(), Value::Null);
                let ip = value.split('(').next().unwrap_or(value).trim();
                pending_ip = Some(ip.to_string());
            }
            "subnet mask" => {
                let prefix = mask_to_prefix(value)
                    .map(Value::from)
                    .unwrap_or(Value::Null);
                flush(&mut out, &adapter, pending_ip.take(), prefix);
            }
            _ => {}
        }
    }
    flush(&mut out, &adapter, pending_ip.take(), Value::Null);
    (host, Value::Array(out))
}

fn mask_to_prefix(mask: &str) -> Option<u8> {
    let ip: std::net::Ipv4Addr = mask.trim().parse().ok()?;
    let bits = u32::from(ip);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then(|| bits.leading_ones() as u8)
}

/// `Get-HnsNetwork ... | ConvertTo-Json` text (alone or after a table) -> the networks in the
/// shape of `node/hns-networks.json`. HNS v1 objects pass through; HNS v2 (HCN) objects get the v1
/// fields the checks read: `Subnets[].AddressPrefix`/`GatewayAddress` from `Ipams[].Subnets[]`,
/// `ManagementIP` from a `ProviderAddress` policy, `NetworkAdapterName` from a `NetAdapterName`
/// policy. `Ok(None)` when the file holds no JSON.
pub fn hns_networks(text: &str, what: &str) -> Result<Option<Value>, String> {
    let Some(v) = json_after_table(text, what)? else {
        return Ok(None);
    };
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    Ok(Some(Value::Array(
        items.into_iter().map(hns_v1_view).collect(),
    )))
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn hns_v1_view(mut n: Value) -> Value {
    let Some(ipams) = field(&n, "Ipams").cloned() else {
        return n;
    };
    let mut subnets = Vec::new();
    for ipam in crate::facts::node::records::items(&ipams) {
        for s in field(ipam, "Subnets")
            .map(crate::facts::node::records::items)
            .unwrap_or_default()
        {
            let prefix = field(s, "IpAddressPrefix").cloned();
            let gateway = field(s, "Routes")
                .map(crate::facts::node::records::items)
                .unwrap_or_default()
                .into_iter()
                .find(|r| {
                    field(r, "DestinationPrefix").and_then(Value::as_str) == Some("0.0.0.0/0")
                })
                .and_then(|r| field(r, "NextHop").cloned());
            subnets.push(json!({"AddressPrefix": prefix, "GatewayAddress": gateway}));
        }
    }
    let policies = field(&n, "Policies").cloned().unwrap_or(Value::Null);
    let setting = |kind: &str, key: &str| -> Option<Value> {
        crate::facts::node::records::items(&policies)
            .into_iter()
            .find(|p| {
                field(p, "Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(kind))
            })
            .and_then(|p| field(p, "Settings"))
            .and_then(|s| field(s, key))
            .cloned()
    };
    let management = setting("ProviderAddress", "ProviderAddress");
    let adapter = setting("NetAdapterName", "NetworkAdapterName");
    if let Some(o) = n.as_object_mut() {
        if !o.keys().any(|k| k.eq_ignore_ascii_case("Subnets")) {
            o.insert("Subnets".into(), Value::Array(subnets));
        }
        if let Some(m) = management {
            o.entry("ManagementIP").or_insert(m);
        }
        if let Some(a) = adapter {
            o.entry("NetworkAdapterName").or_insert(a);
        }
    }
    n
}

/// `hnsdiag list all` text -> the networks of its `Networks:` section (`[{Name, ID}]`: no type,
/// no subnets, so the record is partial).
pub fn hnsdiag_networks(text: &str) -> Value {
    let mut out = Vec::new();
    let mut in_networks = false;
    let mut header_seen = false;
    for line in text.lines() {
        let t = line.trim();
        if t.ends_with(':') && !t.contains(' ') {
            in_networks = t.eq_ignore_ascii_case("Networks:");
            header_seen = false;
            continue;
        }
        if !in_networks || t.is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        if let (Some(name), Some(id)) = (words.first(), words.last()) {
            if words.len() >= 2 {
                out.push(json!({"Name": name, "ID": id}));
            }
        }
    }
    Value::Array(out)
}

/// `[Environment]::OSVersion` (`Microsoft Windows NT 10.0.17763.0`) -> node.json `os`.
pub fn os_from_winver(text: &str) -> Option<Value> {
    let line = text.lines().find(|l| l.contains("Windows NT"))?;
    let version = line.split_whitespace().last()?;
    let parts: Vec<&str> = version.split('.').collect();
    let build: u32 = parts.get(2)?.parse().ok()?;
    Some(json!({
        "version": format!("{}.{}.{}", parts.first()?, parts.get(1)?, build),
        "build": build,
    }))
}

/// `systeminfo` text -> (host name, node.json `os`, node.json `computer`).
pub fn systeminfo(text: &str) -> (Option<String>, Option<Value>, Option<Value>) {
    let mut host = None;
    let mut caption = None;
    let mut version = None;
    let mut build = None;
    let mut manufacturer = None;
    let mut model = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key.trim() {
            "Host Name" => host = Some(value),
            "OS Name" => caption = Some(value),
            "OS Version" => {
                // "10.0.20348 N/A Build 20348"
                let v = value.split_whitespace().next().unwrap_or("").to_string();
                build = v.split('.').nth(2).and_then(|b| b.parse::<u32>().ok());
                version = Some(v);
            }
            "System Manufacturer" => manufacturer = Some(value),
            "System Model" => model = Some(value),
            _ => {}
        }
    }
    let os = (caption.is_some() || version.is_some())
        .then(|| json!({"caption": caption, "version": version, "build": build}));
    let computer = (manufacturer.is_some() || model.is_some())
        .then(|| json!({"manufacturer": manufacturer, "model": model}));
    (host, os, computer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::node::records;

    #[test]
    fn hns_v2_gets_the_v1_fields() {
        let text = "\nName Type ID\n---- ---- --\nx y z\n\n{\n \"ID\": \"9D\", \"Name\": \"External\", \"Type\": \"Overlay\",\n \"Policies\": [{\"Type\": \"NetAdapterName\", \"Settings\": {\"NetworkAdapterName\": \"Ethernet\"}}, {\"Type\": \"ProviderAddress\", \"Settings\": {\"ProviderAddress\": \"192.168.1.21\"}}],\n \"Ipams\": [{\"Type\": \"Static\", \"Subnets\": [{\"IpAddressPrefix\": \"192.168.255.0/30\", \"Routes\": [{\"NextHop\": \"192.168.255.1\", \"DestinationPrefix\": \"0.0.0.0/0\"}]}]}]\n}\n";
        let v = hns_networks(text, "network.txt")
            .expect("ok")
            .expect("json");
        let nets = records::parse_hns(&v.to_string()).expect("parses");
        assert_eq!(nets[0].name, "External");
        assert_eq!(nets[0].management_ip.as_deref(), Some("192.168.1.21"));
        assert_eq!(nets[0].network_adapter_name.as_deref(), Some("Ethernet"));
        assert_eq!(nets[0].subnets[0].address_prefix, "192.168.255.0/30");
        assert_eq!(nets[0].subnets[0].gateway.as_deref(), Some("192.168.255.1"));
    }

    #[test]
    fn sc_blocks_merge_queryex_and_qc() {
        let text = "\nSERVICE_NAME: hns\nDISPLAY_NAME: Host Network Service\n        TYPE               : 20  WIN32_SHARE_PROCESS\n        STATE              : 4  RUNNING\n\n[SC] QueryServiceConfig SUCCESS\n\nSERVICE_NAME: hns\n        START_TYPE         : 3   DEMAND_START\n        BINARY_PATH_NAME   : C:\\Windows\\system32\\svchost.exe -k NetSvcs -p\n";
        let v = services_from_sc(text);
        let s = records::parse_services(&v.to_string()).expect("services");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].state, "Running");
        assert_eq!(s[0].start_mode, "Manual");
        assert!(s[0].path_name.contains("svchost"));
    }

    #[test]
    fn ipconfig_host_compartment_only() {
        let text = "Windows IP Configuration\n\n=====\nNetwork Information for Compartment 1 (ACTIVE)\n=====\n   Host Name . . . . . . . . . . . . : win-node-01\n\nEthernet adapter vEthernet (Ethernet):\n\n   IPv4 Address. . . . . . . . . . . : 192.168.1.21(Preferred)\n   Subnet Mask . . . . . . . . . . . : 255.255.255.0\n\n=====\nNetwork Information for Compartment 2\n=====\nEthernet adapter vEthernet (pod):\n   IPv4 Address. . . . . . . . . . . : 10.244.1.5(Preferred)\n   Subnet Mask . . . . . . . . . . . : 255.255.255.0\n";
        let (host, ips) = ipconfig(text);
        assert_eq!(host.as_deref(), Some("win-node-01"));
        let ips = records::parse_ip_addresses(&ips.to_string()).expect("ips");
        assert_eq!(ips.len(), 1);
        assert_eq!(ips[0].interface_alias, "vEthernet (Ethernet)");
        assert_eq!(ips[0].prefix_length, Some(24));
    }

    #[test]
    fn os_details_and_hnsdiag() {
        let os = os_from_winver("Microsoft Windows NT 10.0.17763.0\n\n\n").expect("os");
        assert_eq!(os["build"], 17763);
        let (host, os, computer) = systeminfo("Host Name:                 EC2AMAZ-8K2LJ7Q\nOS Name:                   Microsoft Windows Server 2022 Datacenter\nOS Version:                10.0.20348 N/A Build 20348\nSystem Manufacturer:       Amazon EC2\n");
        assert_eq!(host.as_deref(), Some("EC2AMAZ-8K2LJ7Q"));
        assert_eq!(os.expect("os")["build"], 20348);
        assert_eq!(computer.expect("computer")["manufacturer"], "Amazon EC2");
        let nets = hnsdiag_networks(
            "Networks:\nName             ID\nazure            8C8D\n\nEndpoints:\nName ID\n",
        );
        assert_eq!(nets, json!([{"Name": "azure", "ID": "8C8D"}]));
    }

    #[test]
    fn processes_and_services_tables() {
        let p = processes_from_table("\nHandles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n-------  ------    -----      -----     ------     --  -- -----------\n    905      52    98316     121004     188.51   4412   0 kubelet\n", "processes.txt").expect("p");
        let procs = records::parse_processes(&p.to_string()).expect("parse");
        assert_eq!((procs[0].stem().as_str(), procs[0].pid), ("kubelet", 4412));
        assert!(procs[0].command_line.is_empty());
        let s = services_from_table("\nStatus   Name               DisplayName\n------   ----               -----------\nStopped  kubeproxy          kubeproxy\n", "windowsServices.txt").expect("s");
        let svcs = records::parse_services(&s.to_string()).expect("parse");
        assert_eq!(
            (svcs[0].name.as_str(), svcs[0].state.as_str()),
            ("kubeproxy", "Stopped")
        );
        assert!(processes_from_table("nothing here", "x").is_err());
    }
}
