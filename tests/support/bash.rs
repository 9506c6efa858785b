//! Checks that bash text parses: the tree-sitter-bash grammar finds syntax errors and missing
//! tokens (an unclosed quote, a dangling pipe, an `if` without `fi`).
//!
//! Use: `support::bash::problems(text)` for the list of `row:column: what`, empty when it parses.

/// The syntax problems of `script`, rows and columns 1-based. Empty when it parses as bash.
pub fn problems(script: &str) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    if let Err(e) = parser.set_language(&tree_sitter_bash::LANGUAGE.into()) {
        return vec![format!("the bash grammar cannot be loaded: {e}")];
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
            out.push(format!("{place}: syntax error at {text:?}"));
        } else if node.is_missing() {
            out.push(format!("{place}: missing {}", node.kind()));
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

#[cfg(test)]
mod self_tests {
    use super::*;

    #[test]
    fn the_checker_tells_good_from_bad() {
        assert!(problems("kubectl get pods -o yaml | grep -e --cluster-cidr").is_empty());
        assert!(problems("kubectl patch x -p '{\"a\":1}'").is_empty());
        assert!(!problems("kubectl patch x -p '{\"a\":1}").is_empty());
        assert!(!problems("kubectl get pods |").is_empty());
        assert!(!problems("if true; then echo hi").is_empty());
    }
}
