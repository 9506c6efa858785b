//! `windoctor capture DIR` (placeholder until node capture lands).

use crate::cli::Cli;
use std::path::Path;

pub async fn run(_cli: &Cli, dir: &Path) -> i32 {
    eprintln!(
        "windoctor: capture to {} is not implemented yet",
        dir.display()
    );
    crate::app::EXIT_USAGE
}
