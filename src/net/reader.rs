//! Response bodies read from synchronous code: batched by a task on the runtime, or chunk by
//! chunk when no runtime is installed.

use super::classify::body_error;
use super::runtime::{block_on, handle};
use std::io::Read;
use std::sync::Mutex;

/// The body of `inner` as a blocking stream (see [`super::Response::into_reader`]).
pub(super) fn body_reader(
    url: String,
    inner: reqwest::Response,
) -> Box<dyn Read + Send + Sync + 'static> {
    if let Some(handle) = handle() {
        return Box::new(BatchedReader::start(handle, url, inner));
    }
    Box::new(BodyReader {
        url,
        inner: Mutex::new(Some(inner)),
        chunk: bytes::Bytes::new(),
    })
}

/// Body bytes gathered on the runtime before the reading thread is woken: one hand-over per
/// 256 KiB instead of one per network read (each a thread wake-up).
const BATCH_BYTES: usize = 256 * 1024;
/// Batches waiting for the reader at most (memory: about 1 MiB per body).
const BATCH_DEPTH: usize = 4;

type Batch = std::io::Result<Vec<bytes::Bytes>>;

/// A response body read by a task on the runtime, handed in batches to synchronous code.
struct BatchedReader {
    rx: Mutex<tokio::sync::mpsc::Receiver<Batch>>,
    pending: std::collections::VecDeque<bytes::Bytes>,
    ended: bool,
}

impl BatchedReader {
    fn start(handle: &tokio::runtime::Handle, url: String, mut resp: reqwest::Response) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(BATCH_DEPTH);
        handle.spawn(async move {
            let mut batch = Vec::new();
            let mut size = 0;
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        size += c.len();
                        batch.push(c);
                        if size >= BATCH_BYTES {
                            size = 0;
                            // The reader went away: stop reading (the response is dropped).
                            if tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        if !batch.is_empty() {
                            let _ = tx.send(Ok(batch)).await;
                        }
                        return;
                    }
                    Err(e) => {
                        if !batch.is_empty() && tx.send(Ok(batch)).await.is_err() {
                            return;
                        }
                        let kind = if e.is_timeout() {
                            std::io::ErrorKind::TimedOut
                        } else {
                            std::io::ErrorKind::UnexpectedEof
                        };
                        let err = std::io::Error::new(kind, body_error("GET", &url, &e));
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                }
            }
        });
        BatchedReader {
            rx: Mutex::new(rx),
            pending: std::collections::VecDeque::new(),
            ended: false,
        }
    }
}

impl Read for BatchedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(front) = self.pending.front_mut() {
                let n = buf.len().min(front.len());
                buf[..n].copy_from_slice(&front[..n]);
                bytes::Buf::advance(front, n);
                if front.is_empty() {
                    self.pending.pop_front();
                }
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            let rx = self
                .rx
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match block_on(rx.recv()) {
                Some(Ok(batch)) => self
                    .pending
                    .extend(batch.into_iter().filter(|b| !b.is_empty())),
                Some(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                None => self.ended = true,
            }
        }
    }
}

/// A response body read chunk by chunk from synchronous code.
struct BodyReader {
    url: String,
    inner: Mutex<Option<reqwest::Response>>,
    chunk: bytes::Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.chunk.is_empty() {
            let slot = self
                .inner
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(resp) = slot.as_mut() else {
                return Ok(0);
            };
            match block_on(resp.chunk()) {
                Ok(Some(c)) => self.chunk = c,
                Ok(None) => {
                    *slot = None;
                    return Ok(0);
                }
                Err(e) => {
                    *slot = None;
                    let kind = if e.is_timeout() {
                        std::io::ErrorKind::TimedOut
                    } else {
                        std::io::ErrorKind::UnexpectedEof
                    };
                    return Err(std::io::Error::new(kind, body_error("GET", &self.url, &e)));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        Ok(n)
    }
}
