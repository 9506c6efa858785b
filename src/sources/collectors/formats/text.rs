//! Line-level rewrites of logs as collectors store them: the `<nodename> ` prefix `oc adm
//! node-logs` puts on every line when it reads several nodes (OpenShift must-gather), and the
//! RFC 3339 timestamp the pod log API adds with `timestamps=true`.

/// Splits text whose every line starts with `<nodename> ` into one text per node, in the order
/// the nodes first appear. Lines without a space stay with the node before them.
pub fn split_by_node_prefix(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let (node, rest) = match line.split_once(' ') {
            Some((n, r)) if !n.is_empty() => (n, r),
            _ => match out.last_mut() {
                Some((_, body)) => {
                    body.push_str(line);
                    body.push('\n');
                    continue;
                }
                None => continue,
            },
        };
        match out.iter_mut().find(|(n, _)| n == node) {
            Some((_, body)) => {
                body.push_str(rest);
                body.push('\n');
            }
            None => out.push((node.to_string(), format!("{rest}\n"))),
        }
    }
    out
}

/// True when `word` is an RFC 3339 timestamp as the pod log API writes it
/// (`2024-06-07T10:21:09.104517123Z`, or with an offset).
fn is_rfc3339(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && (word.ends_with('Z') || word[19..].contains(['+', '-']))
}

/// Removes the leading timestamp and space from every line that has one.
pub fn strip_timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.split_once(' ') {
            Some((first, rest)) if is_rfc3339(first) => out.push_str(rest),
            _ if is_rfc3339(line) => {}
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_nodes_and_strips_timestamps() {
        let text = "win-a I0607 one\nwin-b E0607 two\nwin-a I0607 three\n";
        let parts = split_by_node_prefix(text);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            ("win-a".into(), "I0607 one\nI0607 three\n".into())
        );
        assert_eq!(
            strip_timestamps("2024-06-07T10:21:09.104517123Z hello\nplain\n"),
            "hello\nplain\n"
        );
        assert_eq!(strip_timestamps("2024-06-07T10:21:09+02:00 x"), "x\n");
    }
}
