//! Findings of pod-spec-compat, one per workload and severity (parts `unsupported-field` and
//! `ignored-field`), with a JSON patch for the pod template that removes exactly those fields.

use super::Field;
use crate::checks::Eval;
use crate::facts::cluster::Workload;
use crate::facts::k8s::{Event, Pod};
use crate::findings::{Evidence, Fix, Status, Subject};
use serde_json::{json, Value};

fn pod_count(members: &[&Pod]) -> String {
    match members.len() {
        1 => format!("pod {}", members[0].name()),
        n => format!("{n} pods"),
    }
}

fn field_evidence(pod: &Pod, field: &Field) -> Evidence {
    // `/containers/0/securityContext/privileged` -> `.spec.containers[0].securityContext.privileged`
    let mut path = String::from(".spec");
    for segment in field.pointer.split('/').filter(|s| !s.is_empty()) {
        if segment.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            path.push('.');
            path.push_str(segment);
        }
    }
    Evidence::api(format!("Pod/{} {path}", pod.key()), field.display.clone())
}

/// A JSON patch for the workload's pod template (or `None` for workloads without one).
pub(super) fn template_patch(workload: &Workload, fields: &[&Field], declare_os: bool) -> Option<String> {
    if !workload.has_mutable_template() {
        return None;
    }
    // Every operation touches a field inside an array element, never the element itself, so the
    // indices stay valid whatever the order.
    let mut ops: Vec<Value> = fields
        .iter()
        .map(|f| {
            let path = format!("/spec/template/spec{}", f.pointer);
            match &f.replacement {
                Some(v) => json!({"op": "replace", "path": path, "value": v}),
                None => json!({"op": "remove", "path": path}),
            }
        })
        .collect();
    if declare_os {
        ops.push(
            json!({"op": "add", "path": "/spec/template/spec/os", "value": {"name": "windows"}}),
        );
    }
    Some(Value::Array(ops).to_string())
}

fn why_list(fields: &[&Field]) -> String {
    let mut whys: Vec<&str> = Vec::new();
    for field in fields {
        if !whys.contains(&field.why) {
            whys.push(field.why);
        }
    }
    whys.join("; ")
}

pub(super) fn report_breaking(
    ev: &mut Eval,
    namespace: &str,
    workload: &Workload,
    members: &[&Pod],
    fields: &[&Field],
    events: &[&Event],
) {
    let reference = workload.reference();
    let names = fields
        .iter()
        .map(|f| f.display.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let fix: Fix = if fields.is_empty() {
        ev.fix(
            "read_event",
            &[("namespace", namespace), ("workload", &reference)],
        )
    } else {
        let why = why_list(fields);
        match template_patch(workload, fields, false) {
            Some(patch) => {
                let template = if fields.iter().any(|f| f.pointer.ends_with("/privileged")) {
                    "remove_fields_privileged"
                } else {
                    "remove_fields"
                };
                ev.fix(
                    template,
                    &[
                        ("namespace", namespace),
                        ("workload", &reference),
                        ("fields", &names),
                        ("why", &why),
                        ("patch", &patch),
                    ],
                )
            }
            None => ev.fix(
                "recreate_pod",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("fields", &names),
                ],
            ),
        }
    };
    let message = if fields.is_empty() {
        format!(
            "{reference} in {namespace} runs on Windows and a Warning event names a feature Windows does not support ({})",
            pod_count(members)
        )
    } else {
        format!(
            "{reference} in {namespace} sets fields Windows does not support, so its pods cannot run as specified: {names} ({})",
            pod_count(members)
        )
    };
    ev.part("unsupported-field");
    let finding = ev.emit(
        Status::Fail,
        Subject::namespaced(workload.kind_title(), namespace, &workload.name),
        message,
    );
    for field in fields {
        finding.evidence(field_evidence(members[0], field));
    }
    for event in events.iter().take(3) {
        finding.evidence(Evidence::event(event.reference(), event.excerpt()));
    }
    finding.with_fix(fix);
}

pub(super) fn report_ignored(
    ev: &mut Eval,
    namespace: &str,
    workload: &Workload,
    members: &[&Pod],
    fields: &[&Field],
) {
    let reference = workload.reference();
    let names = fields
        .iter()
        .map(|f| f.display.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let declared = members[0]
        .spec
        .declared_os()
        .is_some_and(|o| o.eq_ignore_ascii_case("windows"));
    let message = if declared {
        format!(
            "{reference} in {namespace} declares .spec.os.name=windows yet sets {names}; API servers that validate the OS field reject these for Windows pods, this one accepted them and Windows ignores them ({})",
            pod_count(members)
        )
    } else {
        format!(
            "{reference} in {namespace} sets Linux-only fields on a Windows pod that does not declare .spec.os.name=windows: {names}; Windows ignores them, and with the OS declared the API server would reject them ({})",
            pod_count(members)
        )
    };
    let fix = match template_patch(workload, fields, !declared) {
        Some(patch) => ev.fix(
            "declare_os",
            &[
                ("namespace", namespace),
                ("workload", &reference),
                ("fields", &names),
                ("patch", &patch),
            ],
        ),
        None => ev.fix(
            "recreate_pod",
            &[
                ("namespace", namespace),
                ("workload", &reference),
                ("fields", &names),
            ],
        ),
    };
    ev.part("ignored-field");
    let finding = ev.emit(
        Status::Warn,
        Subject::namespaced(workload.kind_title(), namespace, &workload.name),
        message,
    );
    for field in fields.iter().take(6) {
        finding.evidence(field_evidence(members[0], field));
    }
    finding.with_fix(fix);
}
