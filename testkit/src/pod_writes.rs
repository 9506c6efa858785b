//! The write verbs on pods, enough for a fleet collection:
//! `POST /api/v1/namespaces/NS/pods` validates and admits a pod (or refuses
//! it as the API server and Pod Security admission would) and
//! `DELETE /api/v1/namespaces/NS/pods/NAME` removes one, answering with the
//! object as it was, marked for deletion.

use serde_json::{json, Map, Value};

use crate::collectors::{now_rfc3339, pod_node, CollectorBehaviour, CreatedPod, Phase};
use crate::pod_security;
use crate::resource::ResourceKind;
use crate::routes::{Reply, JSON};
use crate::status::{self, ApiError, Target};
use crate::store::Store;

fn pod_target<'a>(namespace: &'a str, name: Option<&'a str>, verb: &'a str) -> Target<'a> {
    Target {
        info: ResourceKind::Pods.info(),
        subresource: None,
        namespace: Some(namespace),
        name,
        verb,
    }
}

/// A generated-name suffix from a counter.
fn suffix(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// `POST /api/v1/namespaces/NAMESPACE/pods` with `body`.
pub(crate) fn create(store: &Store, namespace: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        status::bad_request(&format!(
            "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: {e}"
        ))
    })?;
    let Value::Object(mut object) = value else {
        return Err(status::bad_request(
            "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: not an object",
        ));
    };
    match object.get("kind").and_then(Value::as_str) {
        None | Some("Pod") => {}
        Some(other) => {
            return Err(status::bad_request(&format!(
                "Pod in version \"v1\" cannot be handled as a Pod: kind {other:?} is not Pod"
            )))
        }
    }
    match object.get("apiVersion").and_then(Value::as_str) {
        None | Some("v1") => {}
        Some(other) => {
            return Err(status::bad_request(&format!(
                "the API version in the data ({other}) does not match the expected API version (v1)"
            )))
        }
    }
    object.insert("kind".into(), json!("Pod"));
    object.insert("apiVersion".into(), json!("v1"));
    let metadata = match object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(m) => m,
        _ => return Err(status::bad_request("metadata is not an object")),
    };
    match metadata.get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() && ns != namespace => return Err(status::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {}
    }
    let data = store.snapshot();
    if data.get(ResourceKind::Namespaces, "", namespace).is_none() {
        let t = Target {
            info: ResourceKind::Namespaces.info(),
            subresource: None,
            namespace: None,
            name: Some(namespace),
            verb: "get",
        };
        return Err(status::object_not_found(&t));
    }
    let mut collectors = store.collectors();
    let uid = collectors.uid();
    let name = match (
        metadata.get("name").and_then(Value::as_str),
        metadata.get("generateName").and_then(Value::as_str),
    ) {
        (Some(name), _) if !name.is_empty() => name.to_string(),
        (_, Some(prefix)) if !prefix.is_empty() => {
            let serial = uid
                .rsplit('-')
                .next()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .unwrap_or(0);
            format!("{prefix}{}", suffix(serial.wrapping_mul(7_919)))
        }
        _ => {
            return Err(status::invalid(
                "Pod",
                "",
                "metadata.name: Required value: name or generateName is required",
            ))
        }
    };
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(namespace));
    let object = Value::Object(object);
    if object["spec"]["containers"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return Err(status::invalid(
            "Pod",
            &name,
            "spec.containers: Required value",
        ));
    }
    let behaviour = collectors.behaviour_for(&pod_node(&object));
    if behaviour == CollectorBehaviour::Rejected {
        let violations = pod_security::baseline_violations(&object);
        return Err(pod_security::forbidden(&name, &violations));
    }
    if data.get(ResourceKind::Pods, namespace, &name).is_some() {
        return Err(status::already_exists(&pod_target(
            namespace,
            Some(&name),
            "create",
        )));
    }
    drop(collectors);
    let created_at = now_rfc3339();
    let mut object = object;
    object["metadata"]["uid"] = json!(uid);
    object["metadata"]["creationTimestamp"] = json!(created_at);
    object["metadata"]["resourceVersion"] = json!((data.resource_version() + 1).to_string());
    for (field, default) in [
        ("restartPolicy", json!("Always")),
        ("dnsPolicy", json!("ClusterFirst")),
        ("schedulerName", json!("default-scheduler")),
        ("terminationGracePeriodSeconds", json!(30)),
    ] {
        if object["spec"].get(field).is_none() {
            object["spec"][field] = default;
        }
    }
    let pod = CreatedPod {
        namespace: namespace.to_string(),
        name: name.clone(),
        behaviour,
        age: 0,
        shown: Phase::Pending,
        object,
        created_at,
    };
    store.admit(pod);
    let stored = store.snapshot();
    let body = stored
        .get(ResourceKind::Pods, namespace, &name)
        .map(|o| o.json.to_vec())
        .unwrap_or_default();
    Ok(Reply::bytes(201, JSON, body))
}

/// `DELETE /api/v1/namespaces/NAMESPACE/pods/NAME`.
pub(crate) fn delete(store: &Store, namespace: &str, name: &str) -> Result<Reply, ApiError> {
    let removed = store.update(|data| data.remove(ResourceKind::Pods, namespace, name));
    let Some(mut object) = removed else {
        return Err(status::object_not_found(&pod_target(
            namespace,
            Some(name),
            "delete",
        )));
    };
    store.forget(namespace, name);
    let grace = object["spec"]["terminationGracePeriodSeconds"]
        .as_i64()
        .unwrap_or(30);
    object["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
    object["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
    Ok(Reply::value(&object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_name_safe() {
        let s = suffix(123_456);
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(suffix(1), suffix(2));
    }
}
