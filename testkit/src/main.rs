//! `fakeapi`: serves a support bundle as a Kubernetes API on loopback until
//! killed, printing the URL on the first line of stdout. Argument handling
//! lives in `windoctor_testkit::cli`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use windoctor_testkit::cli::{self, Args};
use windoctor_testkit::FakeApiServer;

fn main() -> ExitCode {
    let args = match cli::parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fakeapi: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fakeapi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let data = args.data()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = FakeApiServer::start(data, args.options()).await?;
        // The kubeconfig is written before the URL is printed: a caller that waits for the first
        // line of stdout may read the kubeconfig at once.
        if let Some(path) = &args.kubeconfig_out {
            std::fs::write(path, server.kubeconfig())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("fakeapi: kubeconfig written to {}", path.display());
        }
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{}", server.url())?;
        stdout.flush()?;
        std::future::pending::<()>().await;
        Ok(())
    })
}
