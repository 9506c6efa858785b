//! Windows Event Log tails as typed facts: `node/eventlog/NAME.json`, the output of
//! `Get-WinEvent ... | Select TimeCreated, ProviderName, Id, LevelDisplayName, Message |
//! ConvertTo-Json` (an array, or one object when one event matched; often UTF-16LE with BOM).
//!
//! Windows PowerShell 5.1 writes `TimeCreated` as `"\/Date(1700000000000)\/"` (milliseconds since
//! 1970), PowerShell 7 as an ISO 8601 string, and collectors' CSV exports as the culture's text
//! (`6/7/2024 10:18:01 AM`); the first is turned into ISO 8601 UTC, the others are kept as written.
//! `LevelDisplayName` may be localised or absent (then `Level` 1-5 is used). The tail is bounded:
//! at most [`MAX_EVENTS`] events (the newest, as Get-WinEvent lists them first) and
//! [`MAX_MESSAGE_CHARS`] characters per message.

use super::records::{field, items, parse_json, text};
use serde_json::Value;

/// The most events kept per Event Log tail (the collector asks for fewer).
pub const MAX_EVENTS: usize = 500;
/// The largest `eventlog/NAME.json` read (a tail of MAX_EVENTS events in UTF-16 fits well within).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The longest message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// One Event Log entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WinEvent {
    /// ISO 8601 UTC when the export gave `\/Date(ms)\/`, else as written.
    pub time_created: String,
    pub provider: String,
    pub id: Option<u32>,
    /// `Error`, `Warning`, `Information`, `Critical`, `Verbose`, or as localised.
    pub level: String,
    pub message: String,
}

impl WinEvent {
    /// Where the entry is, for evidence: `eventlog/System Service Control Manager #7031 2024-...`.
    pub fn reference(&self, log: &str) -> String {
        let mut r = format!("eventlog/{log}");
        if !self.provider.is_empty() {
            r.push(' ');
            r.push_str(&self.provider);
        }
        if let Some(id) = self.id {
            r.push_str(&format!(" #{id}"));
        }
        if !self.time_created.is_empty() {
            r.push(' ');
            r.push_str(&self.time_created);
        }
        r
    }
}

/// The tail of one Event Log (or one provider's events) as captured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventLogTail {
    /// The file stem: a log or provider name (`System`, `kubelet`,
    /// `Microsoft-Windows-Host-Network-Service-Admin`).
    pub name: String,
    /// Where it was read (`node/eventlog/System.json`).
    pub path: String,
    /// Newest first, as Get-WinEvent lists them.
    pub events: Vec<WinEvent>,
}

/// Parses one `eventlog/NAME.json`; `Err` says what is wrong with the file.
pub fn parse(json: &str, what: &str) -> Result<Vec<WinEvent>, String> {
    let v = parse_json(json, what)?;
    if !matches!(v, Value::Array(_) | Value::Object(_) | Value::Null) {
        return Err(format!(
            "{what} is not Get-WinEvent output (a JSON array or object of events)"
        ));
    }
    let mut out = Vec::new();
    for e in items(&v).into_iter().take(MAX_EVENTS) {
        if !e.is_object() {
            return Err(format!("{what}: an event is not a JSON object"));
        }
        let message = text(e, &["Message"]).unwrap_or_default();
        out.push(WinEvent {
            time_created: field(e, &["TimeCreated", "TimeGenerated"])
                .map(time_text)
                .unwrap_or_default(),
            provider: text(e, &["ProviderName", "Source"]).unwrap_or_default(),
            id: field(e, &["Id", "EventID", "InstanceId"]).and_then(|v| match v {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            level: text(e, &["LevelDisplayName", "EntryType"])
                .or_else(|| text(e, &["Level"]).map(|l| level_name(&l)))
                .unwrap_or_default(),
            message: super::logs::shorten(message.trim(), MAX_MESSAGE_CHARS),
        });
    }
    Ok(out)
}

/// `Level` numbers as Windows names them.
fn level_name(level: &str) -> String {
    match level.trim() {
        "1" => "Critical",
        "2" => "Error",
        "3" => "Warning",
        "4" | "0" => "Information",
        "5" => "Verbose",
        other => other,
    }
    .to_string()
}

/// `"\/Date(1700000000000)\/"` (serde gives `/Date(1700000000000)/`) as ISO 8601 UTC; other
/// strings as written; a `DateTime` object's `value`/`DateTime` member when ConvertTo-Json nested it.
fn time_text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            return text(v, &["value", "DateTime"]).map_or_else(String::new, |s| time_string(&s))
        }
        other => other.to_string(),
    };
    time_string(&s)
}

fn time_string(s: &str) -> String {
    let inner = s
        .trim()
        .trim_matches('\\')
        .trim_matches('/')
        .strip_prefix("Date(")
        .and_then(|r| r.split(')').next());
    let Some(inner) = inner else {
        return s.trim().to_string();
    };
    // `1700000000000`, or `1700000000000+0100` (an offset PowerShell adds for local times).
    let digits: String = inner
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let Ok(ms) = digits.parse::<i64>() else {
        return s.trim().to_string();
    };
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| s.trim().to_string()),
        Err(_) => s.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_5_export_with_date_and_one_object() {
        let json = r#"[{"TimeCreated":"\/Date(1700000000000)\/","ProviderName":"Service Control Manager","Id":7031,"LevelDisplayName":"Error","Message":"The kubelet service terminated unexpectedly.  It has done this 1 time(s).  The following corrective action will be taken in 60000 milliseconds: Restart the service."}]"#;
        let events = parse(json, "eventlog/System.json").expect("parses");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].time_created, "2023-11-14T22:13:20Z");
        assert_eq!(events[0].id, Some(7031));
        assert_eq!(events[0].provider, "Service Control Manager");
        let one = r#"{"TimeCreated":"2024-06-07T10:18:01.123+00:00","ProviderName":"kubelet","Id":"1","Level":2,"Message":"E0607 x"}"#;
        let events = parse(one, "eventlog/kubelet.json").expect("parses");
        assert_eq!(events[0].level, "Error");
        assert_eq!(events[0].time_created, "2024-06-07T10:18:01.123+00:00");
        assert_eq!(events[0].id, Some(1));
    }

    #[test]
    fn bad_shapes_say_what_is_wrong_and_tails_are_bounded() {
        assert!(parse("{ broken", "x")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(parse("42", "x").unwrap_err().contains("Get-WinEvent"));
        assert!(parse("[1]", "x").unwrap_err().contains("not a JSON object"));
        assert_eq!(parse("", "x").expect("empty"), vec![]);
        let many = format!("[{}]", vec![r#"{"Message":"m"}"#; MAX_EVENTS + 5].join(","));
        assert_eq!(parse(&many, "x").expect("parses").len(), MAX_EVENTS);
    }
}
