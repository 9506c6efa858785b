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

    fn finished(self: Box<Self>, pods: &[Pod]) {
        let PodTableAhead { mut table, done } = *self;
        table.add_labels(pods);
        // The engine may have stopped listening (the run ended): the table is then not needed.
        let _ = done.send(table);
    }
}
