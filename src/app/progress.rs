//! The progress line of git scans on a terminal: commits walked, blobs scanned, throughput. It
//! is drawn from its own thread, which stops the moment the work does (a condition variable,
//! not a sleep): a pre-commit hook on a terminal must not wait for the next redraw to exit.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Counts shared by the workers and the drawing thread.
#[derive(Default)]
pub(super) struct Progress {
    commits: AtomicUsize,
    listed: AtomicUsize,
    scanned: AtomicUsize,
    bytes: AtomicU64,
    done: Mutex<bool>,
    wake: Condvar,
}

/// Redraw period.
const TICK: Duration = Duration::from_millis(200);
/// Scans shorter than this print no progress at all.
const QUIET_START: Duration = Duration::from_millis(500);

impl Progress {
    /// A commit's tree was entered.
    pub(super) fn commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` more blobs are to be scanned.
    pub(super) fn listed(&self, n: usize) {
        self.listed.fetch_add(n, Ordering::Relaxed);
    }

    /// A blob of `bytes` bytes was scanned.
    pub(super) fn scanned(&self, bytes: u64) {
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Marks the work done when dropped, however the work ends (a panic included), and wakes
    /// the drawing thread at once.
    pub(super) fn done_on_drop(&self) -> impl Drop + '_ {
        struct Done<'p>(&'p Progress);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                *self.0.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
                self.0.wake.notify_all();
            }
        }
        Done(self)
    }

    /// Redraws `commits walked, blobs scanned / listed, MB/s` on standard error until done,
    /// then erases the line.
    pub(super) fn draw(&self) {
        let start = Instant::now();
        let mut err = std::io::stderr();
        let mut drawn = false;
        loop {
            let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            if *done {
                break;
            }
            let (done, _) = self.wake.wait_timeout(done, TICK).unwrap_or_else(|e| e.into_inner());
            if *done {
                break;
            }
            // Not holding the lock while writing: a stalled terminal must not stall the end.
            drop(done);
            if start.elapsed() < QUIET_START {
                continue;
            }
            let scanned = self.scanned.load(Ordering::Relaxed);
            let listed = self.listed.load(Ordering::Relaxed);
            let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
            let rate = mb / start.elapsed().as_secs_f64().max(1e-3);
            let commits = match self.commits.load(Ordering::Relaxed) {
                0 => String::new(),
                n => format!("commits walked: {n}, "),
            };
            let _ = write!(
                err,
                "\r\x1b[K{commits}blobs scanned: {scanned}/{listed}, {mb:.0} MB, {rate:.0} MB/s"
            );
            drawn = true;
        }
        if drawn {
            let _ = write!(err, "\r\x1b[K");
        }
    }
}
