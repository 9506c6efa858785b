//! The command line: kubectl-style connection flags (shared by every subcommand), the run's own
//! flags (source, check selection, namespace scope, report format and output, exit threshold), and
//! the subcommands (capture, completions, man). Flags follow kubectl's names and value forms
//! (`-n`, `-A`, `--request-timeout 5s`, `0` = no timeout); `--help` of a subcommand lists only the
//! flags it takes.

use crate::report::ReportFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// What the usage line calls the program: `kubectl windoctor` when run as the kubectl plugin
/// (installed as `kubectl-windoctor`), else `windoctor`.
pub fn program_name(argv0: Option<&str>) -> &'static str {
    let stem = argv0
        .map(|a| {
            std::path::Path::new(a)
                .file_stem()
                .map(|s| s.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    if stem.starts_with("kubectl-windoctor") || stem.starts_with("kubectl_windoctor") {
        "kubectl windoctor"
    } else {
        "windoctor"
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "windoctor",
    version,
    about = "Runs the Kubernetes Windows troubleshooting checklist against a cluster and its Windows nodes",
    long_about = "Runs the Kubernetes Windows troubleshooting checklist against the cluster API and the local \
Windows node, and shows each finding with its evidence and a fix.\n\nWith no --report it opens the \
interactive TUI (when stdout is a terminal).",
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage or \
configuration error; 3 nothing could be evaluated.\n\n\
Examples:\n  windoctor --demo\n  windoctor --report json -o report.json\n  windoctor --snapshot ./bundle --report markdown\n  windoctor capture                  # a .zip for a bug report\n  windoctor capture ./bundle --full  # every object, as a directory\n  windoctor completions bash > /etc/bash_completion.d/windoctor"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

impl Cli {
    /// The run options in force: those given after `fleet` win over those given before it.
    pub fn run_args(&self) -> RunArgs {
        match &self.command {
            Some(Command::Fleet(f)) => self.run.clone().overridden_by(&f.run),
            _ => self.run.clone(),
        }
    }
}

impl RunArgs {
    /// These options with every one `later` sets replacing ours.
    fn overridden_by(mut self, later: &RunArgs) -> RunArgs {
        if later.report.is_some() {
            self.report = later.report;
        }
        if later.output.is_some() {
            self.output.clone_from(&later.output);
        }
        if !later.only.is_empty() {
            self.only.clone_from(&later.only);
        }
        if !later.skip.is_empty() {
            self.skip.clone_from(&later.skip);
        }
        if later.fail_on != FailOn::Fail {
            self.fail_on = later.fail_on;
        }
        if later.silence.is_some() {
            self.silence.clone_from(&later.silence);
        }
        self.verbose |= later.verbose;
        if later.refresh.is_some() {
            self.refresh = later.refresh;
        }
        self
    }
}

/// How to reach the cluster and which node this machine is: every subcommand takes these.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,

    /// How long to wait for each API request, as kubectl takes it: `5s`, `1m`, `1m30s`, a plain
    /// number of seconds, or `0` for no limit.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_request_timeout, global = true)]
    pub request_timeout: RequestTimeout,

    /// The Node the local machine is (default: match the hostname against Node names).
    #[arg(long, value_name = "NAME", global = true)]
    pub node: Option<String>,

    /// Read node files from DIR instead of C:\ (DIR/k/SourceVip.json stands for C:\k\SourceVip.json).
    #[arg(long, value_name = "DIR", global = true)]
    pub node_root: Option<PathBuf>,

    /// Run the active network probes (ICMP/TCP/HTTP, NodePort and ClusterIP from this machine).
    #[arg(long, global = true)]
    pub probe: bool,

    /// Do not read Windows nodes' data through the API (system pod logs and statuses, the kubelet's
    /// configz and log directory): only the cluster lists and this machine's node part are read.
    #[arg(long, global = true)]
    pub no_node_data: bool,

    /// Deadline of the node-data phase (reading every Windows node through the API), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120, global = true)]
    pub node_data_deadline: u64,

    /// Target of the connectivity probe, HOST[:PORT] (only with --probe).
    #[arg(long, value_name = "HOST[:PORT]", global = true)]
    pub probe_target: Option<String>,
}

/// Where a checklist run reads from and which namespaces it reports on (not taken by the
/// subcommands).
#[derive(Debug, Clone, Args)]
pub struct ScopeArgs {
    /// Run on a saved bundle (a directory, or a .zip/.tar.gz of one) instead of the live cluster;
    /// also reads the output of must-gather, AKS collect-windows-logs.ps1, microsoft/SDN
    /// collectlogs.ps1, aks-periscope and the EKS log collector (docs/collectors.md).
    #[arg(long, value_name = "PATH", conflicts_with = "demo")]
    pub snapshot: Option<PathBuf>,

    /// Run on the demo bundle embedded in the binary (a broken mixed cluster).
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub demo: bool,

    /// Only report findings about objects in this namespace (cluster-wide findings are kept).
    #[arg(
        short = 'n',
        long,
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Report findings about objects in every namespace (the default).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

/// Which checks a checklist run runs and how it prints them: taken by the top level and by
/// `windoctor fleet`, which runs the checklist too.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Print a report instead of opening the TUI.
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,

    /// Write the report to FILE (UTF-8, no byte order mark, whatever the shell) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Run only these checks or parts (comma-separated ids, e.g. node-ready,os-scheduling/untolerated-taint).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Skip these checks or parts (comma-separated ids).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Exit with 1 when a finding is at or above this status (fail > error > warn > info). The
    /// default counts `error` (a check that could not read its input); `--fail-on fail` accepts
    /// errors. Exit 3 when nothing could be evaluated, whatever this says.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// Mute accepted findings with the rules of FILE (YAML: `mute:` rules naming a check or part,
    /// optionally a subject, with a reason and an optional expiry; see docs/silencing.md).
    #[arg(long, value_name = "FILE", env = "WINDOCTOR_SILENCE")]
    pub silence: Option<PathBuf>,

    /// Text report: also list passes and skips, and every finding's evidence.
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// In the TUI, read the cluster (and node) again and rerun every check this long after each
    /// run ends, e.g. 30s, 5m (at least 5s); findings that appeared or went away are marked.
    #[arg(long, value_name = "INTERVAL", value_parser = parse_refresh, conflicts_with = "report")]
    pub refresh: Option<std::time::Duration>,
}

/// `--refresh`: a duration such as `30s`, `5m`, `1h 30m` (a bare number is seconds), at least 5 s.
fn parse_refresh(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let d = match text.parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{e}; write it like 30s, 5m or 1h"))?,
    };
    if d < std::time::Duration::from_secs(5) {
        return Err(
            "the refresh interval must be at least 5s (a run reads the whole cluster)".into(),
        );
    }
    Ok(d)
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
    /// Print shell completions for SHELL (bash, zsh, fish, powershell, elvish) on stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: `windoctor man > windoctor.1`.
    Man,
    /// Collect every Windows node with a short-lived HostProcess pod per node, then run the
    /// checklist (or write a bundle with --capture). Creates and deletes pods in NAMESPACE: the
    /// only windoctor mode that writes to the cluster.
    Fleet(Box<FleetArgs>),
    /// Print this node's node part as a fleet collector payload (run by windoctor.exe inside a
    /// fleet collector pod; see --collector-image).
    #[command(hide = true)]
    NodePayload,
}

/// Options of `windoctor fleet`.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// Namespace for the collector pods; it must admit privileged (HostProcess) pods, e.g.
    /// labelled pod-security.kubernetes.io/enforce=privileged (assets/rbac/fleet.yaml).
    #[arg(long, value_name = "NS")]
    pub namespace: String,

    /// Collect only these nodes (comma-separated Node names; default: every Windows node).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub nodes: Vec<String>,

    /// Run windoctor.exe from this image instead of the embedded PowerShell collector (an image
    /// built FROM the HostProcess base image with windoctor.exe at its root).
    #[arg(long, value_name = "IMAGE")]
    pub collector_image: Option<String>,

    /// Nodes collected at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,

    /// Per node: the pod's activeDeadlineSeconds and how long windoctor waits for it, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub node_timeout: u64,

    /// Deadline of the whole collection, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub timeout: u64,

    /// Print the collector pod manifests (a v1 List) and exit, creating nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Write a bundle to DIR (as `windoctor capture DIR`) instead of running the checklist.
    #[arg(long, value_name = "DIR")]
    pub capture: Option<PathBuf>,

    /// Only delete collector pods earlier runs left in NAMESPACE, then exit.
    #[arg(long)]
    pub cleanup: bool,

    #[command(flatten)]
    pub run: RunArgs,
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

/// A request timeout: a duration, or none (`0`, as kubectl means it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeout(pub Option<Duration>);

/// Parses kubectl's `--request-timeout`: a plain number of seconds, or a Go duration (`5s`, `1m`,
/// `1h30m`, `500ms`); zero means no timeout.
pub fn parse_request_timeout(text: &str) -> Result<RequestTimeout, String> {
    let t = text.trim();
    let help = "use a duration such as 5s, 1m or 1m30s, a number of seconds, or 0 for no timeout";
    if t.is_empty() {
        return Err(format!("an empty timeout: {help}"));
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(RequestTimeout(
            (secs > 0).then(|| Duration::from_secs(secs)),
        ));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{t:?} has a number without a unit: {help}"))?;
        if digits == 0 {
            return Err(format!("{t:?} is not a duration: {help}"));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{t:?} is not a duration: {help}"))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let scale = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            other => return Err(format!("{t:?} has an unknown unit {other:?}: {help}")),
        };
        total += Duration::from_secs_f64(value * scale);
        rest = &after[unit_len..];
    }
    Ok(RequestTimeout((!total.is_zero()).then_some(total)))
}

/// The clap command with the usage line naming the program as it was invoked.
pub fn command_for(argv0: Option<&str>) -> clap::Command {
    use clap::CommandFactory;
    Cli::command().bin_name(program_name(argv0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn refresh_takes_units_or_seconds_and_refuses_tiny_intervals() {
        let d = |s: &str| parse_refresh(s).map(|d| d.as_secs());
        assert_eq!(d("30s"), Ok(30));
        assert_eq!(d("5m"), Ok(300));
        assert_eq!(d("1h 30m"), Ok(5400));
        assert_eq!(d("45"), Ok(45));
        assert!(d("1s").unwrap_err().contains("at least 5s"));
        assert!(d("soon").unwrap_err().contains("30s, 5m"));
        let cli = Cli::try_parse_from(["windoctor", "--refresh", "1m"]).unwrap();
        assert_eq!(cli.run.refresh, Some(std::time::Duration::from_secs(60)));
        assert!(Cli::try_parse_from(["windoctor", "--refresh", "1m", "--report", "json"]).is_err());
    }

    use super::*;
    use clap::Parser;

    #[test]
    fn request_timeouts_as_kubectl_takes_them() {
        let secs = |s: &str| parse_request_timeout(s).map(|t| t.0.map(|d| d.as_secs_f64()));
        assert_eq!(secs("5s"), Ok(Some(5.0)));
        assert_eq!(secs("1m"), Ok(Some(60.0)));
        assert_eq!(secs("1m30s"), Ok(Some(90.0)));
        assert_eq!(secs("500ms"), Ok(Some(0.5)));
        assert_eq!(secs("7"), Ok(Some(7.0)));
        assert_eq!(secs("0"), Ok(None));
        assert_eq!(secs("0s"), Ok(None));
        assert!(parse_request_timeout("5x")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_request_timeout("s").is_err());
        assert!(parse_request_timeout("").is_err());
    }

    #[test]
    fn kubectl_namespace_flags_and_plugin_name() {
        let cli = Cli::parse_from(["windoctor", "-n", "web", "--report", "json"]);
        assert_eq!(cli.scope.namespace.as_deref(), Some("web"));
        let cli = Cli::parse_from(["windoctor", "-A"]);
        assert!(cli.scope.all_namespaces);
        assert!(Cli::try_parse_from(["windoctor", "-n", "a", "-A"]).is_err());
        assert_eq!(
            program_name(Some("/usr/local/bin/kubectl-windoctor")),
            "kubectl windoctor"
        );
        assert_eq!(program_name(Some("windoctor.exe")), "windoctor");
        let help = command_for(Some("kubectl-windoctor"))
            .render_usage()
            .to_string();
        assert!(help.contains("kubectl windoctor"), "{help}");
    }

    #[test]
    fn capture_help_lists_only_what_capture_takes() {
        let help = match command_for(None).try_get_matches_from(["windoctor", "capture", "--help"])
        {
            Err(e) => e.to_string(),
            Ok(_) => panic!("--help prints help"),
        };
        assert!(help.contains("--kubeconfig") && help.contains("--request-timeout"));
        for flag in ["--report", "--only", "--skip", "--fail-on", "--output"] {
            assert!(!help.contains(flag), "capture --help lists {flag}:\n{help}");
        }
        assert!(Cli::try_parse_from(["windoctor", "capture", "d", "--report", "json"]).is_err());
    }
}
