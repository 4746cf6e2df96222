//! The git commands: `staged` (what the next commit records, for a pre-commit hook) and `git`
//! (a range of commits for CI, or every blob of the history). Enumeration lives in
//! `input::git`, blob reading in `source::git`, the added-line filter in `filter::added`; this
//! module only wires them to the shared workers and report.

use super::{finish, load, thread_count, Counters, Ctx, Loaded};
use crate::cli::{CommonArgs, GitArgs, StagedArgs};
use crate::diag::{Diagnostics, Level};
use crate::engine::{Compile, Scratch};
use crate::filter::added::{added_lines, touches_added};
use crate::finding::{rfc3339, Finding, GitProvenance, Occurrence};
use crate::input::git::{self as gitin, BlobItem, GitPlan, Repo, Visit};
use crate::odb::Objects;
use crate::source::{self, Policy, Skip};
use anyhow::{bail, Result};
use gix::bstr::{BString, ByteSlice};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
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
    repo: &Repo,
    compile: Compile,
    enumerate: impl FnOnce() -> Result<T>,
) -> Result<(T, Loaded)> {
    std::thread::scope(|s| {
        let loaded = s.spawn(|| load(common, repo.workdir.as_deref(), compile));
        let listed = enumerate();
        let loaded = loaded.join().map_err(|_| anyhow::anyhow!("loading the rules failed"))??;
        Ok((listed?, loaded))
    })
}

pub(super) fn staged(args: &StagedArgs) -> Result<u8> {
    let started = Instant::now();
    let repo = gitin::open(&args.repo)?;
    let (plan, loaded) = with_detector(&args.common, &repo, Compile::LazySmall, || {
        let local = repo.local();
        Ok(gitin::staged(&mut repo.objects(&local), args.all_lines)?)
    })?;
    run(&repo, Blobs::Listed(&plan), &args.common, &loaded, !args.all_lines, started, &[], false)
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
    if repo.shallow {
        notes.push(
            "this is a shallow clone: history before its boundary commits is not in the repository \
             and was not scanned"
                .to_string(),
        );
    }
    let common = &args.common;
    match range {
        Some((from, to)) => {
            let (plan, loaded) = with_detector(common, &repo, Compile::Lazy, || {
                Ok(gitin::range(&mut repo.objects(&local), from, to)?)
            })?;
            run(
                &repo,
                Blobs::Listed(&plan),
                common,
                &loaded,
                !args.all_lines,
                started,
                &notes,
                false,
            )
        }
        None if args.all_occurrences => {
            let (mut plan, loaded) = with_detector(common, &repo, Compile::Lazy, || {
                Ok(gitin::history(&mut repo.objects(&local), &args.branch, true)?)
            })?;
            if plan.blobs.len() > PACK_ORDER_MIN {
                gitin::sort_by_pack_order(&local, &mut plan)?;
            }
            run(&repo, Blobs::Listed(&plan), common, &loaded, false, started, &notes, true)
        }
        None => {
            let loaded = load(common, repo.workdir.as_deref(), Compile::Lazy)?;
            let blobs = Blobs::Streamed { branches: &args.branch };
            run(&repo, blobs, common, &loaded, false, started, &notes, true)
        }
    }
}

fn provenance(c: &gitin::CommitInfo) -> GitProvenance {
    GitProvenance {
        commit: c.id.to_string(),
        author: c.author.clone(),
        email: c.email.clone(),
        date: rfc3339(c.author_time),
    }
}

/// Where the blobs to scan come from.
enum Blobs<'p> {
    /// A complete list (staged, range, `--all-occurrences`).
    Listed(&'p GitPlan),
    /// The history sweep, streamed from the walk so that scanning starts at once and overlaps
    /// the (single-threaded) tree walk.
    Streamed {
        /// Refs to start from (every ref when empty).
        branches: &'p [String],
    },
}

/// Progress shared by the producer, the workers and the progress line.
#[derive(Default)]
struct Progress {
    listed: AtomicUsize,
    scanned: AtomicUsize,
    listing_done: AtomicBool,
    done: AtomicBool,
}

/// A finding with the index of its blob's commit and the blob's other occurrences: commits
/// are resolved to provenance once the walk has listed them all.
type PendingFinding = (Finding, Option<usize>, Vec<(usize, BString)>);

#[allow(clippy::too_many_arguments)]
fn run(
    repo: &Repo,
    blobs: Blobs<'_>,
    common: &CommonArgs,
    loaded: &Loaded,
    added_only: bool,
    started: Instant,
    notes: &[String],
    report_stale: bool,
) -> Result<u8> {
    let detector = &loaded.detector;
    let ctx = Ctx {
        detector,
        baseline: loaded.baseline.as_ref(),
        gitleaks_ignore: loaded.gitleaks_ignore.as_ref(),
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
    for n in notes.iter().chain(&loaded.notes) {
        ctx.diags.push(Level::Note, n.clone());
    }
    let threads = thread_count(common);
    let progress = Progress::default();
    let show_progress = !common.quiet && std::io::stderr().is_terminal();
    let (tx, rx) = mpsc::sync_channel::<Vec<BlobItem>>(threads.saturating_mul(4));
    let rx = Mutex::new(rx);
    let (listed, pending) = std::thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..threads {
            workers.push(s.spawn(|| {
                let local = repo.local();
                let mut w = BlobWorker {
                    ctx: &ctx,
                    objects: repo.objects(&local),
                    scratch: detector.compiled.scratch(),
                    findings: Vec::new(),
                    added_only,
                };
                loop {
                    let batch = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(batch) = batch else { break };
                    for item in &batch {
                        w.scan(item);
                        progress.scanned.fetch_add(1, Ordering::Relaxed);
                    }
                }
                w.findings
            }));
        }
        if show_progress {
            s.spawn(|| draw_progress(&ctx.counters, &progress));
        }
        let listed = produce(repo, blobs, &tx, &progress);
        drop(tx);
        progress.listing_done.store(true, Ordering::Relaxed);
        let mut pending: Vec<PendingFinding> = Vec::new();
        let mut crashed = false;
        for w in workers {
            match w.join() {
                Ok(found) => pending.extend(found),
                Err(_) => crashed = true,
            }
        }
        if crashed {
            ctx.diags.push(Level::Error, "a scanning thread crashed; some blobs were not scanned");
        }
        progress.done.store(true, Ordering::Relaxed);
        (listed, pending)
    });
    let (commits, submodules) = listed?;
    for sub in &submodules {
        ctx.diags.push(Level::Note, format!("{}: submodule skipped", sub.to_str_lossy()));
    }
    let commits: Vec<GitProvenance> = commits.iter().map(provenance).collect();
    let mut findings = ctx.findings.lock().unwrap_or_else(|e| e.into_inner());
    for (mut f, commit, also) in pending {
        f.git = commit.map(|ci| commits[ci].clone());
        f.occurrences = also
            .iter()
            .map(|(ci, p)| Occurrence {
                commit: commits[*ci].commit.clone(),
                path: p.to_str_lossy().into_owned(),
            })
            .collect();
        findings.push(f);
    }
    drop(findings);
    finish(&ctx, common, 0, started, report_stale, repo.workdir.as_deref())
}

/// Sends the blobs to the workers in batches; returns the commits and submodules listed.
fn produce(
    repo: &Repo,
    blobs: Blobs<'_>,
    tx: &mpsc::SyncSender<Vec<BlobItem>>,
    progress: &Progress,
) -> Result<(Vec<gitin::CommitInfo>, Vec<BString>)> {
    match blobs {
        Blobs::Listed(plan) => {
            progress.listed.store(plan.blobs.len(), Ordering::Relaxed);
            for chunk in plan.blobs.chunks(CHUNK) {
                if tx.send(chunk.to_vec()).is_err() {
                    break;
                }
            }
            Ok((plan.commits.clone(), plan.submodules.clone()))
        }
        Blobs::Streamed { branches } => {
            let local = repo.local();
            let mut commits = Vec::new();
            let mut seen: gix::hashtable::HashSet<gix::ObjectId> = Default::default();
            let mut batch = Vec::with_capacity(CHUNK);
            let mut objects = repo.objects(&local);
            let submodules = gitin::history_walk(&mut objects, branches, false, |v| match v {
                Visit::Commit(c) => commits.push(c),
                Visit::File { commit, dir, name, id } => {
                    if seen.insert(id) {
                        batch.push(BlobItem::new(id, gitin::join(dir, name), Some(commit)));
                        progress.listed.fetch_add(1, Ordering::Relaxed);
                        if batch.len() == CHUNK {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(CHUNK));
                            let _ = tx.send(full);
                        }
                    }
                }
            })?;
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            Ok((commits, submodules))
        }
    }
}

/// Redraws `blobs scanned / listed, MB/s` on standard error until done.
fn draw_progress(counters: &Counters, p: &Progress) {
    let start = Instant::now();
    let mut err = std::io::stderr();
    let mut drawn = false;
    while !p.done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        if start.elapsed() < Duration::from_millis(500) {
            continue; // quick scans print no progress at all
        }
        let scanned = p.scanned.load(Ordering::Relaxed);
        let listed = p.listed.load(Ordering::Relaxed);
        let more = if p.listing_done.load(Ordering::Relaxed) { "" } else { "+" };
        let mb = counters.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = mb / start.elapsed().as_secs_f64().max(1e-3);
        let _ = write!(
            err,
            "\r\x1b[Kblobs scanned: {scanned}/{listed}{more}, {mb:.0} MB, {rate:.0} MB/s"
        );
        drawn = true;
    }
    if drawn {
        let _ = write!(err, "\r\x1b[K");
    }
}

struct BlobWorker<'a> {
    ctx: &'a Ctx<'a>,
    objects: Objects<'a>,
    scratch: Scratch,
    findings: Vec<PendingFinding>,
    added_only: bool,
}

impl BlobWorker<'_> {
    /// The deleted blob `item` was most likely renamed from: the one it shares most lines with,
    /// if at least half of its lines are old (git's default similarity threshold).
    fn rename_source(
        objects: &mut Objects<'_>,
        item: &BlobItem,
        data: &[u8],
    ) -> Option<gix::ObjectId> {
        let lines = data.lines().count().max(1);
        let mut best: Option<(usize, gix::ObjectId)> = None;
        for id in &item.rename_sources {
            let Ok(old) = source::git::read_blob(objects, id) else { continue };
            let added = added_lines(&old, data).len();
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
        let data = match source::git::read_blob(&mut self.objects, &item.id) {
            Ok(d) => d,
            Err(message) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(Level::Error, format!("{path}: cannot read {message}"));
                return;
            }
        };
        let data = &data[..];
        match ctx.policy.skip(data) {
            Some(Skip::TooLarge(size)) => {
                c.too_large.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(
                    Level::Warning,
                    format!(
                        "{path} (blob {}): skipped: {size} bytes exceeds --max-file-size",
                        item.id
                    ),
                );
                return;
            }
            Some(Skip::Binary) => {
                c.binary.fetch_add(1, Ordering::Relaxed);
                return;
            }
            None => {}
        }
        c.files.fetch_add(1, Ordering::Relaxed);
        c.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let mut found = Vec::new();
        let suppressed = ctx.detector.detect(
            &mut self.scratch,
            data,
            Some(&path),
            ctx.show_secrets,
            true,
            &mut found,
        );
        c.suppressed.fetch_add(suppressed, Ordering::Relaxed);
        if found.is_empty() {
            return;
        }
        if self.added_only {
            let before_id =
                item.before.or_else(|| Self::rename_source(&mut self.objects, item, data));
            if let Some(before_id) = before_id {
                match source::git::read_blob(&mut self.objects, &before_id) {
                    Ok(before) => {
                        let added = added_lines(&before, data);
                        found.retain(|f| touches_added(&added, f.line, f.end_line));
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
        for f in found {
            self.findings.push((f, item.commit, item.also.clone()));
        }
    }
}
