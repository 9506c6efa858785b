//! A capture file written on a thread of its own. The list reader that sanitizes each item fills
//! chunks of half a MiB; a writer thread takes them and does the rest: compressing them into an
//! archive member, or copying them into the page cache for a folder. That work (a seventh of an
//! archive capture's CPU, and the kernel's copy of half a gigabyte for a full one) then runs beside
//! the reading instead of in it.
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] full chunks wait for the writer, and the writer
//! hands emptied chunks back for reuse. A file that never fills one chunk (most of them) is
//! written when it is finished, on the caller's thread, with no thread started. A write error
//! stops the writer; the caller hears it at its next full chunk or when it finishes the file.
//! A file dropped unfinished (a failed or interrupted capture, which then removes it) never gets
//! [`Destination::finish`], so it is not synced, and its thread is joined before the drop returns.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// How many bytes are gathered before a chunk goes to the writer.
pub const CHUNK: usize = 512 * 1024;
/// How many full chunks may wait for the writer before the reader waits.
const IN_FLIGHT: usize = 2;

/// Where the bytes of a file finally go. `finish` completes and syncs it.
pub trait Destination: Write + Send + 'static {
    /// Completes the file (an archive member's trailer) and syncs it to disk.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// What the reader sends the writer.
enum Message {
    Chunk(Vec<u8>),
    /// Everything was sent: complete and sync the file.
    Finish,
}

/// A writer thread and its channels.
struct Writer {
    chunks: SyncSender<Message>,
    emptied: Receiver<Vec<u8>>,
    thread: JoinHandle<io::Result<()>>,
}

/// A file being written; see the module documentation.
pub struct Pipe {
    chunk: Vec<u8>,
    /// The destination, until a writer thread takes it.
    destination: Option<Box<dyn Destination>>,
    writer: Option<Writer>,
}

impl Pipe {
    pub fn new(destination: Box<dyn Destination>) -> Pipe {
        Pipe {
            chunk: Vec::new(),
            destination: Some(destination),
            writer: None,
        }
    }

    /// Writes what is left, completes the file and syncs it; the first error met, if any.
    pub fn finish(mut self) -> io::Result<()> {
        let chunk = std::mem::take(&mut self.chunk);
        if let Some(writer) = self.writer.take() {
            let sent = (chunk.is_empty() || writer.chunks.send(Message::Chunk(chunk)).is_ok())
                && writer.chunks.send(Message::Finish).is_ok();
            drop(writer.chunks);
            let result = join(writer.thread);
            return match result {
                Ok(()) if !sent => Err(io::Error::other("the file's writer stopped early")),
                other => other,
            };
        }
        let Some(mut destination) = self.destination.take() else {
            return Err(io::Error::other("the file was already closed"));
        };
        destination.write_all(&chunk)?;
        destination.finish()
    }

    /// Hands the full chunk to the writer thread, starting it the first time.
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.writer.is_none() {
            self.start_writer()?;
        }
        let Some(writer) = &self.writer else {
            return Err(io::Error::other("the file's writer is gone"));
        };
        let fresh = writer
            .emptied
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.chunk, fresh);
        if writer.chunks.send(Message::Chunk(full)).is_ok() {
            return Ok(());
        }
        // The writer stopped on an error: that error is the answer.
        let Some(writer) = self.writer.take() else {
            return Err(io::Error::other("the file's writer stopped"));
        };
        drop(writer.chunks);
        match join(writer.thread) {
            Ok(()) => Err(io::Error::other("the file's writer stopped")),
            Err(e) => Err(e),
        }
    }

    /// Starts the writer thread with the destination.
    fn start_writer(&mut self) -> io::Result<()> {
        let Some(destination) = self.destination.take() else {
            return Err(io::Error::other("the file was already closed"));
        };
        let (chunks, incoming) = sync_channel::<Message>(IN_FLIGHT);
        let (give_back, emptied) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let thread = std::thread::Builder::new()
            .name("windoctor-write".to_string())
            .spawn(move || write_all_chunks(destination, incoming, give_back))
            .map_err(|e| io::Error::other(format!("cannot start a thread to write it: {e}")))?;
        self.writer = Some(Writer {
            chunks,
            emptied,
            thread,
        });
        Ok(())
    }
}

/// The writer thread: writes each chunk as it comes and gives it back emptied; finishes the file
/// only when told to (a file dropped unfinished is just dropped).
fn write_all_chunks(
    mut destination: Box<dyn Destination>,
    incoming: Receiver<Message>,
    give_back: SyncSender<Vec<u8>>,
) -> io::Result<()> {
    for message in incoming {
        match message {
            Message::Chunk(mut chunk) => {
                destination.write_all(&chunk)?;
                // A chunk grown past two by one huge item is not kept.
                if chunk.capacity() <= 2 * CHUNK {
                    chunk.clear();
                    let _ = give_back.try_send(chunk);
                }
            }
            Message::Finish => return destination.finish(),
        }
    }
    Ok(())
}

/// The writer thread's result; a panic there is an error here, not a panic.
fn join(thread: JoinHandle<io::Result<()>>) -> io::Result<()> {
    thread
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the file's writer failed")))
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.chunk.len() + buf.len() > CHUNK && !self.chunk.is_empty() {
            self.send_chunk()?;
        }
        if self.chunk.capacity() == 0 {
            self.chunk.reserve(CHUNK.min(buf.len().max(4096)));
        }
        self.chunk.extend_from_slice(buf);
        if self.chunk.len() >= CHUNK {
            self.send_chunk()?;
        }
        Ok(buf.len())
    }

    /// Chunks are written as they fill; what is gathered is written by [`Pipe::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            drop(writer.chunks);
            let _ = writer.thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A destination that records what it got, can fail after some bytes, and notes `finish`.
    #[derive(Clone, Default)]
    struct Recorder {
        bytes: Arc<Mutex<Vec<u8>>>,
        finished: Arc<Mutex<bool>>,
        fail_after: Option<usize>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut bytes = self.bytes.lock().expect("lock");
            if self.fail_after.is_some_and(|n| bytes.len() + buf.len() > n) {
                return Err(io::Error::other("No space left on device (test)"));
            }
            bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Destination for Recorder {
        fn finish(self: Box<Self>) -> io::Result<()> {
            *self.finished.lock().expect("lock") = true;
            Ok(())
        }
    }

    fn numbered(lines: usize) -> Vec<Vec<u8>> {
        (0..lines)
            .map(|i| {
                format!("{{\"item\":{i},\"pad\":\"{}\"}},\n", "x".repeat(i % 300)).into_bytes()
            })
            .collect()
    }

    #[test]
    fn every_byte_arrives_in_order_small_and_large() {
        for lines in [0, 3, 20_000] {
            let recorder = Recorder::default();
            let mut pipe = Pipe::new(Box::new(recorder.clone()));
            let mut expected = Vec::new();
            for line in numbered(lines) {
                pipe.write_all(&line).expect("writes");
                expected.extend_from_slice(&line);
            }
            // One write larger than a chunk as well.
            let big = vec![b'y'; CHUNK * 2 + 17];
            pipe.write_all(&big).expect("writes");
            expected.extend_from_slice(&big);
            pipe.finish().expect("finishes");
            assert_eq!(*recorder.bytes.lock().expect("lock"), expected, "{lines}");
            assert!(*recorder.finished.lock().expect("lock"), "{lines}");
        }
    }

    #[test]
    fn a_small_file_starts_no_thread() {
        let recorder = Recorder::default();
        let mut pipe = Pipe::new(Box::new(recorder.clone()));
        pipe.write_all(b"{\"kind\":\"List\"}").expect("writes");
        assert!(pipe.writer.is_none());
        pipe.finish().expect("finishes");
        assert_eq!(
            *recorder.bytes.lock().expect("lock"),
            b"{\"kind\":\"List\"}"
        );
    }

    #[test]
    fn a_write_error_reaches_the_writer_or_the_finish() {
        let recorder = Recorder {
            fail_after: Some(3 * CHUNK),
            ..Recorder::default()
        };
        let mut pipe = Pipe::new(Box::new(recorder.clone()));
        let mut first_error = None;
        for line in numbered(200_000) {
            if let Err(e) = pipe.write_all(&line) {
                first_error = Some(e);
                break;
            }
        }
        let error = match first_error {
            Some(e) => e,
            None => pipe.finish().expect_err("the finish reports the error"),
        };
        assert!(error.to_string().contains("No space left"), "{error}");
        assert!(!*recorder.finished.lock().expect("lock"));
        assert!(recorder.bytes.lock().expect("lock").len() <= 3 * CHUNK);
    }

    #[test]
    fn a_file_dropped_unfinished_is_not_completed() {
        let recorder = Recorder::default();
        let mut pipe = Pipe::new(Box::new(recorder.clone()));
        for line in numbered(50_000) {
            pipe.write_all(&line).expect("writes");
        }
        assert!(pipe.writer.is_some());
        drop(pipe);
        assert!(!*recorder.finished.lock().expect("lock"));
        // The thread was joined: nothing is written after the drop.
        let len = recorder.bytes.lock().expect("lock").len();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(recorder.bytes.lock().expect("lock").len(), len);
    }
}
