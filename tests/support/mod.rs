//! Helpers shared by integration tests (`mod support;` in a test file).

#![allow(dead_code)]

pub mod bash;
pub mod powershell;

/// The syntax problems tree-sitter finds in `script` with `language` (named `name` in messages):
/// each `row:column: what`, rows and columns 1-based, sorted; empty when it parses. `extra` adds a
/// problem for a node the grammar accepts but the shell does not.
pub fn syntax_problems(
    language: tree_sitter::Language,
    name: &str,
    script: &str,
    extra: &dyn Fn(&tree_sitter::Node) -> Option<String>,
) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    if let Err(e) = parser.set_language(&language) {
        return vec![format!("the {name} grammar cannot be loaded: {e}")];
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
        } else if let Some(what) = extra(&node) {
            out.push(format!("{place}: {what}"));
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
