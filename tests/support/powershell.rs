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
    let mut parser = tree_sitter::Parser::new();
    if let Err(e) = parser.set_language(&tree_sitter_powershell::LANGUAGE.into()) {
        return vec![format!("the PowerShell grammar cannot be loaded: {e}")];
    }
    let Some(tree) = parser.parse(script, None) else {
        return vec!["the parser gave no tree".to_string()];
    };
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        let at = node.start_position();
        let place = format!("{}:{}", at.row + 1, at.column + 1);
        if node.is_error() {
            let text = node.utf8_text(script.as_bytes()).unwrap_or("");
            let first = text.lines().next().unwrap_or("");
            out.push(format!("{place}: syntax error at {first:?}"));
        } else if node.is_missing() {
            out.push(format!("{place}: missing {}", node.kind()));
        } else if !node.is_named() && matches!(node.kind(), "&&" | "||") {
            out.push(format!(
                "{place}: `{}` is PowerShell 7 only (Windows PowerShell 5.1: \"The token '{}' is not a valid statement separator in this version.\")",
                node.kind(),
                node.kind()
            ));
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    if out.is_empty() && tree.root_node().has_error() {
        out.push("the grammar reports an error it does not locate".to_string());
    }
    out.sort();
    out
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
