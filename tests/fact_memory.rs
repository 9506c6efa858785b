//! Memory kept per object by the slim fact types, measured with a counting allocator on a generated
//! cluster: what a scan of 150,000 pods keeps is this figure times the pod count, so a change that
//! makes the facts fatter shows up here before it shows up in the benchmark.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use windoctor::facts::k8s::{Event, Node, Pod};
use windoctor::sources::kubeobj::parse_objects;
use windoctor_testkit::{ClusterData, GenerateSpec};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The counter is global: tests that measure with it take turns, or each would count the other's
/// allocations.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Bytes kept per parsed object of `file` in the bundle, and the file's bytes per object.
fn kept_per_object<T: serde::de::DeserializeOwned>(
    bundle: &std::path::Path,
    file: &str,
) -> (usize, usize, usize) {
    let bytes = std::fs::read(bundle.join("cluster").join(file)).expect("bundle file");
    let before = LIVE.load(Ordering::SeqCst);
    let objects: Vec<T> = parse_objects(&bytes, file).expect("parses");
    let after = LIVE.load(Ordering::SeqCst);
    let n = objects.len().max(1);
    let kept = usize::try_from(after - before).unwrap_or(0) / n;
    (objects.len(), kept, bytes.len() / n)
}

#[test]
fn slim_facts_keep_a_fraction_of_each_object() {
    let _turn = measuring();
    let mut data = ClusterData::generate(&GenerateSpec::new(100, 3_000, 3)).expect("generates");
    let dir = tempfile::tempdir().expect("temp dir");
    data.write_kubectl_bundle(dir.path()).expect("bundle");
    let (pods, pod_bytes, pod_json) = kept_per_object::<Pod>(dir.path(), "pods.json");
    let (nodes, node_bytes, node_json) = kept_per_object::<Node>(dir.path(), "nodes.json");
    let (events, event_bytes, event_json) = kept_per_object::<Event>(dir.path(), "events.json");
    eprintln!("kept per pod: {pod_bytes} B of {pod_json} B JSON ({pods} pods)");
    eprintln!("kept per node: {node_bytes} B of {node_json} B JSON ({nodes} nodes)");
    eprintln!("kept per event: {event_bytes} B of {event_json} B JSON ({events} events)");
    assert_eq!(pods, 3_000);
    assert!(pod_bytes > 0 && node_bytes > 0 && event_bytes > 0);
    // Budgets with some headroom over today's figures (about 5.8 KB per pod and 7.0 KB per node
    // requested from the allocator): a 150,000-pod scan keeps under 1 GB of pod facts.
    assert!(pod_bytes < 6_600, "pods got fatter: {pod_bytes} B each");
    assert!(node_bytes < 8_000, "nodes got fatter: {node_bytes} B each");
}

/// Bytes kept per pod after the pod sieve (`facts::share`), split into pods kept whole and the
/// others, on a generated cluster with a tenth of its nodes Windows; and per Service.
#[test]
fn sieved_pods_keep_little_of_the_pods_off_windows() {
    use windoctor::facts::k8s::Service;
    use windoctor::facts::share::PodSieve;
    let _turn = measuring();
    let mut data = ClusterData::generate(&GenerateSpec::new(200, 6_000, 5)).expect("generates");
    let dir = tempfile::tempdir().expect("temp dir");
    data.write_kubectl_bundle(dir.path()).expect("bundle");
    let read = |file: &str| std::fs::read(dir.path().join("cluster").join(file)).expect("file");
    let nodes: Vec<Node> = parse_objects(&read("nodes.json"), "nodes.json").expect("nodes");
    let before = LIVE.load(Ordering::SeqCst);
    let services: Vec<Service> =
        parse_objects(&read("services.json"), "services.json").expect("services");
    let service_bytes =
        usize::try_from(LIVE.load(Ordering::SeqCst) - before).unwrap_or(0) / services.len().max(1);
    let pods: Vec<Pod> = parse_objects(&read("pods.json"), "pods.json").expect("pods");
    let mut sieve = PodSieve::new(&nodes, Some(&services));
    let (mut whole, mut other) = ((0usize, 0usize), (0usize, 0usize));
    let mut kept = Vec::with_capacity(pods.len());
    for pod in pods {
        // What the sifted pod keeps: the copy's allocations, less what the sieve frees of them.
        let before = LIVE.load(Ordering::SeqCst);
        let original = pod.clone();
        let sifted = sieve.sift(original);
        let after = LIVE.load(Ordering::SeqCst);
        let bytes = usize::try_from(after - before).unwrap_or(0) + std::mem::size_of::<Pod>();
        if sifted == pod {
            whole = (whole.0 + 1, whole.1 + bytes);
        } else {
            other = (other.0 + 1, other.1 + bytes);
        }
        kept.push(sifted);
    }
    let per = |(n, b): (usize, usize)| b / n.max(1);
    eprintln!(
        "kept per pod: {} B whole ({} pods), {} B other ({} pods), Pod itself {} B; per Service {service_bytes} B",
        per(whole),
        whole.0,
        per(other),
        other.0,
        std::mem::size_of::<Pod>()
    );
    assert!(
        other.0 > whole.0 * 3,
        "most pods are off Windows: {whole:?} {other:?}"
    );
    assert!(per(other) < 900, "other pods got fatter: {} B", per(other));
    assert!(
        per(whole) < 6_600,
        "whole pods got fatter: {} B",
        per(whole)
    );
}
