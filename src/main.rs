//! The `windoctor` (and `kubectl-windoctor`) binary: parses the command line and runs the app.

use clap::FromArgMatches;

fn main() {
    let argv0 = std::env::args().next();
    let matches = windoctor::cli::command_for(argv0.as_deref()).get_matches();
    let cli = match windoctor::cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    std::process::exit(windoctor::app::main_with(cli, argv0.as_deref()));
}
