//! Pods created through the API (windoctor's opt-in fleet collection starts
//! one collector pod per node) and what each does, as the test registered
//! per node name: runs and logs a payload then Succeeded, never starts
//! (waiting with ImagePullBackOff or ContainerCreating), is rejected by Pod
//! Security admission, or fails. A created pod's phase follows a step count
//! (Pending for `pending_steps`, then Running for `running_steps`, then
//! done); steps advance per request on pods or only when the test says so
//! ([`PodClock`]). This module decides phases and renders the status; the
//! store writes the result into the served data.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// What a created pod on a node does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectorBehaviour {
    /// Pending, then Running with `log` as its log, then Succeeded.
    Runs {
        /// The container's log (e.g. a base64 tar of a node part).
        log: Arc<[u8]>,
    },
    /// Stays Pending; its container waits with `reason` (ImagePullBackOff,
    /// ContainerCreating) and `message`.
    NeverStarts { reason: String, message: String },
    /// The create request is refused by Pod Security admission (403).
    Rejected,
    /// Pending, then Running with `log`, then Failed: the container ended
    /// with `exit_code` and termination message `message`.
    Fails {
        log: Arc<[u8]>,
        message: String,
        exit_code: i32,
    },
}

impl CollectorBehaviour {
    /// Runs and logs `log`, then Succeeded.
    pub fn runs(log: impl Into<Vec<u8>>) -> CollectorBehaviour {
        CollectorBehaviour::Runs {
            log: Arc::from(log.into()),
        }
    }

    /// Never starts: the image cannot be pulled.
    pub fn image_pull_backoff(image: &str) -> CollectorBehaviour {
        CollectorBehaviour::NeverStarts {
            reason: "ImagePullBackOff".to_string(),
            message: format!("Back-off pulling image \"{image}\""),
        }
    }

    /// Never starts: stuck creating the sandbox.
    pub fn container_creating() -> CollectorBehaviour {
        CollectorBehaviour::NeverStarts {
            reason: "ContainerCreating".to_string(),
            message: String::new(),
        }
    }

    /// Refused at creation by Pod Security admission (`baseline`).
    pub fn rejected_by_pod_security() -> CollectorBehaviour {
        CollectorBehaviour::Rejected
    }

    /// Runs, logs `log`, then fails with `exit_code` and termination
    /// message `message`.
    pub fn fails(log: impl Into<Vec<u8>>, message: &str, exit_code: i32) -> CollectorBehaviour {
        CollectorBehaviour::Fails {
            log: Arc::from(log.into()),
            message: message.to_string(),
            exit_code,
        }
    }
}

/// When created pods move on a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodClock {
    /// Every read of pods (get, list, log) moves every created pod on a
    /// step after it is answered, so a polling client sees progress.
    #[default]
    PerRequest,
    /// Only [`crate::ServerHandle::advance_pods`] moves them.
    Manual,
}

/// Phase of a created pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }
}

/// One pod created through the API.
#[derive(Debug, Clone)]
pub(crate) struct CreatedPod {
    pub namespace: String,
    pub name: String,
    pub behaviour: CollectorBehaviour,
    /// Steps taken since creation.
    pub age: u32,
    /// The phase last written into the served data.
    pub shown: Phase,
    /// The pod as admitted (metadata filled, no status).
    pub object: Value,
    pub created_at: String,
}

/// Behaviours and created pods.
#[derive(Debug, Clone)]
pub(crate) struct Collectors {
    pub behaviours: HashMap<String, CollectorBehaviour>,
    pub default: CollectorBehaviour,
    pub pods: Vec<CreatedPod>,
    pub pending_steps: u32,
    pub running_steps: u32,
    next_uid: u64,
}

impl Default for Collectors {
    fn default() -> Self {
        Collectors {
            behaviours: HashMap::new(),
            default: CollectorBehaviour::runs(Vec::new()),
            pods: Vec::new(),
            pending_steps: 1,
            running_steps: 1,
            next_uid: 1,
        }
    }
}

/// The node a pod is bound to: `spec.nodeName`, else the
/// `kubernetes.io/hostname` node selector, else empty.
pub(crate) fn pod_node(pod: &Value) -> String {
    pod["spec"]["nodeName"]
        .as_str()
        .or_else(|| pod["spec"]["nodeSelector"]["kubernetes.io/hostname"].as_str())
        .unwrap_or("")
        .to_string()
}

impl Collectors {
    /// Per-node behaviours, the default one (running with an empty log when
    /// `None`) and the (pending, running) step counts.
    pub fn configured(
        behaviours: HashMap<String, CollectorBehaviour>,
        default: Option<CollectorBehaviour>,
        (pending_steps, running_steps): (u32, u32),
    ) -> Collectors {
        let base = Collectors::default();
        Collectors {
            behaviours,
            default: default.unwrap_or(base.default),
            pending_steps,
            running_steps,
            ..Collectors::default()
        }
    }

    /// What a pod bound to `node` does.
    pub fn behaviour_for(&self, node: &str) -> CollectorBehaviour {
        self.behaviours
            .get(node)
            .cloned()
            .unwrap_or_else(|| self.default.clone())
    }

    /// A fresh UID.
    pub fn uid(&mut self) -> String {
        let n = self.next_uid;
        self.next_uid += 1;
        format!("7e57c0de-0000-4000-8000-{n:012x}")
    }

    /// The phase `pod` is in now.
    pub fn phase(&self, pod: &CreatedPod) -> Phase {
        let started = pod.age >= self.pending_steps;
        let done = pod.age >= self.pending_steps.saturating_add(self.running_steps);
        match &pod.behaviour {
            CollectorBehaviour::NeverStarts { .. } | CollectorBehaviour::Rejected => Phase::Pending,
            _ if !started => Phase::Pending,
            _ if !done => Phase::Running,
            CollectorBehaviour::Runs { .. } => Phase::Succeeded,
            CollectorBehaviour::Fails { .. } => Phase::Failed,
        }
    }
}

/// The pod object of `pod` in `phase`, with a status as the kubelet
/// reports it.
pub(crate) fn render(pod: &CreatedPod, phase: Phase) -> Value {
    let mut object = pod.object.clone();
    let containers: Vec<(String, String)> = object["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["image"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let started = &pod.created_at;
    let ready = phase == Phase::Running;
    let state = |_: &str| match (phase, &pod.behaviour) {
        (Phase::Pending, CollectorBehaviour::NeverStarts { reason, message }) => {
            let mut waiting = Map::new();
            if !message.is_empty() {
                waiting.insert("message".into(), json!(message));
            }
            waiting.insert("reason".into(), json!(reason));
            json!({"waiting": waiting})
        }
        (Phase::Pending, _) => json!({"waiting": {"reason": "ContainerCreating"}}),
        (Phase::Running, _) => json!({"running": {"startedAt": started}}),
        (
            _,
            CollectorBehaviour::Fails {
                message, exit_code, ..
            },
        ) => json!({"terminated": {"containerID": "containerd://0f", "exitCode": exit_code,
            "finishedAt": started, "message": message, "reason": "Error", "startedAt": started}}),
        _ => json!({"terminated": {"containerID": "containerd://0f", "exitCode": 0,
            "finishedAt": started, "reason": "Completed", "startedAt": started}}),
    };
    let statuses: Vec<Value> = containers
        .iter()
        .map(|(name, image)| {
            json!({
                "image": image,
                "imageID": "",
                "lastState": {},
                "name": name,
                "ready": ready,
                "restartCount": 0,
                "started": ready,
                "state": state(name)
            })
        })
        .collect();
    let names: Vec<&str> = containers.iter().map(|(n, _)| n.as_str()).collect();
    let not_ready = |kind: &str| {
        let reason = if matches!(phase, Phase::Succeeded | Phase::Failed) {
            "PodCompleted"
        } else {
            "ContainersNotReady"
        };
        let mut c = json!({"lastProbeTime": null, "lastTransitionTime": started, "reason": reason,
                           "status": "False", "type": kind});
        if reason == "ContainersNotReady" {
            c["message"] = json!(format!(
                "containers with unready status: [{}]",
                names.join(" ")
            ));
        }
        c
    };
    let condition = |kind: &str| json!({"lastProbeTime": null, "lastTransitionTime": started, "status": "True", "type": kind});
    let conditions = if ready {
        vec![
            condition("Initialized"),
            condition("Ready"),
            condition("ContainersReady"),
            condition("PodScheduled"),
        ]
    } else {
        vec![
            condition("Initialized"),
            not_ready("Ready"),
            not_ready("ContainersReady"),
            condition("PodScheduled"),
        ]
    };
    object["status"] = json!({
        "conditions": conditions,
        "containerStatuses": statuses,
        "phase": phase.as_str(),
        "qosClass": "BestEffort",
        "startTime": started
    });
    object
}

/// The current UTC time as RFC 3339 (`2026-11-05T10:00:00Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// `secs` after the Unix epoch as RFC 3339 UTC (civil-from-days).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn phases_follow_steps() {
        let c = Collectors::default();
        let mut pod = CreatedPod {
            namespace: "ns".into(),
            name: "p".into(),
            behaviour: CollectorBehaviour::runs("x"),
            age: 0,
            shown: Phase::Pending,
            object: json!({"spec": {"containers": [{"name": "c", "image": "i"}]}}),
            created_at: "2026-11-01T00:00:00Z".into(),
        };
        let phases: Vec<Phase> = (0..3)
            .map(|age| {
                pod.age = age;
                c.phase(&pod)
            })
            .collect();
        assert_eq!(phases, [Phase::Pending, Phase::Running, Phase::Succeeded]);
        pod.behaviour = CollectorBehaviour::fails("", "boom", 2);
        assert_eq!(c.phase(&pod), Phase::Failed);
        let failed = render(&pod, Phase::Failed);
        assert_eq!(
            failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            2
        );
        pod.behaviour = CollectorBehaviour::image_pull_backoff("img");
        assert_eq!(c.phase(&pod), Phase::Pending);
        let pending = render(&pod, Phase::Pending);
        assert_eq!(
            pending["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ImagePullBackOff"
        );
    }
}
