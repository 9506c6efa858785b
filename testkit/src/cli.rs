//! Command line of the `fakeapi` binary: parsing the arguments into
//! [`Args`] and turning them into the data and options to serve. Kept apart
//! from `main.rs` so new ways to obtain data (such as generating a cluster)
//! slot in here and can be unit-tested.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};

use crate::{ClusterData, GenerateSpec, ServerOptions};

/// Usage text for `--help` and argument errors.
pub const USAGE: &str = "usage: fakeapi (--bundle DIR | --generate nodes=N,pods=M,seed=S)
               [--port N] [--kubeconfig-out PATH] [--write-bundle DIR]
               [--forbid RES,...] [--not-found RES,...] [--max-page N] [--require-token]

Serves a cluster as a Kubernetes API on 127.0.0.1 and runs until killed.
Prints the server URL as the first line of stdout.

  --bundle DIR          support bundle to serve (DIR/cluster/*.json|yaml)
  --generate SPEC       serve a synthetic cluster: nodes=N,pods=M,seed=S[,windows=P]
                        (P percent of the nodes Windows, default 10; deterministic
                        per seed)
  --write-bundle DIR    also write the served cluster as a kubectl-made bundle
  --port N              port to listen on (default: any free port)
  --kubeconfig-out PATH write a kubeconfig for the server to PATH
  --forbid RES,...      answer 403 Forbidden for these resources (e.g. events)
  --not-found RES,...   act as if these resources' API groups were absent
  --max-page N          cap list pages at N items whatever limit is asked
  --require-token       demand the kubeconfig's bearer token (401 otherwise)";

/// Parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `--bundle DIR`.
    pub bundle: Option<PathBuf>,
    /// `--generate nodes=N,pods=M,seed=S`.
    pub generate: Option<GenerateSpec>,
    /// `--write-bundle DIR`.
    pub write_bundle: Option<PathBuf>,
    /// `--port N`.
    pub port: u16,
    /// `--kubeconfig-out PATH`.
    pub kubeconfig_out: Option<PathBuf>,
    /// `--forbid` resources.
    pub forbid: Vec<String>,
    /// `--not-found` resources.
    pub not_found: Vec<String>,
    /// `--max-page N`.
    pub max_page: Option<usize>,
    /// `--require-token`.
    pub require_token: bool,
    /// `--help`.
    pub help: bool,
}

/// Parses the arguments after the program name. Accepts `--flag value` and
/// `--flag=value`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Args> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| anyhow!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "--bundle" => parsed.bundle = Some(PathBuf::from(value("--bundle")?)),
            "--generate" => parsed.generate = Some(GenerateSpec::parse(&value("--generate")?)?),
            "--write-bundle" => parsed.write_bundle = Some(PathBuf::from(value("--write-bundle")?)),
            "--port" => {
                let v = value("--port")?;
                parsed.port = v.parse().with_context(|| format!("invalid --port {v:?}"))?;
            }
            "--kubeconfig-out" => {
                parsed.kubeconfig_out = Some(PathBuf::from(value("--kubeconfig-out")?))
            }
            "--forbid" => parsed.forbid.extend(split_list(&value("--forbid")?)),
            "--not-found" => parsed.not_found.extend(split_list(&value("--not-found")?)),
            "--max-page" => {
                let v = value("--max-page")?;
                parsed.max_page = Some(
                    v.parse()
                        .with_context(|| format!("invalid --max-page {v:?}"))?,
                );
            }
            "--require-token" => parsed.require_token = true,
            "-h" | "--help" => parsed.help = true,
            other => bail!("unknown argument {other:?}"),
        }
    }
    if !parsed.help {
        match (&parsed.bundle, &parsed.generate) {
            (None, None) => bail!("--bundle DIR or --generate nodes=N,pods=M,seed=S is required"),
            (Some(_), Some(_)) => bail!("--bundle and --generate exclude each other"),
            _ => {}
        }
    }
    Ok(parsed)
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Args {
    /// The cluster data to serve.
    pub fn data(&self) -> anyhow::Result<ClusterData> {
        let mut data = match (&self.bundle, &self.generate) {
            (Some(dir), _) => ClusterData::from_bundle_dir(dir)?,
            (None, Some(spec)) => ClusterData::generate(spec)?,
            (None, None) => bail!("--bundle DIR or --generate nodes=N,pods=M,seed=S is required"),
        };
        if let Some(dir) = &self.write_bundle {
            data.write_kubectl_bundle(dir)
                .with_context(|| format!("writing the bundle to {}", dir.display()))?;
        }
        Ok(data)
    }

    /// The server options the flags ask for.
    pub fn options(&self) -> ServerOptions {
        let mut options = ServerOptions::new()
            .port(self.port)
            .require_token(self.require_token);
        for resource in &self.forbid {
            options = options.forbid(resource);
        }
        for resource in &self.not_found {
            options = options.not_found(resource);
        }
        if let Some(max) = self.max_page {
            options = options.max_page(max);
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Args> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() -> anyhow::Result<()> {
        let args = parse(&[
            "--bundle",
            "b",
            "--port=8080",
            "--forbid",
            "events,pods/log",
            "--kubeconfig-out",
            "k",
            "--max-page",
            "3",
        ])?;
        assert_eq!(args.bundle, Some(PathBuf::from("b")));
        assert_eq!(args.port, 8080);
        assert_eq!(args.forbid, ["events", "pods/log"]);
        assert_eq!(args.kubeconfig_out, Some(PathBuf::from("k")));
        assert_eq!(args.max_page, Some(3));
        assert!(parse(&["--port", "x", "--bundle", "b"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--help"])?.help);
        let generated = parse(&["--generate", "nodes=20,pods=300,seed=9"])?;
        assert_eq!(generated.generate, Some(GenerateSpec::new(20, 300, 9)));
        assert!(parse(&["--generate=pods=x"]).is_err());
        assert!(parse(&["--bundle", "b", "--generate", "nodes=2"]).is_err());
        Ok(())
    }

    #[test]
    fn generated_data_and_bundle() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let args = parse(&[
            "--generate=nodes=12,pods=200,seed=2",
            "--write-bundle",
            &dir.path().display().to_string(),
        ])?;
        let data = args.data()?;
        assert_eq!(data.len(crate::ResourceKind::Pods), 200);
        let reread = ClusterData::from_bundle_dir(dir.path())?;
        assert_eq!(
            reread.keys(crate::ResourceKind::Pods),
            data.keys(crate::ResourceKind::Pods)
        );
        assert_eq!(
            reread.keys(crate::ResourceKind::Events),
            data.keys(crate::ResourceKind::Events)
        );
        Ok(())
    }
}
