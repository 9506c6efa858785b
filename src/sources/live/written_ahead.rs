//! Items written ahead of the pager on helper threads, for a sink that writes every item of a big
//! page: a full capture's pods.
//!
//! A full capture writes each of the 150,000 pods of a big cluster sanitized
//! (`commands::capture::streamed`): reading a pod's JSON and writing it again, redacted, is most of
//! such a capture's CPU, and it ran on the one thread that takes a page's items while the second
//! core waited. [`with_written_ahead`] splits a big page's items into runs of [`RUN_ITEMS`]; of
//! every `HELPERS + 1` runs the sink writes the first itself and each of [`HELPERS`] helper threads
//! one of the others (runs 1, 2, 4, 5, ... with two helpers) into a buffer, with the sink's own
//! [`ItemWriter`], passing over the other runs with the structural scanner (`facts::json_scan`).
//! When the sink reaches an item of a helper's runs, [`WrittenAhead::take`] gives it that helper's
//! bytes, so the items still reach the file in list order, each written by the same function as
//! before: the file is the same. A helper stops at the first item it cannot write or pass over, at
//! the end of the items, or when the sink stops listening (the page failed); from there the sink
//! writes that helper's items itself, and so words any error as it always did. Small pages start
//! no thread.

use crate::facts::json_scan::{self, after_element, element_start};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Pages with less text after `[` than this are written on one thread.
const MIN_PAGE_BYTES: usize = 256 << 10;

/// Items per run: the helper writes every second run.
pub const RUN_ITEMS: usize = 16;

/// Runs written and not yet taken, at most: the helper runs at most this far ahead.
const RUNS_AHEAD: usize = 4;

/// The names of a list item as a writer wrote it: its `metadata.namespace` and `metadata.name`
/// (the list's item key), and a Pod's `spec.nodeName`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ItemNames {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub node_name: Option<String>,
}

/// Writes one list item, as the sink would: the item at byte `start` of `text` (the page) is
/// appended to `out`; gives its names and the offset just past it, or `None` when it cannot be
/// written (what `out` got then is dropped, and the sink writes the item itself).
pub trait ItemWriter: Send + Sync {
    fn write(&self, text: &str, start: usize, out: &mut Vec<u8>) -> Option<(ItemNames, usize)>;
}

/// One item written by the helper.
struct Written {
    /// Where the item starts in the page text.
    start: usize,
    /// Just past the item.
    end: usize,
    names: ItemNames,
    /// Its bytes, in the run's buffer.
    bytes: Range<usize>,
}

/// One run written by the helper.
#[derive(Default)]
struct Run {
    bytes: Vec<u8>,
    items: Vec<Written>,
}

/// An item the helper wrote: its bytes, its names and the offset just past it in the page.
pub struct TakenItem<'a> {
    pub bytes: &'a [u8],
    pub names: ItemNames,
    pub end: usize,
}

/// What the sink asks for items written ahead; see the module documentation.
pub struct WrittenAhead {
    helpers: Vec<FromHelper>,
    /// Items asked for so far: the position of the next one in the page.
    asked: usize,
}

/// What the sink has of one helper's runs: the run being taken and the channel of the next ones
/// (`None` once the helper is done).
#[derive(Default)]
struct FromHelper {
    runs: Option<Receiver<Run>>,
    run: Run,
    next: usize,
}

/// Helper threads per big page. Each writes every `HELPERS + 1`-th run; the sink writes the rest
/// and puts every item in the file. With one helper a full capture kept 1.2 of the two cores
/// busy (perf, 5,000/150k): the sink and the helper waited for each other's runs. With two, the
/// capture's wall went down by about 5% (docs/performance.md).
pub const HELPERS: usize = 2;

/// Which helper writes the item at `index` of a page: `None` when the sink writes it.
fn helper_of(index: usize) -> Option<usize> {
    ((index / RUN_ITEMS) % (HELPERS + 1)).checked_sub(1)
}

impl WrittenAhead {
    /// Nothing written ahead: the sink writes every item.
    pub fn none() -> WrittenAhead {
        WrittenAhead {
            helpers: Vec::new(),
            asked: 0,
        }
    }

    /// The next item of the page, which starts at byte `start`, as a helper wrote it; `None`
    /// when the sink writes it itself (one of its runs, no helper, or the helper stopped before
    /// it). A sink that uses this asks once for every item, in list order.
    pub fn take(&mut self, start: usize) -> Option<TakenItem<'_>> {
        let index = self.asked;
        self.asked += 1;
        self.helpers.get_mut(helper_of(index)?)?.take(start)
    }
}

impl FromHelper {
    /// The item at `start`, from this helper's runs, waiting for the run that holds it.
    fn take(&mut self, start: usize) -> Option<TakenItem<'_>> {
        loop {
            while let Some(item) = self.run.items.get(self.next) {
                if item.start >= start {
                    break;
                }
                self.next += 1;
            }
            if self.next < self.run.items.len() {
                let item = self.run.items.get_mut(self.next)?;
                if item.start != start {
                    return None;
                }
                self.next += 1;
                let names = std::mem::take(&mut item.names);
                let (end, range) = (item.end, item.bytes.clone());
                let bytes = self.run.bytes.get(range)?;
                return Some(TakenItem { bytes, names, end });
            }
            match self.runs.as_ref()?.recv() {
                Ok(run) => {
                    self.run = run;
                    self.next = 0;
                }
                Err(_) => {
                    self.runs = None;
                    return None;
                }
            }
        }
    }
}

/// Runs `walk` (the pager taking the items of `text`, whose first item is at or after
/// `items_start`, just past the `[`) with every second run of items written ahead by `writer` on
/// a helper thread, when there is a writer and the page is big enough; the helper is done when
/// this returns.
pub fn with_written_ahead<R>(
    text: &str,
    items_start: usize,
    writer: Option<&dyn ItemWriter>,
    walk: impl FnOnce(&mut WrittenAhead) -> R,
) -> R {
    let Some(writer) = writer else {
        return walk(&mut WrittenAhead::none());
    };
    if text.len().saturating_sub(items_start) < MIN_PAGE_BYTES {
        return walk(&mut WrittenAhead::none());
    }
    std::thread::scope(|scope| {
        let mut ahead = WrittenAhead::none();
        for helper in 0..HELPERS {
            let (to_sink, runs) = sync_channel(RUNS_AHEAD);
            let started = std::thread::Builder::new()
                .name("windoctor-ahead".to_string())
                .spawn_scoped(scope, move || {
                    write_runs(text, items_start, helper, writer, &to_sink)
                });
            // No thread to be had: the sink writes that helper's items itself.
            ahead.helpers.push(FromHelper {
                runs: started.is_ok().then_some(runs),
                ..FromHelper::default()
            });
        }
        let walked = walk(&mut ahead);
        // A helper's next send fails once its receiver is gone, so it stops; the scope joins it.
        drop(ahead);
        walked
    })
}

/// Helper number `helper`: walks the items from `items_start` (just past `[`), writes the items of
/// its runs and sends each run, until the end of the items, an item it cannot write or pass over,
/// or the sink no longer listening.
fn write_runs(
    text: &str,
    items_start: usize,
    helper: usize,
    writer: &dyn ItemWriter,
    to_sink: &SyncSender<Run>,
) {
    let bytes = text.as_bytes();
    let mut run = Run::default();
    let mut index = 0usize;
    let mut next = Some(items_start);
    while let Some(pos) = next.and_then(|at| element_start(bytes, at)) {
        let end = if helper_of(index) == Some(helper) {
            let from = run.bytes.len();
            let Some((names, end)) = writer.write(text, pos, &mut run.bytes) else {
                run.bytes.truncate(from);
                break;
            };
            run.items.push(Written {
                start: pos,
                end,
                names,
                bytes: from..run.bytes.len(),
            });
            if run.items.len() == RUN_ITEMS && to_sink.send(std::mem::take(&mut run)).is_err() {
                return;
            }
            end
        } else {
            match json_scan::value_end(bytes, pos) {
                Ok(end) => end,
                Err(_) => break,
            }
        };
        index += 1;
        next = after_element(bytes, end);
    }
    if !run.items.is_empty() {
        let _ = to_sink.send(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::live::ahead_fixtures::{compact_pods, page, starts};

    /// A writer for the tests: the item's text with its blanks taken out, and its name; `None`
    /// for an item that is not an object with a string `metadata.name`.
    struct Squeeze;

    impl ItemWriter for Squeeze {
        fn write(&self, text: &str, start: usize, out: &mut Vec<u8>) -> Option<(ItemNames, usize)> {
            let end = json_scan::value_end(text.as_bytes(), start).ok()?;
            let value: serde_json::Value = serde_json::from_str(text.get(start..end)?).ok()?;
            let name = value.pointer("/metadata/name")?.as_str()?.to_string();
            out.extend_from_slice(value.to_string().as_bytes());
            Some((
                ItemNames {
                    name: Some(name),
                    ..ItemNames::default()
                },
                end,
            ))
        }
    }

    /// One item as the sink got it: its bytes, names and end; `None` when it could not be written.
    type SinkItem = Option<(String, ItemNames, usize)>;

    /// What a sink writes of the items at `asked` (in order), and how many the helper wrote.
    fn written(
        text: &str,
        items_start: usize,
        writer: Option<&dyn ItemWriter>,
        asked: &[usize],
    ) -> (Vec<SinkItem>, usize) {
        let mut by_helper = 0;
        let items = with_written_ahead(text, items_start, writer, |ahead| {
            asked
                .iter()
                .map(|&start| {
                    if let Some(taken) = ahead.take(start) {
                        by_helper += 1;
                        let bytes = String::from_utf8(taken.bytes.to_vec()).ok()?;
                        return Some((bytes, taken.names, taken.end));
                    }
                    let mut out = Vec::new();
                    let (names, end) = Squeeze.write(text, start, &mut out)?;
                    Some((String::from_utf8(out).ok()?, names, end))
                })
                .collect()
        });
        (items, by_helper)
    }

    #[test]
    fn items_written_ahead_are_the_items_the_sink_writes() {
        let pods = compact_pods();
        assert!(pods.len() > 20, "the fixtures hold pods: {}", pods.len());
        let (text, items_start) = page(&pods, 40, None);
        assert!(text.len() - items_start >= MIN_PAGE_BYTES, "big enough");
        let all = starts(&text, items_start);
        let (ahead, by_helper) = written(&text, items_start, Some(&Squeeze), &all);
        let (alone, none_by_helper) = written(&text, items_start, None, &all);
        assert_eq!(ahead.len(), all.len());
        assert!(ahead.iter().all(Option::is_some));
        assert_eq!(ahead, alone);
        assert_eq!(none_by_helper, 0);
        // Of every HELPERS + 1 runs of 16, the sink writes the first and the helpers the others.
        let expected = (0..all.len()).filter(|&i| helper_of(i).is_some()).count();
        assert_eq!(by_helper, expected);
        assert!(by_helper > all.len() / 3, "{by_helper} of {}", all.len());
    }

    #[test]
    fn an_item_the_helper_cannot_write_is_left_to_the_sink_and_so_is_every_item_after_it() {
        let pods = compact_pods();
        // In the second run of the first helper.
        let broken = (HELPERS + 2) * RUN_ITEMS + 5;
        assert_eq!(helper_of(broken), Some(0));
        let (text, items_start) = page(&pods, 40, Some(broken));
        let all = starts(&text, items_start);
        let (ahead, by_helper) = written(&text, items_start, Some(&Squeeze), &all);
        assert_eq!(ahead, written(&text, items_start, None, &all).0);
        assert!(ahead[broken].is_none(), "the sink's writer refuses it too");
        assert!(
            ahead[broken + 1].is_some(),
            "items after it are still written"
        );
        // The first helper stopped at the broken item; the others passed over it and went on.
        let expected = (0..all.len())
            .filter(|&i| match helper_of(i) {
                Some(0) => i < broken,
                Some(_) => true,
                None => false,
            })
            .count();
        assert_eq!(by_helper, expected, "the first helper stopped there");
        assert!(expected > RUN_ITEMS + 5);
    }

    #[test]
    fn a_sink_that_stops_early_does_not_wait_for_the_helper() {
        let pods = compact_pods();
        let (text, items_start) = page(&pods, 200, None);
        let all = starts(&text, items_start);
        let (first, _) = written(&text, items_start, Some(&Squeeze), &all[..RUN_ITEMS + 3]);
        assert_eq!(first.len(), RUN_ITEMS + 3);
        assert!(first.iter().all(Option::is_some));
    }

    #[test]
    fn small_pages_and_sinks_without_a_writer_start_no_helper() {
        let pods = compact_pods();
        let (text, items_start) = page(&pods[..2], 1, None);
        with_written_ahead(&text, items_start, Some(&Squeeze), |ahead| {
            assert!(ahead.helpers.is_empty());
        });
        let (text, items_start) = page(&pods, 40, None);
        with_written_ahead(&text, items_start, None, |ahead| {
            assert!(ahead.helpers.is_empty());
        });
    }
}
