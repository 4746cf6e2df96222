//! The git commands: `staged` (what the next commit records, for a pre-commit hook) and `git`
//! (a range of commits for CI, or every blob of the history). Enumeration lives in
//! `input::git`, blob reading in `source::git`, the added-line filter in `filter::added`; this
//! module only wires them to the shared workers and report.

use super::{finish, load_rules, thread_count, Counters, Ctx, Detector};
use crate::cli::{CommonArgs, GitArgs, StagedArgs};
use crate::diag::{Diagnostics, Level};
use crate::engine::{Compile, Scratch};
use crate::filter::added::{added_lines, touches_added};
use crate::finding::{rfc3339, Finding, GitProvenance, Occurrence};
use crate::input::git::{self as gitin, BlobItem, GitPlan, Repo};
use crate::source::{self, Policy};
use anyhow::{bail, Result};
use gix::bstr::ByteSlice;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Below this many blobs, listing the object database to sort by pack order costs more than it
/// saves.
const PACK_ORDER_MIN: usize = 256;
/// Blobs a worker takes at a time: neighbours in pack order share delta bases, and each worker
/// has its own delta-base cache.
const CHUNK: usize = 64;

/// Loads and compiles the rules on another thread while `enumerate` lists what to scan: the
/// two take about as long for a pre-commit hook, and rules loading needs no repository.
fn with_detector<T>(
    common: &CommonArgs,
    compile: Compile,
    enumerate: impl FnOnce() -> Result<T>,
) -> Result<(T, Detector)> {
    std::thread::scope(|s| {
        let detector = s.spawn(|| Detector::new(&load_rules(&common.config)?, compile));
        let listed = enumerate();
        let detector =
            detector.join().map_err(|_| anyhow::anyhow!("loading the rules failed"))??;
        Ok((listed?, detector))
    })
}

pub(super) fn staged(args: &StagedArgs) -> Result<u8> {
    let started = Instant::now();
    let repo = gitin::open(&args.repo)?;
    let (plan, detector) = with_detector(&args.common, Compile::LazySmall, || {
        Ok(gitin::staged(&repo.local(), args.all_lines)?)
    })?;
    run_plan(&repo, &plan, &args.common, &detector, !args.all_lines, started, &[])
}

pub(super) fn history(args: &GitArgs) -> Result<u8> {
    let started = Instant::now();
    let repo = gitin::open(&args.repo)?;
    let local = repo.local();
    let mut notes = Vec::new();
    let range = match (&args.since, &args.range) {
        (Some(since), _) => Some((gitin::resolve(&local, since)?, gitin::resolve(&local, "HEAD")?)),
        (None, Some(range)) => {
            let Some((a, b)) = range.split_once("..") else {
                bail!("--range {range}: expected A..B");
            };
            let b = if b.is_empty() { "HEAD" } else { b };
            Some((gitin::resolve(&local, a)?, gitin::resolve(&local, b)?))
        }
        (None, None) => None,
    };
    let ((mut plan, added_only), detector) = with_detector(&args.common, Compile::Lazy, || {
        Ok(match range {
            Some((from, to)) => (gitin::range(&local, from, to)?, !args.all_lines),
            None => (gitin::history(&local, &args.branch, args.all_occurrences)?, false),
        })
    })?;
    if plan.blobs.len() > PACK_ORDER_MIN {
        gitin::sort_by_pack_order(&local, &mut plan)?;
    }
    if repo.shallow {
        notes.push(
            "this is a shallow clone: history before its boundary commits is not in the repository \
             and was not scanned"
                .to_string(),
        );
    }
    run_plan(&repo, &plan, &args.common, &detector, added_only, started, &notes)
}

fn provenance(c: &gitin::CommitInfo) -> GitProvenance {
    GitProvenance {
        commit: c.id.to_string(),
        author: c.author.clone(),
        email: c.email.clone(),
        date: rfc3339(c.author_time),
    }
}

fn run_plan(
    repo: &Repo,
    plan: &GitPlan,
    common: &CommonArgs,
    detector: &Detector,
    added_only: bool,
    started: Instant,
    notes: &[String],
) -> Result<u8> {
    let ctx = Ctx {
        detector,
        policy: Policy {
            max_size: common.max_file_size,
            mmap_threshold: None,
            binary: common.binary,
        },
        show_secrets: common.show_secrets,
        findings: Mutex::new(Vec::new()),
        counters: Counters::default(),
        diags: Diagnostics::default(),
    };
    for n in notes {
        ctx.diags.push(Level::Note, n.clone());
    }
    for s in &plan.submodules {
        ctx.diags.push(Level::Note, format!("{}: submodule skipped", s.to_str_lossy()));
    }
    let commits: Vec<GitProvenance> = plan.commits.iter().map(provenance).collect();
    let threads = thread_count(common).min(plan.blobs.len()).max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let show_progress = !common.quiet && plan.blobs.len() > 1000 && std::io::stderr().is_terminal();
    std::thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..threads {
            workers.push(s.spawn(|| {
                let local = repo.local();
                let mut w = BlobWorker {
                    ctx: &ctx,
                    repo: &local,
                    commits: &commits,
                    scratch: detector.compiled.scratch(),
                    buf: Vec::new(),
                    before: Vec::new(),
                    findings: Vec::new(),
                    added_only,
                };
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= plan.blobs.len() {
                        break;
                    }
                    for item in &plan.blobs[start..(start + CHUNK).min(plan.blobs.len())] {
                        w.scan(item);
                    }
                }
                ctx.findings.lock().unwrap_or_else(|e| e.into_inner()).append(&mut w.findings);
            }));
        }
        if show_progress {
            s.spawn(|| progress(&ctx.counters, &next, plan.blobs.len(), &done));
        }
        for w in workers {
            let _ = w.join();
        }
        done.store(true, Ordering::Relaxed);
    });
    finish(&ctx, common, 0, started)
}

/// Redraws `blobs scanned / total, MB/s` on standard error until `done`.
fn progress(counters: &Counters, next: &AtomicUsize, total: usize, done: &AtomicBool) {
    let start = Instant::now();
    let mut err = std::io::stderr();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        let n = next.load(Ordering::Relaxed).min(total);
        let mb = counters.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = mb / start.elapsed().as_secs_f64().max(1e-3);
        let _ = write!(err, "\r\x1b[Kscanning blobs: {n}/{total}, {mb:.0} MB, {rate:.0} MB/s");
    }
    let _ = write!(err, "\r\x1b[K");
}

struct BlobWorker<'a> {
    ctx: &'a Ctx<'a>,
    repo: &'a gix::Repository,
    commits: &'a [GitProvenance],
    scratch: Scratch,
    buf: Vec<u8>,
    before: Vec<u8>,
    findings: Vec<Finding>,
    added_only: bool,
}

impl BlobWorker<'_> {
    /// The deleted blob `item` was most likely renamed from: the one it shares most lines with,
    /// if at least half of its lines are old (git's default similarity threshold).
    fn rename_source(
        repo: &gix::Repository,
        buf: &mut Vec<u8>,
        item: &BlobItem,
        data: &[u8],
    ) -> Option<gix::ObjectId> {
        let lines = data.lines().count().max(1);
        let mut best: Option<(usize, gix::ObjectId)> = None;
        for id in &item.rename_sources {
            let Ok(old) = source::git::read_blob(repo, id, buf) else { continue };
            let added = added_lines(old, data).len();
            if added * 2 <= lines && best.is_none_or(|(a, _)| added < a) {
                best = Some((added, *id));
            }
        }
        best.map(|(_, id)| id)
    }

    fn scan(&mut self, item: &BlobItem) {
        let ctx = self.ctx;
        let c = &ctx.counters;
        let path = item.path.to_str_lossy();
        let data = match source::git::read_blob(self.repo, &item.id, &mut self.buf) {
            Ok(d) => d,
            Err(message) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(Level::Error, format!("{path}: cannot read {message}"));
                return;
            }
        };
        if data.len() as u64 > ctx.policy.max_size {
            c.too_large.fetch_add(1, Ordering::Relaxed);
            ctx.diags.push(
                Level::Warning,
                format!(
                    "{path} (blob {}): skipped: {} bytes exceeds --max-file-size",
                    item.id,
                    data.len()
                ),
            );
            return;
        }
        if !ctx.policy.binary && source::looks_binary(data) {
            c.binary.fetch_add(1, Ordering::Relaxed);
            return;
        }
        c.files.fetch_add(1, Ordering::Relaxed);
        c.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let first = self.findings.len();
        let suppressed = ctx.detector.detect(
            &mut self.scratch,
            data,
            Some(&path),
            ctx.show_secrets,
            true,
            &mut self.findings,
        );
        c.suppressed.fetch_add(suppressed, Ordering::Relaxed);
        if self.findings.len() == first {
            return;
        }
        if self.added_only {
            let before_id = item
                .before
                .or_else(|| Self::rename_source(self.repo, &mut self.before, item, data));
            if let Some(before_id) = before_id {
                match source::git::read_blob(self.repo, &before_id, &mut self.before) {
                    Ok(before) => {
                        let added = added_lines(before, data);
                        let mut i = first;
                        while i < self.findings.len() {
                            let f = &self.findings[i];
                            if touches_added(&added, f.line, f.end_line) {
                                i += 1;
                            } else {
                                self.findings.swap_remove(i);
                            }
                        }
                    }
                    Err(message) => {
                        c.errors.fetch_add(1, Ordering::Relaxed);
                        ctx.diags.push(
                            Level::Error,
                            format!("{path}: cannot read the previous version ({message}); reporting every line"),
                        );
                    }
                }
            }
        }
        for f in &mut self.findings[first..] {
            f.git = item.commit.map(|ci| self.commits[ci].clone());
            f.occurrences = item
                .also
                .iter()
                .map(|(ci, p)| Occurrence {
                    commit: self.commits[*ci].commit.clone(),
                    path: p.to_str_lossy().into_owned(),
                })
                .collect();
        }
    }
}
