//! What the engine builds of the pods while a live run's pages still arrive, on the pod list's own
//! thread: the pod table the checks share (`model::index::PodTable`). Built once every pod is in,
//! it was the first thing every pod check waited for (about 35 ms on one core at 150,000 pods,
//! while the other core had little to do); built pod by pod as the sink keeps them, it is ready
//! when the list is. The table comes back through a channel and is kept by the world only when it
//! is the table of the pod list stored (`World::store_pod_table`).

use crate::facts::k8s::Pod;
use crate::model::index::PodTable;
use crate::sources::live::PodWatcher;
use tokio::sync::oneshot;

/// Builds the pod table as the pods are kept, and sends it once the list is complete.
pub(crate) struct PodTableAhead {
    table: PodTable,
    done: oneshot::Sender<PodTable>,
}

impl PodTableAhead {
    /// The watcher to give the pod list, and where its table arrives.
    pub(crate) fn new() -> (PodTableAhead, oneshot::Receiver<PodTable>) {
        let (done, table) = oneshot::channel();
        (
            PodTableAhead {
                table: PodTable::default(),
                done,
            },
            table,
        )
    }
}

impl PodWatcher for PodTableAhead {
    fn kept(&mut self, pods: &[Pod], i: usize) {
        self.table.add_pod(pods, i);
    }

    fn finished(self: Box<Self>, pods: &[Pod], relabelled: &[u32]) {
        let PodTableAhead { mut table, done } = *self;
        table.index_labels(pods, relabelled);
        // The engine may have stopped listening (the run ended): the table is then not needed.
        let _ = done.send(table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::index::{PodIndex, PodLookup};

    fn pod(name: &str, node: &str, app: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = Some("default".into());
        p.metadata.name = name.into();
        p.spec.node_name = Some(node.into());
        p.metadata.labels = [("app".to_string(), app.to_string())].into_iter().collect();
        p
    }

    #[test]
    fn the_table_watched_pod_by_pod_arrives_whole() {
        let pods = vec![
            pod("a", "n1", "web"),
            pod("b", "n2", "web"),
            pod("c", "n1", "db"),
        ];
        let (watcher, mut arrived) = PodTableAhead::new();
        let mut watcher: Box<dyn PodWatcher> = Box::new(watcher);
        for i in 0..pods.len() {
            watcher.kept(&pods[..=i], i);
        }
        assert!(
            arrived.try_recv().is_err(),
            "nothing is sent before the list is complete"
        );
        watcher.finished(&pods, &[]);
        let table = arrived.try_recv().expect("the table is sent at the end");
        assert!(table.covers(pods.len()));
        let index = PodIndex::over(&pods, &table);
        assert_eq!(
            index.get("default", "c").and_then(Pod::node_name),
            Some("n1")
        );
        let lookup = PodLookup::over(&pods, &table);
        let on_n1: Vec<&str> = lookup.on_node("n1").map(Pod::name).collect();
        assert_eq!(on_n1, ["a", "c"]);
        let mut web = crate::facts::k8s::Service::default();
        web.metadata.namespace = Some("default".into());
        web.spec.selector = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        let backends: Vec<&str> = lookup.backends(&web).iter().map(|p| p.name()).collect();
        assert_eq!(backends, ["a", "b"]);
    }

    #[test]
    fn a_list_that_never_completes_sends_no_table() {
        let pods = vec![pod("a", "n1", "web")];
        let (watcher, mut arrived) = PodTableAhead::new();
        let mut watcher: Box<dyn PodWatcher> = Box::new(watcher);
        watcher.kept(&pods, 0);
        drop(watcher);
        assert!(arrived.try_recv().is_err());
    }
}
