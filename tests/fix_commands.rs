//! Every fix command the catalogue can produce, checked as the operator would paste it: each
//! template rendered with realistic values (and every command of the demo's findings) is parsed
//! with a real grammar for the shell it says it is for (tree-sitter-powershell with the Windows
//! PowerShell 5.1 deny-list, tree-sitter-bash), commands meant for any shell must hand kubectl
//! the same arguments from bash as from Windows PowerShell 5.1, and every patch or override
//! handed to kubectl must still be JSON (or the YAML kubectl reads `-p` as) after Windows
//! PowerShell 5.1's quoting.
//!
//! Windows PowerShell 5.1 builds a native program's command line by wrapping an argument that
//! holds whitespace in double quotes and passing inner double quotes unescaped, and the program
//! (kubectl, a Go binary) splits the line by the VC++ 2008 rules, which strip those quotes
//! (PowerShell/PowerShell#1995, PowerShell/PowerShell#14747; kubernetes/kubectl#519 for kubectl).

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use support::{bash, powershell};
use windoctor::catalogue::{self, flow::yaml_flow, input_errors::input_errors};
use windoctor::checks::input_fix;
use windoctor::findings::{Shell, StepMeta};

/// Realistic values for every placeholder the fix commands use; several for the ones whose shape
/// depends on the node (`apply` is an nssm, sc.exe or config-file edit).
fn samples() -> BTreeMap<&'static str, Vec<String>> {
    let patch = yaml_flow(&serde_json::json!([
        {"op": "remove", "path": "/spec/template/spec/securityContext/runAsUser"},
        {"op": "add", "path": "/spec/template/spec/os", "value": {"name": "windows"}}
    ]));
    let tolerations = yaml_flow(&serde_json::json!([
        {"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"}
    ]));
    let one = |v: &str| vec![v.to_string()];
    BTreeMap::from([
        ("adapter", one("Ethernet0")),
        ("address", one("10.96.0.10")),
        (
            "apply",
            vec![
                r"nssm set kubelet AppParameters --windows-service --hostname-override=win-1 --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6".into(),
                r#"sc.exe config kubelet binPath= "C:\k\kubelet.exe --windows-service --system-reserved=memory=2Gi""#.into(),
                r#"notepad "C:\Program Files\containerd\config.toml"  # set sandbox_image = "mcr.microsoft.com/oss/kubernetes/pause:3.6""#.into(),
                r#"Get-Content "C:\Program Files\containerd\config.toml" | Select-String sandbox"#.into(),
                r#"(Get-Content C:\var\lib\kubelet\kubeadm-flags.env) -replace ' ?--system-reserved=[^ "]*', '' -replace '"$', ' --system-reserved=memory=2Gi"' | Set-Content C:\var\lib\kubelet\kubeadm-flags.env -Encoding ascii"#.into(),
                r"Stop-Process -Name kubelet -Force; nssm install kubelet C:\k\kubelet.exe; nssm set kubelet AppParameters --v=2 --system-reserved=memory=2Gi".into(),
                r#"Get-CimInstance Win32_Process -Filter "Name='kubelet.exe'" | Select-Object -ExpandProperty CommandLine   # add --system-reserved=memory=2Gi where kubelet is started"#.into(),
            ],
        ),
        ("args", one(r"--v=4 --hostname-override=win-1.corp.example.com --kubeconfig=C:\k\config --proxy-mode=kernelspace")),
        ("build", one("10.0.20348")),
        ("cluster_ip", one("10.96.12.7")),
        ("configmap", one("kube-system/kubelet-config")),
        ("container", one("web")),
        ("daemonset", one("kube-flannel-ds")),
        ("dirs", one(r"C:\etc\cni\net.d, C:\k\cni\config")),
        ("dns_name", one("kube-dns")),
        ("env", one("DB_HOST")),
        ("fqdn", one("db.shop.svc.cluster.local")),
        ("host", one("db.shop.svc.cluster.local")),
        ("image", one("mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022")),
        ("image_build", one("10.0.17763")),
        ("kubeconfig", one(r"c:\k\config")),
        ("label", one("10.0.20348")),
        ("mtu", one("1450")),
        ("name", one("web")),
        ("namespace", one("shop")),
        ("network", one("10.244.0.0/16")),
        ("no_proxy", one("10.96.0.0/12,10.244.0.0/16,.svc,.cluster.local,localhost")),
        ("node", one("win-1.corp.example.com")),
        ("node_ip", one("10.0.0.21")),
        ("node_port", one("30080")),
        ("other_node", one("linux-1")),
        ("patch", vec![patch]),
        ("path", one(r"C:\etc\cni\net.d\10-flannel.conf")),
        (
            "path_literal",
            vec![
                r"'C:\var\lib\kubelet\config.yaml'".into(),
                r"'C:\Program Files\kubelet''s config.yaml'".into(),
            ],
        ),
        ("path_name", one(r"C:\k\kube-proxy.exe --v=4")),
        ("pod", one("web-7d9c-abcde")),
        ("port", one("443")),
        ("probe", one("livenessProbe")),
        ("program", one(r"C:\k\kube-proxy.exe")),
        ("proxy", one("http://proxy.corp.example.com:3128/")),
        ("selector", one("node.kubernetes.io/windows-build=10.0.17763")),
        ("service", one("kube-proxy")),
        ("short", one("db")),
        ("subnet", one("10.244.3.1/24")),
        ("suggested", one("10.96.0.10")),
        ("tag", one("ltsc2022")),
        ("taint", one("os=windows:NoSchedule")),
        ("target", one("v1.33.2")),
        ("tolerations", vec![tolerations]),
        ("url", one("https://10.96.12.7:443/")),
        ("vm", one("win-1")),
        ("workload", one("deployment/web")),
    ])
}

/// One command as the catalogue can print it.
struct Rendered {
    what: String,
    command: String,
    meta: StepMeta,
}

/// Every command of every fix template, rendered with every sample of its placeholders.
fn rendered() -> Vec<Rendered> {
    let samples = samples();
    let mut out = Vec::new();
    let mut unsaid = Vec::new();
    for check in catalogue::catalogue() {
        for (fix, template) in &check.fixes {
            for (i, (command, meta)) in template.steps().into_iter().enumerate() {
                let what = format!("{} fix {fix} command {}", check.id, i + 1);
                let meta = match meta {
                    Ok(m) => m,
                    Err(e) => {
                        unsaid.push(format!("{what} {e}"));
                        continue;
                    }
                };
                let mut variants = vec![command.to_string()];
                for (name, values) in &samples {
                    let key = format!("{{{name}}}");
                    if !command.contains(&key) {
                        continue;
                    }
                    let mut next = Vec::new();
                    for v in &variants {
                        for x in values {
                            next.push(v.replace(&key, x));
                        }
                    }
                    variants = next;
                }
                for command in variants {
                    // A placeholder with no sample here would reach the grammar unfilled: the
                    // catalogue's own filling, given nothing, shows it as `<name>`.
                    let unfilled = catalogue::fill(&command, &[]);
                    if unfilled != command {
                        unsaid.push(format!("{what}: a placeholder no sample fills: {unfilled}"));
                    }
                    out.push(Rendered {
                        what: what.clone(),
                        command,
                        meta: meta.clone(),
                    });
                }
            }
        }
    }
    assert!(
        unsaid.is_empty(),
        "fix commands without place or shell, or with a placeholder no sample fills:\n{}",
        unsaid.join("\n")
    );
    out.extend(input_error_fixes());
    out
}

/// Every command of the input-error fixes (checks/data/input-errors.toml) as an `error` finding
/// carries it: filled in by `input_fix::explain` from each example reason, for every input.
fn input_error_fixes() -> Vec<Rendered> {
    let names: Vec<&str> = windoctor::facts::inputs::all_names().collect();
    let mut out = Vec::new();
    for trouble in &input_errors().troubles {
        for example in &trouble.matches {
            for name in &names {
                let (_, Some(fix)) = input_fix::explain(name, example.text()) else {
                    continue;
                };
                assert_eq!(fix.commands.len(), fix.steps.len());
                for (i, (command, meta)) in fix.commands.iter().zip(&fix.steps).enumerate() {
                    out.push(Rendered {
                        what: format!("input error {} ({name}) command {}", trouble.id, i + 1),
                        command: command.clone(),
                        meta: meta.clone(),
                    });
                }
            }
        }
    }
    assert!(out.len() > 50, "only {} input-error commands", out.len());
    out
}

/// The grammar problems of `command` for `shell`.
fn grammar_problems(command: &str, shell: Shell) -> Vec<String> {
    match shell {
        Shell::Any => {
            let mut p: Vec<String> = powershell::problems(command)
                .into_iter()
                .map(|x| format!("PowerShell: {x}"))
                .collect();
            p.extend(
                bash::problems(command)
                    .into_iter()
                    .map(|x| format!("bash: {x}")),
            );
            p
        }
        Shell::Powershell | Shell::WindowsPowershell | Shell::Pwsh => powershell::problems(command),
        Shell::Bash => bash::problems(command),
        Shell::Cmd => vec!["no cmd grammar: write the command for PowerShell".to_string()],
    }
}

/// The arguments PowerShell evaluates for the first command of `line` (bare words, 'single' and
/// "double" quoted parts joined, bare commas splitting), up to a pipe, `;`, redirection or comment; `None` when it holds
/// what this small evaluator does not model (variables, subexpressions, escapes).
fn powershell_arguments(line: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None | Some('|' | ';' | '>' | '#') => return Some(args),
            _ => {}
        }
        let mut arg = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || matches!(c, '|' | ';') {
                break;
            }
            chars.next();
            match c {
                '\'' => loop {
                    match chars.next()? {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            arg.push('\'');
                        }
                        '\'' => break,
                        x => arg.push(x),
                    }
                },
                '"' => loop {
                    match chars.next()? {
                        '"' => break,
                        '$' | '`' => return None,
                        x => arg.push(x),
                    }
                },
                '$' | '`' | '(' | '@' | '{' if arg.is_empty() => return None,
                // A bare comma makes an array, which PowerShell hands a native program as
                // separate arguments.
                ',' => args.push(std::mem::take(&mut arg)),
                x => arg.push(x),
            }
        }
        args.push(arg);
    }
}

/// What a native program receives from Windows PowerShell 5.1: the command line it builds
/// (whitespace-holding arguments wrapped in double quotes, inner double quotes left as they are),
/// split again by the VC++ 2008 rules Go programs follow.
fn after_windows_powershell(args: &[String]) -> Vec<String> {
    let line: Vec<String> = args
        .iter()
        .map(|a| {
            if a.chars().any(char::is_whitespace) {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect();
    winsplit::split(&line.join(" "))
}

/// The arguments bash hands the first command of `line`.
fn bash_arguments(line: &str) -> Option<Vec<String>> {
    let words = shlex::split(line)?;
    Some(
        words
            .into_iter()
            .take_while(|w| {
                !matches!(w.as_str(), "|" | "||" | "&&" | ";" | ">") && !w.starts_with('#')
            })
            .collect(),
    )
}

/// The documents kubectl is handed in `args`: `-p`/`--patch` (read as YAML, JSON being YAML) and
/// `--overrides` (read as JSON), each with the problem found in it.
fn kubectl_documents(args: &[String]) -> Vec<(String, Result<Value, String>)> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let next = || args.get(i + 1).cloned().unwrap_or_default();
        let (doc, yaml) = if a == "-p" || a == "--patch" {
            (next(), true)
        } else if let Some(v) = a.strip_prefix("-p=").or(a.strip_prefix("--patch=")) {
            (v.to_string(), true)
        } else if let Some(v) = a.strip_prefix("--overrides=") {
            (v.to_string(), false)
        } else {
            continue;
        };
        let parsed: Result<Value, String> = if yaml {
            serde_saphyr::from_str::<Value>(&doc).map_err(|e| e.to_string())
        } else {
            serde_json::from_str::<Value>(&doc).map_err(|e| e.to_string())
        };
        // A quote-stripped JSON document still reads as YAML, as keys like "op:remove" with null
        // values (kubernetes/kubernetes#84817): that is the failure to catch.
        let parsed = parsed.and_then(|v| {
            if stripped_quotes(&v) {
                Err(format!(
                    "reads as {v}, a JSON document whose quotes were stripped"
                ))
            } else {
                Ok(v)
            }
        });
        out.push((doc, parsed));
    }
    out
}

fn stripped_quotes(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| (k.contains(':') && x.is_null()) || stripped_quotes(x)),
        Value::Array(l) => l.iter().any(stripped_quotes),
        _ => false,
    }
}

#[test]
fn every_catalogue_command_parses_in_the_shell_it_names() {
    let all = rendered();
    assert!(all.len() > 250, "only {} commands rendered", all.len());
    let mut bad = Vec::new();
    for r in &all {
        for p in grammar_problems(&r.command, r.meta.shell) {
            bad.push(format!(
                "{} [{}]: {p}\n    | {}",
                r.what,
                r.meta.shell.as_str(),
                r.command
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} commands do not parse:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn commands_for_any_shell_hand_kubectl_the_same_arguments_from_bash_and_powershell_5_1() {
    let mut bad = Vec::new();
    let mut compared = 0;
    for r in rendered().iter().filter(|r| r.meta.shell == Shell::Any) {
        let Some(ps) = powershell_arguments(&r.command) else {
            bad.push(format!(
                "{}: not a plain command line: {}",
                r.what, r.command
            ));
            continue;
        };
        let Some(sh) = bash_arguments(&r.command) else {
            bad.push(format!("{}: bash cannot split {}", r.what, r.command));
            continue;
        };
        let native = after_windows_powershell(&ps);
        compared += 1;
        if native != sh {
            bad.push(format!(
                "{}: {}\n    bash hands {sh:?}\n    Windows PowerShell 5.1 hands {native:?}",
                r.what, r.command
            ));
        }
    }
    assert!(compared > 100, "only {compared} commands compared");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn documents_handed_to_kubectl_survive_the_shell_they_are_written_for() {
    let mut bad = Vec::new();
    let mut documents = 0;
    for r in rendered() {
        let args = match r.meta.shell {
            Shell::Bash => bash_arguments(&r.command),
            Shell::Any | Shell::Powershell | Shell::WindowsPowershell => {
                powershell_arguments(&r.command).map(|a| after_windows_powershell(&a))
            }
            Shell::Pwsh | Shell::Cmd => None,
        };
        let Some(args) = args else { continue };
        if args.first().map(String::as_str) != Some("kubectl") {
            continue;
        }
        for (doc, parsed) in kubectl_documents(&args) {
            documents += 1;
            match parsed {
                Ok(v) if v.is_object() || v.is_array() => {}
                Ok(v) => bad.push(format!("{}: {doc:?} reads as {v}, not a document", r.what)),
                Err(e) => bad.push(format!(
                    "{}: kubectl would get {doc:?}: {e}\n    | {}",
                    r.what, r.command
                )),
            }
        }
    }
    assert!(documents >= 15, "only {documents} documents checked");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_quoting_model_reproduces_the_windows_powershell_5_1_failure() {
    // The form the catalogue used to print (issue 13): fine in bash, quote-stripped in 5.1.
    let old = r#"kubectl -n shop patch deployment/web --type merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}'"#;
    let sh = bash_arguments(old).expect("bash splits it");
    assert!(kubectl_documents(&sh).iter().all(|(_, p)| p.is_ok()));
    let ps = after_windows_powershell(&powershell_arguments(old).expect("plain"));
    assert_eq!(
        ps.last().map(String::as_str).unwrap_or(""),
        "{spec:{template:{spec:{nodeSelector:{kubernetes.io/os:linux}}}}}"
    );
    assert!(
        kubectl_documents(&ps).iter().all(|(_, p)| p.is_err()),
        "{ps:?}"
    );
    // With a space inside, 5.1 wraps the argument and the inner quotes end it early.
    let spaced = r#"kubectl patch x -p '{"a": "b c"}'"#;
    let ps = after_windows_powershell(&powershell_arguments(spaced).expect("plain"));
    assert_ne!(ps, bash_arguments(spaced).expect("bash"));
}

#[test]
fn commands_that_change_something_say_so() {
    let changing = [
        "kubectl delete",
        "kubectl patch",
        "kubectl edit",
        "kubectl apply",
        "kubectl replace",
        "kubectl drain",
        "kubectl cordon",
        "kubectl uncordon",
        "kubectl label",
        "kubectl annotate",
        "kubectl taint",
        "kubectl set ",
        "kubectl run ",
        "rollout restart",
        "Restart-Service",
        "Start-Service",
        "Stop-Service",
        "Set-Service",
        "Set-Content",
        "Remove-Item",
        "New-Item",
        "Stop-Process",
        "Copy-Item",
        "SetEnvironmentVariable",
        "nssm install",
        "nssm set",
        "nssm start",
        "sc.exe config",
        "sc.exe delete",
        "crictl pull",
        "crictl rmi",
        "docker pull",
        "Set-VMNetworkAdapter",
        "Set-SecurityPolicy",
        "notepad",
        "systemctl restart",
        "windoctor capture",
        " > ",
    ];
    let mut bad = Vec::new();
    for r in rendered() {
        let words = r.command.replace(" -n shop", "");
        if let Some(verb) = changing.iter().find(|v| words.contains(*v)) {
            if !r.meta.changes {
                bad.push(format!(
                    "{} runs {verb:?} but is not marked changes = true: {}",
                    r.what, r.command
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn alternatives_come_in_groups_of_two_or_more_within_a_fix() {
    let mut bad = Vec::new();
    for check in catalogue::catalogue() {
        for (fix, template) in &check.fixes {
            let mut groups: BTreeMap<String, usize> = BTreeMap::new();
            for (_, meta) in template.steps() {
                if let Some(a) = meta.ok().and_then(|m| m.alternative) {
                    *groups.entry(a).or_default() += 1;
                }
            }
            for (name, n) in groups.into_iter().filter(|(_, n)| *n < 2) {
                bad.push(format!(
                    "{} fix {fix}: alternative {name:?} has {n} command",
                    check.id
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn no_command_is_a_comment_or_a_json_fragment() {
    let mut bad = Vec::new();
    for r in rendered() {
        let c = r.command.trim_start();
        if c.starts_with('#') || c.starts_with('"') || c.starts_with('{') {
            bad.push(format!("{}: {c}", r.what));
        }
    }
    assert!(
        bad.is_empty(),
        "say these in the fix text:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_demo_fix_command_says_where_it_runs_and_parses() {
    let out = assert_cmd::Command::cargo_bin("windoctor")
        .expect("binary")
        .args(["--demo", "--report", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let (steps, bad) = fix_step_problems(&report);
    assert!(steps > 20, "only {steps} demo steps");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// How many fix steps `report` has, and what is wrong with them: a step list that does not match
/// the commands, or a command that does not parse in the shell its step names.
fn fix_step_problems(report: &Value) -> (usize, Vec<String>) {
    let mut steps = 0;
    let mut bad = Vec::new();
    for f in report["findings"].as_array().expect("findings") {
        let Some(fix) = f.get("fix").filter(|x| !x.is_null()) else {
            continue;
        };
        let commands = fix["commands"].as_array().expect("commands");
        let list = fix["steps"].as_array().cloned().unwrap_or_default();
        if list.len() != commands.len() {
            bad.push(format!(
                "{}: {} commands, {} steps",
                f["code"],
                commands.len(),
                list.len()
            ));
            continue;
        }
        for (step, command) in list.iter().zip(commands) {
            steps += 1;
            assert_eq!(&step["command"], command);
            let shell = Shell::from_str_or_any(step["shell"].as_str().unwrap_or(""));
            let text = command.as_str().unwrap_or("");
            for p in grammar_problems(text, shell) {
                bad.push(format!(
                    "{} [{}]: {p}\n    | {text}",
                    f["code"],
                    shell.as_str()
                ));
            }
        }
    }
    (steps, bad)
}

/// The fixes the binary prints for the node and cluster bundles of every distribution (healthy and
/// broken): their commands are built from what the node holds (the kubelet's command line, its
/// service, the layout), so they are parsed as printed, not only as the catalogue writes them.
#[test]
fn every_bundle_fix_command_parses_in_its_shell() {
    let bundles = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles");
    let mut dirs: Vec<_> = std::fs::read_dir(&bundles)
        .expect("tests/bundles")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut steps, mut bad) = (0, Vec::new());
    for dir in &dirs {
        let out = assert_cmd::Command::cargo_bin("windoctor")
            .expect("binary")
            .env_remove("KUBECONFIG")
            .env("WINDOCTOR_NOW", "2026-11-20T10:00:00Z")
            .arg("--snapshot")
            .arg(dir)
            .args(["--report", "json"])
            .output()
            .expect("runs");
        let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) else {
            bad.push(format!("{}: no JSON report", dir.display()));
            continue;
        };
        let (n, problems) = fix_step_problems(&report);
        steps += n;
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        bad.extend(problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    assert!(dirs.len() >= 20, "only {} bundles", dirs.len());
    assert!(steps > 100, "only {steps} steps in {} bundles", dirs.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
