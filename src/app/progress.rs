//! The progress line of git scans on a terminal: which phase the scan is in, how far each part
//! has got, throughput and the time left. It is drawn from its own thread, which stops the
//! moment the work does (a condition variable, not a sleep): a pre-commit hook on a terminal
//! must not wait for the next redraw to exit.
//!
//! Our own rather than `indicatif`: the sweep shows two parts that run at once (the commit walk
//! and the pack pass) on one line, short scans must print nothing at all, and the drawing
//! thread must stop on a condition variable; that is this file, where `indicatif` would bring a
//! ticker thread and a terminal layer of its own to configure into the same shape.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Counts shared by the workers and the drawing thread.
pub(super) struct Progress {
    /// What the blobs are (`packed blobs`, `remaining blobs`).
    blobs_label: &'static str,
    commits: AtomicUsize,
    commits_total: AtomicUsize,
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
    /// Progress of a scan whose blob part is called `blobs_label`.
    pub(super) fn new(blobs_label: &'static str) -> Progress {
        Progress {
            blobs_label,
            commits: AtomicUsize::new(0),
            commits_total: AtomicUsize::new(0),
            listed: AtomicUsize::new(0),
            scanned: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            done: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    /// The walk entered the `n`th of `total` commits' trees.
    pub(super) fn commit(&self, n: usize, total: usize) {
        self.commits.store(n, Ordering::Relaxed);
        self.commits_total.store(total, Ordering::Relaxed);
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

    /// Redraws the line until done, then erases it.
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
            let _ = write!(err, "\r\x1b[K{}", self.line(start.elapsed()));
            drawn = true;
        }
        if drawn {
            let _ = write!(err, "\r\x1b[K");
        }
    }

    /// `walking commits 1200/5000 · scanning packed blobs 3000/9000, 120 MB/s · about 9s
    /// left`: each part with its count, the blob part with its throughput, and the time left,
    /// from each part's rate so far, for the slower part.
    fn line(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let left = |done: usize, total: usize| {
            (done > 0 && total > done).then(|| (total - done) as f64 * secs / done as f64)
        };
        let mut parts = Vec::new();
        let mut eta: Option<f64> = None;
        let (commits, commits_total) =
            (self.commits.load(Ordering::Relaxed), self.commits_total.load(Ordering::Relaxed));
        if commits_total > 0 && commits < commits_total {
            parts.push(format!("walking commits {commits}/{commits_total}"));
            eta = left(commits, commits_total);
        } else if commits_total > 0 {
            parts.push(format!("{commits_total} commits walked"));
        }
        let (scanned, listed) =
            (self.scanned.load(Ordering::Relaxed), self.listed.load(Ordering::Relaxed));
        let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        if listed > 0 && scanned < listed {
            let rate = mb / secs;
            let what = self.blobs_label;
            parts.push(format!("scanning {what} {scanned}/{listed}, {rate:.0} MB/s"));
            eta = match (eta, left(scanned, listed)) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        } else if listed > 0 {
            parts.push(format!("{listed} {} scanned ({mb:.0} MB)", self.blobs_label));
        }
        if let Some(eta) = eta {
            parts.push(format!("about {} left", duration_text(eta)));
        }
        parts.join(" · ")
    }
}

/// `42s`, `3m05s`, `1h02m`.
fn duration_text(secs: f64) -> String {
    let s = secs.ceil() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_each_running_part_and_the_time_left_of_the_slower() {
        let p = Progress::new("packed blobs");
        p.commit(100, 400);
        p.listed(1000);
        for _ in 0..500 {
            p.scanned(2_000_000);
        }
        // 100 of 400 commits in 10 s: 30 s left; half the blobs: 10 s left.
        assert_eq!(
            p.line(Duration::from_secs(10)),
            "walking commits 100/400 · scanning packed blobs 500/1000, 100 MB/s · about 30s left"
        );
        p.commit(400, 400);
        assert_eq!(
            p.line(Duration::from_secs(10)),
            "400 commits walked · scanning packed blobs 500/1000, 100 MB/s · about 10s left"
        );
        for _ in 0..500 {
            p.scanned(0);
        }
        assert_eq!(
            p.line(Duration::from_secs(10)),
            "400 commits walked · 1000 packed blobs scanned (1000 MB)"
        );
    }

    #[test]
    fn durations_read_as_a_person_would_write_them() {
        assert_eq!(duration_text(41.2), "42s");
        assert_eq!(duration_text(185.0), "3m05s");
        assert_eq!(duration_text(3720.0), "1h02m");
    }
}
