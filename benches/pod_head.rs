//! Benchmark of reading pod heads (a measurement, not a test: it prints numbers and asserts
//! nothing about them).
//!
//! A scan reads the head of every pod of the cluster (`facts::pod_head`), so on a big cluster this
//! read is most of its work. The pods come from the testkit's generator (`POD_HEAD_BENCH_CLUSTER`,
//! default `nodes=500,pods=15000,seed=1`), each serialized compactly as the API server sends it.
//! Printed side by side, per 500-pod page (about 2 MB) and in MB/s, best of 5 passes:
//! - floor: checking the pods' text as UTF-8, which any reader of the page does;
//! - serde_json head: the head parsed by serde_json from the whole pod (what the scan did before
//!   the structural scanner; it skips the unread members by parsing them);
//! - copied head: `PodHead::read_copied`, which copies the head's members out with the
//!   structural scanner (`facts::json_scan`) and parses the copy (what the scan did before the
//!   one-pass reader);
//! - one-pass head: `PodHead::read_at`, which walks the pod once with the same scanner and takes
//!   the head's strings straight from the text (what the scan does);
//! - scanner skip: `json_scan::value_end` alone, finding where each pod ends;
//! - sieve: `PodSieve::sift_json` over the pods in list order, with the generated Nodes (the head,
//!   the sieve's judgement, and the whole parse of the pods kept whole): a scan's work per pod.
//!
//! Run: `cargo bench --bench pod_head`.

use std::time::{Duration, Instant};
use windoctor::facts::json_scan;
use windoctor::facts::k8s::Node;
use windoctor::facts::pod_head::PodHead;
use windoctor::facts::share::PodSieve;
use windoctor_testkit::generate::generate_into;
use windoctor_testkit::{GenerateSpec, ResourceKind};

fn main() {
    let spec_text = std::env::var("POD_HEAD_BENCH_CLUSTER")
        .unwrap_or_else(|_| "nodes=500,pods=15000,seed=1".to_string());
    let spec = match GenerateSpec::parse(&spec_text) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("pod_head bench: POD_HEAD_BENCH_CLUSTER={spec_text}: {e}");
            std::process::exit(2);
        }
    };
    let mut pods: Vec<String> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let generated = generate_into(&spec, &mut |kind, object| {
        match kind {
            ResourceKind::Pods => pods.push(object.to_string()),
            ResourceKind::Nodes => nodes.push(serde_json::from_value(object)?),
            _ => {}
        }
        Ok(())
    });
    if let Err(e) = generated {
        eprintln!("pod_head bench: generating {spec_text}: {e}");
        std::process::exit(2);
    }
    let bytes: usize = pods.iter().map(String::len).sum();
    println!(
        "pod heads: {} pods, {:.1} MB of JSON ({spec_text})",
        pods.len(),
        bytes as f64 / 1e6
    );
    let page = |d: Duration| d.as_secs_f64() * 1000.0 * 500.0 / pods.len().max(1) as f64;
    let rate = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let mut rows: Vec<(&str, Duration)> = Vec::new();
    rows.push((
        "floor (UTF-8 check)",
        best_of(5, || {
            pods.iter()
                .filter(|p| std::str::from_utf8(p.as_bytes()).is_ok())
                .count()
        }),
    ));
    rows.push((
        "serde_json head",
        best_of(5, || {
            pods.iter()
                .filter(|p| serde_json::from_str::<PodHead>(p).is_ok())
                .count()
        }),
    ));
    rows.push((
        "copied head",
        best_of(5, || {
            pods.iter()
                .filter(|p| PodHead::read_copied(p, 0).is_ok())
                .count()
        }),
    ));
    rows.push((
        "one-pass head",
        best_of(5, || {
            pods.iter()
                .filter(|p| PodHead::read_at(p, 0).is_ok())
                .count()
        }),
    ));
    rows.push((
        "scanner copy of the head only",
        best_of(5, || {
            let mut copy = String::new();
            pods.iter()
                .filter(|p| {
                    copy.clear();
                    json_scan::prune(p, 0, &windoctor::facts::pod_head::HEAD_FIELDS, &mut copy)
                        .is_ok()
                })
                .count()
        }),
    ));
    rows.push((
        "scanner skip",
        best_of(5, || {
            pods.iter()
                .filter(|p| json_scan::value_end(p.as_bytes(), 0).is_ok())
                .count()
        }),
    ));
    rows.push((
        "sieve (head, judgement, pods kept whole)",
        best_of(5, || {
            let mut sieve = PodSieve::new(&nodes, None);
            pods.iter().filter(|p| sieve.sift_json(p).is_ok()).count()
        }),
    ));
    println!("| reading | ms per 500-pod page | MB/s |");
    println!("| --- | ---: | ---: |");
    for (name, took) in rows {
        println!("| {name} | {:.2} | {:.0} |", page(took), rate(took));
    }
}

/// The fastest of `passes` runs of `pass`, each over every pod; the count it gives must be the
/// number of pods read without error, which keeps the work from being optimized away.
fn best_of(passes: usize, mut pass: impl FnMut() -> usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..passes {
        let started = Instant::now();
        std::hint::black_box(pass());
        best = best.min(started.elapsed());
    }
    best
}
