//! Legacy (unaggregated) API discovery documents: `/api` (APIVersions),
//! `/apis` (APIGroupList), `/apis/GROUP` (APIGroup) and the APIResourceList
//! of each group version. Resources injected as not found are left out, and a
//! group left without resources disappears, as on a cluster that lacks it.
//! Aggregated discovery is not offered: clients that ask for it with `Accept`
//! get the legacy document as plain `application/json` and fall back.

use serde_json::{json, Value};

use crate::options::{Failure, ServerOptions};
use crate::resource::ResourceKind;

/// Kinds served in `group`/`version`, less those injected as absent.
fn served(options: &ServerOptions, group: &str, version: &str) -> Vec<ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .filter(|k| k.info().group == group && k.info().version == version)
        .filter(|k| options.failure(k.plural()) != Some(Failure::NotFound))
        .collect()
}

/// Non-core groups with at least one served resource, with their version.
fn groups(options: &ServerOptions) -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&'static str, &'static str)> = Vec::new();
    for kind in ResourceKind::ALL {
        let info = kind.info();
        let pair = (info.group, info.version);
        if !info.group.is_empty()
            && !groups.contains(&pair)
            && !served(options, info.group, info.version).is_empty()
        {
            groups.push(pair);
        }
    }
    groups
}

/// `GET /api`.
pub(crate) fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ]
    })
}

fn group_json(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `GET /apis`.
pub(crate) fn api_group_list(options: &ServerOptions) -> Value {
    let groups: Vec<Value> = groups(options)
        .into_iter()
        .map(|(g, v)| group_json(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/GROUP`, `None` when the group is not served.
pub(crate) fn api_group(options: &ServerOptions, group: &str) -> Option<Value> {
    groups(options)
        .into_iter()
        .find(|(g, _)| *g == group)
        .map(|(g, v)| {
            let mut doc = group_json(g, v);
            if let Value::Object(map) = &mut doc {
                map.insert("kind".into(), json!("APIGroup"));
                map.insert("apiVersion".into(), json!("v1"));
            }
            doc
        })
}

/// `GET /api/v1` (group `""`) or `/apis/GROUP/VERSION`; `None` when that
/// group version serves nothing.
pub(crate) fn api_resource_list(
    options: &ServerOptions,
    group: &str,
    version: &str,
) -> Option<Value> {
    let kinds = served(options, group, version);
    if kinds.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for kind in kinds {
        let info = kind.info();
        let mut resource = json!({
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": info.verbs(),
        });
        if let Value::Object(map) = &mut resource {
            if !info.short_names.is_empty() {
                map.insert("shortNames".into(), json!(info.short_names));
            }
            if matches!(
                kind,
                ResourceKind::Pods | ResourceKind::Services | ResourceKind::DaemonSets
            ) {
                map.insert("categories".into(), json!(["all"]));
            }
        }
        resources.push(resource);
        if kind == ResourceKind::Pods {
            resources.push(json!({
                "name": "pods/log",
                "singularName": "",
                "namespaced": true,
                "kind": "Pod",
                "verbs": ["get"],
            }));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_group_disappears() {
        let options = ServerOptions::new().not_found("runtimeclasses");
        let list = api_group_list(&options);
        assert_eq!(list["groups"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["groups"][0]["name"], "apps");
        assert!(api_group(&options, "node.k8s.io").is_none());
        assert!(api_resource_list(&options, "node.k8s.io", "v1").is_none());
        let all = api_group_list(&ServerOptions::new());
        assert_eq!(all["groups"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn core_resources() {
        let list = api_resource_list(&ServerOptions::new().not_found("events"), "", "v1");
        let names: Vec<String> = list
            .as_ref()
            .and_then(|l| l["resources"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            names,
            [
                "nodes",
                "pods",
                "pods/log",
                "services",
                "configmaps",
                "namespaces"
            ]
        );
    }
}
