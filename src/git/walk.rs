//! Listing git content to scan: the staged changes of the index, the blobs a range of commits
//! introduced, or every blob reachable from any ref. Each unique blob is listed once, with the
//! commit and path that first carried it. This module reads trees, commits and the index, never
//! blob contents.

use super::odb::Objects;
use super::{err, tips, CommitInfo, GitError};
use gix::bstr::{BString, ByteSlice};
use gix::hashtable::{HashMap, HashSet};
use gix::objs::tree::EntryKind;
use gix::objs::FindExt;
use gix::ObjectId;
// gix's tables hash only object ids; paths go in the standard ones.
use std::collections::{HashMap as PathMap, HashSet as PathSet};

/// One blob to scan.
#[derive(Clone, Debug)]
pub(crate) struct BlobItem {
    /// The blob.
    pub(crate) id: ObjectId,
    /// Repository-relative path where it (first) appeared.
    pub(crate) path: BString,
    /// Index into [`GitPlan::commits`] of the commit that introduced it; `None` for staged blobs.
    pub(crate) commit: Option<usize>,
    /// The blob at the same path before the change, to report added lines only; `None` when
    /// the whole blob is new.
    pub(crate) before: Option<ObjectId>,
    /// Every other (commit index, path) carrying the blob, when asked for.
    pub(crate) also: Vec<(usize, BString)>,
    /// For a file new at its path (staged, or in a range): blobs of files the change deletes,
    /// one of which it may have been renamed from (the scanner picks the most similar, as git's rename
    /// detection does).
    pub(crate) rename_sources: Vec<ObjectId>,
}

impl BlobItem {
    /// A blob that is new as a whole (no previous version to diff against).
    pub(crate) fn new(id: ObjectId, path: BString, commit: Option<usize>) -> BlobItem {
        BlobItem { id, path, commit, before: None, also: Vec::new(), rename_sources: Vec::new() }
    }
}

/// What to scan in a repository.
#[derive(Debug, Default)]
pub(crate) struct GitPlan {
    /// Commits referred to by the items.
    pub(crate) commits: Vec<CommitInfo>,
    /// Unique blobs.
    pub(crate) blobs: Vec<BlobItem>,
    /// Submodules (gitlinks) that were skipped, by path.
    pub(crate) submodules: Vec<BString>,
}

fn commit_info(
    repo: &gix::Repository,
    id: ObjectId,
    buf: &mut Vec<u8>,
) -> Result<(CommitInfo, ObjectId, Vec<ObjectId>), GitError> {
    let c = repo.objects.find_commit(&id, buf).map_err(|e| err(format!("commit {id}"), e))?;
    let author = c.author().map_err(|e| err(format!("commit {id}: author"), e))?;
    let committer = c.committer().map_err(|e| err(format!("commit {id}: committer"), e))?;
    let info = CommitInfo {
        id,
        author: author.name.to_str_lossy().into_owned(),
        email: author.email.to_str_lossy().into_owned(),
        author_time: author.seconds(),
        commit_time: committer.seconds(),
    };
    Ok((info, c.tree(), c.parents().collect()))
}

/// Walks the commits reachable from `tips` but not from `hidden`, oldest first (by committer
/// time, then id, so "first" is deterministic), with their tree and parents.
fn commits(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<Vec<(CommitInfo, ObjectId, Vec<ObjectId>)>, GitError> {
    let mut out = Vec::new();
    if tips.is_empty() {
        return Ok(out);
    }
    let walk = repo.rev_walk(tips).with_hidden(hidden).all().map_err(|e| err("history walk", e))?;
    let mut buf = Vec::new();
    for info in walk {
        let info = info.map_err(|e| err("history walk", e))?;
        out.push(commit_info(repo, info.id, &mut buf)?);
    }
    out.sort_by_key(|c| (c.0.commit_time, c.0.id));
    Ok(out)
}

/// What [`history_walk`] reports, in order: each commit, then the files it introduces.
pub(crate) enum Visit<'a> {
    /// The next commit, oldest first; its index is the count of commits reported before it.
    Commit(CommitInfo),
    /// A file of the last reported commit.
    File {
        /// Index of the commit.
        commit: usize,
        /// Directory of the file (empty at the root).
        dir: &'a [u8],
        /// File name.
        name: &'a [u8],
        /// The blob.
        id: ObjectId,
    },
}

/// Walks the commits reachable from `branches` (every ref when empty) oldest first (by
/// committer time, then id, so "first" is deterministic) and reports each commit and the files
/// of its tree. Trees are entered once each unless `revisit`: a tree already seen in an older
/// commit holds only files already reported, so every blob is first reported with the oldest
/// commit and path that carried it. Returns the paths of submodules (gitlinks), which are
/// skipped.
///
/// # Errors
/// A ref, commit or tree cannot be read; the error names the object.
pub(crate) fn history_walk(
    objects: &mut Objects<'_>,
    branches: &[String],
    revisit: bool,
    mut visit: impl FnMut(Visit<'_>),
) -> Result<Vec<BString>, GitError> {
    let repo = objects.repo();
    let tips = tips(repo, branches)?;
    let commits = commits(repo, tips, Vec::new())?;
    let mut seen_trees: HashSet<ObjectId> = HashSet::default();
    let mut submodules: PathSet<BString> = PathSet::default();
    for (ci, (info, tree, _parents)) in commits.into_iter().enumerate() {
        visit(Visit::Commit(info));
        walk_tree(objects, tree, &mut seen_trees, !revisit, |dir, name, id, kind| {
            if kind == EntryKind::Commit {
                submodules.insert(join(dir, name));
            } else {
                visit(Visit::File { commit: ci, dir, name, id });
            }
        })?;
    }
    let mut submodules: Vec<BString> = submodules.into_iter().collect();
    submodules.sort();
    Ok(submodules)
}

/// Every unique blob reachable from `branches` (every ref when empty), attributed to the
/// oldest commit and path that carried it (see [`history_walk`]); with `all_occurrences`, each
/// blob also lists every other commit and path that carries it. `walked` is called as each
/// commit's tree is entered (for progress).
///
/// # Errors
/// A ref, commit or tree cannot be read; the error names the object.
pub(crate) fn history(
    objects: &mut Objects<'_>,
    branches: &[String],
    all_occurrences: bool,
    mut walked: impl FnMut(),
) -> Result<GitPlan, GitError> {
    let mut plan = GitPlan::default();
    let mut index: HashMap<ObjectId, usize> = HashMap::default();
    plan.submodules = history_walk(objects, branches, all_occurrences, |v| match v {
        Visit::Commit(info) => {
            walked();
            plan.commits.push(info);
        }
        Visit::File { commit, dir, name, id } => match index.get(&id) {
            Some(&bi) => {
                if all_occurrences {
                    plan.blobs[bi].also.push((commit, join(dir, name)));
                }
            }
            None => {
                index.insert(id, plan.blobs.len());
                plan.blobs.push(BlobItem::new(id, join(dir, name), Some(commit)));
            }
        },
    })?;
    Ok(plan)
}

/// Calls `visit(dir, name, id, kind)` for every non-tree entry under tree `root`, `dir` being
/// the entry's directory (empty at the root). With `skip_seen`, a tree already in `seen` is not
/// entered again (its entries were visited before). Paths are only built for the trees entered;
/// the visitor builds a file's path only if it needs it, so revisiting the files of a changed
/// directory costs no allocation.
fn walk_tree<F>(
    objects: &mut Objects<'_>,
    root: ObjectId,
    seen: &mut HashSet<ObjectId>,
    skip_seen: bool,
    mut visit: F,
) -> Result<(), GitError>
where
    F: FnMut(&[u8], &[u8], ObjectId, EntryKind),
{
    if !seen.insert(root) && skip_seen {
        return Ok(());
    }
    let mut stack = vec![(root, BString::default())];
    while let Some((tid, dir)) = stack.pop() {
        let data = objects.read_as(&tid, gix::objs::Kind::Tree).map_err(|e| err("tree", e))?;
        for entry in gix::objs::TreeRefIter::from_bytes(&data, objects.repo().object_hash()) {
            let e = entry.map_err(|e| err(format!("tree {tid}"), e))?;
            let kind = e.mode.kind();
            if kind == EntryKind::Tree {
                let id = e.oid.to_owned();
                if seen.insert(id) || !skip_seen {
                    stack.push((id, join(&dir, e.filename)));
                }
            } else {
                visit(&dir, e.filename, e.oid.to_owned(), kind);
            }
        }
    }
    Ok(())
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> BString {
    let mut path = BString::from(Vec::with_capacity(dir.len() + 1 + name.len()));
    if !dir.is_empty() {
        path.extend_from_slice(dir);
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

/// Collects files into `out` and submodules (gitlinks) into `submodules`.
fn collect<'a>(
    out: &'a mut Vec<(BString, ObjectId)>,
    submodules: &'a mut PathSet<BString>,
) -> impl FnMut(&[u8], &[u8], ObjectId, EntryKind) + 'a {
    move |dir, name, id, kind| {
        if kind == EntryKind::Commit {
            submodules.insert(join(dir, name));
        } else {
            out.push((join(dir, name), id));
        }
    }
}

/// `path -> blob` of every file in tree `root`.
fn tree_files(
    objects: &mut Objects<'_>,
    root: ObjectId,
) -> Result<PathMap<BString, ObjectId>, GitError> {
    let mut files = Vec::new();
    let mut seen = HashSet::default();
    let mut subs = PathSet::default();
    walk_tree(objects, root, &mut seen, false, collect(&mut files, &mut subs))?;
    Ok(files.into_iter().collect())
}

/// The blobs introduced by the commits reachable from `to` but not from `from` (a pull
/// request's `base..head`): for each commit, every path whose blob differs from the blob at that
/// path in each parent. Each unique blob once, attributed to its oldest such commit, with the
/// blob it replaced (for added-line reporting).
///
/// # Errors
/// A revision, commit or tree cannot be read.
pub(crate) fn range(
    objects: &mut Objects<'_>,
    from: ObjectId,
    to: ObjectId,
) -> Result<GitPlan, GitError> {
    let repo = objects.repo().clone();
    let repo = &repo;
    let commits = commits(repo, vec![to], vec![from])?;
    let mut plan = GitPlan::default();
    let mut index: HashMap<ObjectId, usize> = HashMap::default();
    let mut buf = Vec::new();
    let mut subs = PathSet::default();
    let mut tree_cache: HashMap<ObjectId, PathMap<BString, ObjectId>> = HashMap::default();
    for (ci, (info, tree, parents)) in commits.into_iter().enumerate() {
        let mut parent_files = Vec::new();
        for p in &parents {
            if !repo.has_object(p) {
                continue; // shallow boundary
            }
            let (_, ptree, _) = commit_info(repo, *p, &mut buf)?;
            if !tree_cache.contains_key(&ptree) {
                let f = tree_files(objects, ptree)?;
                tree_cache.insert(ptree, f);
            }
            parent_files.push(ptree);
        }
        // Tree order, not map order: which path a blob is first reported at stays deterministic.
        let mut walked = Vec::new();
        walk_tree(objects, tree, &mut HashSet::default(), false, collect(&mut walked, &mut subs))?;
        let files: PathMap<BString, ObjectId> = walked.iter().cloned().collect();
        // Files of the first parent this commit deletes: where a renamed-and-edited file may
        // come from.
        let deleted: Vec<ObjectId> = parent_files
            .first()
            .map(|t| {
                let mut d: Vec<ObjectId> = tree_cache[t]
                    .iter()
                    .filter(|(p, _)| !files.contains_key(*p))
                    .map(|(_, id)| *id)
                    .collect();
                d.sort();
                d.dedup();
                d.truncate(MAX_RENAME_SOURCES);
                d
            })
            .unwrap_or_default();
        for (path, id) in walked {
            let olds: Vec<Option<ObjectId>> =
                parent_files.iter().map(|t| tree_cache[t].get(&path).copied()).collect();
            if olds.contains(&Some(id)) {
                continue; // unchanged relative to some parent: not introduced here
            }
            if index.contains_key(&id) {
                continue;
            }
            index.insert(id, plan.blobs.len());
            let before = olds.into_iter().flatten().next();
            let rename_sources = if before.is_none() { deleted.clone() } else { Vec::new() };
            plan.blobs.push(BlobItem {
                id,
                path,
                commit: Some(ci),
                before,
                also: Vec::new(),
                rename_sources,
            });
        }
        tree_cache.insert(tree, files);
        plan.commits.push(info);
    }
    let mut subs: Vec<BString> = subs.into_iter().collect();
    subs.sort();
    plan.submodules = subs;
    Ok(plan)
}

/// What `git commit` would record: every index entry whose blob differs from HEAD's at the same
/// path (new, modified or renamed-and-modified files), with HEAD's blob as `before`. A pure
/// rename (the same blob at a new path) adds no lines and is listed only with `all_lines`.
///
/// # Errors
/// The index, HEAD or a tree cannot be read.
pub(crate) fn staged(objects: &mut Objects<'_>, all_lines: bool) -> Result<GitPlan, GitError> {
    let repo = objects.repo();
    let index = repo.index_or_empty().map_err(|e| err("index", e))?;
    let head_tree = repo.head_tree_id_or_empty().map_err(|e| err("HEAD", e))?.detach();
    let head = tree_files(objects, head_tree)?;
    let head_blobs: HashSet<ObjectId> = head.values().copied().collect();
    let mut plan = GitPlan::default();
    let state: &gix::index::State = &index;
    use gix::index::entry::{Flags, Mode, Stage};
    // Files of HEAD missing from the index: where a renamed-and-edited file may come from.
    let in_index: PathSet<&gix::bstr::BStr> =
        state.entries().iter().map(|e| e.path(state)).collect();
    let mut deleted: Vec<ObjectId> =
        head.iter().filter(|(p, _)| !in_index.contains(p.as_bstr())).map(|(_, id)| *id).collect();
    deleted.sort();
    deleted.dedup();
    deleted.truncate(MAX_RENAME_SOURCES);
    for e in state.entries() {
        let path = e.path(state).to_owned();
        if e.mode == Mode::COMMIT {
            plan.submodules.push(path);
            continue;
        }
        if !(e.mode == Mode::FILE || e.mode == Mode::FILE_EXECUTABLE || e.mode == Mode::SYMLINK)
            || e.flags.contains(Flags::INTENT_TO_ADD)
        {
            continue;
        }
        if e.stage() != Stage::Unconflicted && e.stage() != Stage::Ours {
            continue; // during a conflict, scan our side once
        }
        let before = head.get(&path).copied();
        if before == Some(e.id) {
            continue;
        }
        if before.is_none() && head_blobs.contains(&e.id) && !all_lines {
            continue; // a pure rename or copy: no new content
        }
        let rename_sources = if before.is_none() { deleted.clone() } else { Vec::new() };
        plan.blobs.push(BlobItem {
            id: e.id,
            path,
            commit: None,
            before,
            also: Vec::new(),
            rename_sources,
        });
    }
    Ok(plan)
}

/// Rename detection compares a new file with at most this many deleted ones (git's default
/// rename limit is far higher, but a commit deleting more files than this is no normal commit).
const MAX_RENAME_SOURCES: usize = 64;

/// Sorts `plan.blobs` into pack order (ascending pack offset, then loose objects). A delta's
/// base precedes it in a pack, so reading in this order lets each reader's object cache
/// serve most chains instead of inflating each base again.
///
/// # Errors
/// The object database cannot be listed.
pub(crate) fn sort_by_pack_order(
    repo: &gix::Repository,
    plan: &mut GitPlan,
) -> Result<(), GitError> {
    use gix::odb::store::iter::Ordering;
    let wanted: HashMap<ObjectId, usize> =
        plan.blobs.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let mut rank: Vec<usize> = vec![usize::MAX; plan.blobs.len()];
    let objects = repo.objects.iter().map_err(|e| err("object database", e))?;
    let mut next = 0;
    for id in objects.with_ordering(Ordering::PackAscendingOffsetThenLooseLexicographical) {
        let id = id.map_err(|e| err("object database", e))?;
        if let Some(&i) = wanted.get(&id) {
            if rank[i] == usize::MAX {
                rank[i] = next;
                next += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..plan.blobs.len()).collect();
    order.sort_by_key(|&i| rank[i]);
    let mut blobs: Vec<Option<BlobItem>> =
        std::mem::take(&mut plan.blobs).into_iter().map(Some).collect();
    plan.blobs = order.into_iter().filter_map(|i| blobs[i].take()).collect();
    Ok(())
}
