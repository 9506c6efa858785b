//! The `windoctor` (and `kubectl-windoctor`) binary: parses the command line and runs the app.

use clap::FromArgMatches;

fn main() {
    limit_malloc_arenas();
    let argv0 = std::env::args().next();
    let matches = windoctor::cli::command_for(argv0.as_deref()).get_matches();
    let cli = match windoctor::cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    std::process::exit(windoctor::app::main_with(cli, argv0.as_deref()));
}

/// glibc gives each thread that allocates its own malloc arena (up to eight per core), and memory
/// freed in one arena is not reused by another: a scan that parses pages on the blocking pool's
/// threads peaks about 6% higher for it (docs/performance.md). Two arenas keep the contention low
/// on the few threads windoctor runs. Called first, before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only changes glibc's allocator settings and is called before other threads
    // start; a refused setting (return value 0) leaves glibc's default, which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
