//! The run engine: gathers inputs and runs each check as soon as the inputs it declares have
//! arrived, streaming progress to a front-end.
//!
//! Offline sources (bundle, demo) deliver every input at once. The live source reads each cluster
//! input of the input table (`crate::inputs`) concurrently; as each finishes (or fails), the engine
//! stores it in the world and runs the checks whose declared inputs are all resolved, so the TUI
//! shows checks completing while other lists are still arriving. Headless reports use the same
//! engine and simply wait for the end.

mod ahead;
mod gather;
mod schedule;

use crate::catalogue;
use crate::checks::CheckResult;
use crate::facts::inputs::CLUSTER_INPUTS;
use crate::facts::{Facts, Input, InputOutcome};
use crate::findings::Finding;
use crate::model::World;
use crate::plan::RunPlan;
use crate::sources::{self, SourceKind};
use schedule::{run_checks, Scheduler};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// What a run gathered and where it came from: handed to the front-end at the end, for the
/// report's environment, exports and reruns.
#[derive(Debug)]
pub struct Gathered {
    pub world: World,
    pub source: SourceKind,
}

impl Gathered {
    /// True when anything the checks judge could be read: a cluster list (`/version` alone only
    /// says a server answered), an input of the node part, or probe results.
    pub fn evaluated_anything(&self) -> bool {
        let f = &self.world.facts;
        f.cluster.any_list_ready()
            || f.node.any_ready()
            || f.remote_nodes.iter().any(|n| n.any_ready())
            || f.probes.results.is_ready()
    }

    /// Runs one check again on what was gathered.
    pub fn rerun(&self, id: &str) -> CheckResult {
        crate::checks::run_one(id, crate::model::Model::new(&self.world))
    }

    /// The environment of the run, for reports and headers.
    pub fn environment(&self) -> crate::model::environment::EnvironmentSummary {
        crate::model::Model::new(&self.world).environment()
    }

    /// The Node name the local machine was matched to.
    pub fn local_node_name(&self) -> Option<&str> {
        self.world.facts.local_node_name.as_deref()
    }
}

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
    /// Everything is done; what was gathered is handed over for export and reruns.
    Finished(Box<Gathered>),
    /// The run could not start (configuration error); the string says what to do.
    Fatal(String),
}

/// Runs the whole pipeline for `plan`, sending updates to `tx`. Returns when every check has run.
pub async fn run(plan: &RunPlan, tx: UnboundedSender<Update>) {
    match gather::offline(plan) {
        Err(e) => {
            let _ = tx.send(Update::Fatal(e));
        }
        Ok(Some((mut facts, source))) => {
            compile_signatures_aside();
            let _ = tx.send(Update::Source(source.clone()));
            crate::model::resolve_local_node(&mut facts, plan.node_name.as_deref());
            probe_phase(plan, None, &mut facts, &tx).await;
            let mut scheduler = Scheduler::new(&plan.selection);
            let world = run_checks(scheduler.take_rest(), World::new(facts), &tx).await;
            let _ = tx.send(Update::Finished(Box::new(Gathered { world, source })));
        }
        Ok(None) => run_live(plan, tx).await,
    }
}

async fn run_live(plan: &RunPlan, tx: UnboundedSender<Update>) {
    let mut facts = Facts::default();
    let mut scheduler = Scheduler::new(&plan.selection);
    // Inputs the live cluster source does not provide are resolved from the start; with --probe,
    // the probe checks wait for the probe phase, which runs once the cluster lists are in.
    scheduler.resolve("logs");
    if plan.probe.is_none() {
        scheduler.resolve("probes");
    }
    gather::node_part(plan, &mut facts).await;
    // With node data through the API (or a fleet collection), the node checks wait for it (it
    // starts once the nodes and pods are in); without it, the local part is all there is.
    if !plan.node_data.enabled && plan.fleet.is_none() {
        scheduler.resolve("node");
    }

    let conn = match sources::live::connect(&plan.live).await {
        Ok(c) => c,
        Err(e) => {
            let source = SourceKind::Live {
                context: plan.live.context.clone(),
                server: None,
            };
            let _ = tx.send(Update::Source(source.clone()));
            facts.cluster.origin = Some("no cluster".to_string());
            facts
                .cluster
                .fail_all(&format!("no cluster connection: {e}"));
            for input in CLUSTER_INPUTS {
                let _ = tx.send(Update::InputDone {
                    input: input.name,
                    outcome: InputOutcome::Failed(e.clone()),
                    elapsed: Duration::ZERO,
                });
            }
            crate::model::resolve_local_node(&mut facts, plan.node_name.as_deref());
            probe_phase(plan, None, &mut facts, &tx).await;
            let world = run_checks(scheduler.take_rest(), World::new(facts), &tx).await;
            let _ = tx.send(Update::Finished(Box::new(Gathered { world, source })));
            return;
        }
    };
    let _ = tx.send(Update::Source(conn.source.clone()));
    facts.cluster.origin = Some(conn.source.describe());
    let mut world = World::new(facts);

    let started = Instant::now();
    let mut set: tokio::task::JoinSet<Arrived> = tokio::task::JoinSet::new();
    for input in CLUSTER_INPUTS {
        let _ = tx.send(Update::InputStarted(input.name));
    }
    let (mut ctx, sieve) = sources::live::FetchContext::with_sieve();
    let mut sieve = Some(sieve);
    let (table_ahead, mut pod_table) = ahead::PodTableAhead::new();
    ctx.pod_watcher = Some(Box::new(table_ahead));
    let mut signatures_compiling = false;
    let mut events_matching = false;
    for read in sources::live::fetch_all(&conn.client, &plan.live, &mut ctx) {
        set.spawn(async move { Arrived::Cluster(read.await) });
    }
    let mut node_data = NodeDataPhase::new(plan);
    while let Some(joined) = set.join_next().await {
        let Ok(arrived) = joined else { continue };
        let elapsed = started.elapsed();
        match arrived {
            Arrived::Cluster(arrived) => {
                let (input, outcome) = world.store(arrived);
                if input == "pods" {
                    if let Ok(table) = pod_table.try_recv() {
                        world.store_pod_table(table);
                    }
                }
                if input == "nodes" {
                    crate::model::resolve_local_node(&mut world.facts, plan.node_name.as_deref());
                }
                if matches!(input, "nodes" | "services") {
                    send_sieve(&mut sieve, &world.facts.cluster);
                    if sieve.is_none() && !signatures_compiling {
                        // Not before: until the Nodes and Services are in, the pods wait for
                        // them, and the compiling would slow them down.
                        compile_signatures_aside();
                        signatures_compiling = true;
                    }
                }
                if signatures_compiling && !events_matching && world.facts.cluster.events.is_ready()
                {
                    // The events are in long before the pods: their messages are matched while
                    // the pods are read, and the hits only look them up.
                    events_matching = true;
                    let (generation, lines) = world.event_lines();
                    set.spawn(async move {
                        let matched = tokio::task::spawn_blocking(move || {
                            crate::model::signatures::match_events(&lines)
                        })
                        .await;
                        Arrived::EventSignatures(generation, matched.ok())
                    });
                }
                let _ = tx.send(Update::InputDone {
                    input,
                    outcome,
                    elapsed,
                });
                scheduler.resolve(input);
                node_data.note_arrived(input);
                if let Some(phase) = node_data.start(&conn.client, &world.facts, plan) {
                    let _ = tx.send(Update::InputStarted("node"));
                    set.spawn(phase);
                }
            }
            Arrived::EventSignatures(generation, matched) => {
                if let Some(matched) = matched {
                    world.store_event_signatures(generation, matched);
                }
            }
            Arrived::NodeData(parts) => {
                let count = parts.len();
                world.store_remote_nodes(parts);
                let _ = tx.send(Update::InputDone {
                    input: "node",
                    outcome: InputOutcome::Ready(count),
                    elapsed,
                });
                scheduler.resolve("node");
            }
        }
        world = run_checks(scheduler.take_ready(), world, &tx).await;
    }
    let server = match &conn.source {
        SourceKind::Live { server, .. } => server.clone(),
        _ => None,
    };
    probe_phase(plan, server.as_deref(), &mut world.facts, &tx).await;
    let world = run_checks(scheduler.take_rest(), world, &tx).await;
    let _ = tx.send(Update::Finished(Box::new(Gathered {
        world,
        source: conn.source,
    })));
}

/// Compiles the signature library (a few hundred regexes) on a thread of its own while inputs are
/// still being read, instead of in the first check that scans texts once they are all in.
fn compile_signatures_aside() {
    std::thread::spawn(crate::catalogue::signatures::library);
}

/// Sends the pod list its sieve once the Nodes and the Services are both resolved (ready or not):
/// pods are parsed only then, and only their Windows share is kept whole (`facts::share`).
fn send_sieve(
    sieve: &mut Option<sources::live::SieveSender>,
    cluster: &crate::facts::ClusterFacts,
) {
    let resolved = |i: &Input<_>| !matches!(i, Input::Missing(m) if m == "input not collected");
    let services_resolved =
        !matches!(&cluster.services, Input::Missing(m) if m == "input not collected");
    if !resolved(&cluster.nodes) || !services_resolved {
        return;
    }
    if let Some(tx) = sieve.take() {
        let made = cluster.nodes.ready().map(|nodes| {
            crate::facts::share::PodSieve::new(nodes, cluster.services.ready().map(Vec::as_slice))
        });
        let _ = tx.send(made);
    }
}

/// What the live run's tasks hand back: a cluster input, the node parts read through the API, or
/// the events' signatures matched ahead.
enum Arrived {
    Cluster(crate::facts::cluster::ClusterInput),
    NodeData(Vec<crate::facts::NodeFacts>),
    /// The events' signatures matched ahead, for the events list of that generation (`None`
    /// when the matching failed: the hits then match the events themselves).
    EventSignatures(u64, Option<crate::model::signatures::EventSignatures>),
}

/// The node-data phase of a live run: starts once the nodes and pods are in (it needs both to
/// know the Windows nodes and their system pods), at most once.
struct NodeDataPhase {
    enabled: bool,
    nodes: bool,
    pods: bool,
    started: bool,
}

impl NodeDataPhase {
    fn new(plan: &RunPlan) -> Self {
        NodeDataPhase {
            enabled: plan.node_data.enabled || plan.fleet.is_some(),
            nodes: false,
            pods: false,
            started: false,
        }
    }

    fn note_arrived(&mut self, input: &str) {
        match input {
            "nodes" => self.nodes = true,
            "pods" => self.pods = true,
            _ => {}
        }
    }

    /// The phase's future, the first time both inputs are in.
    fn start(
        &mut self,
        client: &kube::Client,
        facts: &Facts,
        plan: &RunPlan,
    ) -> Option<impl std::future::Future<Output = Arrived> + Send + 'static> {
        if !self.enabled || self.started || !self.nodes || !self.pods {
            return None;
        }
        self.started = true;
        let opts = plan.node_data.clone();
        let fleet = plan.fleet.clone();
        let plans = sources::nodeapi::plan_nodes(facts, opts.pods_per_node);
        let client = client.clone();
        Some(async move {
            let parts = crate::fleet::node_parts(&client, plans, &opts, fleet.as_ref()).await;
            // Parsing a thousand parts is CPU work: off the async workers.
            let facts = tokio::task::spawn_blocking(move || {
                parts
                    .iter()
                    .map(sources::nodeapi::read_api_part)
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            Arrived::NodeData(facts)
        })
    }
}

/// Runs the active probes when the plan asks for them (never otherwise), reporting them as the
/// input `probes`. `server` is the API server URL of a live run, suggested as a target when none
/// was given.
async fn probe_phase(
    plan: &RunPlan,
    server: Option<&str>,
    facts: &mut Facts,
    tx: &UnboundedSender<Update>,
) {
    use crate::probes::{self, ProbeConfig};
    let Some(mut request) = plan.probe.clone() else {
        return;
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

/// Runs the engine to the end and returns all findings in catalogue order plus what was gathered.
pub async fn run_to_end(plan: &RunPlan) -> Result<(Vec<Finding>, Gathered), String> {
    run_to_end_with(plan, |_| {}).await
}

/// [`run_to_end`], showing every update to `progress` as it arrives (headless progress lines).
pub async fn run_to_end_with(
    plan: &RunPlan,
    mut progress: impl FnMut(&Update),
) -> Result<(Vec<Finding>, Gathered), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = run(plan, tx);
    // `WINDOCTOR_TIMINGS=1`: when each input arrived and how long each check took, on stderr.
    let timings = crate::clock::timings_wanted();
    let started = Instant::now();
    let collect = async {
        let mut results: Vec<CheckResult> = Vec::new();
        let mut gathered = None;
        let mut fatal = None;
        while let Some(u) = rx.recv().await {
            progress(&u);
            match u {
                Update::InputDone {
                    input,
                    outcome,
                    elapsed,
                } if timings => {
                    crate::safe_eprintln!(
                        "windoctor: timing: input {input} done after {:.3} s: {outcome:?}",
                        elapsed.as_secs_f64()
                    );
                }
                Update::Check(r) => {
                    if timings {
                        crate::safe_eprintln!(
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
