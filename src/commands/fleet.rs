//! `windoctor fleet`: the parts of the fleet collection that are not a checklist run: `--dry-run`
//! (print the collector pod manifests), `--cleanup` (delete leftovers), `--capture DIR`, the
//! cleanup after the run, and `node-payload`, what windoctor.exe prints inside a collector pod.

use crate::cli::FleetArgs;
use crate::exit::{EXIT_OK, EXIT_USAGE};
use crate::fleet::{self, manifest};
use crate::plan::RunPlan;
use crate::sources::live;

/// Handles the fleet options that end the program before a checklist run; `None` to go on with
/// the run (the fleet collection then happens in its node-data phase).
pub async fn before_run(plan: &RunPlan, args: &FleetArgs) -> Option<i32> {
    let req = plan.fleet.as_ref()?;
    if args.dry_run {
        let nodes = if req.nodes.is_empty() {
            match windows_nodes(plan).await {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("windoctor fleet: {e}; name the nodes with --nodes to print their manifests");
                    return Some(EXIT_USAGE);
                }
            }
        } else {
            req.nodes.clone()
        };
        let list = manifest::dry_run(
            &req.namespace,
            &nodes,
            &req.run,
            &req.collector,
            req.node_timeout.as_secs(),
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Some(EXIT_OK);
    }
    if args.cleanup {
        let conn = match live::connect(&plan.live).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("windoctor fleet: {e}");
                return Some(EXIT_USAGE);
            }
        };
        return Some(match fleet::delete_leftovers(&conn.client, req).await {
            Ok(n) => {
                eprintln!(
                    "windoctor fleet: deleted {n} collector pod(s) from {}",
                    req.namespace
                );
                EXIT_OK
            }
            Err(e) => {
                eprintln!("windoctor fleet: {e}");
                crate::exit::EXIT_NOTHING_EVALUATED
            }
        });
    }
    if let Some(dir) = &args.capture {
        // As `windoctor capture DIR`: the Windows share (the default scope).
        let code = crate::commands::capture::run(
            plan,
            Some(dir.as_path()),
            crate::commands::capture::Scope::WindowsShare,
        )
        .await;
        after_run(plan).await;
        return Some(code);
    }
    None
}

/// The Windows nodes' names, read from the API (read-only).
async fn windows_nodes(plan: &RunPlan) -> Result<Vec<String>, String> {
    let conn = live::connect(&plan.live).await?;
    let spec = crate::facts::inputs::spec("nodes").ok_or("no nodes input")?;
    let nodes: Vec<crate::facts::k8s::Node> =
        live::read_list(&conn.client, spec, &plan.live).await?;
    Ok(nodes
        .iter()
        .filter(|n| n.is_windows())
        .map(|n| n.name().to_string())
        .collect())
}

/// After a run with a fleet request (even one cut short, as when the TUI is left while the
/// collection goes on): deletes the collector pods still there, by label.
pub async fn after_run(plan: &RunPlan) {
    let Some(req) = &plan.fleet else {
        return;
    };
    if let Ok(conn) = live::connect(&plan.live).await {
        let mut quiet = req.clone();
        quiet.progress = false;
        if let Ok(n) = fleet::delete_leftovers(&conn.client, &quiet).await {
            if n > 0 {
                eprintln!(
                    "windoctor fleet: deleted {n} collector pod(s) still in {}",
                    req.namespace
                );
            }
        }
    }
}

/// `windoctor node-payload`: this machine's node part as a fleet payload on stdout.
pub fn node_payload(node: Option<&str>) -> i32 {
    match crate::sources::node::live::collect_this_machine(None, node) {
        Some(store) => {
            print!(
                "{}",
                fleet::payload::encode("store", &fleet::payload::store_json(&store))
            );
            EXIT_OK
        }
        None => {
            eprintln!("windoctor node-payload: runs on a Windows node (inside a fleet collector pod started with --collector-image)");
            EXIT_USAGE
        }
    }
}
