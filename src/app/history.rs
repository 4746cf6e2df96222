//! The git commands, wired: `staged` (what the next commit records, for a pre-commit hook),
//! `git --since/--range` (what a range of commits introduced, for CI) and the history sweep
//! (every blob reachable from any ref). Listing, reading and the delta scan live in
//! `crate::git`; every blob that is scanned whole goes through the detect stage like any file.
//! Parallel work runs on rayon pools with one object reader and one detect worker per task
//! split.

use super::plan::{Plan, RangeSpec};
use super::progress::Progress;
use super::{finish, load, Ending, Loaded, Pinned};
use crate::config::ConfigText;
use crate::detect::{Bytes, Item, Lines, Stage, Worker};
use crate::engine::Compile;
use crate::files::{self, Trust};
use crate::filter::baseline::Baseline;
use crate::finding::Occurrence;
use crate::git::odb::{Objects, ReadError};
use crate::git::sweep::{pack_pass, PackState, PackStates};
use crate::git::walk::{self, BlobItem, FileAt, GitPlan, Origin};
use crate::git::{self, diff, Repo};
use crate::provenance::{joined_path_text, Commit, GitOrigin, Provenance};
use crate::source::Skip;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rayon::ThreadPool;
use std::io::IsTerminal;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Blobs a task takes at a time: neighbours in pack order share delta bases, and each task's
/// object reader has its own cache.
const CHUNK: usize = 64;

/// Options of the history sweep.
pub(super) struct Sweep<'a> {
    /// Refs to start from (every ref when empty).
    pub(super) branches: &'a [String],
    /// List every commit and path carrying a blob with a finding.
    pub(super) all_occurrences: bool,
    /// Scan every blob whole instead of only what deltas change.
    pub(super) whole_blobs: bool,
}

fn pool(threads: usize) -> Result<ThreadPool> {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start threads")
}

/// Loads and compiles the rules on one thread of `pool` while `enumerate` lists what to scan on
/// another: the two take about as long for a pre-commit hook, and loading needs no repository.
fn with_detector<T: Send>(
    plan: &Plan,
    repo: &Repo,
    (compile, pinned): (Compile, Option<&Pinned>),
    pool: &ThreadPool,
    enumerate: impl FnOnce() -> Result<T> + Send,
) -> Result<(T, Loaded)> {
    let load = || load(plan, repo.workdir.as_deref(), compile, pinned);
    let (loaded, listed) = pool.join(load, enumerate);
    // A broken configuration is the first thing to fix: its error comes first.
    let loaded = loaded?;
    Ok((listed?, loaded))
}

fn shallow_note(repo: &Repo) -> Option<String> {
    repo.shallow.then(|| {
        "this is a shallow clone: history before its boundary commits is not in the repository \
         and was not scanned"
            .to_string()
    })
}

/// The label of a progress line, or `None` for no progress line: only on a terminal, and not
/// with `-q`.
fn progress_label(plan: &Plan, label: &'static str) -> Option<&'static str> {
    (!plan.output.quiet && std::io::stderr().is_terminal()).then_some(label)
}

pub(super) fn staged(plan: &Plan, path: &Path, all_lines: bool, started: Instant) -> Result<u8> {
    let repo = git::open(path)?;
    let pool = pool(plan.threads)?;
    let (listed, loaded) = with_detector(plan, &repo, (Compile::LazySmall, None), &pool, || {
        Ok(walk::staged(&mut repo.objects(), all_lines)?)
    })?;
    let stage = Stage::new(&loaded.detector, plan.policy, plan.detect);
    scan_blobs(&stage, &repo, &listed, !all_lines, &pool, progress_label(plan, "blobs"));
    let end = Ending {
        notes: &loaded.notes,
        report_unused: false,
        started,
        category: "staged",
        checkout: Some(repo.checkout()),
    };
    finish(plan, stage, &end)
}

pub(super) fn range(
    plan: &Plan,
    path: &Path,
    range: &RangeSpec,
    all_lines: bool,
    started: Instant,
) -> Result<u8> {
    let repo = git::open(path)?;
    let local = repo.local();
    let (from, to) = match range {
        RangeSpec::Since(since) => (git::resolve(&local, since)?, git::resolve(&local, "HEAD")?),
        RangeSpec::Between(range) => {
            let Some((a, b)) = range.split_once("..") else {
                bail!("--range {range}: expected A..B");
            };
            let b = if b.is_empty() { "HEAD" } else { b };
            (git::resolve(&local, a)?, git::resolve(&local, b)?)
        }
    };
    let pinned = pinned_at(plan, &repo, (from, to))?;
    let pool = pool(plan.threads)?;
    let (listed, loaded) =
        with_detector(plan, &repo, (Compile::Lazy, Some(&pinned)), &pool, || {
            Ok(walk::range(&mut repo.objects(), from, to)?)
        })?;
    let stage = Stage::new(&loaded.detector, plan.policy, plan.detect);
    scan_blobs(&stage, &repo, &listed, !all_lines, &pool, progress_label(plan, "blobs"));
    let notes: Vec<String> = shallow_note(&repo).into_iter().chain(loaded.notes.clone()).collect();
    let end = Ending {
        notes: &notes,
        report_unused: false,
        started,
        category: "range",
        checkout: Some(repo.checkout()),
    };
    finish(plan, stage, &end)
}

/// The configuration, `.gitleaksignore` and baseline of a range scan, as the base of the range
/// has them: a pull request must not be able to allowlist its own secret by adding a
/// `leakhound.toml` with `secrets = [".*"]` next to it. A file the user named outside the
/// repository is read from disk; one inside it that the base lacks is not applied. Each
/// difference between the base's version and the work tree's is a note.
fn pinned_at(
    plan: &Plan,
    repo: &Repo,
    (base, head): (gix::ObjectId, gix::ObjectId),
) -> Result<Pinned> {
    let mut pinned = Pinned::default();
    let Some(top) = repo.workdir.as_deref().and_then(|t| std::fs::canonicalize(t).ok()) else {
        return Ok(pinned);
    };
    let mut objects = repo.objects();
    let short = &base.to_string()[..12];
    let cfg = &plan.config;
    // A path inside the work tree, as the repository names it.
    let in_repo = |p: &Path| -> Option<String> {
        let name = p.file_name()?;
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let full = std::fs::canonicalize(dir).ok()?.join(name);
        let rel = full.strip_prefix(&top).ok()?;
        Some(rel.to_str()?.to_string())
    };
    // The file as the base has it. One the range adds is not applied; one neither the base nor
    // the head commit tracks (written by the CI job, say) is read from disk, as `trust` allows.
    let mut pin = |rel: &str, trust: Trust, pinned: &mut Pinned| -> Result<Option<ConfigText>> {
        let disk = || files::read_text(&top.join(rel), trust, files::CONFIG_LIMIT).ok();
        let refused = |why: &str| {
            format!("{rel}: {why}; not applied (a change cannot configure its own scan)")
        };
        match walk::file_at(&mut objects, base, rel, files::CONFIG_LIMIT)? {
            FileAt::Text(text) => {
                if disk().is_some_and(|d| d != text) {
                    pinned.notes.push(format!(
                        "{rel}: changed by the range; the version at its base ({short}) is used"
                    ));
                }
                Ok(Some(ConfigText { label: format!("{rel} at {short}"), text }))
            }
            FileAt::Link => {
                pinned
                    .notes
                    .push(refused(&format!("a symbolic link at the range's base ({short})")));
                Ok(None)
            }
            FileAt::Missing => match walk::file_at(&mut objects, head, rel, files::CONFIG_LIMIT)? {
                FileAt::Missing => {
                    Ok(disk().map(|text| ConfigText { label: rel.to_string(), text }))
                }
                _ => {
                    pinned
                        .notes
                        .push(refused(&format!("added by the range (not in its base, {short})")));
                    Ok(None)
                }
            },
        }
    };
    if !cfg.files.is_empty() {
        for f in &cfg.files {
            match in_repo(f) {
                Some(rel) => {
                    let text = pin(&rel, Trust::User, &mut pinned)?;
                    pinned.configs.extend(text);
                }
                None => {
                    let text = crate::config::read(std::slice::from_ref(f), None, false)?;
                    pinned.configs.extend(text);
                }
            }
        }
    } else if cfg.discover {
        for name in crate::config::NAMES {
            if let Some(text) = pin(name, Trust::Content, &mut pinned)? {
                pinned.configs.push(text);
                break;
            }
        }
    }
    if cfg.discover {
        pinned.gitleaks_ignore = pin(".gitleaksignore", Trust::Content, &mut pinned)?;
    }
    if let Some(path) = &cfg.baseline {
        pinned.baseline = match in_repo(path) {
            Some(rel) => pin(&rel, Trust::User, &mut pinned)?,
            None => Some(Baseline::read(path).map_err(anyhow::Error::msg)?),
        };
    }
    Ok(pinned)
}

/// The history sweep. Two things run at once: the walk lists every reachable blob with the
/// first commit and path that carried it, on this thread, while the pack pass
/// (`git::sweep`) rebuilds every blob of the packs along their delta chains on the other
/// cores and finds which have a rule match at all. Then the blobs with a match, and the blobs
/// the packs could not answer for (loose objects, unreadable entries), are scanned whole by the
/// detect stage with their path, as any other scan; the rest are only counted.
pub(super) fn sweep(plan: &Plan, path: &Path, sweep: &Sweep<'_>, started: Instant) -> Result<u8> {
    let repo = git::open(path)?;
    let loaded = load(plan, repo.workdir.as_deref(), Compile::Lazy, None)?;
    let stage = Stage::new(&loaded.detector, plan.policy, plan.detect);
    // The sweep reads every pack whole: without this, its resident size would grow by the
    // size of the packs (a third of the peak on a 166 MiB pack).
    repo.packs.while_releasing(|| scan_history(plan, sweep, &repo, &loaded, &stage))?;
    let notes: Vec<String> = shallow_note(&repo).into_iter().chain(loaded.notes.clone()).collect();
    let end = Ending {
        notes: &notes,
        report_unused: true,
        started,
        category: "history",
        checkout: Some(repo.checkout()),
    };
    finish(plan, stage, &end)
}

/// The walk and the two passes of [`sweep`], which leave their findings in `stage`.
fn scan_history(
    plan: &Plan,
    sweep: &Sweep<'_>,
    repo: &Repo,
    loaded: &Loaded,
    stage: &Stage<'_>,
) -> Result<()> {
    let forest = (!sweep.whole_blobs).then(|| repo.packs.blob_forest());
    let progress = Progress::new("packed blobs");
    // The walk, on this thread, is the longer part: leave it a core of its own.
    let pass_pool = pool(plan.threads.saturating_sub(1).max(1))?;
    let mut states: Option<std::thread::Result<PackStates>> = None;
    let listed = std::thread::scope(|s| {
        if progress_label(plan, "").is_some() {
            s.spawn(|| progress.draw());
        }
        // Stops the progress line however the walk ends, a panic included.
        let _done = progress.done_on_drop();
        pass_pool.in_place_scope(|rs| {
            if let Some(forest) = &forest {
                progress.listed(forest.blobs());
                let (compiled, policy, progress) =
                    (loaded.detector.compiled(), stage.policy(), &progress);
                let states = &mut states;
                rs.spawn(move |_| {
                    let pass = || pack_pass(forest, compiled, policy, &|b| progress.scanned(b));
                    *states = Some(catch_unwind(AssertUnwindSafe(pass)));
                    // The pass's buffers, freed, would stay with its thread for the rest of
                    // the walk.
                    release_freed_memory();
                });
            }
            let blobs = forest.as_ref().map_or(0, |f| f.blobs());
            let walked = |n, total| progress.commit(n, total);
            walk::history(&mut repo.objects(), sweep.branches, blobs, walked)
        })
    });
    let mut listed = listed?;
    let states = match states {
        Some(Ok(states)) => states,
        Some(Err(_)) => {
            // A bug in the delta scan: every blob is scanned whole instead, so nothing is missed.
            stage.diags().push(
                crate::diag::Level::Warning,
                "the delta scan crashed; every blob was scanned whole instead",
            );
            PackStates::default()
        }
        None => PackStates::default(),
    };
    let (mut files, mut bytes, mut binary) = (0, 0, 0);
    listed.blobs.retain(|item| match states.get(&repo.packs, &item.id) {
        Some(PackState::Clean(size)) => {
            files += 1;
            bytes += size;
            false
        }
        Some(PackState::Binary) => {
            binary += 1;
            false
        }
        // A match, a size over the limit (reported with its path), an unreadable entry (read
        // again, to report the error), or a blob outside the packs.
        Some(PackState::Matched | PackState::Failed) | None => true,
    });
    stage.settled(files, bytes, binary);
    // What the walk and the pack pass built and no longer need is freed before the blobs are
    // read: the peak of a long history's sweep is in that last part.
    drop((states, forest));
    release_freed_memory();
    walk::add_aliased_paths(&mut listed);
    walk::sort_by_pack_order(&repo.packs, &mut listed);
    let progress = progress_label(plan, "remaining blobs");
    scan_blobs(stage, repo, &listed, false, &pool(plan.threads)?, progress);
    if sweep.all_occurrences {
        list_every_occurrence(stage, repo, &listed);
    }
    Ok(())
}

/// Scans the blobs of `listed` whole through the detect stage on `pool`, in chunks of
/// neighbouring blobs. With `added_only`, findings are kept only on the lines each blob adds
/// over its previous version. A progress line labelled `progress` is drawn if there is one.
fn scan_blobs(
    stage: &Stage<'_>,
    repo: &Repo,
    listed: &GitPlan,
    added_only: bool,
    pool: &ThreadPool,
    progress: Option<&'static str>,
) {
    for sub in &listed.submodules {
        stage.diags().push(
            crate::diag::Level::Note,
            format!("{}: submodule skipped", joined_path_text(sub)),
        );
    }
    for e in &listed.errors {
        stage.error(e.to_string());
    }
    let commits: Vec<Arc<Commit>> =
        listed.commits.iter().enumerate().map(|(i, c)| Arc::new(c.provenance(i))).collect();
    let tags: Vec<Arc<str>> = listed.tags.iter().map(|t| t.as_str().into()).collect();
    let show = progress.is_some();
    let progress = Progress::new(progress.unwrap_or_default());
    progress.listed(listed.blobs.len());
    let scanned = std::thread::scope(|s| {
        if show {
            s.spawn(|| progress.draw());
        }
        let _done = progress.done_on_drop();
        catch_unwind(AssertUnwindSafe(|| {
            pool.install(|| {
                listed.blobs.par_chunks(CHUNK).for_each_init(
                    || (repo.objects(), stage.worker()),
                    |(objects, worker), chunk| {
                        for item in chunk {
                            let bytes =
                                scan_blob(objects, worker, item, (&commits, &tags), added_only);
                            progress.scanned(bytes);
                        }
                    },
                );
                scan_messages(stage, listed, &commits);
            });
        }))
    });
    if scanned.is_err() {
        stage.error("a scanning thread crashed; some blobs were not scanned");
    }
}

/// Text git keeps outside trees: the messages of `listed`'s commits (`commits`, by the same
/// index) and annotated tags, scanned in parallel on the current pool (a sweep of a long
/// history has tens of thousands).
fn scan_messages(stage: &Stage<'_>, listed: &GitPlan, commits: &[Arc<Commit>]) {
    let commit_messages = listed.commits.par_iter().zip(commits).map(|(info, commit)| {
        let provenance = Provenance::GitMessage { commit: Some(commit.clone()), tag: None };
        (&info.message[..], provenance)
    });
    let tag_messages = listed.tag_messages.par_iter().map(|(tag, message)| {
        (&message[..], Provenance::GitMessage { commit: None, tag: Some(tag.as_str().into()) })
    });
    commit_messages.chain(tag_messages).with_min_len(CHUNK).for_each_init(
        || stage.worker(),
        |worker, (message, provenance)| {
            if !message.is_empty() {
                worker.scan(Item::new(Bytes::Memory(message), provenance));
            }
        },
    );
}

/// `--all-occurrences`: every commit and path that carries a blob with a finding, listed under
/// the finding. A second walk, over every commit's tree, that enters only subtrees holding such
/// a blob: what it keeps grows with the findings, not with commits times files.
fn list_every_occurrence(stage: &Stage<'_>, repo: &Repo, listed: &GitPlan) {
    stage.edit_findings(|findings| {
        let blob_of = |f: &crate::finding::Finding| match &f.provenance {
            Provenance::GitBlob { blob, .. } => gix::ObjectId::from_hex(blob.as_bytes()).ok(),
            _ => None,
        };
        let targets: gix::hashtable::HashSet<gix::ObjectId> =
            findings.iter().filter_map(blob_of).collect();
        if targets.is_empty() {
            return;
        }
        let found = walk::occurrences(&mut repo.objects(), &listed.trees, &targets);
        for f in findings.iter_mut() {
            let Some(places) = blob_of(f).and_then(|id| found.get(&id)) else { continue };
            f.occurrences.extend(places.iter().map(|(ci, path)| Occurrence {
                commit: Some(listed.commits[*ci].id.to_string()),
                path: joined_path_text(path),
                line: f.line,
            }));
        }
    });
}

fn git_origin(origin: Origin, commits: &[Arc<Commit>], tags: &[Arc<str>]) -> GitOrigin {
    match origin {
        Origin::Index => GitOrigin::Index,
        Origin::Commit(ci) => GitOrigin::Commit(commits[ci].clone()),
        Origin::Tag(ti) => GitOrigin::Tag(tags[ti].clone()),
    }
}

/// Reads blob `item` and hands it to the detect stage; returns its size.
fn scan_blob(
    objects: &mut Objects<'_>,
    worker: &mut Worker<'_, '_>,
    item: &BlobItem,
    (commits, tags): (&[Arc<Commit>], &[Arc<str>]),
    added_only: bool,
) -> u64 {
    let provenance = Provenance::GitBlob {
        path: joined_path_text(&item.path).into(),
        blob: item.id.to_string().into(),
        origin: git_origin(item.origin, commits, tags),
    };
    let stage = worker.stage();
    let limit = stage.policy().max_read.min(stage.policy().max_size);
    let data = match objects.read_blob(&item.id, limit) {
        Ok(data) => data,
        Err(ReadError::TooLarge(size)) => {
            stage.skipped(&provenance, Skip::TooLarge { size, limit });
            return 0;
        }
        Err(ReadError::Failed(message)) => {
            stage.error(format!("{}: cannot read {message}", provenance.path()));
            return 0;
        }
    };
    let mut added = || diff::added_since(objects, item.before, &item.rename_sources, &data, limit);
    let lines = if added_only { Lines::Added(&mut added) } else { Lines::All };
    // The same bytes at the other paths the walk saw them at: judged at each (path scopes and
    // allowlists depend on the path), from this one scan.
    let blob = match &provenance {
        Provenance::GitBlob { blob, .. } => blob.clone(),
        _ => Arc::from(""),
    };
    let also = item
        .others
        .iter()
        .map(|(origin, path)| Provenance::GitBlob {
            path: joined_path_text(path).into(),
            blob: blob.clone(),
            origin: git_origin(*origin, commits, tags),
        })
        .collect();
    worker.scan(Item { bytes: Bytes::Memory(&data), provenance, lines, also });
    data.len() as u64
}

/// Hands the memory freed so far back to the system. glibc keeps what a thread frees in that
/// thread's arena for its next allocations; after the walk and the pack pass, whose threads
/// are done, that is tens of MiB no one will use.
#[allow(unsafe_code)]
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's arenas to the system; it
    // takes the arenas' locks, so other threads may allocate meanwhile.
    unsafe {
        libc::malloc_trim(0);
    }
}
