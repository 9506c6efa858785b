//! A JSON value written as a one-line YAML flow collection for `kubectl patch -p "..."`: keys bare
//! where YAML reads them as the same string, strings 'single-quoted', and never a double quote, so
//! that the argument survives Windows PowerShell 5.1, which strips inner double quotes when it calls
//! a native program (kubernetes/kubectl#519, PowerShell/PowerShell#1995), as well as bash. kubectl
//! reads `-p` as YAML ("JSON and YAML formats are accepted", `kubectl patch --help`).

use serde_json::Value;

/// `value` as a YAML flow collection without double quotes.
pub fn yaml_flow(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", key(k), yaml_flow(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(list) => {
            let items: Vec<String> = list.iter().map(yaml_flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => quoted(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".to_string(),
    }
}

/// A key YAML 1.1 and 1.2 both read as this very string stays bare; anything else is quoted.
fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '~' | '-'))
        && !k.starts_with(['-', '.', '~'])
        && !k
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A YAML single-quoted scalar: `'` doubled, nothing else escaped.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flow_has_no_double_quotes_and_reads_back_as_the_same_json() {
        let v = json!([
            {"op": "remove", "path": "/spec/template/spec/securityContext/runAsUser"},
            {"op": "add", "path": "/spec/template/spec/os", "value": {"name": "windows", "on": "it's", "n": 1, "ok": true}},
            {"key": "os", "value": "10.0.17763", "x": null}
        ]);
        let flow = yaml_flow(&v);
        assert!(!flow.contains('"'), "{flow}");
        assert!(flow.starts_with("[{op: 'remove', path: "), "{flow}");
        let back: Value = serde_saphyr::from_str(&flow).expect("flow parses as YAML");
        assert_eq!(back, v);
    }
}
