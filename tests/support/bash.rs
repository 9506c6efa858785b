//! Checks that bash text parses: the tree-sitter-bash grammar finds syntax errors and missing
//! tokens (an unclosed quote, a dangling pipe, an `if` without `fi`).
//!
//! Use: `support::bash::problems(text)` for the list of `row:column: what`, empty when it parses.

/// The syntax problems of `script`, rows and columns 1-based. Empty when it parses as bash.
pub fn problems(script: &str) -> Vec<String> {
    super::syntax_problems(tree_sitter_bash::LANGUAGE.into(), "bash", script, &|_| None)
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
