//! Sources: where facts come from. A bundle directory or the embedded demo (offline), or the live
//! cluster API and the local node. All of them end in the same `Facts`, so checks and front-ends do
//! not know which one ran.

pub mod bundle;
pub mod confined;
pub mod demo;
pub mod files;
pub mod json_items;
pub mod kube_error;
pub mod kubeobj;
pub mod live;
pub mod node;
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
    /// One line naming the source, for headers, stderr and files written: credentials in the server
    /// URL (`http://admin:PASS@...`) are redacted and control characters escaped.
    pub fn describe(&self) -> String {
        crate::output::line_for_terminal(&self.describe_raw())
    }

    fn describe_raw(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::SourceKind;

    #[test]
    fn descriptions_carry_no_credentials_or_controls() {
        let live = SourceKind::Live {
            context: Some("ctx\u{1b}]0;title\u{7}".to_string()),
            server: Some("http://admin:PASS-w0rd@127.0.0.1:6443/".to_string()),
        };
        let text = live.describe();
        assert!(!text.contains("PASS-w0rd"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("127.0.0.1:6443"), "{text}");
    }
}
