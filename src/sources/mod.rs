//! Sources: where facts come from. A bundle directory or the embedded demo (offline), or the live
//! cluster API and the local node. All of them end in the same `Facts`, so checks and front-ends do
//! not know which one ran.

pub mod archive;
pub mod bundle;
pub mod collectors;
pub mod demo;
pub mod files;
pub mod json_items;
pub mod kubeobj;
pub mod live;
pub mod node;
pub mod snapshot;
pub mod text;

/// Which source a run used, for the report header and the TUI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    Live {
        context: Option<String>,
        server: Option<String>,
    },
    Snapshot {
        path: String,
    },
    Demo,
}

impl SourceKind {
    pub fn describe(&self) -> String {
        match self {
            SourceKind::Live { context, server } => format!(
                "live: context {} ({})",
                context.as_deref().unwrap_or("(in-cluster)"),
                server.as_deref().unwrap_or("unknown server")
            ),
            SourceKind::Snapshot { path } => format!("snapshot: {path}"),
            SourceKind::Demo => "demo: embedded broken mixed cluster".to_string(),
        }
    }
}
