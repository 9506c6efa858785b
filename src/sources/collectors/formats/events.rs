//! Windows event exports as collectors write them: `Get-WinEvent ... | Export-Csv` in Windows
//! PowerShell 5.1 (a `#TYPE <type>` first line, a quoted header, quoted fields that may span lines,
//! `""` for a quote, empty unquoted fields for nulls). The events become the bundle's
//! `eventlog/NAME.json` shape (TimeCreated, ProviderName, Id, LevelDisplayName, Message), and their
//! messages a log text in time order.

use serde_json::{json, Value};

/// One exported event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    pub time_created: String,
    pub provider: Option<String>,
    pub id: Option<String>,
    pub level: Option<String>,
    pub message: String,
}

/// Parses an `Export-Csv` file of events. Columns are found by name (any order, any case), so
/// both the 4-column `Select` exports and the full EventLogRecord exports work.
pub fn parse_csv(text: &str, what: &str) -> Result<Vec<Event>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{what}: not a CSV export: {e}"))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let message = col(&["Message"]).ok_or_else(|| {
        format!(
            "{what}: the CSV has no Message column (columns: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })?;
    let time = col(&["TimeCreated", "TimeGenerated"]);
    let provider = col(&["ProviderName", "Source"]);
    let id = col(&["Id", "EventID", "InstanceId"]);
    let level = col(&["LevelDisplayName", "EntryType"]);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{what}: broken CSV record: {e}"))?;
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        out.push(Event {
            time_created: get(time).unwrap_or_default(),
            provider: get(provider),
            id: get(id),
            level: get(level),
            message: get(Some(message)).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The bundle's `eventlog/NAME.json` for `events` (`provider` fills a missing ProviderName).
pub fn to_eventlog_json(events: &[Event], provider: Option<&str>) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                json!({
                    "TimeCreated": e.time_created,
                    "ProviderName": e.provider.as_deref().or(provider),
                    "Id": e.id.as_deref().and_then(|i| i.parse::<u64>().ok()),
                    "LevelDisplayName": e.level,
                    "Message": e.message,
                })
            })
            .collect(),
    )
}

/// `M/D/YYYY h:mm:ss AM|PM` (the en-US culture PowerShell prints) as a sortable key.
fn time_key(s: &str) -> Option<(u32, u32, u32, u32, u32, u32)> {
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let clock = parts.next()?;
    let meridiem = parts.next();
    let mut d = date.split('/');
    let (month, day, year): (u32, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut c = clock.split(':');
    let (mut hour, minute, second): (u32, u32, u32) = (
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
    );
    match meridiem.map(str::to_ascii_uppercase).as_deref() {
        Some("PM") if hour < 12 => hour += 12,
        Some("AM") if hour == 12 => hour = 0,
        _ => {}
    }
    Some((year, month, day, hour, minute, second))
}

/// The events' messages as a log, oldest first: by TimeCreated when every time parses, else in
/// reverse file order (Get-WinEvent lists newest first).
pub fn messages_as_log(events: &[Event]) -> String {
    let keys: Option<Vec<_>> = events.iter().map(|e| time_key(&e.time_created)).collect();
    let mut order: Vec<usize> = (0..events.len()).collect();
    match keys {
        Some(keys) => order.sort_by_key(|&i| keys[i]),
        None => order.reverse(),
    }
    let mut out = String::new();
    for i in order {
        for line in events[i].message.lines() {
            out.push_str(line.trim_end_matches('\r'));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_csv_with_quotes_and_multiline_messages() {
        let text = "#TYPE Selected.System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\"TimeCreated\",\"Id\",\"LevelDisplayName\",\"Message\"\r\n\"6/7/2024 10:18:01 AM\",\"7036\",\"Information\",\"The Kubelet service entered the running state.\"\r\n\"6/7/2024 10:17:58 AM\",\"7036\",\"Information\",\"line one\r\nsaid \"\"hi\"\"\"\r\n";
        let events = parse_csv(text, "services.csv").expect("csv");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].id.as_deref(), Some("7036"));
        assert!(events[1].message.contains("said \"hi\""));
        let log = messages_as_log(&events);
        assert!(log.starts_with("line one"), "{log}");
        let json = to_eventlog_json(&events, Some("Service Control Manager"));
        assert_eq!(json[0]["Id"], 7036);
        assert_eq!(json[0]["ProviderName"], "Service Control Manager");
        assert!(parse_csv("#TYPE x\n\"A\",\"B\"\n", "x").is_err());
    }

    #[test]
    fn twelve_hour_clock() {
        assert!(time_key("6/7/2024 12:05:00 AM") < time_key("6/7/2024 1:00:00 AM"));
        assert!(time_key("6/7/2024 11:59:59 AM") < time_key("6/7/2024 12:00:00 PM"));
    }
}
