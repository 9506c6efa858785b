//! CNI network configurations on the node (`C:\k\cni\config\cni.conf`, `*.conflist`, or wherever
//! the kubelet's `--cni-conf-dir` / containerd's `conf_dir` points): the network name, the plugin
//! types, and the Windows endpoint policies the checks read.
//!
//! Two policy schemas exist. v1 (win-bridge / win-overlay with `"Name": "EndpointPolicy"`):
//! `{"Type": "OutBoundNAT", "ExceptionList": [...]}` and `{"Type": "ROUTE", "DestinationPrefix":
//! ..., "NeedEncap": true}`. v2 (HNS v2 plugins, sdnbridge / sdnoverlay, `AdditionalArgs`):
//! `{"Type": "OutBoundNAT", "Settings": {"Exceptions": [...]}}` and `{"Type": "SDNRoute",
//! "Settings": {"DestinationPrefix": ..., "NeedEncap": true}}`. Policies are found wherever they
//! sit (top level, `delegate`, `plugins[]`, `AdditionalArgs`), with any key case.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySchema {
    /// `ExceptionList` directly in the policy value.
    V1,
    /// `Settings.Exceptions`.
    V2,
}

impl PolicySchema {
    pub fn describe(self) -> &'static str {
        match self {
            PolicySchema::V1 => "v1 ExceptionList",
            PolicySchema::V2 => "v2 Settings.Exceptions",
        }
    }
}

/// One OutBoundNAT policy and its exception entries as written.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundNat {
    pub schema: PolicySchema,
    pub exceptions: Vec<String>,
    /// JSON path of the exception list, for evidence (`delegate.policies[0].Value.ExceptionList`).
    pub location: String,
}

/// A route policy (services reached through encapsulation).
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePolicy {
    pub destination_prefix: String,
    pub need_encap: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CniConfig {
    pub name: Option<String>,
    pub cni_version: Option<String>,
    /// `type` of the configuration, of each `plugins[]` entry and of `delegate`.
    pub plugin_types: Vec<String>,
    pub outbound_nat: Vec<OutboundNat>,
    pub routes: Vec<RoutePolicy>,
    /// True when the file only parsed after removing `#` or `//` comments: the CNI plugin reads
    /// strict JSON and fails on it.
    pub had_comments: bool,
}

impl CniConfig {
    pub fn uses(&self, plugin: &str) -> bool {
        self.plugin_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(plugin))
    }
}

/// Parses one CNI configuration file.
pub fn parse(text: &str) -> Result<CniConfig, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err("the file is empty".to_string());
    }
    let (v, had_comments) = match serde_json::from_str::<Value>(t) {
        Ok(v) => (v, false),
        Err(e) => {
            let stripped = strip_comments(t);
            match serde_json::from_str::<Value>(&stripped) {
                Ok(v) if stripped != t => (v, true),
                _ => return Err(format!("not valid JSON: {e}")),
            }
        }
    };
    if !v.is_object() {
        return Err("not a JSON object".to_string());
    }
    let mut conf = CniConfig {
        name: get_ci(&v, "name")
            .and_then(Value::as_str)
            .map(str::to_string),
        cni_version: get_ci(&v, "cniVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        had_comments,
        ..Default::default()
    };
    collect_types(&v, &mut conf.plugin_types);
    walk(&v, String::new(), &mut conf);
    Ok(conf)
}

/// A key of a JSON object, compared without regard to case.
pub fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn collect_types(v: &Value, out: &mut Vec<String>) {
    if let Some(t) = get_ci(v, "type").and_then(Value::as_str) {
        out.push(t.to_string());
    }
    if let Some(Value::Array(plugins)) = get_ci(v, "plugins") {
        for p in plugins {
            collect_types(p, out);
        }
    }
    if let Some(d) = get_ci(v, "delegate") {
        collect_types(d, out);
    }
}

fn walk(v: &Value, path: String, conf: &mut CniConfig) {
    match v {
        Value::Object(map) => {
            let kind = get_ci(v, "type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            if kind == "outboundnat" {
                if let Some(list) = get_ci(v, "ExceptionList") {
                    conf.outbound_nat.push(OutboundNat {
                        schema: PolicySchema::V1,
                        exceptions: strings(list),
                        location: join(&path, "ExceptionList"),
                    });
                } else if let Some(settings) = get_ci(v, "Settings") {
                    // OpenShift WMCO writes `settings.exceptionList` in its v2 win-overlay conf
                    // (openshift/windows-machine-config-operator@0be4b9ccb94d8450f918724a93fb4c7d89d6eefe:
                    // pkg/nodeconfig/payload/payload.go#L150-L204); the others `Settings.Exceptions`.
                    let (list, key) = match get_ci(settings, "Exceptions") {
                        Some(l) => (Some(l), "Settings.Exceptions"),
                        None => (get_ci(settings, "ExceptionList"), "settings.exceptionList"),
                    };
                    conf.outbound_nat.push(OutboundNat {
                        schema: PolicySchema::V2,
                        exceptions: list.map(strings).unwrap_or_default(),
                        location: join(&path, key),
                    });
                } else {
                    conf.outbound_nat.push(OutboundNat {
                        schema: PolicySchema::V1,
                        exceptions: Vec::new(),
                        location: join(&path, "ExceptionList"),
                    });
                }
            }
            if kind == "route" || kind == "sdnroute" {
                let holder = get_ci(v, "Settings").unwrap_or(v);
                if let Some(prefix) = get_ci(holder, "DestinationPrefix").and_then(Value::as_str) {
                    conf.routes.push(RoutePolicy {
                        destination_prefix: prefix.to_string(),
                        need_encap: get_ci(holder, "NeedEncap")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    });
                }
            }
            for (k, child) in map {
                walk(child, join(&path, k), conf);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), conf);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Removes `#` and `//` comments outside strings (people paste the FAQ's annotated ExceptionList).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut escaped = false;
        let mut cut = line.len();
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            if b == b'"' {
                in_str = true;
            } else if b == b'#' || (b == b'/' && bytes.get(i + 1) == Some(&b'/')) {
                cut = i;
                break;
            }
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_flannel_delegate_policies() {
        let c = parse(
            r#"{"cniVersion":"0.2.0","name":"cbr0","type":"flannel","capabilities":{"dns":true},
               "delegate":{"type":"win-bridge","dns":{"Nameservers":["10.96.0.10"]},
                 "policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12","10.127.130.0/24"]}},
                             {"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}]}}"#,
        )
        .expect("valid");
        assert_eq!(c.name.as_deref(), Some("cbr0"));
        assert!(c.uses("flannel") && c.uses("win-bridge"));
        assert_eq!(c.outbound_nat[0].schema, PolicySchema::V1);
        assert_eq!(c.outbound_nat[0].exceptions.len(), 3);
        assert_eq!(
            c.outbound_nat[0].location,
            "delegate.policies[0].Value.ExceptionList"
        );
        assert_eq!(c.routes[0].destination_prefix, "10.96.0.0/12");
        assert!(!c.had_comments);
    }

    #[test]
    fn v2_settings_exceptions_in_a_conflist() {
        let c = parse(
            r#"{"cniVersion":"0.3.0","name":"flannel.4096","plugins":[{"type":"flannel","delegate":{"type":"win-overlay",
               "policies":[{"name":"EndpointPolicy","value":{"type":"OutBoundNAT","settings":{"exceptions":["10.244.0.0/16","10.96.0.0/12"]}}},
                           {"name":"EndpointPolicy","value":{"type":"SDNRoute","settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}}]}}]}"#,
        )
        .expect("valid");
        assert_eq!(c.outbound_nat[0].schema, PolicySchema::V2);
        assert_eq!(
            c.outbound_nat[0].exceptions,
            vec!["10.244.0.0/16", "10.96.0.0/12"]
        );
        assert!(c.routes[0].need_encap);
    }

    #[test]
    fn comments_are_detected_and_garbage_rejected() {
        let c = parse(
            "{\"name\":\"cbr0\",\"type\":\"win-bridge\",\"policies\":[{\"Name\":\"EndpointPolicy\",\"Value\":{\"Type\":\"OutBoundNAT\",\"ExceptionList\":[\n\"10.244.0.0/16\",  # cluster subnet\n\"10.96.0.0/12\"   # service subnet\n]}}]}",
        )
        .expect("parses without comments");
        assert!(c.had_comments);
        assert!(parse("{ nope").is_err());
        assert!(parse("").is_err());
        assert!(parse("[1]").is_err());
    }
}
