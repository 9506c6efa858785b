//! Which checks can run now, and running a batch of them: a check runs as soon as every input its
//! `checks/<id>.toml` declares has arrived (or failed), on up to one thread per core, over a model
//! shared by the batch.

use super::Update;
use crate::catalogue;
use crate::checks::{self, Selection};
use crate::model::{Model, World};
use std::collections::BTreeSet;
use tokio::sync::mpsc::UnboundedSender;

/// The inputs whose text the failure signatures are matched against.
const SIGNATURE_SOURCES: [&str; 4] = ["node", "events", "pods", "logs"];

/// Tracks which inputs are resolved and which selected checks have run.
pub(crate) struct Scheduler {
    pending: Vec<&'static str>,
    resolved: BTreeSet<String>,
    selection: Selection,
}

/// Checks ready to run, with the selection that decides which of their findings are kept
/// (`--only`/`--skip` may name parts).
pub(crate) struct Batch {
    ids: Vec<&'static str>,
    selection: Selection,
}

impl Scheduler {
    pub(crate) fn new(sel: &Selection) -> Self {
        Scheduler {
            pending: sel.ids(),
            resolved: BTreeSet::new(),
            selection: sel.clone(),
        }
    }

    pub(crate) fn resolve(&mut self, input: &str) {
        self.resolved.insert(input.to_string());
    }

    /// Removes from pending and returns every check whose inputs are all resolved.
    /// A check also waits for the text sources its failure signatures are matched against
    /// (`crate::model::signatures`): the node parts, events, pods and pod logs.
    pub(crate) fn take_ready(&mut self) -> Batch {
        let resolved = &self.resolved;
        let (ready, waiting): (Vec<&'static str>, Vec<&'static str>) =
            self.pending.iter().partition(|id| {
                catalogue::meta(id).is_none_or(|m| {
                    m.inputs.iter().all(|i| resolved.contains(i.as_str()))
                        && SIGNATURE_SOURCES.iter().all(|i| resolved.contains(*i))
                })
            });
        self.pending = waiting;
        self.batch(ready)
    }

    /// Removes and returns every check still pending.
    pub(crate) fn take_rest(&mut self) -> Batch {
        let ids = std::mem::take(&mut self.pending);
        self.batch(ids)
    }

    fn batch(&self, ids: Vec<&'static str>) -> Batch {
        Batch {
            ids,
            selection: self.selection.clone(),
        }
    }
}

/// Runs a batch of checks on the blocking pool and gives the world back when it is done. The
/// engine future (and the TUI, which polls it on its own task) keeps running meanwhile: on a big
/// cluster the checks that read every pod take seconds, and the screen must stay alive and show
/// each of them as it completes. The lists still being read go on in their own tasks.
pub(crate) async fn run_checks(batch: Batch, world: World, tx: &UnboundedSender<Update>) -> World {
    if batch.ids.is_empty() {
        return world;
    }
    let tx = tx.clone();
    let joined = tokio::task::spawn_blocking(move || {
        run_batch(&batch.ids, &batch.selection, &world, &tx);
        world
    })
    .await;
    match joined {
        Ok(world) => world,
        // A check panicked: the engine fails as it did when checks ran on its own task.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled: only when the runtime shuts down, after which nothing is reported.
        Err(_) => World::default(),
    }
}

/// At most this many checks run at once (and never more than the machine has cores).
const MAX_CHECK_THREADS: usize = 8;

/// Runs a batch of checks whose inputs are all there, on up to one thread per core, over one
/// model: checks are pure functions of it, and the indexes a batch needs are built once for all of
/// its checks. Each result is sent as soon as its check finishes.
pub(crate) fn run_batch(
    ids: &[&'static str],
    selection: &Selection,
    world: &World,
    tx: &UnboundedSender<Update>,
) {
    let model = Model::new(world);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_CHECK_THREADS)
        .min(ids.len());
    if threads <= 1 {
        for id in ids {
            let _ = tx.send(Update::Check(checks::run_selected(id, model, selection)));
        }
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let _ = tx.send(Update::Check(checks::run_selected(id, model, selection)));
            });
        }
    });
}
