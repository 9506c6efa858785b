//! The top of the program: turns the command line into a run plan and hands it to the front-end it
//! asks for (capture, the TUI, a headless report, completions or the man page). Nothing else
//! lives here.

use crate::cli::{Cli, Command};
use crate::exit::{EXIT_NOTHING_EVALUATED, EXIT_OK, EXIT_USAGE};
use crate::plan::RunPlan;
use crate::report;
use std::io::{IsTerminal, Write};

/// Entry point after argument parsing. Returns the process exit code.
pub fn main_with(cli: Cli, argv0: Option<&str>) -> i32 {
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = crate::cli::command_for(argv0);
            let name = cmd.get_bin_name().unwrap_or("windoctor").replace(' ', "-");
            clap_complete::generate(*shell, &mut cmd, name, &mut std::io::stdout());
            return EXIT_OK;
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(crate::cli::command_for(argv0));
            return match man.render(&mut std::io::stdout()) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    crate::safe_eprintln!("windoctor: cannot write the man page: {e}");
                    EXIT_USAGE
                }
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            crate::safe_eprintln!("windoctor: cannot start the async runtime: {e}");
            return EXIT_USAGE;
        }
    };
    let code = runtime.block_on(run(cli));
    // Work still blocked (a kubeconfig credential plugin that hangs past --request-timeout, a read
    // of a stuck file) must not hold the exit: everything the run reports is already out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

async fn run(cli: Cli) -> i32 {
    let plan = match RunPlan::from_cli(&cli) {
        Ok(p) => p,
        Err(e) => {
            crate::safe_eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    if plan.source == crate::plan::SourceChoice::Live {
        if let Err(e) = crate::plan::check_context(&plan.live) {
            crate::safe_eprintln!("{e}");
            return EXIT_USAGE;
        }
    }
    if let Some(Command::Capture { path, full }) = &cli.command {
        let scope = if *full {
            crate::commands::capture::Scope::Full
        } else {
            crate::commands::capture::Scope::WindowsShare
        };
        return crate::commands::capture::run(&plan, path.as_deref(), scope).await;
    }
    if let Some(Command::NodePayload) = &cli.command {
        return crate::commands::fleet::node_payload(cli.connection.node.as_deref());
    }
    if let Some(Command::Fleet(args)) = &cli.command {
        if let Some(code) = crate::commands::fleet::before_run(&plan, args).await {
            return code;
        }
    }
    let run_args = cli.run_args();
    let threshold = run_args.fail_on.threshold();
    let interactive =
        run_args.report.is_none() && run_args.output.is_none() && std::io::stdout().is_terminal();
    if interactive {
        let code = crate::tui::run(&plan, threshold).await;
        crate::commands::fleet::after_run(&plan).await;
        return code;
    }
    let format = match run_args.report {
        Some(f) => f,
        None if run_args.output.is_some() => report::ReportFormat::Json,
        None => {
            crate::safe_eprintln!("windoctor: stdout is not a terminal, so printing the text report instead of opening the TUI (use --report json|markdown|text|junit|sarif to choose)");
            report::ReportFormat::Text
        }
    };
    let options = report::RenderOptions {
        verbose: run_args.verbose,
        threshold,
    };
    let silence = match &run_args.silence {
        None => None,
        Some(path) => match crate::silence::Silence::load(path, &crate::silence::today()) {
            Ok(s) => {
                for e in &s.expired {
                    crate::safe_eprintln!("windoctor: {}: {e}", path.display());
                }
                Some(s)
            }
            Err(e) => {
                crate::safe_eprintln!("windoctor: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let mut plan = plan;
    plan.node_data.progress = std::io::stderr().is_terminal();
    let code = headless(
        &plan,
        format,
        options,
        run_args.output.as_deref(),
        silence.as_ref(),
    )
    .await;
    crate::commands::fleet::after_run(&plan).await;
    code
}

/// Runs every check to the end and prints the report on stdout, or writes it to `output`.
async fn headless(
    plan: &RunPlan,
    format: report::ReportFormat,
    options: report::RenderOptions,
    output: Option<&std::path::Path>,
    silence: Option<&crate::silence::Silence>,
) -> i32 {
    let mut progress = crate::progress::Progress::new(plan.selection.ids().len());
    let ran = crate::engine::run_to_end_with(plan, |u| progress.update(u)).await;
    progress.finish();
    let (findings, gathered) = match ran {
        Ok(r) => r,
        Err(e) => {
            crate::safe_eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    if let Err(e) = check_node_name(plan, &gathered) {
        crate::safe_eprintln!("windoctor: {e}");
        return EXIT_USAGE;
    }
    let mut findings = scope_to_namespace(findings, plan.namespace.as_deref());
    if let Some(silence) = silence {
        silence.apply(&mut findings);
    }
    let code = crate::exit::code(gathered.evaluated_anything(), &findings, options.threshold);
    // `WINDOCTOR_TIMINGS=1`: how long building (and redacting) and writing the report took.
    let timings = crate::clock::timings_wanted();
    let building = std::time::Instant::now();
    let report = report::build(
        &gathered.environment(),
        &gathered.source,
        &findings,
        crate::clock::now_rfc3339(),
    );
    if timings {
        crate::safe_eprintln!(
            "windoctor: timing: report of {} findings built in {:.1} ms",
            report.findings.len(),
            building.elapsed().as_secs_f64() * 1000.0
        );
    }
    // What the end of the run still says about the inputs.
    let evaluated_anything = gathered.evaluated_anything();
    let version = &gathered.world.facts.cluster.version;
    let version_read = version.is_ready();
    let version_failure = match version {
        crate::facts::Input::Failed(why) => Some(why.clone()),
        _ => None,
    };
    // The facts (on a big cluster, most of the run's memory) are not freed one by one: the process
    // ends once the report is written, and freeing 150,000 pods took a fifth of a second. Nothing
    // in them cleans up on drop. The report is written as it is serialized, so it adds little to
    // the memory they hold.
    std::mem::forget(gathered);
    // Nor are the findings, which the report copied.
    std::mem::forget(findings);
    let written = match output {
        Some(path) => write_report_file(path, |out| format.write_with(&report, &options, out)),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            match format
                .write_with(&report, &options, &mut stdout)
                .and_then(|_| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the report: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    if timings {
        crate::safe_eprintln!(
            "windoctor: timing: report written after {:.1} ms",
            building.elapsed().as_secs_f64() * 1000.0
        );
    }
    if let Err(e) = written {
        crate::safe_eprintln!("windoctor: {e}");
        return EXIT_USAGE;
    }
    if code == EXIT_NOTHING_EVALUATED {
        if let Some(why) = &version_failure {
            crate::safe_eprintln!("windoctor: {why}");
        }
        let errors = report.summary.get("error").copied().unwrap_or(0);
        if evaluated_anything {
            crate::safe_eprintln!("windoctor: nothing could be evaluated: no check reached a verdict ({errors} error finding(s); the report says what could not be read)");
        } else if version_read {
            crate::safe_eprintln!("windoctor: nothing could be evaluated: the API server answered /version but no list could be read, and no node data was read ({errors} error finding(s); the report says why)");
        } else {
            crate::safe_eprintln!("windoctor: nothing could be evaluated: no cluster was reachable and no node data was read");
        }
    }
    // The report too is left to the process's end (some thousands of findings' strings).
    std::mem::forget(report);
    code
}

/// `-o FILE`: the report as UTF-8 without a byte order mark, whatever the shell would have done
/// with a redirection (Windows PowerShell 5.1 writes `>` as UTF-16LE). Written to a temporary name
/// beside FILE and renamed, so an interrupted write never leaves half a report under FILE.
fn write_report_file(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| format!("-o {}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{name}.windoctor-tmp"));
    std::fs::File::create(&tmp)
        .and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write the report to {}: {e}", path.display())
        })
}

/// `--node NAME` must name a Node of the cluster (FQDN or short, any case) when the Nodes were
/// read; a name that matches none is a usage error listing the closest names.
fn check_node_name(plan: &RunPlan, gathered: &crate::engine::Gathered) -> Result<(), String> {
    let Some(wanted) = plan.node_name.as_deref() else {
        return Ok(());
    };
    let Some(nodes) = gathered.world.facts.cluster.nodes.ready() else {
        return Ok(());
    };
    if nodes
        .iter()
        .any(|n| crate::facts::cluster::same_host(n.name(), wanted))
    {
        return Ok(());
    }
    let mut near: Vec<(usize, &str)> = nodes
        .iter()
        .map(|n| {
            (
                distance(&n.name().to_ascii_lowercase(), &wanted.to_ascii_lowercase()),
                n.name(),
            )
        })
        .collect();
    near.sort();
    let names: Vec<&str> = near.iter().take(5).map(|(_, n)| *n).collect();
    Err(format!(
        "--node {wanted} names no Node of the cluster ({} Nodes); closest: {}",
        nodes.len(),
        if names.is_empty() {
            "(no Nodes)".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// Edit distance on the names' short forms, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let short = |s: &str| s.split('.').next().unwrap_or(s).to_string();
    strsim::levenshtein(&short(a), &short(b))
}

/// `-n NAMESPACE`: findings about objects in other namespaces are left out; findings about
/// cluster-wide objects (Nodes, files on a node, the cluster) are kept.
fn scope_to_namespace(
    findings: Vec<crate::findings::Finding>,
    namespace: Option<&str>,
) -> Vec<crate::findings::Finding> {
    match namespace {
        None => findings,
        Some(ns) => findings
            .into_iter()
            .filter(|f| f.subject.namespace.as_deref().is_none_or(|n| n == ns))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_files_are_utf8_without_bom_and_replace_atomically() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.json");
        std::fs::write(&path, "old").expect("write");
        write_report_file(&path, |out| out.write_all("{\"a\":\"✗\"}\n".as_bytes()))
            .expect("written");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes, "{\"a\":\"✗\"}\n".as_bytes());
        assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        assert!(
            write_report_file(&dir.path().join("no/such/dir/r.json"), |out| out
                .write_all(b"x"))
            .is_err()
        );
    }

    #[test]
    fn node_names_are_compared_by_their_short_form() {
        assert_eq!(distance("akswin000007", "akswin000007.corp"), 0);
        assert!(distance("akswin000007", "akswin000008") < distance("akswin000007", "linux-1"));
    }
}
