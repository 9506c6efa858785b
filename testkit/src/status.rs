//! `Status` error bodies worded like the Kubernetes API server's: Forbidden,
//! NotFound, BadRequest, Expired, Unauthorized, MethodNotAllowed and
//! injected failures.

use serde::Serialize;

use crate::resource::ResourceInfo;

/// An error response: HTTP code and Status body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub body: Vec<u8>,
}

/// Which object or collection a request addressed, for error wording.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub info: &'static ResourceInfo,
    /// Subresource such as `log`.
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    /// `get` or `list`.
    pub verb: &'a str,
}

/// The Status object, fields in the API server's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    kind: &'static str,
    api_version: &'static str,
    metadata: Empty,
    status: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
    code: u16,
}

#[derive(Serialize)]
struct Empty {}

/// StatusDetails, fields in the API server's order.
#[derive(Serialize, Default)]
struct Details<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    causes: Vec<Cause<'a>>,
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Cause<'a> {
    message: &'a str,
}

fn status(code: u16, reason: &str, message: &str, details: Option<Details<'_>>) -> ApiError {
    let body = Status {
        kind: "Status",
        api_version: "v1",
        metadata: Empty {},
        status: "Failure",
        message,
        reason,
        details,
        code,
    };
    // Serializing these plain structs cannot fail; fall back to a bare
    // message rather than panic.
    let body = serde_json::to_vec(&body).unwrap_or_else(|_| message.as_bytes().to_vec());
    ApiError { code, body }
}

fn details<'a>(target: &Target<'a>) -> Details<'a> {
    Details {
        name: target.name,
        group: (!target.info.group.is_empty()).then_some(target.info.group),
        kind: Some(target.info.plural),
        ..Details::default()
    }
}

/// `pods "x"` or `pods` (qualified with the group outside the core group),
/// as error messages name the target.
fn qualified(target: &Target<'_>) -> String {
    let resource = if target.info.group.is_empty() {
        target.info.plural.to_string()
    } else {
        format!("{}.{}", target.info.plural, target.info.group)
    };
    match target.name {
        Some(name) => format!("{resource} \"{name}\""),
        None => resource,
    }
}

/// 403 as RBAC denies `user`.
pub(crate) fn forbidden(target: &Target<'_>, user: &str) -> ApiError {
    let resource = match target.subresource {
        Some(sub) => format!("{}/{}", target.info.plural, sub),
        None => target.info.plural.to_string(),
    };
    let scope = match target.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{} is forbidden: User \"{user}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        qualified(target),
        target.verb,
        target.info.group,
    );
    status(403, "Forbidden", &message, Some(details(target)))
}

/// 404 for a named object that does not exist.
pub(crate) fn object_not_found(target: &Target<'_>) -> ApiError {
    let message = format!("{} not found", qualified(target));
    status(404, "NotFound", &message, Some(details(target)))
}

/// 404 for a path the server does not serve (e.g. an absent API group).
pub(crate) fn path_not_found() -> ApiError {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(Details::default()),
    )
}

/// 400 with `message`.
pub(crate) fn bad_request(message: &str) -> ApiError {
    status(400, "BadRequest", message, None)
}

/// 410 for a continue token from an older resource version.
pub(crate) fn expired() -> ApiError {
    status(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. \
         You can start a new list without the continue parameter.",
        None,
    )
}

/// 401 for a missing or wrong bearer token.
pub(crate) fn unauthorized() -> ApiError {
    status(401, "Unauthorized", "Unauthorized", None)
}

/// 405 for a method or verb the fake server does not implement.
pub(crate) fn method_not_allowed(what: &str) -> ApiError {
    status(
        405,
        "MethodNotAllowed",
        &format!("{what} is not supported by the windoctor fake API server"),
        Some(Details::default()),
    )
}

/// An injected failure with HTTP `code` on `target`.
pub(crate) fn injected(target: &Target<'_>, code: u16) -> ApiError {
    let (reason, message) = match code {
        500 => (
            "InternalError",
            "Internal error occurred: injected failure".to_string(),
        ),
        503 => (
            "ServiceUnavailable",
            "the server is currently unable to handle the request".to_string(),
        ),
        504 => (
            "Timeout",
            "the server was unable to return a response in the time allotted".to_string(),
        ),
        429 => (
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later"
                .to_string(),
        ),
        409 => ("Conflict", "injected conflict".to_string()),
        400 => ("BadRequest", "injected bad request".to_string()),
        410 => ("Expired", "injected expiry".to_string()),
        _ => ("", format!("injected failure with status {code}")),
    };
    let mut d = details(target);
    if code == 500 {
        d.causes.push(Cause {
            message: "injected failure",
        });
    }
    status(code, reason, &message, Some(d))
}

/// 403 with `message` about pod `name` (admission rejections).
pub(crate) fn forbidden_message(message: &str, name: &str) -> ApiError {
    let d = Details {
        name: Some(name),
        kind: Some("pods"),
        ..Details::default()
    };
    status(403, "Forbidden", message, Some(d))
}

/// 409 for creating an object whose name is taken.
pub(crate) fn already_exists(target: &Target<'_>) -> ApiError {
    let message = format!("{} already exists", qualified(target));
    status(409, "AlreadyExists", &message, Some(details(target)))
}

/// 422 for an object that fails validation: `Pod "x" is invalid: FIELD:
/// PROBLEM`.
pub(crate) fn invalid(kind: &str, name: &str, field_problem: &str) -> ApiError {
    let message = format!("{kind} {name:?} is invalid: {field_problem}");
    let d = Details {
        name: Some(name),
        kind: Some(kind),
        causes: vec![Cause {
            message: field_problem,
        }],
        ..Details::default()
    };
    status(422, "Invalid", &message, Some(d))
}

/// 429 asking the client to come back in `seconds`.
pub(crate) fn too_many_requests(seconds: u64) -> ApiError {
    let d = Details {
        retry_after_seconds: Some(seconds),
        ..Details::default()
    };
    status(
        429,
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
        Some(d),
    )
}

/// 413 for a request body over the server's limit.
pub(crate) fn too_large() -> ApiError {
    status(
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
        None,
    )
}

/// 503 as the API server answers a proxy request when it cannot reach the
/// node's kubelet at `address`.
pub(crate) fn unreachable(address: &str) -> ApiError {
    let message = format!(
        "error trying to reach service: dial tcp {address}:10250: connect: connection refused"
    );
    status(503, "ServiceUnavailable", &message, None)
}

/// 404 with a custom message about `target`.
pub(crate) fn not_found_message(message: &str, target: &Target<'_>) -> ApiError {
    status(404, "NotFound", message, Some(details(target)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ResourceKind;

    #[test]
    fn forbidden_wording() {
        let target = Target {
            info: ResourceKind::Events.info(),
            subresource: None,
            namespace: None,
            name: None,
            verb: "list",
        };
        let err = forbidden(&target, "system:serviceaccount:default:windoctor");
        assert_eq!(
            String::from_utf8_lossy(&err.body),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"events is forbidden: User \"system:serviceaccount:default:windoctor\" cannot list resource \"events\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"events"},"code":403}"#
        );
    }

    #[test]
    fn not_found_wording() {
        let target = Target {
            info: ResourceKind::DaemonSets.info(),
            subresource: None,
            namespace: Some("kube-system"),
            name: Some("calico-node"),
            verb: "get",
        };
        let err = object_not_found(&target);
        assert_eq!(err.code, 404);
        assert_eq!(
            String::from_utf8_lossy(&err.body),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"daemonsets.apps \"calico-node\" not found","reason":"NotFound","details":{"name":"calico-node","group":"apps","kind":"daemonsets"},"code":404}"#
        );
    }
}
