//! The text views of Windows PowerShell 5.1 that collectors redirect to files.
//!
//! - `Format-Table`: a header line, a line of dashes under each header, then fixed-width rows.
//!   Left-aligned columns start where their dashes start; right-aligned ones (numbers) end where
//!   their dashes end; values may be wider than their header. Cells are found by where each word
//!   overlaps a column's dashes, words separated by one space belonging to the same cell.
//! - `Format-List`: `Name : value` lines, keys padded to align the colons, continuation lines
//!   indented, records separated by blank lines.
//! - A table followed by `ConvertTo-Json` text (`network.txt`): the JSON starts at the first line
//!   that begins with `{` or `[`.

use serde_json::Value;
use std::collections::BTreeMap;

/// One parsed table: its header names and the rows as header -> cell text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<BTreeMap<String, String>>,
}

impl Table {
    /// A cell by header name, ignoring case.
    pub fn cell<'a>(row: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
        row.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Character columns of a line, so that column positions are counted in characters.
fn chars_of(line: &str) -> Vec<char> {
    line.chars().collect()
}

fn is_dash_line(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| c == '-' || c == ' ') && t.contains('-')
}

/// Parses the first `Format-Table` in `text` (the header is the line above the first dash line).
/// `None` when there is no table.
pub fn format_table(text: &str) -> Option<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let dash = lines.iter().position(|l| is_dash_line(l))?;
    let header = chars_of(lines.get(dash.checked_sub(1)?)?);
    let dashes = chars_of(lines[dash]);
    // Column spans: each run of dashes.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < dashes.len() {
        if dashes[i] == '-' {
            let start = i;
            while i < dashes.len() && dashes[i] == '-' {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return None;
    }
    let headers: Vec<String> = spans
        .iter()
        .map(|&(s, e)| {
            header
                .get(s.min(header.len())..e.min(header.len()))
                .map(|c| c.iter().collect::<String>().trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    let mut rows = Vec::new();
    for line in &lines[dash + 1..] {
        if line.trim().is_empty() {
            // A blank line ends the table (a second table or JSON may follow).
            if !rows.is_empty() {
                break;
            }
            continue;
        }
        let t = line.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            break;
        }
        rows.push(split_row(&chars_of(line), &spans, &headers));
    }
    Some(Table { headers, rows })
}

/// Splits one row into cells by the column spans (see the module documentation).
fn split_row(
    row: &[char],
    spans: &[(usize, usize)],
    headers: &[String],
) -> BTreeMap<String, String> {
    // Words with their character ranges.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < row.len() {
        if row[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < row.len() && !row[i].is_whitespace() {
            i += 1;
        }
        words.push((start, i));
    }
    let overlap = |(s, e): (usize, usize)| -> Option<usize> {
        spans.iter().position(|&(a, b)| s < b && a < e)
    };
    let mut column: Vec<Option<usize>> = words.iter().map(|w| overlap(*w)).collect();
    // Phrases: words separated by exactly one space.
    let mut phrase_of = vec![0usize; words.len()];
    for k in 1..words.len() {
        phrase_of[k] = if words[k].0 == words[k - 1].1 + 1 {
            phrase_of[k - 1]
        } else {
            phrase_of[k - 1] + 1
        };
    }
    for k in 0..words.len() {
        if column[k].is_some() {
            continue;
        }
        let same = |j: usize| phrase_of[j] == phrase_of[k];
        let left = (0..k)
            .rev()
            .take_while(|&j| same(j))
            .find_map(|j| column[j]);
        let right = (k + 1..words.len())
            .take_while(|&j| same(j))
            .find_map(|j| column[j]);
        column[k] = left.or(right).or_else(|| {
            spans
                .iter()
                .rposition(|&(a, _)| a <= words[k].0)
                .or(Some(0))
        });
    }
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    for (c, name) in headers.iter().enumerate() {
        let mine: Vec<&(usize, usize)> = words
            .iter()
            .zip(&column)
            .filter(|(_, col)| **col == Some(c))
            .map(|(w, _)| w)
            .collect();
        let text = match (mine.first(), mine.last()) {
            (Some(first), Some(last)) => row[first.0..last.1].iter().collect::<String>(),
            _ => String::new(),
        };
        cells.insert(name.clone(), text.trim().to_string());
    }
    cells
}

/// Parses `Format-List` text into records (key -> value, keys as written).
pub fn format_list(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut record: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !record.is_empty() {
                out.push(std::mem::take(&mut record));
            }
            last = None;
            continue;
        }
        let starts_blank = line.starts_with(' ') || line.starts_with('\t');
        match line.split_once(':') {
            Some((key, value))
                if !starts_blank && !key.trim().is_empty() && !key.contains("  :") =>
            {
                let key = key.trim().to_string();
                record.insert(key.clone(), value.trim().to_string());
                last = Some(key);
            }
            _ if starts_blank => {
                // A continuation of the previous value.
                if let Some(k) = &last {
                    if let Some(v) = record.get_mut(k) {
                        if !v.is_empty() {
                            v.push(' ');
                        }
                        v.push_str(line.trim());
                    }
                }
            }
            _ => last = None,
        }
    }
    if !record.is_empty() {
        out.push(record);
    }
    out
}

/// The JSON value that follows a table (or stands alone) in PowerShell output: parsed from the
/// first line starting with `{` or `[`. `Ok(None)` when the text holds no JSON (an empty file).
pub fn json_after_table(text: &str, what: &str) -> Result<Option<Value>, String> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            let rest = &text[offset..];
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            return match stream.next() {
                Some(Ok(v)) => Ok(Some(v)),
                Some(Err(e)) => Err(format!(
                    "{what}: the JSON after the table is not valid: {e}"
                )),
                None => Ok(None),
            };
        }
        offset += line.len();
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_adapter_table_with_right_aligned_columns() {
        let text = "\nName                      InterfaceDescription                    ifIndex Status       MacAddress             LinkSpeed\n----                      --------------------                    ------- ------       ----------             ---------\nvEthernet (Ethernet 2)    Hyper-V Virtual Ethernet Adapter             14 Up           00-0D-3A-9B-12-34        40 Gbps\nEthernet 2                Microsoft Hyper-V Network Adapter #2          6 Up           00-0D-3A-9B-12-34        40 Gbps\n\n";
        let t = format_table(text).expect("table");
        assert_eq!(t.rows.len(), 2);
        let r = &t.rows[0];
        assert_eq!(Table::cell(r, "Name"), Some("vEthernet (Ethernet 2)"));
        assert_eq!(
            Table::cell(r, "InterfaceDescription"),
            Some("Hyper-V Virtual Ethernet Adapter")
        );
        assert_eq!(Table::cell(r, "ifIndex"), Some("14"));
        assert_eq!(Table::cell(r, "Status"), Some("Up"));
        assert_eq!(Table::cell(r, "LinkSpeed"), Some("40 Gbps"));
        assert_eq!(
            Table::cell(&t.rows[1], "InterfaceDescription"),
            Some("Microsoft Hyper-V Network Adapter #2")
        );
    }

    #[test]
    fn get_process_table() {
        let text = "\nHandles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n-------  ------    -----      -----     ------     --  -- -----------\n    412      27    48212      62344      41.92   5320   0 containerd\n    905      52    98316     121004     188.51   4412   0 kubelet\n";
        let t = format_table(text).expect("table");
        assert_eq!(Table::cell(&t.rows[1], "Id"), Some("4412"));
        assert_eq!(Table::cell(&t.rows[1], "SI"), Some("0"));
        assert_eq!(Table::cell(&t.rows[1], "ProcessName"), Some("kubelet"));
    }

    #[test]
    fn format_list_records_and_continuations() {
        let text = "\n\nName                : kubelet\nDisplayName         : Kubelet\nStatus              : Running\nServicesDependedOn  : {rpcss, nsi,\n                      vfpext}\n\nName                : hns\nStatus              : Stopped\n";
        let recs = format_list(text);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0]["Status"], "Running");
        assert_eq!(recs[0]["ServicesDependedOn"], "{rpcss, nsi, vfpext}");
        assert_eq!(recs[1]["Name"], "hns");
    }

    #[test]
    fn json_after_a_table() {
        let text = "\nName Type\n---- ----\nx    NAT\n\n\n{\n  \"Name\":  \"x\"\n}\n";
        let v = json_after_table(text, "network.txt")
            .expect("ok")
            .expect("json");
        assert_eq!(v["Name"], "x");
        assert_eq!(json_after_table("", "x").expect("ok"), None);
        assert!(json_after_table("{ broken", "x").is_err());
    }
}
