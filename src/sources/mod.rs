//! Sources: where facts come from. A bundle directory or the embedded demo (offline), or the live
//! cluster API and the local node. All of them end in the same `Facts`, so checks and front-ends do
//! not know which one ran.

pub mod archive;
pub mod bundle;
pub mod collectors;
pub mod confined;
pub mod demo;
pub mod files;
pub mod json_cursor;
pub mod json_items;
pub mod kube_error;
pub mod kubeobj;
pub mod live;
pub mod node;
pub mod nodeapi;
pub mod probe_results;
pub mod snapshot;
pub mod text;

pub use crate::facts::SourceKind;
