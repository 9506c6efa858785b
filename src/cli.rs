//! The command line (SPEC section 1): kubectl-style connection flags, the offline sources, check
//! selection, report format and the exit-code threshold.

use crate::report::ReportFormat;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "windoctor",
    version,
    about = "Runs the Kubernetes Windows troubleshooting checklist against a cluster and a Windows node",
    long_about = "Runs the Kubernetes Windows troubleshooting checklist against the cluster API and the local \
Windows node, and shows each finding with its evidence and a fix.\n\nWith no --report it opens the \
interactive TUI (when stdout is a terminal).",
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage or \
configuration error; 3 nothing could be evaluated (no cluster reachable and no node data).\n\n\
Examples:\n  windoctor --demo\n  windoctor --report json > report.json\n  windoctor --snapshot ./bundle --report markdown\n  windoctor capture                  # a .zip for a bug report\n  windoctor capture ./bundle --full  # every object, as a directory"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Print a report on stdout instead of opening the TUI.
    #[arg(long, value_enum, global = true)]
    pub report: Option<ReportFormat>,

    /// Run on a saved bundle directory instead of the live cluster and node.
    #[arg(long, value_name = "DIR", conflicts_with = "demo")]
    pub snapshot: Option<PathBuf>,

    /// Run on the demo bundle embedded in the binary (a broken mixed cluster).
    #[arg(long)]
    pub demo: bool,

    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,

    /// The Node the local machine is (default: match the hostname against Node names).
    #[arg(long, value_name = "NAME", global = true)]
    pub node: Option<String>,

    /// Read node files from DIR instead of C:\ (DIR/k/SourceVip.json stands for C:\k\SourceVip.json).
    #[arg(long, value_name = "DIR", global = true)]
    pub node_root: Option<PathBuf>,

    /// Run only these checks (comma-separated ids).
    #[arg(long, value_name = "ID,...", value_delimiter = ',', global = true)]
    pub only: Vec<String>,

    /// Skip these checks (comma-separated ids).
    #[arg(long, value_name = "ID,...", value_delimiter = ',', global = true)]
    pub skip: Vec<String>,

    /// Exit with 1 when a finding is at or above this status.
    #[arg(long, value_enum, default_value = "fail", global = true)]
    pub fail_on: FailOn,

    /// Timeout of each API request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15, global = true)]
    pub request_timeout: u64,

    /// Run the active network probes (ICMP/TCP/HTTP, NodePort and ClusterIP from this machine).
    #[arg(long, global = true)]
    pub probe: bool,

    /// Target of the connectivity probe, HOST[:PORT] (only with --probe).
    #[arg(long, value_name = "HOST[:PORT]", global = true)]
    pub probe_target: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a bundle of the cluster (and, on a Windows node, the node) for offline runs and bug
    /// reports: by default the Windows share of the cluster as one .zip archive to attach to an
    /// issue (replay it with --snapshot).
    Capture {
        /// Where to write: FILE.zip (an archive) or a new directory [default:
        /// ./windoctor-capture-<time>.zip]. Never an existing file or non-empty directory.
        path: Option<PathBuf>,
        /// Capture every object of the lists read, not only the Windows share (pods on or aimed
        /// at Windows nodes whole, the others as name, namespace, node and phase).
        #[arg(long)]
        full: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Fail,
    Error,
    Warn,
    Info,
    /// Never exit 1 because of findings.
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<u8> {
        use crate::findings::Status;
        match self {
            FailOn::Fail => Some(Status::Fail.severity()),
            FailOn::Error => Some(Status::Error.severity()),
            FailOn::Warn => Some(Status::Warn.severity()),
            FailOn::Info => Some(Status::Info.severity()),
            FailOn::Never => None,
        }
    }
}
