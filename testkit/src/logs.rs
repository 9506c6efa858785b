//! `GET /api/v1/namespaces/NS/pods/POD/log`: picks the container the way
//! the API server does (the only one, or the `container` parameter), serves
//! the stored log (`previous=true` for the terminated instance) and applies
//! `tailLines` and `limitBytes`. Follow is not streamed: the whole stored log
//! is returned.

use serde_json::Value;

use crate::data::{ClusterData, LogKey};
use crate::query::Query;
use crate::resource::ResourceKind;
use crate::status::{self, ApiError, Target};

/// Names of the containers in the pod spec (regular, init and ephemeral).
fn spec_containers(pod: &Value) -> Vec<String> {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| pod["spec"][list].as_array())
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// Why `container` of `pod` has not started, worded as the kubelet words it
/// in log errors; `None` when it is not waiting.
fn waiting_reason(pod: &Value, container: &str) -> Option<String> {
    let status = pod["status"]["containerStatuses"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == container)?;
    let reason = status["state"]["waiting"]["reason"].as_str()?;
    Some(match reason {
        "ImagePullBackOff" | "ErrImagePull" => "trying and failing to pull image".to_string(),
        other => other.to_string(),
    })
}

/// The log body for pod `namespace/pod`.
pub(crate) fn pod_log(
    data: &ClusterData,
    namespace: &str,
    pod: &str,
    query: &Query,
) -> Result<Vec<u8>, ApiError> {
    let target = Target {
        info: ResourceKind::Pods.info(),
        subresource: Some("log"),
        namespace: Some(namespace),
        name: Some(pod),
        verb: "get",
    };
    let pod_object: Option<Value> = data
        .get(ResourceKind::Pods, namespace, pod)
        .and_then(|o| serde_json::from_slice(&o.json).ok());
    let containers = pod_object.as_ref().map(spec_containers).unwrap_or_default();
    let regular: Vec<String> = pod_object
        .as_ref()
        .and_then(|p| p["spec"]["containers"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    let previous = query.get_bool("previous");

    let container = match query.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None => {
            let candidates: Vec<String> = if pod_object.is_some() {
                regular
            } else {
                data.log_containers(namespace, pod).into_iter().collect()
            };
            match candidates.as_slice() {
                [only] => only.clone(),
                [] if pod_object.is_none() => return Err(status::object_not_found(&target)),
                [] => {
                    return Err(status::bad_request(&format!(
                        "a container name must be specified for pod {pod}"
                    )))
                }
                many => {
                    return Err(status::bad_request(&format!(
                        "a container name must be specified for pod {pod}, choose one of: [{}]",
                        many.join(" ")
                    )))
                }
            }
        }
    };
    let key = LogKey {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: container.clone(),
        previous,
    };
    let Some(log) = data.log(&key) else {
        if pod_object.is_none() {
            return Err(status::object_not_found(&target));
        }
        if !containers.contains(&container) {
            return Err(status::bad_request(&format!(
                "container {container} is not valid for pod {pod}"
            )));
        }
        if previous {
            return Err(status::bad_request(&format!(
                "previous terminated container \"{container}\" in pod \"{pod}\" not found"
            )));
        }
        if let Some(reason) = pod_object
            .as_ref()
            .and_then(|p| waiting_reason(p, &container))
        {
            return Err(status::bad_request(&format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}"
            )));
        }
        return Err(status::not_found_message(
            &format!("no log stored for container \"{container}\" of pod \"{namespace}/{pod}\""),
            &target,
        ));
    };
    let tail = query
        .get_usize("tailLines")
        .map_err(|e| status::bad_request(&e))?;
    let limit = query
        .get_usize("limitBytes")
        .map_err(|e| status::bad_request(&e))?;
    let mut body: &[u8] = &log;
    if let Some(n) = tail {
        body = tail_lines(body, n);
    }
    if let Some(n) = limit.filter(|&n| n > 0) {
        body = &body[..n.min(body.len())];
    }
    Ok(body.to_vec())
}

/// The last `n` lines of `text` (a final newline does not start a line).
fn tail_lines(text: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &[];
    }
    let trimmed = text.strip_suffix(b"\n").unwrap_or(text);
    let mut seen = 0;
    for (i, &b) in trimmed.iter().enumerate().rev() {
        if b == b'\n' {
            seen += 1;
            if seen == n {
                return &text[i + 1..];
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tails() {
        assert_eq!(tail_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(tail_lines(b"a\nb\nc", 1), b"c");
        assert_eq!(tail_lines(b"a\nb\n", 5), b"a\nb\n");
        assert_eq!(tail_lines(b"a\n", 0), b"");
    }

    #[test]
    fn picks_container() -> anyhow::Result<()> {
        let mut data = ClusterData::new();
        data.add(
            ResourceKind::Pods,
            json!({"metadata": {"name": "one", "namespace": "ns"}, "spec": {"containers": [{"name": "c"}]}}),
        )?;
        data.add(
            ResourceKind::Pods,
            json!({"metadata": {"name": "two", "namespace": "ns"},
                   "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
        )?;
        data.add_log("ns", "one", "c", "hello\nworld\n");
        data.prepare();
        let log = pod_log(&data, "ns", "one", &Query::parse("tailLines=1"));
        assert_eq!(log.ok().as_deref(), Some(&b"world\n"[..]));
        let err = pod_log(&data, "ns", "two", &Query::parse("")).err();
        assert_eq!(err.as_ref().map(|e| e.code), Some(400));
        let msg = err.map(|e| String::from_utf8_lossy(&e.body).into_owned());
        assert!(msg.is_some_and(|m| m.contains("choose one of: [a b]")));
        let err = pod_log(&data, "ns", "two", &Query::parse("container=a")).err();
        assert_eq!(err.map(|e| e.code), Some(404));
        let err = pod_log(&data, "ns", "two", &Query::parse("container=zz")).err();
        assert_eq!(err.map(|e| e.code), Some(400));
        let err = pod_log(&data, "ns", "missing", &Query::parse("container=a")).err();
        assert_eq!(err.map(|e| e.code), Some(404));
        Ok(())
    }
}
