//! The interactive TUI (placeholder until the TUI lands): prints the text report.

use crate::checks::Selection;
use crate::cli::Cli;

pub async fn run(cli: &Cli, sel: Selection) -> i32 {
    let gathered = match crate::app::gather(cli).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("windoctor: {e}");
            return crate::app::EXIT_USAGE;
        }
    };
    let findings = crate::checks::run_all(&gathered.facts, &sel);
    let code = crate::app::exit_code(&gathered.facts, &findings, cli.fail_on.threshold());
    let report = crate::app::build_report(&gathered, findings);
    print!("{}", crate::report::text::render(&report));
    code
}
