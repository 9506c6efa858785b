//! The node's structured records (processes, services, HNS networks, adapters, IP addresses, OS
//! details) and their parsers.
//!
//! Each parser accepts both the bundle's own spelling (`command_line`, `start_mode`) and what
//! PowerShell's `ConvertTo-Json` writes (`CommandLine`, `StartMode`, numeric enums from
//! `Get-Service`), a single object as well as an array (ConvertTo-Json unwraps one-element arrays),
//! and `null`. Unknown fields are ignored; a wrong shape is an `Err` naming the file.

use super::cmdline;
use serde_json::Value;

/// Looks up `keys` in a JSON object, ignoring case and `_`, first match wins.
pub fn field<'a>(obj: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let map = obj.as_object()?;
    let norm = |s: &str| s.replace('_', "").to_ascii_lowercase();
    for key in keys {
        let want = norm(key);
        if let Some((_, v)) = map.iter().find(|(k, _)| norm(k) == want) {
            if !v.is_null() {
                return Some(v);
            }
        }
    }
    None
}

/// A string field (numbers and booleans are printed).
pub fn text(obj: &Value, keys: &[&str]) -> Option<String> {
    match field(obj, keys)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The items of a JSON array, a single object as one item, `null` as none.
pub fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Parses JSON text that PowerShell or windoctor wrote; empty text is an empty array.
pub fn parse_json(text: &str, what: &str) -> Result<Value, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    serde_json::from_str(t).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

// ---------------------------------------------------------------- processes

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Process {
    /// Image name, e.g. `kubelet.exe`.
    pub name: String,
    pub pid: u32,
    /// The full command line, program first.
    pub command_line: Vec<String>,
}

impl Process {
    /// The name without `.exe`, lower case: `kubelet`, `kube-proxy`, `flanneld`.
    pub fn stem(&self) -> String {
        exe_stem(&self.name)
    }
    pub fn args(&self) -> &[String] {
        self.command_line.get(1..).unwrap_or(&[])
    }
    /// The command line as one line for evidence.
    pub fn display(&self) -> String {
        cmdline::join_for_display(&self.command_line)
    }
}

/// `C:\k\kube-proxy.exe` -> `kube-proxy`.
pub fn exe_stem(path: &str) -> String {
    let file = path
        .trim()
        .trim_matches('"')
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    file.strip_suffix(".exe").unwrap_or(&file).to_string()
}

pub fn parse_processes(text_in: &str) -> Result<Vec<Process>, String> {
    let v = parse_json(text_in, "node/processes.json")?;
    let mut out = Vec::new();
    for item in items(&v) {
        if !item.is_object() {
            return Err(
                "node/processes.json: expected objects with name, pid, command_line".into(),
            );
        }
        let command_line = match field(item, &["command_line", "CommandLine", "cmd"]) {
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => cmdline::split_windows(s),
            _ => Vec::new(),
        };
        let name = text(item, &["name", "ProcessName"])
            .or_else(|| command_line.first().map(|p| file_name(p)))
            .unwrap_or_default();
        let pid = field(item, &["pid", "ProcessId", "Id"])
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0);
        out.push(Process {
            name,
            pid,
            command_line,
        });
    }
    Ok(out)
}

fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_string()
}

// ---------------------------------------------------------------- services

/// nssm's per-service settings (`HKLM\SYSTEM\CurrentControlSet\Services\<name>\Parameters`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NssmParams {
    pub application: Option<String>,
    pub app_parameters: Option<String>,
    pub app_directory: Option<String>,
    /// `NAME=value` lines, allow-listed names only.
    pub app_environment_extra: Vec<String>,
    pub app_stdout: Option<String>,
    pub app_stderr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WinService {
    pub name: String,
    /// Running, Stopped, Start Pending, ...
    pub state: String,
    /// Auto, Manual, Disabled, Boot, System (Win32_Service spelling).
    pub start_mode: String,
    /// The registered command line (`binPath`).
    pub path_name: String,
    pub nssm: Option<NssmParams>,
}

impl WinService {
    pub fn is_running(&self) -> bool {
        self.state.eq_ignore_ascii_case("running")
    }
    pub fn is_automatic(&self) -> bool {
        let m = self.start_mode.to_ascii_lowercase();
        m.starts_with("auto") || m == "boot" || m == "system"
    }
    /// True when the service binary is nssm (the real program is in `nssm.application`).
    pub fn is_nssm(&self) -> bool {
        self.nssm.is_some() || exe_stem(self.program().as_str()) == "nssm"
    }
    /// The registered program: the first token of `path_name`, or, when the path is not quoted
    /// and has blanks (`C:\Program Files\nssm\nssm.exe`, as sig-windows-tools' PrepareNode.ps1
    /// registers the kubelet), everything up to its first `.exe`, as the service manager finds it.
    pub fn program(&self) -> String {
        let path = self.path_name.trim();
        let first = cmdline::split_windows(path)
            .into_iter()
            .next()
            .unwrap_or_default();
        if path.starts_with('"') || first.to_ascii_lowercase().ends_with(".exe") {
            return first;
        }
        let lower = path.to_ascii_lowercase();
        match lower.find(".exe").map(|at| at + ".exe".len()) {
            Some(end) if lower[end..].is_empty() || lower[end..].starts_with(' ') => {
                path[..end].to_string()
            }
            _ => first,
        }
    }
    /// The program the service really runs and its arguments: nssm's Application and
    /// AppParameters, or the registered command line.
    pub fn effective_command(&self) -> Vec<String> {
        if let Some(n) = &self.nssm {
            // Without an Application, nssm services are named after the program they run.
            let app = n.application.clone().or_else(|| {
                n.app_parameters
                    .as_ref()
                    .map(|_| format!("{}.exe", self.name))
            });
            if let Some(app) = app {
                let mut v = vec![app];
                if let Some(p) = &n.app_parameters {
                    v.extend(cmdline::split_windows(p));
                }
                return v;
            }
        }
        cmdline::split_windows(&self.path_name)
    }
    /// The registration as one line for evidence.
    pub fn display(&self) -> String {
        match &self.nssm {
            Some(n) => format!(
                "{} (nssm: Application={} AppParameters={})",
                self.path_name,
                n.application.as_deref().unwrap_or("(none)"),
                n.app_parameters.as_deref().unwrap_or("(none)")
            ),
            None => self.path_name.clone(),
        }
    }
}

fn service_state(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(1) => "Stopped",
            Some(2) => "Start Pending",
            Some(3) => "Stop Pending",
            Some(4) => "Running",
            Some(5) => "Continue Pending",
            Some(6) => "Pause Pending",
            Some(7) => "Paused",
            _ => "Unknown",
        }
        .to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn start_mode(v: &Value) -> String {
    match v {
        // ServiceStartMode of Get-Service: 0 Boot, 1 System, 2 Automatic, 3 Manual, 4 Disabled.
        Value::Number(n) => match n.as_u64() {
            Some(0) => "Boot",
            Some(1) => "System",
            Some(2) => "Auto",
            Some(3) => "Manual",
            Some(4) => "Disabled",
            _ => "Unknown",
        }
        .to_string(),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "automatic" => "Auto".to_string(),
            _ => s.clone(),
        },
        _ => String::new(),
    }
}

fn nssm_params(v: &Value) -> NssmParams {
    let env = match field(v, &["app_environment_extra", "AppEnvironmentExtra"]) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s
            .split(['\n', '\0'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    NssmParams {
        application: text(v, &["application", "Application"]),
        app_parameters: text(v, &["app_parameters", "AppParameters"]),
        app_directory: text(v, &["app_directory", "AppDirectory"]),
        app_environment_extra: env,
        app_stdout: text(v, &["app_stdout", "AppStdout"]),
        app_stderr: text(v, &["app_stderr", "AppStderr"]),
    }
}

pub fn parse_services(text_in: &str) -> Result<Vec<WinService>, String> {
    let v = parse_json(text_in, "node/services.json")?;
    let mut out = Vec::new();
    for item in items(&v) {
        if !item.is_object() {
            return Err(
                "node/services.json: expected objects with name, state, start_mode, path_name"
                    .into(),
            );
        }
        let Some(name) = text(item, &["name", "ServiceName"]) else {
            continue;
        };
        out.push(WinService {
            name,
            state: field(item, &["state", "Status"])
                .map(service_state)
                .unwrap_or_default(),
            start_mode: field(item, &["start_mode", "StartType"])
                .map(start_mode)
                .unwrap_or_default(),
            path_name: text(item, &["path_name", "BinaryPathName"]).unwrap_or_default(),
            // nssm's settings as an object, or flat on the service (`app_parameters`).
            nssm: field(item, &["nssm", "parameters"])
                .map(nssm_params)
                .or_else(|| {
                    field(item, &["application", "app_parameters"]).map(|_| nssm_params(item))
                }),
        });
    }
    Ok(out)
}

/// Parses `sc.exe qc NAME` and `sc.exe query NAME` output (either or both concatenated) into a
/// service. `None` when sc.exe says the service does not exist (error 1060) or nothing is there.
pub fn parse_sc_output(name: &str, text: &str) -> Option<WinService> {
    if text.contains("1060") || !text.to_ascii_uppercase().contains("SERVICE_NAME") {
        return None;
    }
    let mut svc = WinService {
        name: name.to_string(),
        ..Default::default()
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim();
        match key.as_str() {
            // The name asked for is kept: sc.exe echoes it, in the case it was registered with.
            "SERVICE_NAME" => {}
            "START_TYPE" => {
                svc.start_mode = match value.split_whitespace().next() {
                    Some("0") => "Boot",
                    Some("1") => "System",
                    Some("2") => "Auto",
                    Some("3") => "Manual",
                    Some("4") => "Disabled",
                    _ => "Unknown",
                }
                .to_string()
            }
            "STATE" => {
                svc.state = match value.split_whitespace().next() {
                    Some("1") => "Stopped",
                    Some("2") => "Start Pending",
                    Some("3") => "Stop Pending",
                    Some("4") => "Running",
                    Some("7") => "Paused",
                    _ => "Unknown",
                }
                .to_string()
            }
            // The path itself contains `:` (C:\...), so take everything after the first colon.
            "BINARY_PATH_NAME" => svc.path_name = value.to_string(),
            _ => {}
        }
    }
    Some(svc)
}

// ---------------------------------------------------------------- HNS

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HnsSubnet {
    pub address_prefix: String,
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HnsNetwork {
    pub name: String,
    /// L2Bridge, Overlay, NAT, ICS, Transparent, L2Tunnel...
    pub type_: String,
    pub management_ip: Option<String>,
    pub network_adapter_name: Option<String>,
    pub subnets: Vec<HnsSubnet>,
    pub id: Option<String>,
}

pub fn parse_hns(text_in: &str) -> Result<Vec<HnsNetwork>, String> {
    let v = parse_json(text_in, "node/hns-networks.json")?;
    let mut out = Vec::new();
    for item in items(&v) {
        if !item.is_object() {
            return Err("node/hns-networks.json: expected Get-HnsNetwork objects".into());
        }
        let subnets = field(item, &["Subnets"])
            .map(items)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| {
                Some(HnsSubnet {
                    address_prefix: text(s, &["AddressPrefix", "IpAddressPrefix"])?,
                    gateway: text(s, &["GatewayAddress"]),
                })
            })
            .collect();
        out.push(HnsNetwork {
            name: text(item, &["Name"]).unwrap_or_default(),
            type_: text(item, &["Type"]).unwrap_or_default(),
            management_ip: text(item, &["ManagementIP", "ManagementIp"]),
            network_adapter_name: text(item, &["NetworkAdapterName", "InterfaceName"]),
            subnets,
            id: text(item, &["ID", "Id"]),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- adapters and addresses

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetAdapter {
    pub name: String,
    pub interface_description: String,
    pub status: String,
    pub mac_address: String,
}

pub fn parse_adapters(text_in: &str) -> Result<Vec<NetAdapter>, String> {
    let v = parse_json(text_in, "node/net-adapters.json")?;
    let mut out = Vec::new();
    for item in items(&v) {
        if !item.is_object() {
            return Err("node/net-adapters.json: expected Get-NetAdapter objects".into());
        }
        out.push(NetAdapter {
            name: text(item, &["Name", "InterfaceAlias"]).unwrap_or_default(),
            interface_description: text(item, &["InterfaceDescription"]).unwrap_or_default(),
            status: text(item, &["Status"]).unwrap_or_default(),
            mac_address: text(item, &["MacAddress"]).unwrap_or_default(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IpAddress {
    pub interface_alias: String,
    pub ip_address: String,
    pub prefix_length: Option<u8>,
}

impl IpAddress {
    /// `10.0.0.5/24` when the prefix is known.
    pub fn net(&self) -> Option<ipnet::IpNet> {
        let ip: std::net::IpAddr = self.ip_address.parse().ok()?;
        ipnet::IpNet::new(ip, self.prefix_length?).ok()
    }
}

pub fn parse_ip_addresses(text_in: &str) -> Result<Vec<IpAddress>, String> {
    let v = parse_json(text_in, "node/ip-addresses.json")?;
    let mut out = Vec::new();
    for item in items(&v) {
        if !item.is_object() {
            return Err("node/ip-addresses.json: expected Get-NetIPAddress objects".into());
        }
        out.push(IpAddress {
            interface_alias: text(item, &["InterfaceAlias"]).unwrap_or_default(),
            ip_address: text(item, &["IPAddress", "ip"]).unwrap_or_default(),
            prefix_length: field(item, &["PrefixLength"])
                .and_then(Value::as_u64)
                .and_then(|p| u8::try_from(p).ok()),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- node.json

/// What `node/node.json` records besides the host name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeInfo {
    pub collected_at: Option<String>,
    /// e.g. "Microsoft Windows Server 2019 Datacenter".
    pub os_caption: Option<String>,
    /// e.g. "10.0.17763".
    pub os_version: Option<String>,
    pub build: Option<u32>,
    /// Update build revision (the 6054 of 10.0.17763.6054).
    pub ubr: Option<u32>,
    /// Win32_ComputerSystem Manufacturer / Model (VM detection).
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub hypervisor_present: Option<bool>,
    /// The collector's own verdict that the machine is a virtual machine, when it recorded one.
    pub is_vm: Option<bool>,
    /// The API server URL from the node's kubeconfig (server line only).
    pub api_server: Option<String>,
}

impl NodeInfo {
    pub fn from_json(v: &Value) -> NodeInfo {
        let os = field(v, &["os"]).cloned().unwrap_or(Value::Null);
        let computer = field(v, &["computer"]).cloned().unwrap_or(Value::Null);
        let version = text(&os, &["version", "Version"]);
        let build = field(&os, &["build", "BuildNumber", "CurrentBuild"])
            .and_then(|b| match b {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .or_else(|| version.as_deref().and_then(crate::facts::windows::build_of));
        // Hardware facts may sit under "computer", under "os" or at the top.
        let hw = |keys: &[&str]| {
            text(&computer, keys)
                .or_else(|| text(&os, keys))
                .or_else(|| text(v, keys))
        };
        let flag = |keys: &[&str]| {
            field(&computer, keys)
                .or_else(|| field(&os, keys))
                .or_else(|| field(v, keys))
                .and_then(Value::as_bool)
        };
        NodeInfo {
            collected_at: text(v, &["collected_at"]),
            os_caption: text(&os, &["caption", "Caption", "ProductName"]),
            os_version: version,
            build,
            ubr: field(&os, &["ubr", "UBR"])
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            manufacturer: hw(&["manufacturer", "Manufacturer"]),
            model: hw(&["model", "Model"]),
            hypervisor_present: flag(&["hypervisor_present", "HypervisorPresent"]),
            is_vm: flag(&["is_vm"]),
            api_server: text(v, &["api_server"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_in_both_spellings() {
        let ours = parse_processes(
            r#"[{"name":"kubelet.exe","pid":4,"command_line":["C:\\k\\kubelet.exe","--v=2"]}]"#,
        )
        .expect("ours");
        assert_eq!(ours[0].args(), ["--v=2".to_string()]);
        assert_eq!(ours[0].stem(), "kubelet");
        let ps = parse_processes(
            r#"{"Name":"kube-proxy.exe","ProcessId":88,"CommandLine":"\"C:\\k\\kube-proxy.exe\" --hostname-override=win-1"}"#,
        )
        .expect("powershell");
        assert_eq!(ps[0].pid, 88);
        assert_eq!(ps[0].args(), ["--hostname-override=win-1".to_string()]);
        assert!(parse_processes("[1,2]").is_err());
        assert!(parse_processes("").expect("empty").is_empty());
    }

    #[test]
    fn an_unquoted_program_path_with_blanks_is_read_to_its_exe() {
        // sig-windows-tools' PrepareNode.ps1 installs nssm under $env:ProgramFiles\nssm, and the
        // service manager shows the path unquoted.
        let service = |path: &str| WinService {
            name: "kubelet".into(),
            path_name: path.into(),
            ..WinService::default()
        };
        let nssm = service(r"C:\Program Files\nssm\nssm.exe");
        assert_eq!(nssm.program(), r"C:\Program Files\nssm\nssm.exe");
        assert!(nssm.is_nssm());
        let with_args = service(r"C:\Program Files\kubernetes\kubelet.exe --v=2");
        assert_eq!(
            with_args.program(),
            r"C:\Program Files\kubernetes\kubelet.exe"
        );
        // Near misses: quoted, no blank, and no `.exe` to read to.
        let quoted = service(r#""C:\Program Files\Amazon\EKS\EKS-WindowsServiceHost.exe" kubelet"#);
        assert_eq!(
            quoted.program(),
            r"C:\Program Files\Amazon\EKS\EKS-WindowsServiceHost.exe"
        );
        assert!(!quoted.is_nssm());
        assert_eq!(service(r"C:\k\nssm.exe").program(), r"C:\k\nssm.exe");
        assert_eq!(service("kubelet start").program(), "kubelet");
        assert!(!service(r"C:\Program Files\nssmx\run.bat x").is_nssm());
    }

    #[test]
    fn services_from_cim_get_service_and_sc() {
        let cim = parse_services(
            r#"[{"Name":"kubelet","State":"Running","StartMode":"Auto","PathName":"C:\\k\\nssm.exe",
                 "nssm":{"Application":"C:\\k\\kubelet.exe","AppParameters":"--v=6 --hostname-override=win-1"}}]"#,
        )
        .expect("cim");
        assert!(cim[0].is_nssm() && cim[0].is_running() && cim[0].is_automatic());
        assert_eq!(cim[0].effective_command()[2], "--hostname-override=win-1");
        let flat = parse_services(
            r#"[{"name":"kube-proxy","state":"Running","start_mode":"Manual","path_name":"C:\\k\\nssm.exe","app_parameters":"--v=4 --proxy-mode=kernelspace"}]"#,
        )
        .expect("flat nssm keys");
        assert_eq!(flat[0].effective_command()[0], "kube-proxy.exe");
        assert_eq!(flat[0].effective_command()[2], "--proxy-mode=kernelspace");
        let gs = parse_services(r#"{"Name":"kube-proxy","Status":1,"StartType":3}"#).expect("gs");
        assert_eq!(gs[0].state, "Stopped");
        assert_eq!(gs[0].start_mode, "Manual");
        let sc = "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: kubelet\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        START_TYPE         : 2   AUTO_START\r\n        BINARY_PATH_NAME   : C:\\k\\kubelet.exe --service --hostname-override 'minion'\r\nSERVICE_NAME: kubelet\r\n        STATE              : 4  RUNNING\r\n";
        let s = parse_sc_output("kubelet", sc).expect("exists");
        assert_eq!(s.start_mode, "Auto");
        assert_eq!(s.state, "Running");
        assert!(s.path_name.starts_with(r"C:\k\kubelet.exe"));
        assert!(parse_sc_output(
            "flanneld",
            "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service."
        )
        .is_none());
    }

    #[test]
    fn hns_adapters_and_info() {
        let hns = parse_hns(
            r#"{"Name":"cbr0","Type":"L2Bridge","ManagementIP":"10.0.0.5","NetworkAdapterName":"Ethernet",
                "Subnets":[{"AddressPrefix":"10.244.4.0/24","GatewayAddress":"10.244.4.1"}]}"#,
        )
        .expect("hns");
        assert_eq!(hns[0].subnets[0].address_prefix, "10.244.4.0/24");
        let a = parse_adapters(r#"[{"Name":"vEthernet (Ethernet)","Status":"Up"}]"#).expect("a");
        assert_eq!(a[0].status, "Up");
        let ips = parse_ip_addresses(
            r#"{"InterfaceAlias":"Ethernet","IPAddress":"10.0.0.5","PrefixLength":24}"#,
        )
        .expect("ips");
        assert_eq!(
            ips[0].net().map(|n| n.to_string()).as_deref(),
            Some("10.0.0.5/24")
        );
        let info = NodeInfo::from_json(
            &serde_json::json!({"os":{"caption":"Windows Server 2019","version":"10.0.17763"},"computer":{"manufacturer":"Microsoft Corporation","model":"Virtual Machine"}}),
        );
        assert_eq!(info.build, Some(17763));
        let info = NodeInfo::from_json(
            &serde_json::json!({"os":{"build":"17763","is_vm":true,"manufacturer":"Microsoft Corporation","model":"Virtual Machine"}}),
        );
        assert_eq!(info.is_vm, Some(true));
        assert_eq!(info.model.as_deref(), Some("Virtual Machine"));
    }
}
