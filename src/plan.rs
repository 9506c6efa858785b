//! The run plan: what one run reads and checks, decided once from the command line. The engine,
//! the probes, capture and the TUI take a plan, never the command line itself, so they do not
//! depend on how options are spelled.

use crate::checks::Selection;
use crate::cli::Cli;
use crate::probes::ProbeRequest;
use crate::sources::live::LiveOptions;
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
            refresh: cli.refresh,
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
        }
    }
}
