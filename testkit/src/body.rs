//! Response bodies on the wire: a [`Payload`] (whole bytes, a streamed
//! "filled" body that is never built in memory, or bytes already gzipped)
//! turned into a hyper body, gzip-compressed on the fly when asked, and
//! optionally trickled out at a fixed byte rate after the headers.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::time::Sleep;

/// Size of the pieces a filled body is generated in.
const CHUNK: usize = 64 * 1024;

/// What a reply's body consists of, before transport encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Payload {
    /// Plain bytes.
    Bytes(Vec<u8>),
    /// `prefix`, then `len` copies of `byte`, then `suffix`, generated while
    /// it is sent.
    Filled {
        prefix: Vec<u8>,
        byte: u8,
        len: u64,
        suffix: Vec<u8>,
    },
    /// Bytes that are already gzip-encoded: sent as they are with
    /// `Content-Encoding: gzip`, whatever the client accepts.
    Gzipped(Arc<[u8]>),
}

impl Payload {
    /// Length of the (uncompressed) payload.
    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::Filled {
                prefix,
                len,
                suffix,
                ..
            } => prefix.len() as u64 + len + suffix.len() as u64,
            Payload::Gzipped(b) => b.len() as u64,
        }
    }
}

/// Produces the pieces of a body in order.
type Chunks = Box<dyn Iterator<Item = Bytes> + Send>;

/// The pieces of a filled payload.
fn filled_chunks(prefix: Vec<u8>, byte: u8, len: u64, suffix: Vec<u8>) -> Chunks {
    let block = Bytes::from(vec![byte; CHUNK]);
    let full = len / CHUNK as u64;
    let rest = (len % CHUNK as u64) as usize;
    let middle = (0..full)
        .map(move |_| block.clone())
        .chain((rest > 0).then(|| Bytes::from(vec![byte; rest])));
    Box::new(
        std::iter::once(Bytes::from(prefix))
            .chain(middle)
            .chain(std::iter::once(Bytes::from(suffix))),
    )
}

/// Gzip-compresses `inner` piece by piece.
struct GzipChunks {
    inner: Chunks,
    encoder: Option<GzEncoder<Vec<u8>>>,
}

impl Iterator for GzipChunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        loop {
            let encoder = self.encoder.as_mut()?;
            match self.inner.next() {
                Some(piece) => {
                    // Writing into a Vec cannot fail.
                    let _ = encoder.write_all(&piece);
                    let out = std::mem::take(encoder.get_mut());
                    if !out.is_empty() {
                        return Some(Bytes::from(out));
                    }
                }
                None => {
                    let encoder = self.encoder.take()?;
                    return encoder.finish().ok().map(Bytes::from);
                }
            }
        }
    }
}

/// Compresses a filled payload (`prefix`, `len` copies of `byte`,
/// `suffix`) piece by piece at the best level: a small body that inflates
/// to a huge one.
pub(crate) fn gzip_filled(prefix: Vec<u8>, byte: u8, len: u64, suffix: Vec<u8>) -> Vec<u8> {
    GzipChunks {
        inner: filled_chunks(prefix, byte, len, suffix),
        encoder: Some(GzEncoder::new(Vec::new(), Compression::best())),
    }
    .flat_map(|b| b.to_vec())
    .collect()
}

/// Compresses `body` in one go.
pub(crate) fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// A response body: the pieces of a payload, optionally rate-limited.
pub(crate) struct ResponseBody {
    chunks: Chunks,
    /// Exact length when known up front (whole, untrickled bodies).
    exact: Option<u64>,
    pending: Bytes,
    trickle: Option<Trickle>,
    sleep: Option<Pin<Box<Sleep>>>,
    done: bool,
}

/// A byte rate: `piece` bytes every `interval`.
#[derive(Debug, Clone, Copy)]
struct Trickle {
    piece: usize,
    interval: Duration,
}

impl Trickle {
    /// About ten pieces a second, at least one byte each.
    fn per_second(bytes: u64) -> Trickle {
        let bytes = bytes.max(1);
        if bytes >= 10 {
            Trickle {
                piece: (bytes / 10) as usize,
                interval: Duration::from_millis(100),
            }
        } else {
            Trickle {
                piece: 1,
                interval: Duration::from_millis(1000 / bytes),
            }
        }
    }
}

impl ResponseBody {
    /// The body for `payload`; `compress` gzips a plain or filled payload,
    /// `trickle` sends at most that many bytes a second.
    pub fn new(payload: Payload, compress: bool, trickle: Option<u64>) -> ResponseBody {
        let (chunks, exact): (Chunks, Option<u64>) = match payload {
            Payload::Bytes(bytes) if compress => {
                let zipped = gzip(&bytes).unwrap_or_default();
                let len = zipped.len() as u64;
                (Box::new(std::iter::once(Bytes::from(zipped))), Some(len))
            }
            Payload::Bytes(bytes) => {
                let len = bytes.len() as u64;
                (Box::new(std::iter::once(Bytes::from(bytes))), Some(len))
            }
            Payload::Gzipped(bytes) => {
                let len = bytes.len() as u64;
                (
                    Box::new(std::iter::once(Bytes::copy_from_slice(&bytes))),
                    Some(len),
                )
            }
            Payload::Filled {
                prefix,
                byte,
                len,
                suffix,
            } => {
                let chunks = filled_chunks(prefix, byte, len, suffix);
                if compress {
                    let encoder = GzEncoder::new(Vec::new(), Compression::fast());
                    (
                        Box::new(GzipChunks {
                            inner: chunks,
                            encoder: Some(encoder),
                        }),
                        None,
                    )
                } else {
                    (chunks, None)
                }
            }
        };
        let trickle = trickle.map(Trickle::per_second);
        ResponseBody {
            chunks,
            exact: exact.filter(|_| trickle.is_none()),
            pending: Bytes::new(),
            trickle,
            sleep: None,
            done: false,
        }
    }

    /// Whether the payload is sent gzip-encoded.
    pub fn encoded(payload: &Payload, compress: bool) -> bool {
        matches!(payload, Payload::Gzipped(_)) || compress
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(sleep) = this.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        while this.pending.is_empty() {
            match this.chunks.next() {
                Some(piece) => this.pending = piece,
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
        let piece = match this.trickle {
            Some(rate) => {
                let piece = this.pending.split_to(rate.piece.min(this.pending.len()));
                this.sleep = Some(Box::pin(tokio::time::sleep(rate.interval)));
                piece
            }
            None => std::mem::take(&mut this.pending),
        };
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.exact == Some(0)
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn collect(chunks: Chunks) -> Vec<u8> {
        chunks.flat_map(|b| b.to_vec()).collect()
    }

    #[test]
    fn filled_is_prefix_fill_suffix() {
        let body = collect(filled_chunks(
            b"[".to_vec(),
            b'x',
            CHUNK as u64 * 2 + 3,
            b"]".to_vec(),
        ));
        assert_eq!(body.len(), CHUNK * 2 + 5);
        assert_eq!(body[0], b'[');
        assert_eq!(body[body.len() - 1], b']');
        assert!(body[1..body.len() - 1].iter().all(|&b| b == b'x'));
    }

    #[test]
    fn streamed_gzip_inflates_to_the_filled_body() -> anyhow::Result<()> {
        let zipped = collect(Box::new(GzipChunks {
            inner: filled_chunks(b"{\"a\":\"".to_vec(), b'y', 300_000, b"\"}".to_vec()),
            encoder: Some(GzEncoder::new(Vec::new(), Compression::fast())),
        }));
        assert!(zipped.len() < 10_000);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut out)?;
        assert_eq!(out.len(), 300_008);
        let value: serde_json::Value = serde_json::from_slice(&out)?;
        assert_eq!(value["a"].as_str().map(str::len), Some(300_000));
        Ok(())
    }

    #[test]
    fn trickle_rates() {
        let t = Trickle::per_second(1000);
        assert_eq!((t.piece, t.interval), (100, Duration::from_millis(100)));
        let t = Trickle::per_second(2);
        assert_eq!((t.piece, t.interval), (1, Duration::from_millis(500)));
    }
}
