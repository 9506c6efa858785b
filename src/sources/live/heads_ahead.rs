//! Pod heads copied out ahead of the pager, on a second thread, while the page's items are taken in
//! list order.
//!
//! A scan and a Windows-share capture read the head of every pod (`facts::pod_head`): first the
//! structural copy of the head's members (`json_scan::prune`), then serde_json's parse of that
//! copy. The copy is pure text work and about 20% of such a run's CPU, on the one thread that takes
//! a page's items. [`with_heads_ahead`] gives it to a helper thread that walks the page's `items`
//! on its own and hands over batches of copies (text only: no objects are built on one thread and
//! freed on the other); the pager's sink then only parses each copy ([`HeadsAhead::read_at`]). The
//! result is exactly [`PodHead::read_at`]'s: the same copy, parsed the same way, with the same
//! fallback to serde_json's own error when the copy does not parse. The helper stops at the first
//! item it cannot copy, at the end of the items, or when the pager stops listening (the page
//! failed); from there the sink copies for itself. Small pages start no thread.

use crate::facts::json_scan::{self, after_element, element_start};
use crate::facts::pod_head::{PodHead, HEAD_FIELDS};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Pages with less text after `[` than this are read on one thread: a thread per page costs more
/// than it saves on a few pods.
const MIN_PAGE_BYTES: usize = 256 << 10;

/// Heads per batch handed over. Each hand-over may wake the other thread: a scan of 150,000 pods
/// made about 6,800 voluntary context switches with batches of 32, and 3,800 with 128.
const BATCH_ITEMS: usize = 128;

/// Batches ready and not yet taken, at most: the helper runs at most this far ahead.
const BATCHES_AHEAD: usize = 4;

/// One pod's head, copied out by the helper.
struct Copied {
    /// Where the pod starts in the page text.
    start: usize,
    /// Just past the pod.
    end: usize,
    /// The copy, in the batch's text.
    copy: Range<usize>,
}

/// Copies made for a run of consecutive pods.
#[derive(Default)]
struct Batch {
    text: String,
    items: Vec<Copied>,
}

impl Batch {
    /// An empty batch with room for [`BATCH_ITEMS`] copies taking `text_bytes` of text.
    fn sized(text_bytes: usize) -> Batch {
        Batch {
            text: String::with_capacity(text_bytes),
            items: Vec::with_capacity(BATCH_ITEMS),
        }
    }
}

/// What the sink asks for the pods' heads: copies made ahead when there are any, the sink's own
/// copy otherwise.
pub struct HeadsAhead {
    from_helper: Option<Receiver<Batch>>,
    batch: Batch,
    next: usize,
}

impl HeadsAhead {
    /// Nothing copied ahead: every head is read by [`PodHead::read_at`].
    pub fn none() -> HeadsAhead {
        HeadsAhead {
            from_helper: None,
            batch: Batch::default(),
            next: 0,
        }
    }

    /// The head of the pod that starts at byte `start` of `text` (the page), with the offset just
    /// past the pod: what [`PodHead::read_at`] gives, from the helper's copy when it made one.
    pub fn read_at<'a>(
        &'a mut self,
        text: &'a str,
        start: usize,
    ) -> serde_json::Result<(PodHead<'a>, usize)> {
        match self.copied(start) {
            Some((copy, end)) => PodHead::from_copy(text, start, Some((copy, end))),
            None => PodHead::read_at(text, start),
        }
    }

    /// The helper's copy of the pod at `start`, if it made one. Copies of pods the sink passed by
    /// without asking are dropped; a copy further on stays for later.
    fn copied(&mut self, start: usize) -> Option<(&str, usize)> {
        loop {
            while let Some(item) = self.batch.items.get(self.next) {
                if item.start >= start {
                    break;
                }
                self.next += 1;
            }
            if let Some(item) = self.batch.items.get(self.next) {
                if item.start != start {
                    return None;
                }
                self.next += 1;
                let copy = self.batch.text.get(item.copy.clone())?;
                return Some((copy, item.end));
            }
            let batch = self.from_helper.as_ref()?.recv();
            match batch {
                Ok(batch) => {
                    self.batch = batch;
                    self.next = 0;
                }
                Err(_) => {
                    self.from_helper = None;
                    return None;
                }
            }
        }
    }
}

/// Runs `walk` (the pager taking the items of `text`, whose first item is at or after
/// `items_start`, just past the `[`) with the pods' heads copied ahead on a helper thread when
/// `wanted` and the page is big enough; the helper is done when this returns.
pub fn with_heads_ahead<R>(
    text: &str,
    items_start: usize,
    wanted: bool,
    walk: impl FnOnce(&mut HeadsAhead) -> R,
) -> R {
    if !wanted || text.len().saturating_sub(items_start) < MIN_PAGE_BYTES {
        return walk(&mut HeadsAhead::none());
    }
    std::thread::scope(|scope| {
        let (to_sink, from_helper) = sync_channel(BATCHES_AHEAD);
        let helper = std::thread::Builder::new()
            .name("windoctor-heads".to_string())
            .spawn_scoped(scope, move || copy_heads(text, items_start, &to_sink));
        let mut ahead = match helper {
            Ok(_) => HeadsAhead {
                from_helper: Some(from_helper),
                ..HeadsAhead::none()
            },
            // No thread to be had: the sink copies every head itself, as on a small page.
            Err(_) => HeadsAhead::none(),
        };
        let walked = walk(&mut ahead);
        // The helper's next send fails once the receiver is gone, so it stops; the scope joins it.
        drop(ahead);
        walked
    })
}

/// The helper: walks the items from `pos` (just past `[`) and sends the head copies in batches,
/// until the end of the items, an item it cannot copy, or the sink no longer listening.
fn copy_heads(text: &str, items_start: usize, to_sink: &SyncSender<Batch>) {
    let bytes = text.as_bytes();
    // Each batch's text is sized for the one before it (plus an eighth): a batch of copies then
    // grows without moving its text again and again as it fills.
    let mut text_bytes = BATCH_ITEMS * 1024;
    let mut batch = Batch::sized(text_bytes);
    let mut next = Some(items_start);
    while let Some(pos) = next.and_then(|at| element_start(bytes, at)) {
        let from = batch.text.len();
        let Ok(end) = json_scan::prune(text, pos, &HEAD_FIELDS, &mut batch.text) else {
            batch.text.truncate(from);
            break;
        };
        batch.items.push(Copied {
            start: pos,
            end,
            copy: from..batch.text.len(),
        });
        if batch.items.len() == BATCH_ITEMS {
            text_bytes = batch.text.len() + batch.text.len() / 8;
            let full = std::mem::replace(&mut batch, Batch::sized(text_bytes));
            if to_sink.send(full).is_err() {
                return;
            }
        }
        next = after_element(bytes, end);
    }
    if !batch.items.is_empty() {
        let _ = to_sink.send(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::live::ahead_fixtures::{compact_pods, page, starts};

    fn heads(
        text: &str,
        items_start: usize,
        wanted: bool,
        asked: &[usize],
    ) -> Vec<Result<(String, usize), String>> {
        with_heads_ahead(text, items_start, wanted, |ahead| {
            asked
                .iter()
                .map(|&start| {
                    ahead
                        .read_at(text, start)
                        .map(|(head, end)| (format!("{:?}", head.into_pod()), end))
                        .map_err(|e| e.to_string())
                })
                .collect()
        })
    }

    #[test]
    fn heads_copied_ahead_are_the_heads_read_in_place() {
        let pods = compact_pods();
        assert!(pods.len() > 20, "the fixtures hold pods: {}", pods.len());
        let (text, items_start) = page(&pods, 40, None);
        assert!(
            text.len() - items_start >= MIN_PAGE_BYTES,
            "big enough for the helper"
        );
        let all = starts(&text, items_start);
        assert_eq!(all.len(), pods.len() * 40);
        let ahead = heads(&text, items_start, true, &all);
        let in_place = heads(&text, items_start, false, &all);
        assert_eq!(ahead.len(), all.len());
        assert!(ahead.iter().all(Result::is_ok));
        assert_eq!(ahead, in_place);
    }

    #[test]
    fn a_sink_that_asks_for_some_heads_only_gets_those() {
        let pods = compact_pods();
        let (text, items_start) = page(&pods, 40, None);
        let all = starts(&text, items_start);
        // Every third pod, and one asked at an offset that is no item's start.
        let mut asked: Vec<usize> = all.iter().copied().step_by(3).collect();
        asked.insert(5, asked[4] + 1);
        assert_eq!(
            heads(&text, items_start, true, &asked),
            heads(&text, items_start, false, &asked)
        );
    }

    #[test]
    fn an_item_the_helper_cannot_copy_is_read_by_the_sink_with_serde_json_s_words() {
        let pods = compact_pods();
        let broken = pods.len() * 20 + 3;
        let (text, items_start) = page(&pods, 40, Some(broken));
        let all = starts(&text, items_start);
        let ahead = heads(&text, items_start, true, &all);
        assert_eq!(ahead, heads(&text, items_start, false, &all));
        let Err(why) = &ahead[broken] else {
            panic!(
                "the broken item must not read as a head: {:?}",
                ahead[broken]
            );
        };
        assert!(why.contains("invalid type: integer `7`"), "{why}");
        assert!(ahead[broken + 1].is_ok(), "items after it are still read");
    }

    #[test]
    fn a_sink_that_stops_early_does_not_wait_for_the_helper() {
        let pods = compact_pods();
        let (text, items_start) = page(&pods, 200, None);
        let all = starts(&text, items_start);
        let first = heads(&text, items_start, true, &all[..3]);
        assert_eq!(first.len(), 3);
        assert!(first.iter().all(Result::is_ok));
    }

    #[test]
    fn small_pages_and_unwanted_heads_start_no_helper() {
        let pods = compact_pods();
        let (text, items_start) = page(&pods[..2], 1, None);
        let all = starts(&text, items_start);
        with_heads_ahead(&text, items_start, true, |ahead| {
            assert!(ahead.from_helper.is_none());
            assert!(ahead.read_at(&text, all[0]).is_ok());
        });
        let (text, items_start) = page(&pods, 40, None);
        with_heads_ahead(&text, items_start, false, |ahead| {
            assert!(ahead.from_helper.is_none());
        });
    }
}
