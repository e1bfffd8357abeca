//! EVE output: workers fill buffers and hand them to one writer thread,
//! which appends them to `eve.json`. Buffers travel back for reuse, so the
//! steady state allocates nothing.

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// A worker's handle on the writer.
pub struct EveQueue {
    full: Sender<Vec<u8>>,
    empty: Receiver<Vec<u8>>,
}

impl EveQueue {
    /// An empty buffer (recycled when one is available).
    pub fn buffer(&mut self) -> Vec<u8> {
        self.empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(256 * 1024))
    }

    /// Hands a filled buffer to the writer.
    pub fn send(&mut self, buf: Vec<u8>) {
        // If the writer died (disk error), the error is reported when it is
        // joined; dropping output here keeps the worker going.
        let _ = self.full.send(buf);
    }
}

/// The writer thread and the means to make queues for it.
pub struct EveWriter {
    full: Sender<Vec<u8>>,
    empty: Receiver<Vec<u8>>,
    handle: JoinHandle<std::io::Result<u64>>,
    path: PathBuf,
}

impl EveWriter {
    /// Creates (truncates) `path` and starts the writer thread.
    pub fn start(path: &Path) -> std::io::Result<EveWriter> {
        let file = File::create(path)?;
        // Bounded: workers wait rather than pile up output in memory when
        // the disk is slower than they are.
        let (full_tx, full_rx) = bounded::<Vec<u8>>(8);
        let (empty_tx, empty_rx) = unbounded::<Vec<u8>>();
        let handle = std::thread::Builder::new()
            .name("eve-writer".into())
            .spawn(move || -> std::io::Result<u64> {
                let mut out = BufWriter::with_capacity(1 << 20, file);
                let mut written = 0u64;
                for mut buf in full_rx {
                    out.write_all(&buf)?;
                    written += buf.len() as u64;
                    buf.clear();
                    let _ = empty_tx.send(buf);
                }
                out.flush()?;
                Ok(written)
            })?;
        Ok(EveWriter {
            full: full_tx,
            empty: empty_rx,
            handle,
            path: path.to_path_buf(),
        })
    }

    /// A queue for one worker (or the main thread).
    pub fn queue(&self) -> EveQueue {
        EveQueue {
            full: self.full.clone(),
            empty: self.empty.clone(),
        }
    }

    /// Waits for all queued output to be written. Every queue must have
    /// been dropped first.
    pub fn finish(self) -> anyhow::Result<u64> {
        drop(self.full);
        match self.handle.join() {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(anyhow::anyhow!("writing {}: {e}", self.path.display())),
            Err(_) => Err(anyhow::anyhow!("the EVE writer thread panicked")),
        }
    }
}
