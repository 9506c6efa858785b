//! Checks that PowerShell text parses: the real PowerShell grammar (tree-sitter-powershell, whose
//! reference is the PowerShell 7.3 language specification) finds syntax errors and missing
//! tokens, and a deny-list adds what Windows PowerShell 5.1 rejects although the grammar accepts
//! it: the pipeline chain operators `&&` and `||` ("The token '&&' is not a valid statement
//! separator in this version.", PowerShell/PowerShell ParserStrings.resx InvalidEndOfLine).
//! The grammar already rejects PowerShell 7's ternary `? :` and `??`.
//!
//! Use: `support::powershell::assert_parses("what", text)`, or `problems(text)` for the list.

/// The syntax problems of `script`: each `row:column: what`, rows and columns 1-based. Empty when
/// it parses as Windows PowerShell 5.1 would.
pub fn problems(script: &str) -> Vec<String> {
    super::syntax_problems(
        tree_sitter_powershell::LANGUAGE.into(),
        "PowerShell",
        script,
        &|node| {
            (!node.is_named() && matches!(node.kind(), "&&" | "||")).then(|| {
                format!(
                    "`{0}` is PowerShell 7 only (Windows PowerShell 5.1: \"The token '{0}' is not a valid statement separator in this version.\")",
                    node.kind()
                )
            })
        },
    )
}

/// Panics with every problem of `script`, naming it `what` and quoting the lines concerned.
pub fn assert_parses(what: &str, script: &str) {
    let found = problems(script);
    if found.is_empty() {
        return;
    }
    let lines: Vec<&str> = script.lines().collect();
    let mut report = format!("{what} does not parse as Windows PowerShell 5.1:\n");
    for p in &found {
        report.push_str(&format!("  {p}\n"));
        let row: usize = p
            .split(':')
            .next()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        if let Some(line) = row.checked_sub(1).and_then(|i| lines.get(i)) {
            report.push_str(&format!("    | {line}\n"));
        }
    }
    panic!("{report}");
}

#[cfg(test)]
mod self_tests {
    use super::*;

    #[test]
    fn the_checker_tells_good_from_bad() {
        assert!(problems("Get-Service kubelet | Select-Object Status").is_empty());
        assert!(problems("@'\n{\"a\":1}\n'@ | Set-Content -Encoding ascii x.json").is_empty());
        assert!(!problems("Get-Content 'C:\\k\\kubelet.log -Tail 10").is_empty());
        assert!(!problems("if ($a) { Write-Host hi").is_empty());
        assert!(!problems("kubectl get nodes && kubectl get pods").is_empty());
        assert!(!problems("$a ? 'x' : 'y'").is_empty());
    }
}
