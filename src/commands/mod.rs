//! Subcommands other than the checklist run itself: `capture` writes a bundle.

pub mod capture;
pub mod fleet;
pub mod node_data;
