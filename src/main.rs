//! The `windoctor` (and `kubectl-windoctor`) binary: parses the command line and runs the app.

use clap::Parser;

fn main() {
    let cli = windoctor::cli::Cli::parse();
    std::process::exit(windoctor::app::main_with(cli));
}
