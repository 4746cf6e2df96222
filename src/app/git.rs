//! The git commands: `staged` (what the next commit records, for a pre-commit hook) and `git`
//! (a range of commits for CI, or every blob of the history). Enumeration lives in
//! `input::git`, blob reading in `source::git`, the added-line filter in `filter::added`; this
//! module only wires them to the shared workers and report.

use super::{finish, load, thread_count, Counters, Ctx, Loaded};
use crate::cli::{CommonArgs, GitArgs, StagedArgs};
use crate::diag::{Diagnostics, Level};
use crate::engine::{Compile, Scratch};
use crate::engine::{CompiledRules, KeywordHit};
use crate::filter::added::{added_lines, touches_added};
use crate::finding::{rfc3339, Finding, GitProvenance, Occurrence};
use crate::input::git::{self as gitin, BlobItem, GitPlan, Repo};
use crate::odb::{self, changed_lines, BlobForest, BlobVisit, ForestWalker, Objects};
use crate::source::{self, Policy, Skip};
use anyhow::{bail, Result};
use gix::bstr::{BString, ByteSlice};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Below this many blobs, listing the object database to sort by pack order costs more than it
/// saves.
const PACK_ORDER_MIN: usize = 256;
/// Blobs a worker takes at a time: neighbours in pack order share delta bases, and each worker
/// has its own object cache.
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
    let counted = Counted::default();
    run(&repo, &plan, &args.common, &loaded, !args.all_lines, started, &[], false, &counted)
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
            let counted = Counted::default();
            run(&repo, &plan, common, &loaded, !args.all_lines, started, &notes, false, &counted)
        }
        None => sweep(&repo, args, started, &notes),
    }
}

/// The history sweep. Two things run at once: the walk lists every reachable blob with the
/// first commit and path that carried it, while workers rebuild every blob of the packs along
/// their delta chains and look for rule matches only in what each delta changed, handing a
/// base's matches down to the deltas that copy them. Then the few blobs with a match, and the
/// blobs the packs could not answer for (loose objects, unreadable entries), are scanned whole
/// with their path, as any other scan; the rest are only counted.
fn sweep(repo: &Repo, args: &GitArgs, started: Instant, notes: &[String]) -> Result<u8> {
    let common = &args.common;
    let loaded = load(common, repo.workdir.as_deref(), Compile::Lazy)?;
    let policy = policy(common);
    let threads = thread_count(common);
    let progress = Progress::default();
    let show_progress = !common.quiet && std::io::stderr().is_terminal();
    let forest = (!args.whole_blobs).then(|| repo.packs.blob_forest());
    let (plan, states) = std::thread::scope(|s| {
        let pass = forest.as_ref().map(|forest| {
            progress.listed.store(forest.blobs(), Ordering::Relaxed);
            let (compiled, policy, progress) = (&loaded.detector.compiled, &policy, &progress);
            // The walk, on this thread, is the longer part: leave it a core of its own.
            let workers = threads.saturating_sub(1).max(1);
            s.spawn(move || pack_pass(forest, compiled, policy, workers, progress))
        });
        if show_progress {
            s.spawn(|| draw_progress(&progress));
        }
        // Stops the progress line however the walk ends, a panic included.
        let _done = progress.done_on_drop();
        let local = repo.local();
        let walked = || {
            progress.commits.fetch_add(1, Ordering::Relaxed);
        };
        let mut objects = repo.objects(&local);
        let plan = gitin::history(&mut objects, &args.branch, args.all_occurrences, walked);
        let states = pass.map(|p| p.join());
        (plan, states)
    });
    let mut plan = plan?;
    let states = match states {
        Some(Ok(states)) => states,
        Some(Err(_)) => bail!("a scanning thread crashed"),
        None => PackStates::default(),
    };
    let mut counted = Counted::default();
    plan.blobs.retain(|item| match states.get(&item.id) {
        Some(PackState::Clean(size)) => {
            counted.files += 1;
            counted.bytes += size;
            false
        }
        Some(PackState::Binary) => {
            counted.binary += 1;
            false
        }
        // A match, a size over the limit (reported with its path), an unreadable entry (read
        // again, to report the error), or a blob outside the packs.
        Some(PackState::Matched | PackState::Failed) | None => true,
    });
    if plan.blobs.len() > PACK_ORDER_MIN {
        gitin::sort_by_pack_order(&repo.local(), &mut plan)?;
    }
    run(repo, &plan, common, &loaded, false, started, notes, true, &counted)
}

/// What the pack pass found out about a blob.
enum PackState {
    /// Text without a rule match; its size.
    Clean(u64),
    /// At least one rule matched (maybe allowlisted: the full scan decides).
    Matched,
    /// Looks binary.
    Binary,
    /// Not decoded, or over the size limit: the full scan reports it.
    Failed,
}

type PackStates = gix::hashtable::HashMap<gix::ObjectId, PackState>;

/// Blobs the pack pass settled without a full scan, for the summary.
#[derive(Default)]
struct Counted {
    files: u64,
    bytes: u64,
    binary: u64,
}

/// What a delta inherits from its base if it copies the lines unchanged: the whole-match spans
/// of the rules that match within a line ([`CompiledRules::line_spans`]), and the keyword hits
/// of the rules that reach further (their windows are verified anew). `None`: the blob was not scanned (binary, too large), so
/// its deltas are scanned whole.
type Carried = Option<(Vec<(usize, usize)>, Vec<KeywordHit>)>;

/// Scans every blob of the packs' delta trees on `threads` threads, each tree on one thread.
fn pack_pass(
    forest: &BlobForest<'_>,
    compiled: &CompiledRules,
    policy: &Policy,
    threads: usize,
    progress: &Progress,
) -> PackStates {
    let next = AtomicUsize::new(0);
    let parts: Vec<Vec<(gix::ObjectId, PackState)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    let mut failed = Vec::new();
                    let mut walker = ForestWalker::default();
                    let mut scratch = compiled.scratch();
                    let mut regions = Vec::new();
                    loop {
                        let tree = next.fetch_add(1, Ordering::Relaxed);
                        if tree >= forest.trees() {
                            break;
                        }
                        forest.walk(
                            tree,
                            &mut walker,
                            policy.max_size,
                            |blob| {
                                progress.scanned.fetch_add(1, Ordering::Relaxed);
                                progress.bytes.fetch_add(blob.data.len() as u64, Ordering::Relaxed);
                                let (state, carried) =
                                    scan_delta(compiled, policy, &mut scratch, &mut regions, &blob);
                                out.push((blob.id.to_owned(), state));
                                carried
                            },
                            |id, _| failed.push((id.to_owned(), PackState::Failed)),
                        );
                    }
                    out.append(&mut failed);
                    out
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
    });
    let mut states = PackStates::default();
    for (id, state) in parts.into_iter().flatten() {
        // A blob stored in two packs: whichever copy calls for a full scan decides, as the
        // full scan may read the other copy.
        let decided = matches!(states.get(&id), Some(PackState::Matched | PackState::Failed));
        if !decided {
            states.insert(id, state);
        }
    }
    states
}

/// One blob of the pack pass: a whole blob (or one whose base was not scanned) is scanned in
/// full; a delta only in the lines it changed, and it keeps the matches of its base that lie in
/// lines it copied unchanged.
fn scan_delta(
    compiled: &CompiledRules,
    policy: &Policy,
    scratch: &mut Scratch,
    regions: &mut Vec<(usize, usize)>,
    blob: &BlobVisit<'_, Carried>,
) -> (PackState, Carried) {
    let data = blob.data;
    match policy.skip(data) {
        Some(Skip::Binary) => return (PackState::Binary, None),
        Some(Skip::TooLarge(_)) => return (PackState::Failed, None),
        None => {}
    }
    let mut hits = Vec::new();
    let (matches, mut spans) = match blob.base {
        Some((_, Some((base_spans, base_hits)), copies)) => {
            changed_lines(data, copies, regions);
            let mut spans = Vec::new();
            carry(base_spans, copies, regions, |i, start| {
                let (s, e) = base_spans[i];
                spans.push((start, start + (e - s)));
            });
            let hit_spans: Vec<(usize, usize)> =
                base_hits.iter().map(|h| (h.start, h.end)).collect();
            carry(&hit_spans, copies, regions, |i, start| hits.push(base_hits[i].moved(start)));
            (compiled.scan_regions(scratch, data, regions, &hits), spans)
        }
        _ => (compiled.scan(scratch, data, true), Vec::new()),
    };
    // A carried span may be a generic match that a provider match shadowed in the base: a
    // match all the same, as far as choosing what to scan in full goes.
    let matched = !matches.is_empty() || !spans.is_empty();
    spans.extend_from_slice(compiled.line_spans(scratch));
    let hits = compiled.wide_hits(scratch).to_vec();
    let state = if matched { PackState::Matched } else { PackState::Clean(data.len() as u64) };
    (state, Some((spans, hits)))
}

/// Where spans of a base reappear in its delta: for each span copied whole into a line the
/// delta did not change (a changed line is scanned anew), `found(index of the span, its start
/// in the delta)`.
fn carry(
    spans: &[(usize, usize)],
    copies: &[odb::CopyRun],
    changed: &[(usize, usize)],
    mut found: impl FnMut(usize, usize),
) {
    if spans.is_empty() {
        return;
    }
    // Copies by where they read the base, with how far the base is read up to each: the copies
    // that hold a span start at or before it, and the search back stops where none reaches it.
    let mut by_source: Vec<(usize, usize, usize)> =
        copies.iter().map(|c| (c.from, c.from + c.len, c.to)).collect();
    by_source.sort_unstable();
    let reach: Vec<usize> = by_source
        .iter()
        .scan(0, |far, c| {
            *far = c.1.max(*far);
            Some(*far)
        })
        .collect();
    for (i, &(start, end)) in spans.iter().enumerate() {
        let mut j = by_source.partition_point(|c| c.0 <= start);
        while j > 0 && reach[j - 1] >= end {
            j -= 1;
            let (from, source_end, to) = by_source[j];
            if end > source_end {
                continue;
            }
            let moved = (to + (start - from), to + (end - from));
            let k = changed.partition_point(|r| r.1 <= moved.0);
            if changed.get(k).is_none_or(|r| r.0 >= moved.1) {
                found(i, moved.0);
            }
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

/// Progress shared by the workers and the progress line.
#[derive(Default)]
struct Progress {
    /// Commits the history walk has entered.
    commits: AtomicUsize,
    listed: AtomicUsize,
    scanned: AtomicUsize,
    bytes: AtomicU64,
    done: AtomicBool,
}

impl Progress {
    fn done_on_drop(&self) -> impl Drop + '_ {
        struct Done<'p>(&'p AtomicBool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        Done(&self.done)
    }
}

/// A finding with the index of its blob's commit and the blob's other occurrences: commits
/// are resolved to provenance once the walk has listed them all.
type PendingFinding = (Finding, Option<usize>, Vec<(usize, BString)>);

fn policy(common: &CommonArgs) -> Policy {
    Policy { max_size: common.max_file_size, mmap_threshold: None, binary: common.binary }
}

#[allow(clippy::too_many_arguments)]
fn run(
    repo: &Repo,
    plan: &GitPlan,
    common: &CommonArgs,
    loaded: &Loaded,
    added_only: bool,
    started: Instant,
    notes: &[String],
    report_stale: bool,
    counted: &Counted,
) -> Result<u8> {
    let detector = &loaded.detector;
    let ctx = Ctx {
        detector,
        baseline: loaded.baseline.as_ref(),
        gitleaks_ignore: loaded.gitleaks_ignore.as_ref(),
        policy: policy(common),
        show_secrets: common.show_secrets,
        findings: Mutex::new(Vec::new()),
        counters: Counters::default(),
        diags: Diagnostics::default(),
    };
    ctx.counters.files.fetch_add(counted.files, Ordering::Relaxed);
    ctx.counters.bytes.fetch_add(counted.bytes, Ordering::Relaxed);
    ctx.counters.binary.fetch_add(counted.binary, Ordering::Relaxed);
    for n in notes.iter().chain(&loaded.notes) {
        ctx.diags.push(Level::Note, n.clone());
    }
    let chunks = plan.blobs.len().div_ceil(CHUNK);
    let threads = thread_count(common).min(chunks).max(1);
    let progress = Progress::default();
    progress.listed.store(plan.blobs.len(), Ordering::Relaxed);
    let show_progress = !common.quiet && std::io::stderr().is_terminal();
    let next = AtomicUsize::new(0);
    let pending = std::thread::scope(|s| {
        let _done = progress.done_on_drop();
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
                    progress: &progress,
                };
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    let start = chunk.saturating_mul(CHUNK);
                    if start >= plan.blobs.len() {
                        break;
                    }
                    for item in &plan.blobs[start..(start + CHUNK).min(plan.blobs.len())] {
                        w.scan(item);
                        progress.scanned.fetch_add(1, Ordering::Relaxed);
                    }
                }
                w.findings
            }));
        }
        if show_progress {
            s.spawn(|| draw_progress(&progress));
        }
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
        pending
    });
    for sub in &plan.submodules {
        ctx.diags.push(Level::Note, format!("{}: submodule skipped", sub.to_str_lossy()));
    }
    let commits: Vec<GitProvenance> = plan.commits.iter().map(provenance).collect();
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

/// Redraws `commits walked, blobs scanned / listed, MB/s` on standard error until done.
fn draw_progress(p: &Progress) {
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
        let mb = p.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = mb / start.elapsed().as_secs_f64().max(1e-3);
        let commits = match p.commits.load(Ordering::Relaxed) {
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

struct BlobWorker<'a> {
    ctx: &'a Ctx<'a>,
    objects: Objects<'a>,
    scratch: Scratch,
    findings: Vec<PendingFinding>,
    added_only: bool,
    progress: &'a Progress,
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
        self.progress.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
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
