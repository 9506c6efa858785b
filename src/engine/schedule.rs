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
///
/// Every check ends with its failure-signature findings, which need the run's signature hits
/// (`Model::cluster_signature_hits`, matched once). With several threads, the first matches them
/// before it takes a check, and a thread whose check is done with its own work before the hits are
/// there sets it aside and goes on with the next one; the checks set aside are finished when no
/// check is left to start. So no thread waits for the hits while a check could run.
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
    let send = |started: checks::Started| {
        let _ = tx.send(Update::Check(selection.filter(checks::finish(started))));
    };
    if threads <= 1 {
        for id in ids {
            send(checks::start(id, model));
        }
        return;
    }
    // The checks that read the pods take the longest on a big cluster (the rest read nodes,
    // Services and node data): they are taken first, so that a batch does not end with one of
    // them running alone while the other threads have nothing left to take.
    let mut ids = ids.to_vec();
    ids.sort_by_key(|id| !reads_pods(id));
    let ids = ids.as_slice();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (next, send) = (&next, &send);
            scope.spawn(move || {
                if thread == 0 {
                    model.cluster_signature_hits();
                }
                let mut set_aside = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(id) = ids.get(i) else { break };
                    let started = checks::start(id, model);
                    if model.has_cluster_signature_hits() {
                        send(started);
                    } else {
                        set_aside.push(started);
                    }
                }
                set_aside.into_iter().for_each(send);
            });
        }
    });
}

/// Whether check `id` declares the pods among its inputs.
fn reads_pods(id: &str) -> bool {
    catalogue::meta(id).is_some_and(|m| m.inputs.iter().any(|i| i == "pods"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;

    /// The findings of a batch run on this machine's threads (checks set aside while the
    /// signature hits are matched), in catalogue order.
    fn batch_findings(world: &World) -> Vec<Finding> {
        let selection = Selection::default();
        let ids = selection.ids();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        run_batch(&ids, &selection, world, &tx);
        drop(tx);
        let mut results = Vec::new();
        while let Ok(Update::Check(r)) = rx.try_recv() {
            results.push(r);
        }
        assert_eq!(results.len(), ids.len(), "every check reports once");
        results.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        results.into_iter().flat_map(|r| r.findings).collect()
    }

    /// A batch gives the findings the checks give run one after the other on a fresh world,
    /// whichever thread matched the signature hits and whichever checks were set aside for them.
    #[test]
    fn a_batch_on_threads_gives_the_findings_of_the_checks_run_one_by_one() {
        // Each bundle is read twice: one world for each way of running the checks.
        type Read = Box<dyn Fn() -> crate::facts::Facts>;
        let mut sources: Vec<(String, Read)> =
            vec![("demo".to_string(), Box::new(crate::sources::demo::facts))];
        let bundles = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles");
        for entry in std::fs::read_dir(&bundles)
            .expect("tests/bundles")
            .flatten()
        {
            let path = entry.path();
            if crate::sources::files::DirStore::open(&path).is_ok() {
                let name = entry.file_name().to_string_lossy().into_owned();
                sources.push((
                    name,
                    Box::new(move || match crate::sources::files::DirStore::open(&path) {
                        Ok(store) => crate::sources::bundle::read_bundle(&store),
                        Err(e) => panic!("{}: {e}", path.display()),
                    }),
                ));
            }
        }
        assert!(sources.len() > 10, "only {} bundles", sources.len());
        let mut with_signatures = 0;
        for (name, read) in sources {
            let one_by_one = checks::run_all(&World::new(read()), &Selection::default());
            let world = World::new(read());
            let batched = batch_findings(&world);
            if !Model::new(&world).cluster_signature_hits().is_empty() {
                with_signatures += 1;
            }
            let show = |f: &[Finding]| format!("{f:#?}");
            assert_eq!(show(&batched), show(&one_by_one), "{name}");
        }
        assert!(with_signatures > 0, "no bundle has signature hits");
    }
}
