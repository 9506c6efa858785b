//! The server's mutable state: the served [`ClusterData`] (swapped as a
//! whole on each change, so a request answers from one consistent snapshot)
//! and the pods created through the API with their behaviours. Created
//! pods are written into the data as their phase changes, with their log
//! once they run, so lists, gets, selectors and logs see them like any pod.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::collectors::{render, Collectors, CreatedPod, Phase};
use crate::data::ClusterData;
use crate::resource::ResourceKind;

/// Served data and created pods.
pub(crate) struct Store {
    data: RwLock<Arc<ClusterData>>,
    collectors: Mutex<Collectors>,
    /// Requests answered 429 so far.
    throttled: AtomicUsize,
}

impl Store {
    pub fn new(data: ClusterData, collectors: Collectors) -> Store {
        Store {
            data: RwLock::new(Arc::new(data)),
            collectors: Mutex::new(collectors),
            throttled: AtomicUsize::new(0),
        }
    }

    /// Whether this request is one of the first `times` to be throttled
    /// (counts it if so).
    pub fn take_throttle(&self, times: usize) -> bool {
        self.throttled
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < times).then_some(n + 1)
            })
            .is_ok()
    }

    /// The data as it is now.
    pub fn snapshot(&self) -> Arc<ClusterData> {
        Arc::clone(&self.data.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the data; the resource version moves on. Returns what
    /// `change` returns.
    pub fn update<R>(&self, change: impl FnOnce(&mut ClusterData) -> R) -> R {
        let mut guard = self.data.write().unwrap_or_else(PoisonError::into_inner);
        let data = Arc::make_mut(&mut guard);
        let result = change(data);
        data.touch();
        data.prepare();
        result
    }

    /// The created pods and behaviours.
    pub fn collectors(&self) -> MutexGuard<'_, Collectors> {
        self.collectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes every created pod whose phase changed into the data.
    pub fn sync_pods(&self) {
        let mut collectors = self.collectors();
        let mut changed: Vec<(CreatedPod, Phase)> = Vec::new();
        let phases: Vec<Phase> = collectors
            .pods
            .iter()
            .map(|p| collectors.phase(p))
            .collect();
        for (pod, phase) in collectors.pods.iter_mut().zip(phases) {
            if pod.shown != phase {
                pod.shown = phase;
                changed.push((pod.clone(), phase));
            }
        }
        if changed.is_empty() {
            return;
        }
        self.update(|data| {
            for (pod, phase) in &changed {
                write_pod(data, pod, *phase);
            }
        });
    }

    /// Moves every created pod on `steps` steps and writes the changes.
    pub fn advance_pods(&self, steps: u32) {
        for pod in self.collectors().pods.iter_mut() {
            pod.age = pod.age.saturating_add(steps);
        }
        self.sync_pods();
    }

    /// Admits a created pod: stores it (Pending) and starts its clock.
    pub fn admit(&self, pod: CreatedPod) {
        let mut collectors = self.collectors();
        let phase = collectors.phase(&pod);
        let mut pod = pod;
        pod.shown = phase;
        self.update(|data| write_pod(data, &pod, phase));
        collectors.pods.push(pod);
    }

    /// Forgets created pod `namespace/name` (after a delete).
    pub fn forget(&self, namespace: &str, name: &str) {
        self.collectors()
            .pods
            .retain(|p| !(p.namespace == namespace && p.name == name));
    }
}

/// Stores `pod` in `phase`, with its log once it has started.
fn write_pod(data: &mut ClusterData, pod: &CreatedPod, phase: Phase) {
    let object = render(pod, phase);
    let container = object["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    // The object was validated at admission; a failure here leaves the
    // previous version in place.
    let _ = data.add(ResourceKind::Pods, object);
    if phase != Phase::Pending {
        if let crate::CollectorBehaviour::Runs { log }
        | crate::CollectorBehaviour::Fails { log, .. } = &pod.behaviour
        {
            data.add_log(&pod.namespace, &pod.name, &container, log.to_vec());
        }
    }
}
