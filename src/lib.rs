//! windoctor: the Kubernetes Windows troubleshooting checklist as executable checks.
//!
//! The pipeline, one module each: `sources` (bundle, demo, live cluster, node), listed once in the
//! input table (`facts::inputs`), produce `facts`; the `model` derives what checks share (per-node views, indexes,
//! the IP plan, the environment); the `checks` (metadata in `catalogue`, compiled from
//! `checks/*.toml`) turn the model into `findings`; the front-ends (`report` writers and the `tui`)
//! consume findings and the environment summary only; `redact` and `output` are the last gate of
//! every string they print or write (secrets redacted, control characters escaped). `app` turns
//! the command line into a `plan` and dispatches; the `engine` runs a plan; `commands` holds
//! capture.

pub mod app;
pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod engine;
pub mod exit;
pub mod facts;
pub mod findings;
pub mod fleet;
pub mod model;
pub mod output;
pub mod plan;
pub mod probes;
pub mod progress;
pub mod redact;
pub mod report;
pub mod silence;
pub mod sources;
pub mod tui;
