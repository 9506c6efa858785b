//! The live node collector: on a Windows node (or from `--node-root DIR`, a copy of `C:\`) it
//! gathers processes (sysinfo), services (PowerShell's Win32_Service with nssm parameters, else
//! `sc.exe qc/query`), HNS networks, adapters, IP addresses, the allow-listed machine environment,
//! OS details, and the files and log tails the checks read, and writes them as a bundle node part
//! (docs/bundle.md) into memory. `read_node_part` then parses that exactly as it parses a saved
//! bundle, and `windoctor capture` writes the same bytes to disk, so a replay sees what the live
//! run saw.
//!
//! Off Windows only files are read (from `--node-root`); the other parts are recorded as not
//! collected, with the reason, in node.json. Files and folders that exist but cannot be read
//! (permissions, a folder where a file is expected, a link out of `--node-root`) are recorded as
//! `unreadable_files`, and a node root that cannot be read at all as `errors.files`, so the reader
//! reports `error` for them and never mistakes them for absent files. Everything outside `C:\` paths is behind the
//! `CommandRunner` and `ProcessLister` traits, so the parsing is tested with canned outputs.

use super::runner::{CommandRunner, NodeCommand, SystemRunner};
use crate::facts::node::records::{self, Process};
use crate::facts::node::{cmdline, is_allowed_env_key, strip_url_credentials};
use crate::sources::files::{MemoryStore, LOG_TAIL_BYTES, MAX_FILE_BYTES};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Process and service names the collector keeps (others are never recorded).
fn is_relevant_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "kube",
        "flannel",
        "containerd",
        "docker",
        "nssm",
        "calico",
        "felix",
        "antrea",
        "csi",
        "rke2",
        "wins",
        "hns",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Lists running processes with their command lines.
pub trait ProcessLister: Send + Sync {
    fn list(&self) -> Result<Vec<Process>, String>;
}

/// The real process list, from sysinfo.
pub struct SysinfoProcesses;

impl ProcessLister for SysinfoProcesses {
    fn list(&self) -> Result<Vec<Process>, String> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
        let mut sys = System::new().map_err(|e| format!("cannot read the process list: {e}"))?;
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing()
                .with_cmd(UpdateKind::Always)
                .with_exe(UpdateKind::OnlyIfNotSet),
        );
        let mut out: Vec<Process> = sys
            .processes()
            .values()
            .map(|p| {
                let mut command_line: Vec<String> = p
                    .cmd()
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                if command_line.is_empty() {
                    if let Some(exe) = p.exe() {
                        command_line.push(exe.display().to_string());
                    }
                }
                Process {
                    name: p.name().to_string_lossy().into_owned(),
                    pid: p.pid().as_u32(),
                    command_line,
                }
            })
            .collect();
        out.sort_by_key(|p| p.pid);
        Ok(out)
    }
}

/// A fixed process list, for tests.
pub struct FixedProcesses(pub Result<Vec<Process>, String>);

impl ProcessLister for FixedProcesses {
    fn list(&self) -> Result<Vec<Process>, String> {
        self.0.clone()
    }
}

/// What and where to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The directory standing for `C:\`.
    pub root: PathBuf,
    /// Whether paths on other drives (`D:\...`) may be read as they are (only on the node itself).
    pub other_drives: bool,
    /// Query the running system (processes, PowerShell, sc.exe): true on the Windows node itself.
    pub query_system: bool,
    /// Why the system is not queried, recorded in node.json when `query_system` is false.
    pub not_queried_because: String,
    pub hostname: Option<String>,
    pub node_name: Option<String>,
    pub collected_at: String,
}

impl CollectOptions {
    /// Options for this machine: `C:\` on Windows, `node_root` when given.
    pub fn for_this_machine(node_root: Option<&Path>, node_name: Option<&str>) -> CollectOptions {
        let on_windows = cfg!(windows);
        CollectOptions {
            root: node_root
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(r"C:\")),
            other_drives: on_windows && node_root.is_none(),
            query_system: on_windows,
            not_queried_because: if on_windows {
                String::new()
            } else {
                format!(
                    "windoctor ran on {} (not on the Windows node); only files were read from --node-root",
                    std::env::consts::OS
                )
            },
            hostname: if on_windows {
                hostname::get()
                    .ok()
                    .map(|h| h.to_string_lossy().into_owned())
            } else {
                None
            },
            node_name: node_name.map(str::to_string),
            collected_at: crate::clock::now_rfc3339(),
        }
    }
}

/// The PowerShell commands of docs/bundle.md (each ends in ConvertTo-Json).
pub fn commands() -> Vec<NodeCommand> {
    let services = r#"$names = '^(kubelet|kube-?proxy|flanneld|containerd|docker|csi-proxy|rke2|calico|felix|antrea|wins)'
$items = @(Get-CimInstance Win32_Service | Where-Object { $_.Name -match $names -or $_.PathName -match 'kube|flannel|containerd|nssm' } | ForEach-Object {
  $p = Get-ItemProperty -Path ('HKLM:\SYSTEM\CurrentControlSet\Services\' + $_.Name + '\Parameters') -ErrorAction SilentlyContinue
  $nssm = $null
  if ($p -and $p.Application) { $nssm = [pscustomobject]@{ Application = $p.Application; AppParameters = $p.AppParameters; AppDirectory = $p.AppDirectory; AppEnvironmentExtra = $p.AppEnvironmentExtra; AppStdout = $p.AppStdout; AppStderr = $p.AppStderr } }
  [pscustomobject]@{ Name = $_.Name; State = $_.State; StartMode = $_.StartMode; PathName = $_.PathName; nssm = $nssm } })
ConvertTo-Json -InputObject $items -Depth 4"#;
    let hns = r#"if (-not (Get-Command Get-HnsNetwork -ErrorAction SilentlyContinue)) { foreach ($m in 'C:\k\hns.psm1','C:\k\hns.v2.psm1') { if (Test-Path $m) { Import-Module $m -DisableNameChecking; break } } }
if (-not (Get-Command Get-HnsNetwork -ErrorAction SilentlyContinue)) { throw 'Get-HnsNetwork is not available: import hns.psm1 (microsoft/SDN) or the HostNetworkingService module' }
ConvertTo-Json -InputObject @(Get-HnsNetwork) -Depth 10"#;
    let adapters = "ConvertTo-Json -InputObject @(Get-NetAdapter -IncludeHidden | Select-Object Name,InterfaceDescription,Status,MacAddress,ifIndex)";
    let ips = "ConvertTo-Json -InputObject @(Get-NetIPAddress -AddressFamily IPv4 | Select-Object InterfaceAlias,IPAddress,PrefixLength)";
    let env = "[Environment]::GetEnvironmentVariables('Machine') | ConvertTo-Json";
    let system = r#"$os = Get-CimInstance Win32_OperatingSystem; $cs = Get-CimInstance Win32_ComputerSystem
$ubr = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction SilentlyContinue).UBR
[pscustomobject]@{ os = [pscustomobject]@{ caption = $os.Caption; version = $os.Version; build = $os.BuildNumber; ubr = $ubr }; computer = [pscustomobject]@{ manufacturer = $cs.Manufacturer; model = $cs.Model; hypervisor_present = $cs.HypervisorPresent } } | ConvertTo-Json -Depth 3"#;
    vec![
        NodeCommand::powershell("eventlog", &eventlog_command()),
        NodeCommand::powershell("services", services),
        NodeCommand::powershell("hns-networks", hns),
        NodeCommand::powershell("net-adapters", adapters),
        NodeCommand::powershell("ip-addresses", ips),
        NodeCommand::powershell("env", env),
        NodeCommand::powershell("system", system),
    ]
}

/// The Windows PowerShell 5.1 command that reads the Event Log tails of `node-paths.toml`
/// `[eventlog]`: one JSON object, each tail's name -> its events (`Select TimeCreated, ProviderName,
/// Id, LevelDisplayName, Message`, newest first). A provider or log that does not exist on the node
/// gives an empty tail.
pub fn eventlog_command() -> String {
    let plan = &crate::catalogue::data::node_paths().eventlog;
    let quote = crate::facts::node::cmdline::powershell_literal;
    let mut script = String::from("$tails = [ordered]@{}\n");
    for q in &plan.tail {
        let mut filter = Vec::new();
        if let Some(log) = &q.log {
            filter.push(format!("LogName = {}", quote(log)));
        }
        if let Some(provider) = &q.provider {
            filter.push(format!("ProviderName = {}", quote(provider)));
        }
        if !q.ids.is_empty() {
            let ids: Vec<String> = q.ids.iter().map(u32::to_string).collect();
            filter.push(format!("Id = {}", ids.join(",")));
        }
        script.push_str(&format!(
            "$tails[{}] = @(Get-WinEvent -FilterHashtable @{{ {} }} -MaxEvents {} -ErrorAction SilentlyContinue | Select-Object TimeCreated, ProviderName, Id, LevelDisplayName, Message)\n",
            quote(&q.name),
            filter.join("; "),
            plan.max_events
        ));
    }
    script.push_str("ConvertTo-Json -InputObject $tails -Depth 3");
    script
}

/// Writes each tail of the `eventlog` command's output as `node/eventlog/NAME.json`.
fn put_eventlogs(store: &mut MemoryStore, output: &[u8]) -> Result<(), String> {
    let text = crate::sources::text::decode(output);
    let v = records::parse_json(&text, "the Event Log tails")?;
    let Value::Object(tails) = v else {
        return Err("the Event Log tails are not a JSON object".to_string());
    };
    let names: Vec<&str> = crate::catalogue::data::node_paths()
        .eventlog
        .tail
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    for (name, events) in tails {
        // Only the names the plan asked for become file names.
        if let Some(name) = names.iter().find(|n| **n == name) {
            let events = match events {
                Value::Null => Value::Array(Vec::new()),
                other => other,
            };
            put_json(store, &format!("node/eventlog/{name}.json"), &events);
        }
    }
    Ok(())
}

/// Services sc.exe is asked about when PowerShell cannot list them.
pub const SC_SERVICES: &[&str] = &["kubelet", "kube-proxy", "flanneld", "containerd", "docker"];

/// Collects the node part into memory, laid out as a bundle's `node/` directory.
pub fn collect(
    opts: &CollectOptions,
    runner: &dyn CommandRunner,
    processes: &dyn ProcessLister,
) -> MemoryStore {
    let mut store = MemoryStore::default();
    let mut errors = serde_json::Map::new();
    let mut not_collected = serde_json::Map::new();
    let mut node_json = json!({
        "hostname": opts.hostname,
        "node_name": opts.node_name,
        "collected_at": opts.collected_at,
        "collector": format!("windoctor {}", env!("CARGO_PKG_VERSION")),
        "node_root": if opts.other_drives { Value::Null } else { Value::String(opts.root.display().to_string()) },
    });

    let mut found_processes: Vec<Process> = Vec::new();
    let mut found_services: Vec<records::WinService> = Vec::new();
    if opts.query_system {
        match processes.list() {
            Ok(list) => {
                found_processes = list
                    .into_iter()
                    .filter(|p| is_relevant_name(&p.name))
                    .collect();
                put_json(
                    &mut store,
                    "node/processes.json",
                    &processes_json(&found_processes),
                );
            }
            Err(e) => {
                errors.insert("processes".into(), e.into());
            }
        }
        let outputs: BTreeMap<String, Result<Vec<u8>, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = commands()
                .into_iter()
                .map(|cmd| {
                    s.spawn(move || {
                        // ConvertTo-Json always prints something (`[]` for nothing): an empty
                        // answer means the PowerShell there is not a working one (Wine ships a stub).
                        let out = runner.run(&cmd).and_then(|b| {
                            if crate::sources::text::decode(&b).trim().is_empty() {
                                Err(format!("{} printed nothing", cmd.program))
                            } else {
                                Ok(b)
                            }
                        });
                        (cmd.id.clone(), out)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let get = |id: &str| {
            outputs
                .get(id)
                .cloned()
                .unwrap_or_else(|| Err(format!("{id} was not run")))
        };
        // Services: PowerShell first, sc.exe when PowerShell is unavailable.
        match get("services").and_then(|b| {
            let text = crate::sources::text::decode(&b);
            records::parse_services(&text).map(|_| text)
        }) {
            Ok(text) => {
                let filtered = filter_service_env(&text);
                found_services = records::parse_services(&filtered).unwrap_or_default();
                put_text(&mut store, "node/services.json", &filtered);
            }
            Err(ps_error) => match services_from_sc(runner) {
                Ok(list) => {
                    put_json(&mut store, "node/services.json", &services_json(&list));
                    found_services = list;
                }
                Err(sc_error) => {
                    errors.insert(
                        "services".into(),
                        format!("PowerShell: {ps_error}; sc.exe: {sc_error}").into(),
                    );
                }
            },
        }
        for (part, path) in [
            ("hns-networks", "node/hns-networks.json"),
            ("net-adapters", "node/net-adapters.json"),
            ("ip-addresses", "node/ip-addresses.json"),
        ] {
            match get(part) {
                Ok(bytes) => put_text(&mut store, path, &crate::sources::text::decode(&bytes)),
                Err(e) => {
                    errors.insert(part.into(), e.into());
                }
            }
        }
        if let Err(e) = get("eventlog").and_then(|b| put_eventlogs(&mut store, &b)) {
            errors.insert("eventlog".into(), e.into());
        }
        match get("env").and_then(|b| super::parse_env(&crate::sources::text::decode(&b))) {
            Ok(env) => put_json(&mut store, "node/env.json", &json!(env)),
            Err(e) => {
                errors.insert("env".into(), e.into());
            }
        }
        match get("system").and_then(|b| {
            records::parse_json(&crate::sources::text::decode(&b), "system information")
        }) {
            Ok(v) => {
                node_json["os"] = v.get("os").cloned().unwrap_or(Value::Null);
                node_json["computer"] = v.get("computer").cloned().unwrap_or(Value::Null);
            }
            Err(e) => {
                errors.insert("system".into(), e.into());
            }
        }
    } else {
        for (part, _) in super::RECORD_FILES {
            not_collected.insert(part.into(), opts.not_queried_because.clone().into());
        }
        not_collected.insert("eventlog".into(), opts.not_queried_because.clone().into());
    }

    let fs = NodeRoot::new(opts.root.clone(), opts.other_drives);
    match fs.check() {
        // Nothing can be read: every node file input fails with why (never "absent", which
        // checks would judge as the node's state).
        Err(why) => {
            errors.insert("files".into(), why.into());
        }
        Ok(()) => collect_files(
            &fs,
            &found_processes,
            &found_services,
            &mut store,
            &mut node_json,
        ),
    }
    if !errors.is_empty() {
        node_json["errors"] = Value::Object(errors);
    }
    if !not_collected.is_empty() {
        node_json["not_collected"] = Value::Object(not_collected);
    }
    put_json(&mut store, "node/node.json", &node_json);
    store
}

/// Copies the files and log tails the checks read into `store`, recording in `node_json` what
/// exists but could not be read (`unreadable_files`) and the API server of the node's kubeconfig.
fn collect_files(
    fs: &NodeRoot,
    processes: &[Process],
    services: &[records::WinService],
    store: &mut MemoryStore,
    node_json: &mut Value,
) {
    let plan = FilePlan::from_components(processes, services, |p| {
        fs.read(p, false)
            .ok()
            .map(|b| crate::sources::text::decode(&b))
    });
    let mut unreadable = serde_json::Map::new();
    let mut wanted: Vec<(String, bool)> = plan.files.iter().map(|p| (p.clone(), false)).collect();
    for dir in &plan.cni_dirs {
        match fs.list_checked(dir, &[".conf", ".conflist", ".json"], 32) {
            Ok(found) => wanted.extend(found.into_iter().map(|p| (p, false))),
            Err((dir, why)) => {
                unreadable.insert(dir, why.into());
            }
        }
    }
    wanted.extend(plan.logs.iter().map(|p| (p.clone(), true)));
    for dir in &plan.log_dirs {
        match fs.newest_logs_checked(dir, 6) {
            Ok(found) => wanted.extend(found.into_iter().map(|p| (p, true))),
            Err((dir, why)) => {
                unreadable.insert(dir, why.into());
            }
        }
    }
    for (path, tail) in wanted {
        if let Err((path, why)) = copy_file(fs, &path, tail, store) {
            unreadable.insert(path, why.into());
        }
    }
    if let Some(kubeconfig) = plan.kubeconfig.as_deref() {
        match fs.read(kubeconfig, false) {
            Ok(text) => {
                node_json["api_server"] = api_server_of(&crate::sources::text::decode(&text))
                    .map(|s| Value::String(crate::redact::server_for_display(&s)))
                    .unwrap_or(Value::Null);
            }
            Err(why) if !matches!(fs.locate(kubeconfig), Located::Absent) => {
                unreadable.insert(crate::facts::node::display_win_path(kubeconfig), why.into());
            }
            Err(_) => {}
        }
    }
    if !unreadable.is_empty() {
        node_json["unreadable_files"] = redact_strings(Value::Object(unreadable));
    }
}

/// Writes a JSON record with every string redacted (redacting the serialized text could cut into
/// the JSON syntax itself).
fn put_json(store: &mut MemoryStore, path: &str, v: &Value) {
    let text = serde_json::to_string_pretty(&redact_strings(v.clone()))
        .unwrap_or_else(|_| "null".to_string());
    store.files.insert(path.to_string(), text.into_bytes());
}

/// Writes a command's output: JSON is redacted value by value, anything else as text.
fn put_text(store: &mut MemoryStore, path: &str, text: &str) {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(v) => put_json(store, path, &v),
        Err(_) => {
            store
                .files
                .insert(path.to_string(), crate::redact::redact(text).into_bytes());
        }
    }
}

fn redact_strings(v: Value) -> Value {
    crate::redact::redact_json(v)
}

fn processes_json(list: &[Process]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({"name": p.name, "pid": p.pid, "command_line": p.command_line}))
            .collect(),
    )
}

fn services_json(list: &[records::WinService]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| {
                json!({"name": s.name, "state": s.state, "start_mode": s.start_mode, "path_name": s.path_name})
            })
            .collect(),
    )
}

/// Keeps only allow-listed `NAME=value` lines of nssm's AppEnvironmentExtra.
fn filter_service_env(text: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text.trim()) else {
        return text.to_string();
    };
    let items: Vec<&mut Value> = match &mut v {
        Value::Array(a) => a.iter_mut().collect(),
        other => vec![other],
    };
    for item in items {
        let Some(nssm) = item
            .as_object_mut()
            .and_then(|o| o.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case("nssm")))
            .map(|(_, v)| v)
        else {
            continue;
        };
        let Some(obj) = nssm.as_object_mut() else {
            continue;
        };
        for (k, val) in obj.iter_mut() {
            if !k.eq_ignore_ascii_case("AppEnvironmentExtra") {
                continue;
            }
            let lines: Vec<String> = match val {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Value::String(s) => s.lines().map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let kept: Vec<Value> = lines
                .into_iter()
                .filter_map(|l| {
                    let (name, value) = l.split_once('=')?;
                    is_allowed_env_key(name.trim()).then(|| {
                        Value::String(format!("{}={}", name.trim(), strip_url_credentials(value)))
                    })
                })
                .collect();
            *val = Value::Array(kept);
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string())
}

fn services_from_sc(runner: &dyn CommandRunner) -> Result<Vec<records::WinService>, String> {
    let mut out = Vec::new();
    let mut first_error = None;
    for name in SC_SERVICES {
        let qc = runner.run(&NodeCommand::new(
            &format!("sc-qc:{name}"),
            "sc.exe",
            &["qc", name],
        ));
        let query = runner.run(&NodeCommand::new(
            &format!("sc-query:{name}"),
            "sc.exe",
            &["query", name],
        ));
        match (qc, query) {
            (Err(e), Err(_)) if e.contains("cannot run") => {
                first_error.get_or_insert(e);
            }
            (qc, query) => {
                let mut text = String::new();
                for part in [qc, query] {
                    match part {
                        Ok(b) => text.push_str(&crate::sources::text::decode(&b)),
                        // sc.exe exits non-zero when the service does not exist; its stdout says so.
                        Err(e) => text.push_str(&e),
                    }
                    text.push('\n');
                }
                if let Some(s) = records::parse_sc_output(name, &text) {
                    out.push(s);
                }
            }
        }
    }
    match (out.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(out),
    }
}

/// The `server:` of a kubeconfig, nothing else of it.
pub fn api_server_of(kubeconfig: &str) -> Option<String> {
    kubeconfig.lines().find_map(|l| {
        let t = l.trim();
        t.strip_prefix("server:")
            .map(|s| s.trim().trim_matches(['"', '\'']).to_string())
            .filter(|s| !s.is_empty())
    })
}

/// Which files and directories to read, from the fixed list, every distribution layout's paths,
/// and what the components' command lines name (kubelet `--cni-conf-dir`, `--config`, `--log-dir`, `--kubeconfig`; containerd
/// `--config`; nssm `AppStdout`/`AppStderr`).
#[derive(Debug, Default, PartialEq)]
pub struct FilePlan {
    pub files: Vec<String>,
    pub cni_dirs: Vec<String>,
    pub logs: Vec<String>,
    pub log_dirs: Vec<String>,
    pub kubeconfig: Option<String>,
}

impl FilePlan {
    /// The plan for a node whose components are `processes` and `services`; `read` gives the text
    /// of a node file (the files that name other files: kubeadm-flags.env, containerd's config).
    pub fn from_components(
        processes: &[Process],
        services: &[records::WinService],
        read: impl Fn(&str) -> Option<String>,
    ) -> FilePlan {
        let paths = crate::catalogue::data::node_paths();
        let mut plan = FilePlan {
            files: paths.files.values().cloned().collect(),
            cni_dirs: paths.cni_dirs.clone(),
            log_dirs: paths.log_dirs.clone(),
            ..Default::default()
        };
        // Every distribution layout's files, CNI and log directories (checks/data/layouts.toml): the
        // layout is detected from what is collected, so all of them are looked at.
        for layout in &crate::catalogue::data::layouts().layouts {
            plan.files.extend(layout.mark_files.iter().cloned());
            plan.files.extend(layout.files.iter().cloned());
            plan.cni_dirs.extend(layout.cni_dirs.iter().cloned());
            plan.log_dirs.extend(layout.log_dirs.iter().cloned());
            for c in &layout.components {
                plan.logs.extend(c.logs.iter().cloned());
            }
        }
        let mut commands: Vec<(String, Vec<String>)> = processes
            .iter()
            .map(|p| (p.stem(), p.command_line.clone()))
            .collect();
        for s in services {
            let cmd = s.effective_command();
            if let Some(program) = cmd.first() {
                commands.push((records::exe_stem(program), cmd.clone()));
            }
            // A wrapper (kube-log-runner.exe, EKS-WindowsServiceHost.exe) runs the component
            // named further on its command line: follow that component's flags too.
            for (component, stems) in [
                ("kubelet", &["kubelet"][..]),
                ("kube-proxy", &["kube-proxy", "kubeproxy"][..]),
                ("flanneld", &["flanneld"][..]),
                ("containerd", &["containerd"][..]),
            ] {
                if let Some(i) = cmdline::wrapped_at(&cmd, stems) {
                    commands.push((component.to_string(), cmd[i..].to_vec()));
                }
            }
            if let Some(n) = &s.nssm {
                plan.logs.extend(n.app_stdout.iter().cloned());
                plan.logs.extend(n.app_stderr.iter().cloned());
            }
            // A service that runs a PowerShell script (StartKubelet.ps1): the script holds the flags.
            plan.files.extend(
                cmd.iter()
                    .filter(|w| w.to_ascii_lowercase().ends_with(".ps1"))
                    .cloned(),
            );
        }
        // kubeadm-flags.env feeds the kubelet too.
        if let Some(text) = read(crate::catalogue::data::node_file("kubeadm_flags_env")) {
            if let Ok(words) = crate::facts::node::kubelet::parse_kubeadm_flags_env(&text) {
                commands.push(("kubelet".to_string(), words));
            }
        }
        for (stem, words) in &commands {
            let flags = cmdline::parse_flags(words);
            let value = |name: &str| cmdline::flag(&flags, name).and_then(|f| f.value.clone());
            // klog's and kube-log-runner's log file (`--log-file`, `-log-file`: GCE
            // k8s-node-setup.psm1 Start-WorkerServices), whoever carries it.
            plan.logs.extend(value("log-file"));
            match stem.as_str() {
                "kubelet" => {
                    plan.cni_dirs.extend(value("cni-conf-dir"));
                    plan.files.extend(value("config"));
                    plan.log_dirs.extend(value("log-dir"));
                    plan.kubeconfig = plan.kubeconfig.take().or(value("kubeconfig"));
                }
                // `-c CONFIG` is containerd's short form (RKE2: rancher/rke2@6ce1a8019e9d0b81eb7a715edbc2b8ac12d26da0:
                // pkg/executor/pebinary/pebinary.go#L280-L362).
                "containerd" => plan.files.extend(value("config").or_else(|| value("c"))),
                "kube-proxy" => {
                    plan.log_dirs.extend(value("log-dir"));
                    plan.files.extend(value("config"));
                }
                "flanneld" => {
                    plan.log_dirs.extend(value("log-dir"));
                    plan.files.extend(value("net-config-path"));
                }
                _ => {}
            }
        }
        if plan.kubeconfig.is_none() {
            plan.kubeconfig = Some(
                crate::catalogue::data::node_paths()
                    .kubeconfig("node_kubeconfig")
                    .to_string(),
            );
        }
        // containerd's own CNI directories.
        for cfg in plan.files.clone() {
            if !cfg.to_ascii_lowercase().ends_with(".toml") {
                continue;
            }
            if let Some(text) = read(&cfg) {
                if let Ok(c) = crate::facts::node::containerd::parse(&text) {
                    plan.cni_dirs
                        .extend(c.cni_conf_dirs.into_iter().map(|(d, _)| d));
                }
            }
        }
        for list in [
            &mut plan.files,
            &mut plan.cni_dirs,
            &mut plan.logs,
            &mut plan.log_dirs,
        ] {
            let mut seen = std::collections::BTreeSet::new();
            list.retain(|p| seen.insert(crate::facts::node::normalise_win_path(p)));
        }
        plan
    }
}

/// The node's file system seen through Windows paths: `C:\x` is `root\x`, found without regard to
/// case (a copy of a Windows disk on Linux keeps the case it was written with).
///
/// Reads never leave the root when it stands for `C:\` (`--node-root`, or any run off the node): a
/// symbolic link is followed only when it leads inside the root (checked again on the file actually
/// opened, `crate::sources::confined`); one leading out is reported as unreadable, with why, and
/// never read. A folder that cannot be listed is unreadable too, never "absent".
pub struct NodeRoot {
    pub root: PathBuf,
    pub other_drives: bool,
}

/// Where a Windows path is on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// Host path and the Windows path as spelled on disk.
    Found(PathBuf, String),
    /// Nothing is there.
    Absent,
    /// Something is there (the Windows path named) and cannot be read: why.
    Unreadable(String, String),
}

impl NodeRoot {
    pub fn new(root: PathBuf, other_drives: bool) -> NodeRoot {
        NodeRoot { root, other_drives }
    }

    /// Whether reads must stay inside `root` (everything but the node's own drives).
    fn confined(&self) -> Option<crate::sources::confined::Root> {
        if self.other_drives {
            None
        } else {
            crate::sources::confined::Root::open(&self.root).ok()
        }
    }

    /// Why the root cannot be read as a node's `C:\`, if it cannot (it does not exist, is not a
    /// folder, cannot be listed).
    pub fn check(&self) -> Result<(), String> {
        if self.other_drives {
            return Ok(());
        }
        crate::sources::confined::Root::open(&self.root)
            .map(|_| ())
            .map_err(|e| format!("the node root {e}"))
    }

    /// The host path of a Windows path, if it exists and can be read.
    pub fn resolve(&self, win_path: &str) -> Option<(PathBuf, String)> {
        match self.locate(win_path) {
            Located::Found(host, win) => Some((host, win)),
            _ => None,
        }
    }

    /// Where a Windows path is: found (inside the root), absent, or there but unreadable.
    pub fn locate(&self, win_path: &str) -> Located {
        let display = crate::facts::node::display_win_path(win_path);
        let Some((drive, rest)) = display
            .split_once(":\\")
            .or_else(|| display.strip_suffix(':').map(|d| (d, "")))
        else {
            return Located::Absent;
        };
        let parts: Vec<&str> = rest.split('\\').filter(|s| !s.is_empty()).collect();
        if parts.iter().any(|p| *p == ".." || *p == ".") {
            return Located::Absent;
        }
        let mut cur = if drive.eq_ignore_ascii_case("C") {
            self.root.clone()
        } else if self.other_drives {
            PathBuf::from(format!("{drive}:\\"))
        } else {
            return Located::Absent;
        };
        let confined = self.confined();
        if !self.other_drives && confined.is_none() {
            return Located::Unreadable("C:\\".to_string(), self.check().err().unwrap_or_default());
        }
        let mut real = vec![drive.to_ascii_uppercase()];
        let win_of = |real: &[String]| format!("{}:\\{}", real[0], real[1..].join("\\"));
        for part in parts {
            // The name as it is on disk (exact match first, then ignoring case), so that bundles
            // keep the real spelling even on a case-insensitive file system.
            let names: Vec<String> = match std::fs::read_dir(&cur) {
                Ok(entries) => entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Located::Absent,
                Err(e) if cur.is_dir() || e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Located::Unreadable(
                        win_of(&real),
                        format!("cannot list {}: {e}", win_of(&real)),
                    )
                }
                // A file where a folder is expected: nothing is below it.
                Err(_) => return Located::Absent,
            };
            let name = names
                .iter()
                .find(|n| n.as_str() == part)
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(part)))
                .cloned();
            let name = match name {
                Some(n) => n,
                None if std::fs::symlink_metadata(cur.join(part)).is_ok() => part.to_string(),
                None => return Located::Absent,
            };
            cur = cur.join(&name);
            real.push(name);
            if let Some(root) = &confined {
                match root.resolve(&cur) {
                    Ok(_) => {}
                    Err(crate::sources::confined::Refused::Absent) => return Located::Absent,
                    Err(crate::sources::confined::Refused::Unreadable(why)) => {
                        let win = win_of(&real);
                        let why = why.replace(&cur.display().to_string(), &win);
                        return Located::Unreadable(win, why);
                    }
                }
            }
        }
        Located::Found(cur, win_of(&real))
    }

    /// Reads a file (whole, or its tail for logs).
    pub fn read(&self, win_path: &str, tail: bool) -> Result<Vec<u8>, String> {
        match self.locate(win_path) {
            Located::Found(path, win) => self.read_host(&path, &win, tail),
            Located::Absent => Err(format!("{win_path} does not exist")),
            Located::Unreadable(_, why) => Err(why),
        }
    }

    fn read_host(&self, path: &Path, win: &str, tail: bool) -> Result<Vec<u8>, String> {
        match self.confined() {
            Some(root) => match root.open_file(path) {
                Ok(file) => read_open_file(file, path, tail),
                Err(crate::sources::confined::Refused::Absent) => {
                    Err(format!("{win} does not exist"))
                }
                Err(crate::sources::confined::Refused::Unreadable(why)) => {
                    Err(why.replace(&path.display().to_string(), win))
                }
            },
            None => {
                if path.is_dir() {
                    return Err(format!("{win} is a directory, not a file"));
                }
                let file = std::fs::File::open(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                read_open_file(file, path, tail)
            }
        }
    }

    /// Files directly in `dir` whose names end with one of `suffixes`, at most `limit`.
    pub fn list(&self, dir: &str, suffixes: &[&str], limit: usize) -> Vec<String> {
        self.list_checked(dir, suffixes, limit).unwrap_or_default()
    }

    /// Like `list`; `Err((dir, why))` when the folder exists but cannot be listed. Symbolic links
    /// are listed too (reading one decides whether it may be followed).
    pub fn list_checked(
        &self,
        dir: &str,
        suffixes: &[&str],
        limit: usize,
    ) -> Result<Vec<String>, (String, String)> {
        let entries = match self.entries(dir)? {
            Some(e) => e,
            None => return Ok(Vec::new()),
        };
        let mut out: Vec<String> = entries
            .into_iter()
            .filter(|(_, kind, _)| kind.is_file() || kind.is_symlink())
            .map(|(win, _, _)| win)
            .filter(|w| {
                let l = w.to_ascii_lowercase();
                suffixes.iter().any(|s| l.ends_with(s))
            })
            .collect();
        out.sort();
        out.truncate(limit);
        Ok(out)
    }

    /// The entries of a folder: (Windows path, type, modification time). `Ok(None)` when absent.
    #[allow(clippy::type_complexity)]
    fn entries(
        &self,
        dir: &str,
    ) -> Result<Option<Vec<(String, std::fs::FileType, std::time::SystemTime)>>, (String, String)>
    {
        let (path, win) = match self.locate(dir) {
            Located::Found(p, w) => (p, w),
            Located::Absent => return Ok(None),
            Located::Unreadable(w, why) => return Err((w, why)),
        };
        if !path.is_dir() {
            return Ok(None);
        }
        let entries = std::fs::read_dir(&path)
            .map_err(|e| (win.clone(), format!("cannot list {win}: {e}")))?;
        Ok(Some(
            entries
                .flatten()
                .filter_map(|e| {
                    let kind = e.file_type().ok()?;
                    let modified = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(std::time::UNIX_EPOCH);
                    let name = e.file_name().to_string_lossy().into_owned();
                    Some((
                        format!("{}\\{name}", win.trim_end_matches('\\')),
                        kind,
                        modified,
                    ))
                })
                .collect(),
        ))
    }

    /// The newest log files in `dir` (by modification time), at most `limit`.
    pub fn newest_logs(&self, dir: &str, limit: usize) -> Vec<String> {
        self.newest_logs_checked(dir, limit).unwrap_or_default()
    }

    /// Like `newest_logs`; `Err((dir, why))` when the folder exists but cannot be listed.
    pub fn newest_logs_checked(
        &self,
        dir: &str,
        limit: usize,
    ) -> Result<Vec<String>, (String, String)> {
        let entries = match self.entries(dir)? {
            Some(e) => e,
            None => return Ok(Vec::new()),
        };
        let mut logs: Vec<(std::time::SystemTime, String)> = entries
            .into_iter()
            .filter(|(win, kind, _)| {
                let l = win.to_ascii_lowercase();
                let name = l.rsplit('\\').next().unwrap_or(&l);
                (kind.is_file() || kind.is_symlink())
                    && (name.ends_with(".log") || name.contains(".log."))
            })
            .map(|(win, _, modified)| (modified, win))
            .collect();
        logs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(logs.into_iter().take(limit).map(|(_, p)| p).collect())
    }
}

fn read_open_file(mut f: std::fs::File, path: &Path, tail: bool) -> Result<Vec<u8>, String> {
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let limit = if tail { LOG_TAIL_BYTES } else { MAX_FILE_BYTES };
    if len > limit {
        if !tail {
            return Err(format!(
                "{} is {len} bytes, larger than the {limit} bytes windoctor reads",
                path.display()
            ));
        }
        f.seek(SeekFrom::Start(len - limit))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    let mut buf = Vec::new();
    f.take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(buf)
}

/// Copies one node file into the store. `Err((path, why))` when it exists but cannot be read (a
/// folder where a file is expected, permissions, a link out of the node root).
fn copy_file(
    fs: &NodeRoot,
    win_path: &str,
    tail: bool,
    store: &mut MemoryStore,
) -> Result<(), (String, String)> {
    let (host, real_win) = match fs.locate(win_path) {
        Located::Found(host, win) => (host, win),
        Located::Absent => return Ok(()),
        Located::Unreadable(win, why) => return Err((win, why)),
    };
    let Some(bundle) = crate::facts::node::bundle_path(&real_win) else {
        return Ok(());
    };
    if store.files.contains_key(&bundle) {
        return Ok(());
    }
    let bytes = fs
        .read_host(&host, &real_win, tail)
        .map_err(|e| (real_win.clone(), e))?;
    // Files keep their bytes (encoding and line ends are evidence), unless redaction changed
    // something: then the redacted text is stored.
    let decoded = crate::sources::text::decode(&bytes);
    let redacted = crate::redact::redact(&decoded);
    let bytes = if redacted == decoded {
        bytes
    } else {
        redacted.into_bytes()
    };
    store.files.insert(bundle, bytes);
    Ok(())
}

/// Collects the node part of this machine for a live run or a capture: on Windows the machine
/// itself, elsewhere only the files under `node_root`. `None` when there is nothing to collect
/// (not on Windows and no `--node-root`).
pub fn collect_this_machine(
    node_root: Option<&Path>,
    node_name: Option<&str>,
) -> Option<MemoryStore> {
    if !cfg!(windows) && node_root.is_none() {
        return None;
    }
    let opts = CollectOptions::for_this_machine(node_root, node_name);
    Some(collect(&opts, &SystemRunner::default(), &SysinfoProcesses))
}

/// The live-run entry point: collects this machine's node part (blocking work on a worker thread)
/// and reads it into `facts`. Leaves the node part absent when there is nothing to collect.
pub async fn gather_into(
    node_root: Option<PathBuf>,
    node_name: Option<String>,
    facts: &mut crate::facts::Facts,
) {
    let collected = tokio::task::spawn_blocking(move || {
        collect_this_machine(node_root.as_deref(), node_name.as_deref())
    })
    .await
    .ok()
    .flatten();
    match collected {
        Some(store) => super::read_node_part(&store, facts),
        None => facts.node = crate::facts::node::NodeFacts::absent(),
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::facts::node::records::{parse_processes, parse_services};

    /// The plan follows flags behind wrappers and the short and distribution-specific flags:
    /// kube-log-runner's `-log-file` and the kubelet it runs (GKE), containerd's `-c` and flanneld's
    /// `--net-config-path` (RKE2), kube-proxy's `--config` (OpenShift), and every layout's paths.
    #[test]
    fn the_plan_follows_wrappers_and_distribution_flags() {
        let services = parse_services(
            r#"[{"Name":"kubelet","State":"Running","StartMode":"Manual","PathName":"C:\\etc\\kubernetes\\node\\bin\\kube-log-runner.exe -log-file=C:\\etc\\kubernetes\\logs\\kubelet.log C:\\etc\\kubernetes\\node\\bin\\kubelet.exe --config=C:\\etc\\kubernetes\\kubelet-config.yaml --v=2"}]"#,
        )
        .expect("services parse");
        let processes = parse_processes(
            r#"[{"name":"containerd.exe","pid":10,"command_line":["C:\\var\\lib\\rancher\\rke2\\bin\\containerd.exe","-c","C:\\var\\lib\\rancher\\rke2\\agent\\etc\\containerd\\config.toml"]},
                {"name":"flanneld.exe","pid":11,"command_line":["flanneld.exe","--net-config-path=C:\\var\\lib\\rancher\\rke2\\agent\\flanneld-net-conf.json"]},
                {"name":"kube-proxy.exe","pid":12,"command_line":["C:\\k\\kube-proxy.exe","--config","C:\\k\\kube-proxy.conf"]}]"#,
        )
        .expect("processes parse");
        let plan = FilePlan::from_components(&processes, &services, |_| None);
        let has = |list: &[String], p: &str| {
            list.iter().any(|x| {
                crate::facts::node::normalise_win_path(x)
                    == crate::facts::node::normalise_win_path(p)
            })
        };
        assert!(
            has(&plan.logs, r"C:\etc\kubernetes\logs\kubelet.log"),
            "{:?}",
            plan.logs
        );
        assert!(has(&plan.files, r"C:\etc\kubernetes\kubelet-config.yaml"));
        assert!(has(
            &plan.files,
            r"C:\var\lib\rancher\rke2\agent\etc\containerd\config.toml"
        ));
        assert!(has(
            &plan.files,
            r"C:\var\lib\rancher\rke2\agent\flanneld-net-conf.json"
        ));
        assert!(has(&plan.files, r"C:\k\kube-proxy.conf"));
        assert!(has(&plan.cni_dirs, r"C:\ProgramData\Amazon\EKS\cni\config"));
        assert!(has(&plan.log_dirs, r"C:\CalicoWindows\logs"));
        assert!(!plan
            .files
            .iter()
            .any(|f| f.to_ascii_lowercase().ends_with(".exe")));
    }
}
