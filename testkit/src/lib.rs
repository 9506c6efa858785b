//! Test and benchmark support for windoctor: a Kubernetes-API-compatible
//! HTTP server on loopback that serves a fake cluster with real list
//! semantics (chunking with `limit`/`continue`, label and field selectors,
//! Status errors, gzip), readable by kube-rs and by `kubectl`, and a
//! deterministic generator of big synthetic clusters ([`generate`],
//! `fakeapi --generate nodes=N,pods=M,seed=S`) for tests and benchmarks.
//!
//! Beyond reads it serves the kubelet proxy (`nodes/NAME/proxy/configz`,
//! `.../logs/`), pod create/delete with per-node [`CollectorBehaviour`]s
//! for fleet collection tests, hostile modes for client robustness tests
//! (see the hostile setters of [`ServerOptions`] and [`hostile_data`]),
//! and exec-plugin kubeconfigs ([`kubeconfig::ExecPlugin`]). The `rawfetch`
//! binary is the raw-fetch floor of the benchmarks.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions};
//! let data = ClusterData::from_bundle_dir("tests/data/bundle")?;
//! let server = FakeApiServer::start(data, ServerOptions::new().forbid("events")).await?;
//! let kubeconfig = server.write_kubeconfig(std::env::temp_dir())?;
//! // ... point the client under test at `kubeconfig` ...
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod body;
mod bundle;
pub mod cli;
mod collectors;
mod data;
mod discovery;
pub mod generate;
mod hostile;
pub mod hostile_data;
pub mod kubeconfig;
mod list;
mod logs;
mod node_files;
mod node_proxy;
mod options;
mod pod_security;
mod pod_writes;
mod query;
mod resource;
mod routes;
mod select;
mod server;
mod status;
mod store;

pub use collectors::{CollectorBehaviour, PodClock};
pub use data::ClusterData;
pub use generate::GenerateSpec;
pub use hostile::WrongKind;
pub use options::{ServerOptions, DEFAULT_TOKEN, DEFAULT_USER};
pub use resource::{ResourceKind, UnknownResource};
pub use server::{BackgroundServer, FakeApiServer, LoggedRequest, ServerHandle};
