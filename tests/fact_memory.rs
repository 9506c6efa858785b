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
