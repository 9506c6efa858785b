//! The run engine: gathers inputs and runs each check as soon as the inputs it declares have
//! arrived, streaming progress to a front-end.
//!
//! Offline sources (bundle, demo) deliver every input at once. The live source lists each kind
//! concurrently; as each list finishes (or fails), the engine runs the checks whose declared inputs
//! are all resolved, so the TUI shows checks completing while other lists are still arriving. Headless
//! reports use the same engine and simply wait for the end.

use crate::app::{self, Gathered};
use crate::catalogue;
use crate::checks::{self, CheckResult, Selection};
use crate::cli::Cli;
use crate::facts::{Facts, Input};
use crate::sources::{self, SourceKind};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// What a front-end hears while a run goes on.
#[derive(Debug)]
pub enum Update {
    /// The source being read, e.g. "live: context kind-win (https://127.0.0.1:6443)".
    Source(SourceKind),
    /// An input started being read.
    InputStarted(&'static str),
    /// An input finished: ready with `count` items, or missing/failed with the reason.
    InputDone {
        input: &'static str,
        outcome: InputOutcome,
        elapsed: Duration,
    },
    /// A check finished.
    Check(CheckResult),
    /// Everything is done; the gathered facts are handed over for export and reruns.
    Finished(Box<Gathered>),
    /// The run could not start (configuration error); the string says what to do.
    Fatal(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputOutcome {
    Ready(usize),
    Missing(String),
    Failed(String),
}

/// Puts an arrived list into its fact slot and says how it went.
fn store<T>(slot: &mut Input<Vec<T>>, arrived: Input<Vec<T>>) -> InputOutcome {
    let out = outcome(&arrived);
    *slot = arrived;
    out
}

fn outcome<T>(input: &Input<Vec<T>>) -> InputOutcome {
    match input {
        Input::Ready(v) => InputOutcome::Ready(v.len()),
        Input::Missing(m) => InputOutcome::Missing(m.clone()),
        Input::Failed(e) => InputOutcome::Failed(e.clone()),
    }
}

/// Tracks which inputs are resolved and which selected checks have run.
struct Scheduler {
    pending: Vec<&'static str>,
    resolved: BTreeSet<String>,
}

impl Scheduler {
    fn new(sel: &Selection) -> Self {
        Scheduler {
            pending: sel.ids(),
            resolved: BTreeSet::new(),
        }
    }

    fn resolve(&mut self, input: &str) {
        self.resolved.insert(input.to_string());
    }

    /// Removes from pending and returns every check whose inputs are all resolved.
    fn take_ready(&mut self) -> Vec<&'static str> {
        let resolved = &self.resolved;
        let (ready, waiting): (Vec<&'static str>, Vec<&'static str>) =
            self.pending.iter().partition(|id| {
                catalogue::meta(id)
                    .is_none_or(|m| m.inputs.iter().all(|i| resolved.contains(i.as_str())))
            });
        self.pending = waiting;
        ready
    }

    /// Removes and returns every check still pending.
    fn take_rest(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.pending)
    }
}

/// Runs a batch of checks on the blocking pool and gives the facts back when it is done. The engine
/// future (and the TUI, which polls it on its own task) keeps running meanwhile: on a big cluster the
/// checks that read every pod take seconds, and the screen must stay alive and show each of them as
/// it completes. The lists still being read go on in their own tasks.
async fn run_checks(ids: Vec<&'static str>, facts: Facts, tx: &UnboundedSender<Update>) -> Facts {
    if ids.is_empty() {
        return facts;
    }
    let tx = tx.clone();
    let joined = tokio::task::spawn_blocking(move || {
        run_batch(&ids, &facts, &tx);
        facts
    })
    .await;
    match joined {
        Ok(facts) => facts,
        // A check panicked: the engine fails as it did when checks ran on its own task.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled: only when the runtime shuts down, after which nothing is reported.
        Err(_) => Facts::default(),
    }
}

/// At most this many checks run at once (and never more than the machine has cores).
const MAX_CHECK_THREADS: usize = 8;

/// Runs a batch of checks whose inputs are all there, on up to one thread per core: checks are pure
/// functions of the facts, and on a big cluster the ones that read every pod arrive together when
/// the pod list ends. Each result is sent as soon as its check finishes.
fn run_batch(ids: &[&'static str], facts: &Facts, tx: &UnboundedSender<Update>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_CHECK_THREADS)
        .min(ids.len());
    if threads <= 1 {
        for id in ids {
            let _ = tx.send(Update::Check(checks::run_one(id, facts)));
        }
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let _ = tx.send(Update::Check(checks::run_one(id, facts)));
            });
        }
    });
}

/// Runs the whole pipeline for `cli`, sending updates to `tx`. Returns when every check has run.
pub async fn run(cli: &Cli, sel: &Selection, tx: UnboundedSender<Update>) {
    if cli.demo || cli.snapshot.is_some() {
        let gathered = match app::gather(cli).await {
            Ok(g) => g,
            Err(e) => {
                let _ = tx.send(Update::Fatal(e));
                return;
            }
        };
        let _ = tx.send(Update::Source(gathered.source.clone()));
        let mut gathered = gathered;
        probe_phase(cli, None, &mut gathered.facts, &tx).await;
        let mut scheduler = Scheduler::new(sel);
        let facts = std::mem::take(&mut gathered.facts);
        gathered.facts = run_checks(scheduler.take_rest(), facts, &tx).await;
        let _ = tx.send(Update::Finished(Box::new(gathered)));
        return;
    }
    run_live(cli, sel, tx).await;
}

async fn run_live(cli: &Cli, sel: &Selection, tx: UnboundedSender<Update>) {
    use crate::facts::k8s::{ConfigMap, DaemonSet, Event, Node, Pod, RuntimeClass, Service};
    use sources::live;

    let opts = app::live_options(cli);
    let mut facts = Facts::default();
    let mut scheduler = Scheduler::new(sel);
    // Inputs the live cluster source does not provide are resolved from the start; with --probe,
    // the probe checks wait for the probe phase, which runs once the cluster lists are in.
    scheduler.resolve("logs");
    if !cli.probe {
        scheduler.resolve("probes");
    }
    app::gather_node(cli, &mut facts).await;
    scheduler.resolve("node");

    let conn = match live::connect(&opts).await {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Update::Source(SourceKind::Live {
                context: cli.context.clone(),
                server: None,
            }));
            app::mark_cluster_unreachable(&mut facts, &e);
            for input in [
                "version",
                "nodes",
                "pods",
                "events",
                "services",
                "daemonsets",
                "configmaps",
                "runtimeclasses",
            ] {
                let _ = tx.send(Update::InputDone {
                    input,
                    outcome: InputOutcome::Failed(e.clone()),
                    elapsed: Duration::ZERO,
                });
            }
            app::resolve_local_node(&mut facts, cli.node.as_deref());
            probe_phase(cli, None, &mut facts, &tx).await;
            let facts = run_checks(scheduler.take_rest(), facts, &tx).await;
            let source = SourceKind::Live {
                context: cli.context.clone(),
                server: None,
            };
            let _ = tx.send(Update::Finished(Box::new(Gathered { facts, source })));
            return;
        }
    };
    let _ = tx.send(Update::Source(conn.source.clone()));
    facts.cluster.origin = Some(conn.source.describe());

    /// One finished list, carried back to the scheduler.
    enum Arrived {
        Version(Input<crate::facts::k8s::ServerVersion>),
        Nodes(Input<Vec<Node>>),
        Pods(Input<Vec<Pod>>),
        Events(Input<Vec<Event>>),
        Services(Input<Vec<Service>>),
        DaemonSets(Input<Vec<DaemonSet>>),
        ConfigMaps(Input<Vec<ConfigMap>>),
        RuntimeClasses(Input<Vec<RuntimeClass>>),
    }

    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for input in [
        "version",
        "nodes",
        "pods",
        "events",
        "services",
        "daemonsets",
        "configmaps",
        "runtimeclasses",
    ] {
        let _ = tx.send(Update::InputStarted(input));
    }
    {
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move { Arrived::Version(live::read_version(&c, &o).await) });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::Nodes(live::list_input(&c, "/api/v1/nodes", "", "nodes", &o).await)
        });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::Pods(live::list_input(&c, "/api/v1/pods", "", "pods", &o).await)
        });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::Events(
                live::list_input(&c, "/api/v1/events", live::WARNING_EVENTS, "events", &o).await,
            )
        });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::Services(live::list_input(&c, "/api/v1/services", "", "services", &o).await)
        });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::DaemonSets(
                live::list_input(&c, "/apis/apps/v1/daemonsets", "", "daemonsets", &o).await,
            )
        });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move { Arrived::ConfigMaps(live::configmaps(&c, &o).await) });
        let (c, o) = (conn.client.clone(), opts.clone());
        set.spawn(async move {
            Arrived::RuntimeClasses(
                live::list_input(
                    &c,
                    "/apis/node.k8s.io/v1/runtimeclasses",
                    "",
                    "runtimeclasses",
                    &o,
                )
                .await,
            )
        });
    }
    while let Some(joined) = set.join_next().await {
        let Ok(arrived) = joined else { continue };
        let elapsed = started.elapsed();
        let c = &mut facts.cluster;
        let (input, out) = match arrived {
            Arrived::Version(v) => {
                let out = match &v {
                    Input::Ready(_) => InputOutcome::Ready(1),
                    Input::Missing(m) => InputOutcome::Missing(m.clone()),
                    Input::Failed(e) => InputOutcome::Failed(e.clone()),
                };
                c.version = v;
                ("version", out)
            }
            Arrived::Nodes(v) => {
                let out = store(&mut c.nodes, v);
                app::resolve_local_node(&mut facts, cli.node.as_deref());
                ("nodes", out)
            }
            Arrived::Pods(v) => ("pods", store(&mut c.pods, v)),
            Arrived::Events(v) => ("events", store(&mut c.events, v)),
            Arrived::Services(v) => ("services", store(&mut c.services, v)),
            Arrived::DaemonSets(v) => ("daemonsets", store(&mut c.daemonsets, v)),
            Arrived::ConfigMaps(v) => ("configmaps", store(&mut c.configmaps, v)),
            Arrived::RuntimeClasses(v) => ("runtimeclasses", store(&mut c.runtimeclasses, v)),
        };
        let _ = tx.send(Update::InputDone {
            input,
            outcome: out,
            elapsed,
        });
        scheduler.resolve(input);
        facts = run_checks(scheduler.take_ready(), facts, &tx).await;
    }
    let server = match &conn.source {
        SourceKind::Live { server, .. } => server.clone(),
        _ => None,
    };
    probe_phase(cli, server.as_deref(), &mut facts, &tx).await;
    let facts = run_checks(scheduler.take_rest(), facts, &tx).await;
    let _ = tx.send(Update::Finished(Box::new(Gathered {
        facts,
        source: conn.source,
    })));
}

/// Runs the active probes when `--probe` was given (never otherwise), reporting them as the input
/// `probes`. `server` is the API server URL of a live run, suggested as a target when none was given.
async fn probe_phase(
    cli: &Cli,
    server: Option<&str>,
    facts: &mut Facts,
    tx: &UnboundedSender<Update>,
) {
    use crate::probes::{self, ProbeConfig, ProbeRequest};
    let mut request = match ProbeRequest::from_cli(cli) {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            facts.probes.requested = true;
            facts.probes.results = Input::Failed(e);
            return;
        }
    };
    request.suggested_target = server.and_then(probes::server_target);
    let _ = tx.send(Update::InputStarted("probes"));
    let started = Instant::now();
    facts.probes = probes::run_phase(&request, facts, &ProbeConfig::default()).await;
    let outcome = match &facts.probes.results {
        Input::Ready(r) => InputOutcome::Ready(r.count()),
        Input::Missing(m) => InputOutcome::Missing(m.clone()),
        Input::Failed(e) => InputOutcome::Failed(e.clone()),
    };
    let _ = tx.send(Update::InputDone {
        input: "probes",
        outcome,
        elapsed: started.elapsed(),
    });
}

/// Runs the engine to the end and returns all findings in catalogue order plus the gathered facts.
pub async fn run_to_end(
    cli: &Cli,
    sel: &Selection,
) -> Result<(Vec<crate::findings::Finding>, Gathered), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = run(cli, sel, tx);
    // `WINDOCTOR_TIMINGS=1`: when each input arrived and how long each check took, on stderr.
    let timings = std::env::var_os("WINDOCTOR_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
    let started = Instant::now();
    let collect = async {
        let mut results: Vec<CheckResult> = Vec::new();
        let mut gathered = None;
        let mut fatal = None;
        while let Some(u) = rx.recv().await {
            match u {
                Update::InputDone {
                    input,
                    outcome,
                    elapsed,
                } if timings => {
                    eprintln!(
                        "windoctor: timing: input {input} done after {:.3} s: {outcome:?}",
                        elapsed.as_secs_f64()
                    );
                }
                Update::Check(r) => {
                    if timings {
                        eprintln!(
                            "windoctor: timing: check {} took {:.1} ms (done at {:.3} s)",
                            r.id,
                            r.elapsed.as_secs_f64() * 1000.0,
                            started.elapsed().as_secs_f64()
                        );
                    }
                    results.push(r)
                }
                Update::Finished(g) => gathered = Some(*g),
                Update::Fatal(e) => fatal = Some(e),
                _ => {}
            }
        }
        (results, gathered, fatal)
    };
    let ((), (mut results, gathered, fatal)) = tokio::join!(engine, collect);
    if let Some(e) = fatal {
        return Err(e);
    }
    let gathered = gathered.ok_or_else(|| "the run ended without results".to_string())?;
    results.sort_by_key(|r| catalogue::CHECK_IDS.iter().position(|id| *id == r.id));
    Ok((
        results.into_iter().flat_map(|r| r.findings).collect(),
        gathered,
    ))
}
