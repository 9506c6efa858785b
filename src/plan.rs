//! The run plan: what one run reads and checks, decided once from the command line. The engine,
//! the probes, capture and the TUI take a plan, never the command line itself, so they do not
//! depend on how options are spelled.

use crate::checks::Selection;
use crate::cli::Cli;
use crate::probes::ProbeRequest;
use crate::sources::live::LiveOptions;
use crate::sources::nodeapi::NodeDataOptions;
use std::path::PathBuf;
use std::time::Duration;

/// Where the facts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChoice {
    /// The bundle embedded in the binary.
    Demo,
    /// A saved bundle directory.
    Snapshot(PathBuf),
    /// The cluster API (and this machine's node part, when it has one).
    Live,
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub source: SourceChoice,
    pub live: LiveOptions,
    /// `--node`: which Node the local machine is.
    pub node_name: Option<String>,
    /// `--node-root`: read node files from this directory instead of `C:\`.
    pub node_root: Option<PathBuf>,
    pub selection: Selection,
    /// The active probes, when asked for (`--probe`).
    pub probe: Option<ProbeRequest>,
    /// `--refresh`: the TUI reruns this long after each run ends.
    pub refresh: Option<Duration>,
    /// `-n`: report only findings about objects in this namespace (and cluster-wide ones).
    pub namespace: Option<String>,
    /// Node data of every Windows node through the API (on unless `--no-node-data`).
    pub node_data: NodeDataOptions,
    /// The opt-in fleet collection (`windoctor fleet`): HostProcess collector pods.
    pub fleet: Option<crate::fleet::FleetRequest>,
}

/// `--request-timeout 0` (no timeout, as in kubectl): a limit no request reaches.
pub const NO_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

impl RunPlan {
    /// The plan the command line asks for. Errors are usage errors (exit 2) saying what to change.
    pub fn from_cli(cli: &Cli) -> Result<RunPlan, String> {
        let (c, run, scope) = (&cli.connection, cli.run_args(), &cli.scope);
        let r = &run;
        let selection = Selection {
            only: r.only.clone(),
            skip: r.skip.clone(),
        };
        selection.validate()?;
        let probe = ProbeRequest::from_flags(c.probe, c.probe_target.as_deref())?;
        let source = if scope.demo {
            SourceChoice::Demo
        } else if let Some(dir) = &scope.snapshot {
            SourceChoice::Snapshot(dir.clone())
        } else {
            SourceChoice::Live
        };
        Ok(RunPlan {
            source,
            live: LiveOptions {
                kubeconfig: c.kubeconfig.clone(),
                context: c.context.clone(),
                request_timeout: c.request_timeout.0.unwrap_or(NO_TIMEOUT),
                ..Default::default()
            },
            node_name: c.node.clone(),
            node_root: c.node_root.clone(),
            selection,
            probe,
            refresh: r.refresh,
            namespace: scope.namespace.clone(),
            node_data: NodeDataOptions {
                enabled: !c.no_node_data,
                deadline: Duration::from_secs(c.node_data_deadline.max(1)),
                // Node data requests are small: at most 30 s each whatever --request-timeout says.
                request_timeout: c
                    .request_timeout
                    .0
                    .unwrap_or(NO_TIMEOUT)
                    .clamp(Duration::from_secs(1), Duration::from_secs(30)),
                ..Default::default()
            },
            fleet: match &cli.command {
                Some(crate::cli::Command::Fleet(args)) => Some(fleet_request(args, cli)?),
                _ => None,
            },
        })
    }

    /// A plan that runs every check on the embedded demo.
    pub fn demo() -> RunPlan {
        RunPlan {
            source: SourceChoice::Demo,
            live: LiveOptions::default(),
            node_name: None,
            node_root: None,
            selection: Selection::default(),
            probe: None,
            refresh: None,
            namespace: None,
            node_data: NodeDataOptions::default(),
            fleet: None,
        }
    }
}

/// kubectl's answer to a `--context` the kubeconfig does not have, checked before anything is
/// read, so that a typo is a usage error (exit 2) instead of a report of connection errors. The
/// wording is client-go's (`tools/clientcmd`: "context was not found for specified context", "no
/// server found for cluster", "auth info ... does not exist"). Without `--context`, or when no
/// kubeconfig can be read (in-cluster runs), there is nothing to check here.
pub fn check_context(live: &LiveOptions) -> Result<(), String> {
    use kube::config::Kubeconfig;
    let Some(context) = live.context.as_deref() else {
        return Ok(());
    };
    let config = match &live.kubeconfig {
        Some(path) => Kubeconfig::read_from(path)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?,
        None => match Kubeconfig::read() {
            Ok(c) => c,
            Err(_) => return Ok(()),
        },
    };
    let Some(ctx) = config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
    else {
        let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "Error in configuration: context was not found for specified context: {context} (the kubeconfig has: {}; `kubectl config get-contexts` lists them)",
            if known.is_empty() { "no contexts".to_string() } else { known.join(", ") }
        ));
    };
    let cluster = ctx.cluster.as_str();
    if !cluster.is_empty() && !config.clusters.iter().any(|c| c.name == cluster) {
        return Err(format!(
            "Error in configuration: no server found for cluster \"{cluster}\" (named by context \"{context}\")"
        ));
    }
    if let Some(user) = ctx.user.as_deref().filter(|u| !u.is_empty()) {
        if !config.auth_infos.iter().any(|a| a.name == user) {
            return Err(format!(
                "Error in configuration: auth info \"{user}\" does not exist (named by context \"{context}\")"
            ));
        }
    }
    Ok(())
}

/// The fleet collection `windoctor fleet` asks for.
fn fleet_request(
    args: &crate::cli::FleetArgs,
    cli: &Cli,
) -> Result<crate::fleet::FleetRequest, String> {
    if args.namespace.trim().is_empty() {
        return Err("--namespace must name the namespace for the collector pods".to_string());
    }
    let mut req = crate::fleet::FleetRequest::new(args.namespace.trim());
    req.nodes = args
        .nodes
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(image) = &args.collector_image {
        req.collector = crate::fleet::Collector::Image(image.clone());
    }
    req.concurrency = args.concurrency.clamp(1, 64);
    req.node_timeout = Duration::from_secs(args.node_timeout.max(30));
    req.deadline = Duration::from_secs(args.timeout.max(30));
    req.request_timeout = cli.connection.request_timeout.0.unwrap_or(NO_TIMEOUT);
    req.handle_signals = true;
    Ok(req)
}
