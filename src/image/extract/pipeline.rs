//! The two-thread pipeline: a producer thread fills recycled chunks, the reader empties them.

use super::decompress::CHUNK;
use std::io::{self, Read};
use std::sync::mpsc;

/// over a bounded channel, so decompression and file writes use both cores. Memory: at most
/// `depth` chunks in flight; emptied chunks travel back to be refilled (no allocation, and no
/// copy: the producer decompresses straight into them).
pub(crate) fn pipelined<F>(depth: usize, produce: F) -> ChannelReader
where
    F: FnOnce(&mut Sink) -> io::Result<()> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(depth);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut sink = Sink { tx, back: back_rx };
        if let Err(e) = produce(&mut sink) {
            let _ = sink.tx.send(Err(e));
        }
    });
    ChannelReader {
        rx,
        back: back_tx,
        current: Vec::new(),
        pos: 0,
    }
}

/// The producing side of [`pipelined`]: recycled buffers out, filled ones in.
pub(crate) struct Sink {
    tx: mpsc::SyncSender<io::Result<Vec<u8>>>,
    back: mpsc::Receiver<Vec<u8>>,
}

impl Sink {
    /// An empty buffer of `CHUNK` bytes to fill (one the consumer has emptied, when there is).
    fn buffer(&mut self) -> Vec<u8> {
        let mut buf = self.back.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        buf
    }

    /// Hands a filled buffer over; `false` when the consumer has gone.
    fn send(&mut self, buf: Vec<u8>) -> bool {
        self.tx.send(Ok(buf)).is_ok()
    }
}

/// The consuming side of [`pipelined`].
pub(crate) struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    back: mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.current.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let done = std::mem::replace(&mut self.current, chunk);
                    if done.capacity() > 0 {
                        let _ = self.back.send(done);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads `reader` into the sink's buffers until end of stream (used inside [`pipelined`]).
pub(crate) fn pump(mut reader: impl Read, sink: &mut Sink) -> io::Result<()> {
    loop {
        let mut buf = sink.buffer();
        let n = loop {
            match reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        if !sink.send(buf) {
            return Ok(());
        }
    }
}
