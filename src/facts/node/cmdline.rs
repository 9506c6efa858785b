//! Command lines as Windows keeps them: splitting a service's `binPath` or a process command line
//! the way `CommandLineToArgvW` does, splitting `kubeadm-flags.env` values the way a shell does,
//! reading Go-style flags (`--name=value`, `--name value`, `-v=2`) out of the words, and writing a
//! value into a PowerShell command as a literal.

/// `text` as a PowerShell single-quoted string: taken literally (no `$` expansion), a `'` doubled.
pub fn powershell_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Splits a Windows command line into words with the `CommandLineToArgvW` rules (the winsplit
/// crate): whitespace separates words outside double quotes; `2n` backslashes before a quote give
/// `n` backslashes and the quote toggles quoting, `2n+1` give `n` and a literal quote; `""` inside
/// quotes is a quote.
pub fn split_windows(line: &str) -> Vec<String> {
    winsplit::split(line)
}

/// Splits a value the way a POSIX shell would (single and double quotes, backslash escapes outside
/// single quotes), for `KUBELET_KUBEADM_ARGS="..."` in kubeadm-flags.env. Not shlex: a backslash
/// that escapes nothing special is kept, because these files hold Windows paths (`C:\k\x`) that a
/// POSIX splitter would turn into `C:kx`.
pub fn split_shell(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    // Keep backslashes of Windows paths that do not escape anything special.
                    if !matches!(n, '"' | '\\' | '$' | '`' | ' ') {
                        cur.push('\\');
                    }
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Joins words back into one line for evidence, quoting those with spaces.
pub fn join_for_display(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) {
                format!("\"{w}\"")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One flag as written on a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without leading dashes, e.g. `hostname-override`.
    pub name: String,
    /// `None` for a bare boolean flag.
    pub value: Option<String>,
    /// The flag exactly as written (both words when the value was separate).
    pub written: String,
}

/// Reads Go-style flags out of `args`: `--name=value`, `--name value` (when the next word is not
/// a flag), `-v=2`, and bare `--name`. Quotes a script left around values are removed.
pub fn parse_flags(args: &[String]) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let word = args[i].trim();
        i += 1;
        let Some(body) = word
            .strip_prefix("--")
            .or_else(|| word.strip_prefix('-'))
            .filter(|b| b.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        else {
            continue;
        };
        if let Some((name, value)) = body.split_once('=') {
            out.push(Flag {
                name: name.to_ascii_lowercase(),
                value: Some(unquote(value)),
                written: word.to_string(),
            });
        } else if i < args.len() && !args[i].trim_start().starts_with('-') {
            let value = args[i].trim().to_string();
            out.push(Flag {
                name: body.to_ascii_lowercase(),
                value: Some(unquote(&value)),
                written: format!("{word} {value}"),
            });
            i += 1;
        } else {
            out.push(Flag {
                name: body.to_ascii_lowercase(),
                value: None,
                written: word.to_string(),
            });
        }
    }
    out
}

/// The value of the last `--name` in `flags` (Go flag parsing keeps the last), if any.
pub fn flag<'a>(flags: &'a [Flag], name: &str) -> Option<&'a Flag> {
    let name = name.trim_start_matches('-').to_ascii_lowercase();
    flags.iter().rev().find(|f| f.name == name)
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    // Only quote characters: an empty value quoted once per shell it went through, e.g. AKS's
    // `--enforce-node-allocatable=""""` (kubeclusterconfig.json ConfigArgs through kubeletstart.ps1,
    // Azure/AgentBaker@06836ee2301e362039418c3a7ed0fe6004a641fd:parts/k8s/kubeletstart.ps1#L46-L63).
    if !v.is_empty() && v.chars().all(|c| matches!(c, '"' | '\'' | '`')) {
        return String::new();
    }
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    if v == "`\"`\"" {
        return String::new();
    }
    v.trim_matches('`').to_string()
}

/// The words after `program` on lines of a PowerShell script that start it (StartKubelet.ps1 of
/// sig-windows-tools, start-kubelet.ps1 of microsoft/SDN): `"C:\k\kubelet.exe $args --a=b ..."`.
/// PowerShell escapes (`` `" ``) are resolved; variables are kept as written.
pub fn script_invocation(script: &str, program: &str) -> Option<Vec<String>> {
    let program = program.to_ascii_lowercase();
    let mut words = Vec::new();
    let mut found = false;
    for line in script.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let Some(pos) = lower.find(&program) else {
            continue;
        };
        let rest = &line[pos + program.len()..];
        let rest = rest.replace("`\"", "\"");
        let rest = rest.trim_end().trim_end_matches(['"', '\'', ')']);
        found = true;
        words.extend(split_shell(rest).into_iter().filter(|w| w.starts_with('-')));
    }
    found.then_some(words)
}

/// Where a wrapper's command line (`kube-log-runner.exe -log-file=... C:\...\kubelet.exe <flags>`,
/// `EKS-WindowsServiceHost.exe kubelet "C:\...\kubelet.exe" <flags>`) names an executable whose
/// stem is one of `stems` (lower case), if it does: the flags are the words after it.
pub fn wrapped_at(cmd: &[String], stems: &[&str]) -> Option<usize> {
    cmd.iter().enumerate().skip(1).find_map(|(i, w)| {
        let stem = super::records::exe_stem(w);
        let exe = w
            .trim()
            .trim_matches('"')
            .to_ascii_lowercase()
            .ends_with(".exe");
        (exe && stems.contains(&stem.as_str())).then_some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn powershell_literals_double_their_quotes_and_expand_nothing() {
        assert_eq!(
            powershell_literal(r"C:\var\lib\kubelet\config.yaml"),
            r"'C:\var\lib\kubelet\config.yaml'"
        );
        assert_eq!(
            powershell_literal("C:\\Program Files\\it's $env:TEMP"),
            "'C:\\Program Files\\it''s $env:TEMP'"
        );
        assert_eq!(powershell_literal(""), "''");
    }

    #[test]
    fn splits_like_command_line_to_argv() {
        assert_eq!(
            split_windows(r#""C:\Program Files\k\kubelet.exe" --a="x y" b"#),
            s(&[r"C:\Program Files\k\kubelet.exe", "--a=x y", "b"])
        );
        assert_eq!(split_windows(r#"a\\\"b c"#), s(&[r#"a\"b"#, "c"]));
        assert_eq!(split_windows(r#"a\\"b c""#), s(&[r"a\b c"]));
        assert_eq!(split_windows(r#""a""b""#), s(&[r#"a"b"#]));
        assert_eq!(split_windows(r"C:\k\x.exe   "), s(&[r"C:\k\x.exe"]));
        assert_eq!(split_windows(r#"--resolv-conf="""#), s(&["--resolv-conf="]));
        assert!(split_windows("").is_empty());
    }

    #[test]
    fn splits_shell_values() {
        assert_eq!(
            split_shell(r#"--a=b --c="d e" --p=C:\k\x '--q=r s'"#),
            s(&["--a=b", "--c=d e", r"--p=C:\k\x", "--q=r s"])
        );
    }

    #[test]
    fn reads_go_flags() {
        let f = parse_flags(&s(&[
            "--service",
            "--hostname-override",
            "'minion'",
            "--v=6",
            "-v=2",
            "--resolv-conf=\"\"",
            "--enforce-node-allocatable=",
        ]));
        assert_eq!(
            flag(&f, "hostname-override").and_then(|f| f.value.clone()),
            Some("minion".into())
        );
        assert_eq!(
            flag(&f, "--v").and_then(|f| f.value.clone()),
            Some("2".into())
        );
        assert_eq!(flag(&f, "service").map(|f| f.value.is_none()), Some(true));
        assert_eq!(
            flag(&f, "resolv-conf").and_then(|f| f.value.clone()),
            Some(String::new())
        );
        assert_eq!(flag(&f, "nope"), None);
    }

    #[test]
    fn reads_script_invocations() {
        let script = "$cmd = \"C:\\k\\kubelet.exe $global:KubeletArgs --cert-dir=$env:SYSTEMDRIVE\\var\\lib\\kubelet\\pki --pod-infra-container-image=`\"mcr.microsoft.com/oss/kubernetes/pause:3.6`\" --enforce-node-allocatable=`\"`\"\"\nInvoke-Expression $cmd\n";
        let w = script_invocation(script, "kubelet.exe").expect("found");
        let f = parse_flags(&w);
        assert_eq!(
            flag(&f, "pod-infra-container-image").and_then(|f| f.value.clone()),
            Some("mcr.microsoft.com/oss/kubernetes/pause:3.6".into())
        );
        assert_eq!(
            flag(&f, "enforce-node-allocatable").and_then(|f| f.value.clone()),
            Some(String::new())
        );
        assert!(script_invocation("Write-Host hi", "kubelet.exe").is_none());
    }
}
