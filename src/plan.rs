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
    /// Node data of every Windows node through the API (on unless `--no-node-data`).
    pub node_data: NodeDataOptions,
    /// The opt-in fleet collection (`windoctor fleet`): HostProcess collector pods.
    pub fleet: Option<crate::fleet::FleetRequest>,
}

impl RunPlan {
    /// The plan the command line asks for. Errors are usage errors (exit 2) saying what to change.
    pub fn from_cli(cli: &Cli) -> Result<RunPlan, String> {
        let selection = Selection {
            only: cli.only.clone(),
            skip: cli.skip.clone(),
        };
        selection.validate()?;
        let probe = ProbeRequest::from_flags(cli.probe, cli.probe_target.as_deref())?;
        let source = if cli.demo {
            SourceChoice::Demo
        } else if let Some(dir) = &cli.snapshot {
            SourceChoice::Snapshot(dir.clone())
        } else {
            SourceChoice::Live
        };
        Ok(RunPlan {
            source,
            live: LiveOptions {
                kubeconfig: cli.kubeconfig.clone(),
                context: cli.context.clone(),
                request_timeout: Duration::from_secs(cli.request_timeout.max(1)),
                ..Default::default()
            },
            node_name: cli.node.clone(),
            node_root: cli.node_root.clone(),
            selection,
            probe,
            node_data: NodeDataOptions {
                enabled: !cli.no_node_data,
                deadline: Duration::from_secs(cli.node_data_deadline.max(1)),
                request_timeout: Duration::from_secs(cli.request_timeout.clamp(1, 30)),
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
            node_data: NodeDataOptions::default(),
            fleet: None,
        }
    }
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
    req.request_timeout = Duration::from_secs(cli.request_timeout.max(1));
    req.handle_signals = true;
    Ok(req)
}
