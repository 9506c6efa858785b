//! windoctor: the Kubernetes Windows troubleshooting checklist as executable checks.
//!
//! The pipeline, one module each: `sources` (bundle, demo, live cluster, node) produce `facts`; the
//! `checks` (metadata in `catalogue`, compiled from `checks/*.toml`) turn facts into `findings`; the
//! front-ends (`report` writers and the `tui`) consume findings only.

pub mod app;
pub mod capture;
pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod engine;
pub mod facts;
pub mod findings;
pub mod probes;
pub mod redact;
pub mod report;
pub mod sources;
pub mod tui;
