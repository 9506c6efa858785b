//! The evidence viewer's content: the whole text a piece of evidence was cut from, as far as the
//! run holds it, with the lines the excerpt came from marked.
//!
//! - a log excerpt (`pod log NS/POD/CONTAINER line N`, `C:\k\flanneld.log line N`): the whole log
//!   tail the run read (a bundle's `cluster/logs/`, a node part's logs), line N marked;
//! - a file excerpt (`C:\run\flannel\subnet.env`, possibly followed by the key it is about): the
//!   whole file from the node part, the lines holding the excerpt (or its values) marked;
//! - an event (`Pod/NS/NAME Reason`): every event of that object and reason, described field by
//!   field, the message of the event the excerpt was made from marked;
//! - anything else (API fields, processes, services, probes): the excerpt alone, saying so.
//!
//! Everything shown is redacted and has its control characters made visible, like the findings.

use super::describe::clean_lines;
use crate::engine::Gathered;
use crate::facts::k8s::Event;
use crate::facts::node::display_win_path;
use crate::findings::{Evidence, EvidenceSource};
use crate::model::Model;

/// Most lines the viewer keeps of one text (log tails are 2,000 lines; files are small).
const MAX_LINES: usize = 20_000;
/// Most events of one object and reason shown.
const MAX_EVENTS: usize = 20;

/// What the evidence viewer shows for one piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// Where the text comes from, e.g. `pod log kube-system/kube-flannel-ds-x/kube-flannel (2000 lines)`.
    pub title: String,
    pub lines: Vec<String>,
    /// Indices of the lines the excerpt came from, ascending.
    pub marked: Vec<usize>,
    /// How the marked lines were found, or why only the excerpt is shown.
    pub note: String,
}

/// The viewer's content for `evidence`.
pub fn source_text(gathered: Option<&Gathered>, evidence: &Evidence) -> SourceText {
    let found = gathered.and_then(|g| match evidence.source {
        EvidenceSource::Log => log_text(g, evidence),
        EvidenceSource::File => file_text(g, evidence),
        EvidenceSource::Event => event_text(g, evidence),
        _ => None,
    });
    found.unwrap_or_else(|| excerpt_only(gathered.is_some(), evidence))
}

fn excerpt_only(have_run: bool, evidence: &Evidence) -> SourceText {
    let lines = clean_lines(&evidence.excerpt);
    let note = if !have_run {
        "the run has not finished: only the excerpt is at hand".to_string()
    } else {
        match evidence.source {
            EvidenceSource::Log | EvidenceSource::File | EvidenceSource::Event => {
                "the run does not hold the whole text: only the excerpt is shown".to_string()
            }
            _ => format!(
                "{} evidence is the excerpt itself; o shows the object it is about",
                evidence.source.as_str()
            ),
        }
    };
    SourceText {
        title: format!("[{}] {}", evidence.source.as_str(), evidence.reference),
        marked: (0..lines.len()).collect(),
        lines,
        note,
    }
}

/// `X line 42` -> (`X`, Some(42)).
fn split_line_number(reference: &str) -> (&str, Option<usize>) {
    if let Some((head, n)) = reference.rsplit_once(" line ") {
        if let Ok(n) = n.trim().parse::<usize>() {
            return (head.trim(), Some(n));
        }
    }
    (reference.trim(), None)
}

fn log_text(g: &Gathered, evidence: &Evidence) -> Option<SourceText> {
    let (target, line) = split_line_number(&evidence.reference);
    let (what, text) = if let Some(key) = target.strip_prefix("pod log ") {
        let mut parts = key.splitn(3, '/');
        let (ns, pod, container) = (parts.next()?, parts.next()?, parts.next()?);
        let log = g
            .world
            .facts
            .cluster
            .logs
            .iter()
            .find(|l| l.namespace == ns && l.pod == pod && l.container == container)?;
        (format!("pod log {ns}/{pod}/{container}"), log.text.as_str())
    } else {
        let model = Model::new(&g.world);
        let views = model.node_views();
        let log = views.iter().find_map(|v| {
            v.raw.logs.ready()?.iter().find(|l| {
                l.path == target || display_win_path(&l.path).eq_ignore_ascii_case(target)
            })
        })?;
        (format!("log {target}"), log.text.as_str())
    };
    let lines = clean_lines(text);
    let (marked, note) = match line {
        Some(n) if n >= 1 && n <= lines.len() => (
            vec![n - 1],
            format!("line {n} is the excerpt; n and p jump between marked lines"),
        ),
        _ => mark_excerpt(&lines, &evidence.excerpt),
    };
    Some(finish(what, lines, marked, note))
}

fn file_text(g: &Gathered, evidence: &Evidence) -> Option<SourceText> {
    let model = Model::new(&g.world);
    let views = model.node_views();
    let reference = evidence.reference.to_ascii_lowercase();
    // The longest file path the reference starts with (the reference may name a key after it).
    let file = views
        .iter()
        .filter_map(|v| v.files())
        .flat_map(|f| f.files.iter())
        .filter(|f| {
            let p = display_win_path(&f.path).to_ascii_lowercase();
            reference == p || reference.starts_with(&format!("{p} "))
        })
        .max_by_key(|f| f.path.len())?;
    let lines = clean_lines(&file.text);
    let (marked, note) = mark_excerpt(&lines, &evidence.excerpt);
    Some(finish(
        format!("file {} ({})", display_win_path(&file.path), file.encoding),
        lines,
        marked,
        note,
    ))
}

fn event_text(g: &Gathered, evidence: &Evidence) -> Option<SourceText> {
    let events = g.world.facts.cluster.events.ready()?;
    let mut same: Vec<&Event> = events
        .iter()
        .filter(|e| e.reference() == evidence.reference)
        .collect();
    if same.is_empty() {
        return None;
    }
    // The event the excerpt was made from first, then the others newest first.
    let made_from = |e: &Event| crate::output::for_terminal(&e.excerpt()) == evidence.excerpt;
    same.sort_by_key(|e| {
        (
            !made_from(e),
            std::cmp::Reverse(e.when().map(str::to_string)),
        )
    });
    let total = same.len();
    let mut lines = Vec::new();
    let mut marked = Vec::new();
    for (i, e) in same.iter().take(MAX_EVENTS).enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.push(format!("Event {} of {total}", i + 1));
        let field = |name: &str, value: &str| format!("  {name:<12}{value}");
        lines.push(field("Type:", &e.type_));
        lines.push(field("Reason:", &e.reason));
        let o = &e.involved_object;
        let object = match &o.namespace {
            Some(ns) => format!("{}/{ns}/{}", o.kind, o.name),
            None => format!("{}/{}", o.kind, o.name),
        };
        lines.push(field("Object:", &object));
        if let Some(n) = e.count {
            lines.push(field("Count:", &n.to_string()));
        }
        if let Some(t) = &e.first_timestamp {
            lines.push(field("First seen:", t));
        }
        if let Some(t) = e.when() {
            lines.push(field("Last seen:", t));
        }
        let from = match (&e.source.component, e.host()) {
            (Some(c), Some(h)) => format!("{c} on {h}"),
            (Some(c), None) => c.clone(),
            (None, Some(h)) => h.to_string(),
            (None, None) => "(not recorded)".to_string(),
        };
        lines.push(field("From:", &from));
        let message = clean_lines(&e.message);
        for (j, m) in message.iter().enumerate() {
            if made_from(e) || total == 1 {
                marked.push(lines.len());
            }
            lines.push(if j == 0 {
                field("Message:", m)
            } else {
                format!("  {:<12}{m}", "")
            });
        }
    }
    let note = if total > MAX_EVENTS {
        format!("{total} events of this object and reason; the first {MAX_EVENTS} are shown")
    } else if marked.is_empty() {
        format!("{total} event(s) of this object and reason; none has exactly the excerpt's text")
    } else {
        format!("{total} event(s) of this object and reason; the excerpt's event is marked")
    };
    Some(SourceText {
        title: format!("event {}", evidence.reference),
        lines,
        marked,
        note,
    })
}

fn finish(what: String, mut lines: Vec<String>, marked: Vec<usize>, note: String) -> SourceText {
    let total = lines.len();
    let note = if total > MAX_LINES {
        lines.truncate(MAX_LINES);
        format!("{note}; the first {MAX_LINES} of {total} lines are shown")
    } else {
        note
    };
    SourceText {
        title: format!("{what} ({total} lines)"),
        marked: marked.into_iter().filter(|i| *i < lines.len()).collect(),
        lines,
        note,
    }
}

/// Marks the lines holding a line of the excerpt; failing that, the lines holding one of its values
/// (words with a digit or punctuation in them, such as addresses, paths and versions).
fn mark_excerpt(lines: &[String], excerpt: &str) -> (Vec<usize>, String) {
    let pieces: Vec<&str> = excerpt
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= 3)
        .collect();
    let by_line: Vec<usize> = (0..lines.len())
        .filter(|i| pieces.iter().any(|p| lines[*i].contains(p)))
        .collect();
    if !by_line.is_empty() {
        return (by_line, "lines holding the excerpt are marked".to_string());
    }
    let values: Vec<&str> = excerpt
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '(' | ')' | '[' | ']'))
        .filter(|w| {
            w.len() >= 4
                && w.chars()
                    .any(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '\\' | '/' | '='))
        })
        .collect();
    let by_value: Vec<usize> = (0..lines.len())
        .filter(|i| values.iter().any(|v| lines[*i].contains(v)))
        .collect();
    if by_value.is_empty() {
        (
            by_value,
            "the excerpt is not in the text word for word; nothing is marked".to_string(),
        )
    } else {
        (
            by_value,
            "lines holding the excerpt's values are marked".to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_split_off_references() {
        assert_eq!(
            split_line_number(r"C:\k\flanneld.log line 271"),
            (r"C:\k\flanneld.log", Some(271))
        );
        assert_eq!(
            split_line_number("pod log a/b/c line x"),
            ("pod log a/b/c line x", None)
        );
    }

    #[test]
    fn excerpts_mark_their_lines_or_their_values() {
        let lines: Vec<String> = [
            "FLANNEL_NETWORK=10.244.0.0/16",
            "FLANNEL_SUBNET=10.244.9.1/24",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(mark_excerpt(&lines, "FLANNEL_SUBNET=10.244.9.1/24").0, [1]);
        let (marked, note) = mark_excerpt(&lines, "ipam subnet 10.244.9.1/24 (UTF-8)");
        assert_eq!(marked, [1]);
        assert!(note.contains("values"));
        assert!(mark_excerpt(&lines, "absent").0.is_empty());
    }

    #[test]
    fn without_a_run_the_excerpt_is_all_there_is() {
        let e = Evidence::log("pod log a/b/c line 3", "Waiting for the Network");
        let t = source_text(None, &e);
        assert_eq!(t.lines, ["Waiting for the Network"]);
        assert_eq!(t.marked, [0]);
        assert!(t.note.contains("not finished"));
    }
}
