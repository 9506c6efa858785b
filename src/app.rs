//! The application flow shared by every front-end: choose the source from the command line, gather
//! facts, run the selected checks, and turn findings into a report and an exit code.

use crate::checks::Selection;
use crate::cli::{Cli, Command};
use crate::facts::cluster::same_host;
use crate::facts::Facts;
use crate::findings::Finding;
use crate::report::{self, Report};
use crate::sources::{self, SourceKind};
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_NOTHING_EVALUATED: i32 = 3;

/// Gathered facts and where they came from.
#[derive(Debug)]
pub struct Gathered {
    pub facts: Facts,
    pub source: SourceKind,
}

pub fn selection(cli: &Cli) -> Result<Selection, String> {
    let sel = Selection {
        only: cli.only.clone(),
        skip: cli.skip.clone(),
    };
    sel.validate()?;
    Ok(sel)
}

pub fn live_options(cli: &Cli) -> sources::live::LiveOptions {
    sources::live::LiveOptions {
        kubeconfig: cli.kubeconfig.clone(),
        context: cli.context.clone(),
        request_timeout: Duration::from_secs(cli.request_timeout.max(1)),
        ..Default::default()
    }
}

/// Reads the facts the command line asks for. Errors are configuration errors (exit 2).
pub async fn gather(cli: &Cli) -> Result<Gathered, String> {
    let mut gathered = if cli.demo {
        Gathered {
            facts: sources::demo::facts(),
            source: SourceKind::Demo,
        }
    } else if let Some(dir) = &cli.snapshot {
        let store = sources::files::DirStore::open(dir)?;
        Gathered {
            facts: sources::bundle::read_bundle(&store),
            source: SourceKind::Snapshot {
                path: dir.display().to_string(),
            },
        }
    } else {
        let opts = live_options(cli);
        let mut facts = Facts::default();
        let source = match sources::live::connect(&opts).await {
            Ok(conn) => {
                facts.cluster = sources::live::collect_cluster(&conn, &opts).await;
                conn.source
            }
            Err(e) => {
                eprintln!("windoctor: {e}");
                facts.cluster.origin = Some("no cluster".to_string());
                mark_cluster_unreachable(&mut facts, &e);
                SourceKind::Live {
                    context: cli.context.clone(),
                    server: None,
                }
            }
        };
        Gathered { facts, source }
    };
    resolve_local_node(&mut gathered.facts, cli.node.as_deref());
    Ok(gathered)
}

pub fn mark_cluster_unreachable(facts: &mut Facts, why: &str) {
    use crate::facts::Input;
    let c = &mut facts.cluster;
    let failed = || format!("no cluster connection: {why}");
    c.version = Input::Failed(failed());
    c.nodes = Input::Failed(failed());
    c.pods = Input::Failed(failed());
    c.events = Input::Failed(failed());
    c.services = Input::Failed(failed());
    c.daemonsets = Input::Failed(failed());
    c.configmaps = Input::Failed(failed());
    c.runtimeclasses = Input::Failed(failed());
}

/// Collects the local node part for a live run (on a Windows node, or from `--node-root`). Without
/// either, the node part stays absent and node checks report `skip`.
pub async fn gather_node(_cli: &Cli, _facts: &mut Facts) {}

/// Decides which Node the local machine is: `--node`, else the node part's own record, else the
/// hostname matched against Node names (case-insensitive, FQDN or short).
pub fn resolve_local_node(facts: &mut Facts, cli_node: Option<&str>) {
    if let Some(n) = cli_node {
        facts.local_node_name = Some(n.to_string());
        return;
    }
    let hostname = facts.node.hostname.ready().cloned();
    let Some(nodes) = facts.cluster.nodes.ready() else {
        return;
    };
    let recorded = facts.local_node_name.clone();
    for candidate in recorded.iter().chain(hostname.iter()) {
        if let Some(n) = nodes
            .iter()
            .find(|n| n.metadata.name == *candidate)
            .or_else(|| {
                nodes
                    .iter()
                    .find(|n| same_host(&n.metadata.name, candidate))
            })
        {
            facts.local_node_name = Some(n.metadata.name.clone());
            return;
        }
    }
}

/// The exit code for a set of findings (SPEC section 2).
pub fn exit_code(facts: &Facts, findings: &[Finding], threshold: Option<u8>) -> i32 {
    if !facts.cluster.any_ready() && !facts.node.present && !facts.probes.results.is_ready() {
        return EXIT_NOTHING_EVALUATED;
    }
    match threshold {
        Some(t)
            if findings
                .iter()
                .any(|f| f.status.severity() >= t && f.status.severity() > 0) =>
        {
            EXIT_FINDINGS
        }
        _ => EXIT_OK,
    }
}

pub fn build_report(g: &Gathered, findings: Vec<Finding>) -> Report {
    report::build(&g.facts, &g.source, findings, report::now_rfc3339())
}

/// Entry point after argument parsing. Returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("windoctor: cannot start the async runtime: {e}");
            return EXIT_USAGE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> i32 {
    let sel = match selection(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    if let Err(e) = crate::probes::ProbeRequest::from_cli(&cli) {
        eprintln!("windoctor: {e}");
        return EXIT_USAGE;
    }
    if let Some(Command::Capture { dir }) = &cli.command {
        return crate::capture::run(&cli, dir).await;
    }
    let interactive = cli.report.is_none() && std::io::stdout().is_terminal();
    if interactive {
        return crate::tui::run(&cli, sel).await;
    }
    let format = match cli.report {
        Some(f) => f,
        None => {
            eprintln!("windoctor: stdout is not a terminal, so printing the text report instead of opening the TUI (use --report json|markdown|text to choose)");
            report::ReportFormat::Text
        }
    };
    let (findings, gathered) = match crate::engine::run_to_end(&cli, &sel).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    let code = exit_code(&gathered.facts, &findings, cli.fail_on.threshold());
    let report = build_report(&gathered, findings);
    let text = format.render(&report);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("windoctor: cannot write the report: {e}");
        }
    }
    if code == EXIT_NOTHING_EVALUATED {
        if let crate::facts::Input::Failed(why) = &gathered.facts.cluster.version {
            eprintln!("windoctor: {why}");
        }
        eprintln!("windoctor: nothing could be evaluated: no cluster was reachable and no node data was found");
    }
    code
}
