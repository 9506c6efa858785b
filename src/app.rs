//! The top of the program: turns the command line into a run plan and hands it to the front-end it
//! asks for (capture, the TUI, or a headless report). Nothing else lives here.

use crate::cli::{Cli, Command};
use crate::exit::{EXIT_NOTHING_EVALUATED, EXIT_USAGE};
use crate::plan::RunPlan;
use crate::report;
use std::io::{IsTerminal, Write};

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
            eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(Command::Capture { path, full }) = &cli.command {
        let scope = if *full {
            crate::commands::capture::Scope::Full
        } else {
            crate::commands::capture::Scope::WindowsShare
        };
        return crate::commands::capture::run(&plan, path.as_deref(), scope).await;
    }
    let threshold = cli.fail_on.threshold();
    let interactive = cli.report.is_none() && std::io::stdout().is_terminal();
    if interactive {
        return crate::tui::run(&plan, threshold).await;
    }
    let format = match cli.report {
        Some(f) => f,
        None => {
            eprintln!("windoctor: stdout is not a terminal, so printing the text report instead of opening the TUI (use --report json|markdown|text to choose)");
            report::ReportFormat::Text
        }
    };
    headless(&plan, format, threshold).await
}

/// Runs every check to the end and prints the report on stdout.
async fn headless(plan: &RunPlan, format: report::ReportFormat, threshold: Option<u8>) -> i32 {
    let (findings, gathered) = match crate::engine::run_to_end(plan).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("windoctor: {e}");
            return EXIT_USAGE;
        }
    };
    let code = crate::exit::code(gathered.evaluated_anything(), &findings, threshold);
    let report = report::from_run(&gathered, findings);
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
        if let crate::facts::Input::Failed(why) = &gathered.world.facts.cluster.version {
            eprintln!("windoctor: {why}");
        }
        eprintln!("windoctor: nothing could be evaluated: no cluster was reachable and no node data was found");
    }
    code
}
