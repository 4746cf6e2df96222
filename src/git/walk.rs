//! Listing git content to scan: the staged changes of the index, the blobs a range of commits
//! introduced, or every blob reachable from any ref. Each unique blob is listed once, with the
//! commit and path that first carried it. This module reads trees, commits and the index, never
//! blob contents.

use super::odb::{Data, Objects, Packs};
use super::{err, tips, CommitInfo, GitError};
use gix::bstr::{BString, ByteSlice};
use gix::hashtable::{HashMap, HashSet};
use gix::objs::tree::EntryKind;
use gix::ObjectId;
// gix's tables hash only object ids; paths go in the standard ones.
use std::collections::HashSet as PathSet;

/// One blob to scan.
#[derive(Clone, Debug)]
pub(crate) struct BlobItem {
    /// The blob.
    pub(crate) id: ObjectId,
    /// Repository-relative path where it (first) appeared.
    pub(crate) path: BString,
    /// What carries it: the index, a commit (into [`GitPlan::commits`]) or a ref (into
    /// [`GitPlan::tags`]).
    pub(crate) origin: Origin,
    /// The blob at the same path before the change, to report added lines only; `None` when
    /// the whole blob is new.
    pub(crate) before: Option<ObjectId>,
    /// Other paths the walk saw the blob at (renames, copies; at most [`MAX_OTHER_PATHS`]),
    /// each with the first commit that had it there: path scopes and allowlists are judged at
    /// each.
    pub(crate) others: Vec<(Origin, BString)>,
    /// For a file new at its path (staged, or in a range): blobs of files the change deletes,
    /// one of which it may have been renamed from (the scanner picks the most similar, as git's rename
    /// detection does).
    pub(crate) rename_sources: Vec<ObjectId>,
}

impl BlobItem {
    /// A blob that is new as a whole (no previous version to diff against).
    pub(crate) fn new(id: ObjectId, path: BString, origin: Origin) -> BlobItem {
        BlobItem { id, path, origin, before: None, others: Vec::new(), rename_sources: Vec::new() }
    }
}

/// What carries a listed blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The index (staged).
    Index,
    /// The commit at this index of [`GitPlan::commits`].
    Commit(usize),
    /// The ref at this index of [`GitPlan::tags`], which points at the blob or a tree holding
    /// it, and no commit does.
    Tag(usize),
}

/// What to scan in a repository.
#[derive(Debug, Default)]
pub(crate) struct GitPlan {
    /// Commits referred to by the items.
    pub(crate) commits: Vec<CommitInfo>,
    /// The tree of each commit, by the same index.
    pub(crate) trees: Vec<ObjectId>,
    /// Refs that carry blobs no commit does.
    pub(crate) tags: Vec<String>,
    /// Annotated tags' messages, by ref name.
    pub(crate) tag_messages: Vec<super::TagMessage>,
    /// Directories whose tree reappeared at other paths, with the first commit there.
    pub(crate) aliases: std::collections::HashMap<BString, Vec<(Origin, BString)>>,
    /// Unique blobs.
    pub(crate) blobs: Vec<BlobItem>,
    /// Submodules (gitlinks) that were skipped, by path.
    pub(crate) submodules: Vec<BString>,
    /// Objects and refs that could not be read: what they held was not listed; the rest was.
    pub(crate) errors: Vec<GitError>,
}

/// A commit's header, parsed leniently: git accepts commits whose author line has no email or
/// an odd date (`author NoEmail 1700000000 +0000`), and so does this, showing the identity as it
/// is written rather than refusing the commit.
fn commit_info(
    objects: &mut Objects<'_>,
    id: ObjectId,
) -> Result<(CommitInfo, ObjectId, Vec<ObjectId>), GitError> {
    let data = objects
        .read_as(&id, gix::objs::Kind::Commit)
        .map_err(|e| err(format!("commit {id}"), e))?;
    let mut lines = data.split(|&b| b == b'\n');
    // As git reads a commit: `tree` first, then its `parent` lines, then the rest of the header
    // up to the blank line before the message. A second `tree` or a late `parent` line is not
    // what git walks, so it is not what leakhound walks either.
    let tree = lines
        .next()
        .and_then(|l| l.strip_prefix(b"tree "))
        .and_then(|hex| ObjectId::from_hex(hex).ok())
        .ok_or_else(|| err(format!("commit {id}"), "does not start with its tree"))?;
    let mut parents = Vec::new();
    let mut author = None;
    let mut committer = None;
    let mut in_parents = true;
    for line in lines {
        if line.is_empty() {
            break; // the message follows
        }
        match line.strip_prefix(b"parent ") {
            Some(hex) if in_parents => {
                let p = ObjectId::from_hex(hex)
                    .map_err(|_| err(format!("commit {id}"), "has a malformed parent line"))?;
                parents.push(p);
                continue;
            }
            _ => in_parents = false,
        }
        if let Some(value) = line.strip_prefix(b"author ") {
            author.get_or_insert_with(|| Identity::parse(value));
        } else if let Some(value) = line.strip_prefix(b"committer ") {
            committer.get_or_insert_with(|| Identity::parse(value));
        }
    }
    let author = author.unwrap_or_default();
    let committer = committer.unwrap_or_default();
    let info = CommitInfo {
        id,
        author: author.name,
        email: author.email,
        author_time: author.time,
        commit_time: committer.time,
        message: super::message_of(&data).into(),
        notes: false,
    };
    Ok((info, tree, parents))
}

/// `Name <email> seconds timezone`, or whatever an odd commit has instead.
#[derive(Default)]
struct Identity {
    name: String,
    email: String,
    time: i64,
}

impl Identity {
    fn parse(value: &[u8]) -> Identity {
        let time_of = |rest: &[u8]| {
            rest.split(|&b| b == b' ')
                .filter(|w| !w.is_empty())
                .find_map(|w| std::str::from_utf8(w).ok()?.parse::<i64>().ok())
                .unwrap_or(0)
        };
        match (value.find_byte(b'<'), value.rfind_byte(b'>')) {
            (Some(lt), Some(gt)) if lt < gt => Identity {
                name: value[..lt].trim().to_str_lossy().into_owned(),
                email: value[lt + 1..gt].to_str_lossy().into_owned(),
                time: time_of(&value[gt + 1..]),
            },
            _ => {
                // No email: the name is the text before the trailing numbers.
                let words: Vec<&[u8]> = value.split(|&b| b == b' ').collect();
                let numeric = |w: &&[u8]| {
                    !w.is_empty()
                        && w.iter().all(|b| b.is_ascii_digit() || *b == b'+' || *b == b'-')
                };
                let tail = words.iter().rev().take_while(|w| numeric(w)).count();
                let name = words[..words.len() - tail].join(&b' ');
                Identity {
                    name: name.trim().to_str_lossy().into_owned(),
                    email: String::new(),
                    time: time_of(&words[words.len() - tail..].join(&b' ')),
                }
            }
        }
    }
}

/// Walks the commits reachable from `tips` but not from `hidden`, oldest first (by committer
/// time, then id, so "first" is deterministic), with their tree and parents. A commit that
/// cannot be read is recorded in `errors` and left out; the walk goes on.
///
/// # Errors
/// The walk cannot start at all.
fn commits(
    objects: &mut Objects<'_>,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    errors: &mut Vec<GitError>,
) -> Result<Vec<(CommitInfo, ObjectId, Vec<ObjectId>)>, GitError> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    let repo = objects.repo().clone();
    let repo = &repo;
    // Commits of a shallow clone's boundary have parents the clone does not hold.
    let boundary: HashSet<ObjectId> = repo
        .shallow_commits()
        .map_err(|e| err("shallow commits", e))?
        .map(|b| b.iter().copied().collect())
        .unwrap_or_default();
    let hidden = if hidden.is_empty() {
        HashSet::default()
    } else {
        // The commits `hidden` reaches: gix's walk knows them without reading them all, but
        // refuses commits git accepts (an author without an email); then every one is read.
        match hidden_by_gix(repo, &tips, &hidden) {
            Some(ids) => return Ok(read_commits(objects, ids, errors)),
            None => reachable(objects, hidden, &HashSet::default(), &boundary, &mut Vec::new())
                .into_iter()
                .map(|c| c.0.id)
                .collect(),
        }
    };
    let mut out = reachable(objects, tips, &hidden, &boundary, errors);
    out.sort_by_key(|c| (c.0.commit_time, c.0.id));
    Ok(out)
}

/// The commits reachable from `tips` but not from `hidden`, by gix's walk, or `None` if the
/// walk met a commit it cannot decode.
fn hidden_by_gix(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
) -> Option<Vec<ObjectId>> {
    let walk = repo.rev_walk(tips.to_vec()).with_hidden(hidden.to_vec()).all().ok()?;
    walk.map(|info| info.ok().map(|i| i.id)).collect()
}

fn read_commits(
    objects: &mut Objects<'_>,
    ids: Vec<ObjectId>,
    errors: &mut Vec<GitError>,
) -> Vec<(CommitInfo, ObjectId, Vec<ObjectId>)> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match commit_info(objects, id) {
            Ok(c) => out.push(c),
            Err(e) => errors.push(e),
        }
    }
    out.sort_by_key(|c| (c.0.commit_time, c.0.id));
    out
}

/// Every commit reachable from `tips` and not in `hidden`, each read once with the lenient
/// parser: a commit that cannot be read is recorded in `errors` and its parents are not
/// followed; the boundary of a shallow clone ends the walk without an error.
fn reachable(
    objects: &mut Objects<'_>,
    tips: Vec<ObjectId>,
    hidden: &HashSet<ObjectId>,
    boundary: &HashSet<ObjectId>,
    errors: &mut Vec<GitError>,
) -> Vec<(CommitInfo, ObjectId, Vec<ObjectId>)> {
    let mut seen: HashSet<ObjectId> = HashSet::default();
    let mut queue = tips;
    let mut out = Vec::new();
    while let Some(id) = queue.pop() {
        if hidden.contains(&id) || !seen.insert(id) {
            continue;
        }
        match commit_info(objects, id) {
            Ok(c) => {
                if !boundary.contains(&id) {
                    queue.extend(c.2.iter().filter(|p| !seen.contains(*p)));
                }
                out.push(c);
            }
            Err(e) => errors.push(e),
        }
    }
    out
}

/// What [`history_walk`] reports, in order: the number of commits, then each commit and the
/// trees it introduces; then each ref that points at a blob or tree, and what it carries.
pub(crate) enum Walked {
    /// How many commits the walk is about to report, before the first.
    Listed(usize),
    /// The next commit, oldest first, and its tree; its index is the count of commits reported
    /// before it.
    Commit(CommitInfo, ObjectId),
    /// The next ref that points at a blob or tree (a tag); its index is the count of refs
    /// reported before it.
    Tag(String),
    /// A tree entered for the first time, of the last reported commit or ref: its files (and
    /// gitlinks) are for the receiver to list; its subtrees are the walk's.
    Tree {
        /// What carries it.
        origin: Origin,
        /// Its path (empty at the root).
        dir: BString,
        /// [`path_hash`] of `dir`, to tell cheaply whether a file is where it was.
        dir_hash: u64,
        /// Its entries, as stored.
        data: Data,
    },
    /// A blob the last reported ref points at directly.
    TaggedBlob(Origin, ObjectId),
}

/// Walks the commits reachable from `branches` (every ref when empty) oldest first (by
/// committer time, then id, so "first" is deterministic), then notes, and reports each commit
/// and the trees it introduces, then the blobs and trees refs point at directly (a tag of a
/// file or a directory). Each tree is entered once: a tree already seen in an older commit
/// holds only files already reported, so every blob is first reported with the oldest commit
/// and path that carried it. Returns the messages of annotated tags. A ref, commit or tree that
/// cannot be read is recorded in `errors`; the walk goes on with the rest.
///
/// # Errors
/// The refs cannot be listed, or a ref given in `branches` does not name a commit.
fn history_walk(
    objects: &mut Objects<'_>,
    branches: &[String],
    errors: &mut Vec<GitError>,
    aliases: &mut Aliases,
    mut report: impl FnMut(Walked),
) -> Result<Vec<super::TagMessage>, GitError> {
    let tips = tips(objects, branches)?;
    errors.extend(tips.errors);
    let notes = commits(objects, tips.notes, tips.commits.clone(), errors)?;
    let mut commits = commits(objects, tips.commits, Vec::new(), errors)?;
    // Notes come after the history they annotate: a blob both carry is the history's.
    commits.extend(notes.into_iter().map(|(mut info, tree, parents)| {
        info.notes = true;
        (info, tree, parents)
    }));
    report(Walked::Listed(commits.len()));
    for (ci, (info, tree, _parents)) in commits.into_iter().enumerate() {
        report(Walked::Commit(info, tree));
        aliases.current = Some(Origin::Commit(ci));
        walk_history_tree(objects, tree, Origin::Commit(ci), errors, aliases, &mut report);
    }
    for (ti, (name, id, kind)) in tips.objects.into_iter().enumerate() {
        report(Walked::Tag(name));
        let origin = Origin::Tag(ti);
        if kind == gix::objs::Kind::Tree {
            aliases.current = None;
            walk_history_tree(objects, id, origin, errors, aliases, &mut report);
        } else {
            report(Walked::TaggedBlob(origin, id));
        }
    }
    Ok(tips.messages)
}

/// The hash of the empty path (the root directory).
const EMPTY_HASH: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A hash of the path `name` makes under a directory whose hash is `dir_hash` ([`EMPTY_HASH`]
/// at the root), as [`join`] writes it: hashing a directory once and each name in it, a word
/// at a time, is far cheaper than comparing every file's path with the path it was first seen
/// at. (FxHash's mixing step; a collision only costs a missed other path.)
fn path_hash(dir_hash: u64, name: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, word: u64| (h.rotate_left(26) ^ word).wrapping_mul(K);
    let mut h = if dir_hash == EMPTY_HASH { dir_hash } else { mix(dir_hash, u64::from(b'/')) };
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    // The tail is gathered in a register: copied into a stack buffer and read back as one
    // word, it stalls on store forwarding, which showed in profiles of the sweep.
    let last = chunks.remainder().iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
    mix(h, last ^ ((name.len() as u64) << 56))
}

/// Where the history walk first saw a blob or tree: its index (into [`GitPlan::blobs`] or
/// [`Aliases`]' directories) and the low half of the hash of its path there, in one word. The
/// walk looks one up for every entry of every tree it enters; at 32 bytes with the id, two
/// table buckets fill a cache line and none straddles two, which profiles of the sweep showed.
#[derive(Clone, Copy)]
struct FirstSeen(u64);

impl FirstSeen {
    fn new(index: usize, path_hash: u64) -> FirstSeen {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        FirstSeen(u64::from(index) << 32 | (path_hash & 0xffff_ffff))
    }

    fn index(self) -> usize {
        (self.0 >> 32) as usize
    }

    /// Whether a path with this hash is (almost surely) the one it was first seen at.
    fn at(self, path_hash: u64) -> bool {
        self.0 & 0xffff_ffff == path_hash & 0xffff_ffff
    }
}

/// How many other paths of a blob the sweep keeps (see [`BlobItem::others`]).
pub(crate) const MAX_OTHER_PATHS: usize = 16;

/// Whether `path` is `dir/name` (as [`join`] builds it, for names without `/` or `\\`).
fn same_path(path: &[u8], dir: &[u8], name: &[u8]) -> bool {
    if dir.is_empty() {
        return path == name;
    }
    path.len() == dir.len() + 1 + name.len()
        && path.starts_with(dir)
        && path[dir.len()] == b'/'
        && path.ends_with(name)
}

/// Every unique blob reachable from `branches` (every ref when empty), attributed to the
/// oldest commit and path that carried it (see [`history_walk`]), or to the ref that alone
/// carries it, with the other paths the walk saw it at. `walked(n, total)` is called as the
/// walk enters the `n`th of `total` commits' trees (for progress). `blobs_hint` is about how
/// many blobs there are (those of the packs), for sizing its tables.
///
/// Two threads: this one reads and walks the trees, another lists the files of each tree it
/// enters (a lookup per file, the larger half of the work on a long history), in batches.
///
/// # Errors
/// The refs cannot be listed, or a ref given in `branches` does not name a commit. Objects
/// that cannot be read are in [`GitPlan::errors`].
pub(crate) fn history(
    objects: &mut Objects<'_>,
    branches: &[String],
    blobs_hint: usize,
    mut walked: impl FnMut(usize, usize),
) -> Result<GitPlan, GitError> {
    const BATCH: usize = 256;
    let mut errors = Vec::new();
    let mut aliases = Aliases::default();
    let hash = objects.repo().object_hash();
    // A few batches in flight are enough to keep both threads busy; each tree in flight keeps
    // its data alive after the object cache has let it go.
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Walked>>(4);
    let (listing, walk) = std::thread::scope(|s| {
        let lister = s.spawn(move || {
            let mut listing = Listing::new(hash, blobs_hint);
            for batch in receive {
                batch.into_iter().for_each(|w| listing.take(w));
            }
            listing
        });
        let (mut batch, mut total, mut n) = (Vec::with_capacity(BATCH), 0, 0);
        let walk = history_walk(objects, branches, &mut errors, &mut aliases, |w| {
            match &w {
                Walked::Listed(t) => total = *t,
                Walked::Commit(..) => {
                    n += 1;
                    walked(n, total);
                }
                _ => {}
            }
            batch.push(w);
            if batch.len() == BATCH {
                // Fails only if the lister panicked, which `join` passes on below.
                let _ = send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        let _ = send.send(batch);
        drop(send);
        match lister.join() {
            Ok(listing) => (listing, walk),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let mut plan = listing.plan;
    plan.tag_messages = walk?;
    let mut submodules: Vec<BString> = listing.submodules.into_iter().collect();
    submodules.sort();
    plan.submodules = submodules;
    plan.errors = errors;
    plan.aliases = aliases.by_dir;
    Ok(plan)
}

/// The history sweep's list of blobs, built from what the walk reports.
struct Listing {
    plan: GitPlan,
    /// Where each blob was first seen.
    index: HashMap<ObjectId, FirstSeen>,
    /// Paths of gitlinks, which are skipped.
    submodules: PathSet<BString>,
    hash: gix::hash::Kind,
}

impl Listing {
    /// A listing for about `blobs` blobs: sized once, its tables are not copied as they grow
    /// (twice the memory for a moment, at the largest).
    fn new(hash: gix::hash::Kind, blobs: usize) -> Listing {
        let mut plan = GitPlan::default();
        plan.blobs.reserve_exact(blobs);
        Listing {
            plan,
            index: HashMap::with_capacity_and_hasher(blobs, Default::default()),
            submodules: PathSet::default(),
            hash,
        }
    }

    fn take(&mut self, walked: Walked) {
        match walked {
            Walked::Listed(commits) => {
                self.plan.commits.reserve_exact(commits);
                self.plan.trees.reserve_exact(commits);
            }
            Walked::Commit(info, tree) => {
                self.plan.commits.push(info);
                self.plan.trees.push(tree);
            }
            Walked::Tag(name) => self.plan.tags.push(name),
            Walked::TaggedBlob(origin, id) => self.file(origin, b"", EMPTY_HASH, b"", id),
            Walked::Tree { origin, dir, dir_hash, data } => {
                // The walk parsed this tree already and recorded any error in it.
                for entry in gix::objs::TreeRefIter::from_bytes(&data, self.hash) {
                    let Ok(e) = entry else { break };
                    match e.mode.kind() {
                        EntryKind::Tree => {}
                        EntryKind::Commit => {
                            self.submodules.insert(join(&dir, e.filename));
                        }
                        _ => self.file(origin, &dir, dir_hash, e.filename, e.oid.to_owned()),
                    }
                }
            }
        }
    }

    /// File `name` in directory `dir` (path hash `dir_hash`) holds blob `id`.
    fn file(&mut self, origin: Origin, dir: &[u8], dir_hash: u64, name: &[u8], id: ObjectId) {
        let plan = &mut self.plan;
        match self.index.get(&id) {
            Some(&first) => {
                // The same content at another path (a rename, a copy): kept, a few of them.
                // Almost always it is where it was first seen, which the hash of the path
                // tells without touching the blob's record.
                let in_history = |o| matches!(o, Origin::Commit(ci) if !plan.commits[ci].notes);
                if first.at(path_hash(dir_hash, name)) || !in_history(origin) {
                    return;
                }
                let item = &mut plan.blobs[first.index()];
                if item.others.len() < MAX_OTHER_PATHS
                    && !same_path(&item.path, dir, name)
                    && !item.others.iter().any(|(_, p)| same_path(p, dir, name))
                {
                    item.others.push((origin, join(dir, name)));
                }
            }
            None => {
                // A blob a ref points at has no path of its own: it is shown as the ref; a
                // note is shown as what it annotates (its path, less git's fan-out).
                let path = match (name.is_empty(), origin) {
                    (true, Origin::Tag(ti)) => BString::from(plan.tags[ti].as_str()),
                    (_, Origin::Commit(ci)) if plan.commits[ci].notes => {
                        let annotated: Vec<u8> =
                            dir.iter().chain(name).copied().filter(|&b| b != b'/').collect();
                        let annotated = String::from_utf8_lossy(&annotated);
                        BString::from(format!("(note on {annotated})"))
                    }
                    _ => join(dir, name),
                };
                self.index.insert(id, FirstSeen::new(plan.blobs.len(), path_hash(dir_hash, name)));
                plan.blobs.push(BlobItem::new(id, path, origin));
            }
        }
    }
}

/// Completes the other paths of `plan`'s blobs from the directories that reappeared whole at
/// other paths ([`GitPlan::aliases`]): a secret in a copied directory is judged at the copy too.
/// Meant for the few blobs left to scan whole.
pub(crate) fn add_aliased_paths(plan: &mut GitPlan) {
    if plan.aliases.is_empty() {
        return;
    }
    for item in &mut plan.blobs {
        let mut found = Vec::new();
        // Each directory above the file, the root (a whole commit tree reused as a
        // subdirectory) included.
        let slashes = item.path.iter().enumerate().filter(|(_, b)| **b == b'/').map(|(at, _)| at);
        for at in std::iter::once(0).chain(slashes) {
            let (dir, rest) = item.path.split_at(at);
            for (origin, other) in plan.aliases.get(dir.as_bstr()).into_iter().flatten() {
                let mut path = other.clone();
                if at == 0 && !other.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(rest);
                found.push((*origin, path));
            }
        }
        for (origin, path) in found {
            if item.others.len() < MAX_OTHER_PATHS && !item.others.iter().any(|(_, p)| *p == path) {
                item.others.push((origin, path));
            }
        }
    }
}

/// Every commit (by index into `trees`, the commits' trees) and path that holds one of the
/// `targets` blobs: the `--all-occurrences` listing, a walk of every commit's whole tree that
/// descends only into subtrees known to hold a target (each tree is judged once), so that what
/// it keeps grows with the findings, not with commits times files. Trees that cannot be read
/// are left out: the sweep's own walk, which read them all, has reported them.
pub(crate) fn occurrences(
    objects: &mut Objects<'_>,
    trees: &[ObjectId],
    targets: &HashSet<ObjectId>,
) -> HashMap<ObjectId, Vec<(usize, BString)>> {
    // One bit per tree: whether it holds a target. Trees are read again through the object
    // cache rather than kept parsed: a long history has hundreds of thousands.
    let mut holds: HashMap<ObjectId, bool> = HashMap::default();
    let mut out: HashMap<ObjectId, Vec<(usize, BString)>> = HashMap::default();
    for (ci, &root) in trees.iter().enumerate() {
        if !holds_target(objects, &mut holds, targets, root) {
            continue;
        }
        let mut stack = vec![(root, BString::default())];
        while let Some((tree, dir)) = stack.pop() {
            for_each_entry(objects, tree, &dir, &mut Vec::new(), |e| {
                let id = e.oid.to_owned();
                match e.mode.kind() {
                    EntryKind::Tree if holds.get(&id).copied().unwrap_or(false) => {
                        stack.push((id, join(&dir, e.filename)));
                    }
                    EntryKind::Tree | EntryKind::Commit => {}
                    _ if targets.contains(&id) => {
                        out.entry(id).or_default().push((ci, join(&dir, e.filename)));
                    }
                    _ => {}
                }
            });
        }
    }
    out
}

/// Whether tree `tree` holds one of `targets` anywhere below it, memoized in `holds`.
fn holds_target(
    objects: &mut Objects<'_>,
    holds: &mut HashMap<ObjectId, bool>,
    targets: &HashSet<ObjectId>,
    tree: ObjectId,
) -> bool {
    if let Some(&h) = holds.get(&tree) {
        return h;
    }
    // Iterative post-order: a deep tree must not overflow the stack.
    let mut stack = vec![(tree, false)];
    let mut entries: Vec<(EntryKind, ObjectId)> = Vec::new();
    while let Some((t, expanded)) = stack.pop() {
        if holds.contains_key(&t) {
            continue;
        }
        entries.clear();
        let mut failed = Vec::new();
        for_each_entry(objects, t, b"", &mut failed, |e| {
            entries.push((e.mode.kind(), e.oid.to_owned()));
        });
        if !failed.is_empty() && entries.is_empty() {
            holds.insert(t, false);
            continue;
        }
        if expanded {
            let h = entries.iter().any(|(kind, id)| match kind {
                EntryKind::Tree => holds.get(id).copied().unwrap_or(false),
                EntryKind::Commit => false,
                _ => targets.contains(id),
            });
            holds.insert(t, h);
        } else {
            stack.push((t, true));
            for (kind, id) in &entries {
                if *kind == EntryKind::Tree && !holds.contains_key(id) {
                    stack.push((*id, false));
                }
            }
        }
    }
    holds.get(&tree).copied().unwrap_or(false)
}

/// Calls `visit(dir, name, id, kind)` for every non-tree entry under tree `root`, `dir` being
/// the entry's directory (empty at the root). With `skip_seen`, a tree already in `seen` is not
/// entered again (its entries were visited before). Paths are only built for the trees entered;
/// the visitor builds a file's path only if it needs it, so revisiting the files of a changed
/// directory costs no allocation. A tree that cannot be read is recorded in `errors` and its
/// entries are left out; the rest is visited.
fn walk_tree<F>(
    objects: &mut Objects<'_>,
    root: ObjectId,
    seen: &mut HashSet<ObjectId>,
    skip_seen: bool,
    errors: &mut Vec<GitError>,
    mut visit: F,
) where
    F: FnMut(&[u8], &[u8], ObjectId, EntryKind),
{
    if !seen.insert(root) && skip_seen {
        return;
    }
    let mut stack = vec![(root, BString::default())];
    while let Some((tid, dir)) = stack.pop() {
        for_each_entry(objects, tid, &dir, errors, |e| {
            let kind = e.mode.kind();
            if kind == EntryKind::Tree {
                let id = e.oid.to_owned();
                if seen.insert(id) || !skip_seen {
                    stack.push((id, join(&dir, e.filename)));
                }
            } else {
                visit(&dir, e.filename, e.oid.to_owned(), kind);
            }
        });
    }
}

/// Directories whose whole tree appeared again at another path (a copied or renamed
/// directory): the sweep enters each tree once, so the files in it are not visited there, and
/// a blob's other paths are completed from these after the walk.
#[derive(Default)]
pub(crate) struct Aliases {
    /// Where each tree was first entered (its path in `dirs`): also the set of trees entered.
    first_dir: HashMap<ObjectId, FirstSeen>,
    /// Directories entered, by index.
    dirs: Vec<BString>,
    /// (first directory, other directory) pairs, each once.
    seen: std::collections::HashSet<(BString, BString)>,
    /// Other directories of each first directory, with what carries them there.
    by_dir: std::collections::HashMap<BString, Vec<(Origin, BString)>>,
    /// What carries the tree being walked (`None`: a tag, whose directories are not aliases).
    current: Option<Origin>,
}

/// The most directory aliases kept: each costs two paths.
const MAX_ALIASES: usize = 100_000;

impl Aliases {
    /// Records tree `id` entered at `path` (hash `h`) unless it was entered before, and
    /// where it was entered first (`None` the first time).
    fn enter(&mut self, id: ObjectId, h: u64) -> Option<FirstSeen> {
        match self.first_dir.entry(id) {
            gix::hashtable::hash_map::Entry::Occupied(o) => Some(*o.get()),
            gix::hashtable::hash_map::Entry::Vacant(v) => {
                v.insert(FirstSeen::new(self.dirs.len(), h));
                None
            }
        }
    }

    /// Tree `first` met again as `name` in directory `parent`, at another path than the one
    /// it was first entered at (the caller tells that from the path hashes).
    fn met_again(&mut self, first: FirstSeen, parent: &[u8], name: &[u8]) {
        let Some(origin) = self.current else { return };
        if self.seen.len() >= MAX_ALIASES {
            return;
        }
        let dir = join(parent, name);
        let first_dir = self.dirs[first.index()].clone();
        if self.seen.insert((first_dir.clone(), dir.clone())) {
            let others = self.by_dir.entry(first_dir).or_default();
            if others.len() < MAX_OTHER_PATHS {
                others.push((origin, dir));
            }
        }
    }
}

/// The history sweep's tree walk: enters each tree under `root` that no earlier walk entered,
/// hands it to `report` (whose receiver lists its files), and tells `aliases` where a tree
/// already entered appears again.
fn walk_history_tree(
    objects: &mut Objects<'_>,
    root: ObjectId,
    origin: Origin,
    errors: &mut Vec<GitError>,
    aliases: &mut Aliases,
    report: &mut impl FnMut(Walked),
) {
    if aliases.enter(root, EMPTY_HASH).is_some() {
        return;
    }
    let root_dir = aliases.dirs.len();
    aliases.dirs.push(BString::default());
    let mut stack = vec![(root, root_dir, EMPTY_HASH)];
    while let Some((tid, di, dir_hash)) = stack.pop() {
        // The path lives in `aliases.dirs`; take it out while the tree's entries are visited.
        let dir = std::mem::take(&mut aliases.dirs[di]);
        let data = for_each_entry(objects, tid, &dir, errors, |e| {
            if e.mode.kind() != EntryKind::Tree {
                return;
            }
            let id = e.oid.to_owned();
            let h = path_hash(dir_hash, e.filename);
            match aliases.enter(id, h) {
                Some(first) => {
                    // Most often it is where it was first entered (an unchanged subdirectory
                    // of a changed directory), which costs a hash comparison and nothing else.
                    if aliases.current.is_some() && !first.at(h) {
                        aliases.met_again(first, &dir, e.filename);
                    }
                }
                None => {
                    stack.push((id, aliases.dirs.len(), h));
                    aliases.dirs.push(join(&dir, e.filename));
                }
            }
        });
        if let Some(data) = data {
            report(Walked::Tree { origin, dir: dir.clone(), dir_hash, data });
        }
        aliases.dirs[di] = dir;
    }
}

/// Calls `each` with every entry of tree `tid`, found at `dir`, and returns the tree. A tree
/// that cannot be read (`None`), or an entry that cannot be parsed, is recorded in `errors`,
/// and what could not be read of the tree is left out.
fn for_each_entry(
    objects: &mut Objects<'_>,
    tid: ObjectId,
    dir: &[u8],
    errors: &mut Vec<GitError>,
    mut each: impl FnMut(gix::objs::tree::EntryRef<'_>),
) -> Option<Data> {
    let data = match objects.read_as(&tid, gix::objs::Kind::Tree) {
        Ok(data) => data,
        Err(e) => {
            let dir = crate::provenance::joined_path_text(dir);
            errors.push(err(format!("tree at `{dir}`"), e));
            return None;
        }
    };
    for entry in gix::objs::TreeRefIter::from_bytes(&data, objects.repo().object_hash()) {
        match entry {
            Ok(e) => each(e),
            Err(e) => {
                errors.push(err(format!("tree {tid}"), e));
                break;
            }
        }
    }
    Some(data)
}

/// `dir/name`, or `name` at the root. A name holding a `/` (which git never writes, but a
/// crafted tree can) keeps it as `\x2f`, so it cannot pose as a deeper path, and a backslash
/// as `\\`, so that escape stays unambiguous (shown with
/// [`crate::provenance::joined_path_text`]).
pub(crate) fn join(dir: &[u8], name: &[u8]) -> BString {
    let mut path = BString::from(Vec::with_capacity(dir.len() + 1 + name.len()));
    if !dir.is_empty() {
        path.extend_from_slice(dir);
        path.push(b'/');
    }
    for &b in name {
        match b {
            b'/' => path.extend_from_slice(b"\\x2f"),
            b'\\' => path.extend_from_slice(b"\\\\"),
            _ => path.push(b),
        }
    }
    path
}

/// One entry of a tree: name, kind and object.
type TreeEntry = (BString, EntryKind, ObjectId);

/// A parsed tree: its entries in tree order, and an index by name (a directory of 100,000
/// files must not cost a linear search per lookup).
struct ParsedTree {
    entries: Vec<TreeEntry>,
    by_name: std::collections::HashMap<BString, usize>,
}

impl ParsedTree {
    /// The entry called `name`.
    fn find(&self, name: &[u8]) -> Option<&TreeEntry> {
        self.by_name.get(name.as_bstr()).map(|&i| &self.entries[i])
    }

    fn iter(&self) -> std::slice::Iter<'_, TreeEntry> {
        self.entries.iter()
    }
}

/// Parsed trees, each parsed once per listing however often it recurs (a tree that repeats one
/// subtree ten ways over six levels names a million paths but holds few objects).
#[derive(Default)]
struct Trees {
    parsed: HashMap<ObjectId, std::rc::Rc<ParsedTree>>,
}

impl Trees {
    /// Tree `id`, parsed.
    fn get(
        &mut self,
        objects: &mut Objects<'_>,
        id: ObjectId,
    ) -> Result<std::rc::Rc<ParsedTree>, GitError> {
        if let Some(t) = self.parsed.get(&id) {
            return Ok(t.clone());
        }
        let data = objects.read_as(&id, gix::objs::Kind::Tree).map_err(|e| err("tree", e))?;
        let mut entries = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&data, objects.repo().object_hash()) {
            let e = entry.map_err(|e| err(format!("tree {id}"), e))?;
            entries.push((BString::from(e.filename), e.mode.kind(), e.oid.to_owned()));
        }
        // A crafted tree may name an entry twice: the first is the one git sees.
        let mut by_name = std::collections::HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            by_name.entry(e.0.clone()).or_insert(i);
        }
        let tree = std::rc::Rc::new(ParsedTree { entries, by_name });
        self.parsed.insert(id, tree.clone());
        Ok(tree)
    }
}

/// What one commit of a range introduced: files whose blob differs from the blob at the same
/// path in every parent, and blobs of the first parent it deleted.
struct Introduced<'a> {
    files: Vec<(BString, ObjectId, Option<ObjectId>)>,
    deleted: Vec<ObjectId>,
    submodules: &'a mut PathSet<BString>,
    /// (tree, parents' trees) pairs already compared in this listing: a subtree that recurs
    /// is compared once (its files were listed the first time).
    compared: &'a mut HashSet<ObjectId>,
    /// Trees that could not be read.
    errors: &'a mut Vec<GitError>,
}

/// How many deleted blobs are collected for rename detection before the rest are left out.
const DELETED_BUDGET: usize = 4096;

/// A key for the pair (tree, parent trees), to compare each pair once.
fn pair_key(tree: ObjectId, parents: &[Option<ObjectId>]) -> ObjectId {
    let mut h = gix::hash::hasher(tree.kind());
    h.update(tree.as_bytes());
    for p in parents {
        h.update(p.as_ref().map_or(&[0u8; 0][..], |p| p.as_bytes()));
        h.update(b"/");
    }
    h.try_finalize().unwrap_or(tree)
}

impl Introduced<'_> {
    /// Compares tree `tree` at `dir` with the parents' trees at the same place, descending only
    /// into subtrees whose ids differ from every parent's.
    fn diff(
        &mut self,
        objects: &mut Objects<'_>,
        trees: &mut Trees,
        dir: &[u8],
        tree: ObjectId,
        parents: &[Option<ObjectId>],
    ) -> Result<(), GitError> {
        if parents.contains(&Some(tree)) || !self.compared.insert(pair_key(tree, parents)) {
            return Ok(());
        }
        let entries = trees.get(objects, tree)?;
        let mut parent_entries = Vec::with_capacity(parents.len());
        for p in parents {
            parent_entries.push(match p {
                Some(p) => Some(trees.get(objects, *p)?),
                None => None,
            });
        }
        let at = |list: &Option<std::rc::Rc<ParsedTree>>, name: &[u8]| {
            list.as_ref().and_then(|l| l.find(name).map(|e| (e.1, e.2)))
        };
        for (name, kind, id) in entries.iter() {
            let olds: Vec<Option<(EntryKind, ObjectId)>> =
                parent_entries.iter().map(|l| at(l, name)).collect();
            match kind {
                EntryKind::Tree => {
                    let sub: Vec<Option<ObjectId>> = olds
                        .iter()
                        .map(|o| o.filter(|(k, _)| *k == EntryKind::Tree).map(|(_, id)| id))
                        .collect();
                    self.diff(objects, trees, &join(dir, name), *id, &sub)?;
                }
                EntryKind::Commit => {
                    self.submodules.insert(join(dir, name));
                }
                _ => {
                    let blobs: Vec<Option<ObjectId>> = olds
                        .iter()
                        .map(|o| o.filter(|(k, _)| *k != EntryKind::Tree).map(|(_, id)| id))
                        .collect();
                    if blobs.contains(&Some(*id)) {
                        continue; // unchanged relative to some parent: not introduced here
                    }
                    let before = blobs.into_iter().flatten().next();
                    self.files.push((join(dir, name), *id, before));
                }
            }
        }
        // What the first parent held here that this tree does not: rename sources.
        if let Some(Some(first)) = parent_entries.first() {
            for (name, kind, id) in first.iter() {
                if self.deleted.len() >= DELETED_BUDGET {
                    break;
                }
                let kept = entries
                    .find(name)
                    .is_some_and(|e| (e.1 == EntryKind::Tree) == (*kind == EntryKind::Tree));
                if kept {
                    continue;
                }
                match kind {
                    EntryKind::Tree => {
                        let mut seen = HashSet::default();
                        let deleted = &mut self.deleted;
                        walk_tree(objects, *id, &mut seen, true, self.errors, |_, _, id, kind| {
                            if kind != EntryKind::Commit && deleted.len() < DELETED_BUDGET {
                                deleted.push(id);
                            }
                        });
                    }
                    EntryKind::Commit => {}
                    _ => self.deleted.push(*id),
                }
            }
        }
        Ok(())
    }
}

/// The blobs introduced by the commits reachable from `to` but not from `from` (a pull
/// request's `base..head`): for each commit, every path whose blob differs from the blob at that
/// path in each parent. Each unique blob once, attributed to its oldest such commit, with the
/// blob it replaced (for added-line reporting). Trees are compared, not listed: a subtree whose
/// id some parent has holds nothing new, and one that recurs is compared once, so the cost
/// follows what changed, not how many paths the trees name.
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
    let mut plan = GitPlan::default();
    let commits = commits(objects, vec![to], vec![from], &mut plan.errors)?;
    let mut index: HashSet<ObjectId> = HashSet::default();
    let mut subs = PathSet::default();
    let mut trees = Trees::default();
    let mut compared = HashSet::default();
    for (ci, (info, tree, parents)) in commits.into_iter().enumerate() {
        let mut parent_trees = Vec::new();
        for p in &parents {
            if !repo.has_object(p) {
                continue; // shallow boundary
            }
            match commit_info(objects, *p) {
                Ok((_, ptree, _)) => parent_trees.push(Some(ptree)),
                Err(e) => plan.errors.push(e),
            }
        }
        let mut introduced = Introduced {
            files: Vec::new(),
            deleted: Vec::new(),
            submodules: &mut subs,
            compared: &mut compared,
            errors: &mut plan.errors,
        };
        // A tree that cannot be read is an error naming it; the other commits are still listed.
        let diffed = introduced.diff(objects, &mut trees, b"", tree, &parent_trees);
        let Introduced { files, mut deleted, errors, .. } = introduced;
        if let Err(e) = diffed {
            errors.push(e);
        }
        deleted.sort();
        deleted.dedup();
        deleted.truncate(MAX_RENAME_SOURCES);
        for (path, id, before) in files {
            if !index.insert(id) {
                continue;
            }
            let rename_sources = if before.is_none() { deleted.clone() } else { Vec::new() };
            plan.blobs.push(BlobItem {
                id,
                path,
                origin: Origin::Commit(ci),
                before,
                others: Vec::new(),
                rename_sources,
            });
        }
        plan.commits.push(info);
        plan.trees.push(tree);
    }
    let mut subs: Vec<BString> = subs.into_iter().collect();
    subs.sort();
    plan.submodules = subs;
    Ok(plan)
}

/// What a commit has at a path.
pub(crate) enum FileAt {
    /// Nothing (or a directory).
    Missing,
    /// A symbolic link: not read.
    Link,
    /// A file, as text.
    Text(String),
}

/// The file at `path` (repository-relative, `/`-separated) in commit `commit`: how a range scan
/// reads its configuration as the base of the range has it, whatever the range changes.
///
/// # Errors
/// The commit or a tree cannot be read, or the file is over `limit` bytes or not UTF-8.
pub(crate) fn file_at(
    objects: &mut Objects<'_>,
    commit: ObjectId,
    path: &str,
    limit: u64,
) -> Result<FileAt, GitError> {
    let (_, tree, _) = commit_info(objects, commit)?;
    let Some((kind, id)) = entry_at(objects, &mut Trees::default(), tree, path.as_bytes())? else {
        return Ok(FileAt::Missing);
    };
    if kind == EntryKind::Link {
        return Ok(FileAt::Link);
    }
    let data = objects.read_blob(&id, limit).map_err(|e| err(format!("{path} at {commit}"), e))?;
    let text = String::from_utf8(data.to_vec())
        .map_err(|_| err(format!("{path} at {commit}"), "is not UTF-8 text"))?;
    Ok(FileAt::Text(text))
}

/// The file (blob or symlink) at `path` in tree `root`, if there is one.
fn entry_at(
    objects: &mut Objects<'_>,
    trees: &mut Trees,
    root: ObjectId,
    path: &[u8],
) -> Result<Option<(EntryKind, ObjectId)>, GitError> {
    let mut tree = root;
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(part) = parts.next() {
        let entries = trees.get(objects, tree)?;
        let Some((_, kind, id)) = entries.find(part) else { return Ok(None) };
        match (parts.peek().is_some(), *kind == EntryKind::Tree) {
            (true, true) => tree = *id,
            (false, false) if *kind != EntryKind::Commit => return Ok(Some((*kind, *id))),
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// The blob at `path` in tree `root`, if there is one.
fn blob_at(
    objects: &mut Objects<'_>,
    trees: &mut Trees,
    root: ObjectId,
    path: &[u8],
) -> Result<Option<ObjectId>, GitError> {
    Ok(entry_at(objects, trees, root, path)?.map(|(_, id)| id))
}

/// What `git commit` would record: every index entry whose blob differs from HEAD's at the same
/// path (new, modified or renamed-and-modified files), with HEAD's blob as `before`. A pure
/// rename (the same blob at a new path) adds no lines and is listed only with `all_lines`.
/// HEAD is looked up path by path through trees parsed once each, never listed whole, and
/// directories whose index cache-tree still names HEAD's tree are not searched for deletions.
///
/// # Errors
/// The index, HEAD or a tree cannot be read.
pub(crate) fn staged(objects: &mut Objects<'_>, all_lines: bool) -> Result<GitPlan, GitError> {
    let repo = objects.repo().clone();
    let index = repo.index_or_empty().map_err(|e| err("index", e))?;
    let head_tree = repo.head_tree_id_or_empty().map_err(|e| err("HEAD", e))?.detach();
    let state: &gix::index::State = &index;
    let mut trees = Trees::default();
    // Every blob HEAD holds (each tree entered once): a staged blob among them is a rename or
    // copy of content already committed.
    let mut head_blobs: HashSet<ObjectId> = HashSet::default();
    let mut plan = GitPlan::default();
    walk_tree(
        objects,
        head_tree,
        &mut HashSet::default(),
        true,
        &mut plan.errors,
        |_, _, id, kind| {
            if kind != EntryKind::Commit {
                head_blobs.insert(id);
            }
        },
    );
    use gix::index::entry::{Flags, Mode, Stage};
    let mut listed: Vec<(BString, ObjectId, Option<ObjectId>)> = Vec::new();
    let mut unique: HashSet<ObjectId> = HashSet::default();
    for e in state.entries() {
        let path = e.path(state);
        if e.mode == Mode::COMMIT {
            plan.submodules.push(path.to_owned());
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
        let before = blob_at(objects, &mut trees, head_tree, path)?;
        if before == Some(e.id) {
            continue;
        }
        if before.is_none() && head_blobs.contains(&e.id) && !all_lines {
            continue; // a pure rename or copy: no new content
        }
        if !unique.insert(e.id) {
            continue; // the same content staged at another path: scanned once, at the first
        }
        // Index paths use `/` as git does; a backslash in a name is escaped as `join` does.
        let shown: BString = if path.contains(&b'\\') {
            path.iter().flat_map(|&b| if b == b'\\' { vec![b, b] } else { vec![b] }).collect()
        } else {
            path.to_owned()
        };
        listed.push((shown, e.id, before));
    }
    // Files of HEAD missing from the index: where a renamed-and-edited file may come from.
    let deleted = if listed.iter().any(|(_, _, before)| before.is_none()) {
        let in_index: PathSet<&gix::bstr::BStr> =
            state.entries().iter().map(|e| e.path(state)).collect();
        let mut deleted = Vec::new();
        deleted_from_head(
            objects,
            &mut trees,
            head_tree,
            state.tree(),
            b"",
            &in_index,
            &mut deleted,
        )?;
        deleted.sort();
        deleted.dedup();
        deleted.truncate(MAX_RENAME_SOURCES);
        deleted
    } else {
        Vec::new()
    };
    for (path, id, before) in listed {
        let rename_sources = if before.is_none() { deleted.clone() } else { Vec::new() };
        plan.blobs.push(BlobItem {
            id,
            path,
            origin: Origin::Index,
            before,
            others: Vec::new(),
            rename_sources,
        });
    }
    Ok(plan)
}

/// Blobs of HEAD's tree `tree` (at `dir`) whose paths the index lacks, up to
/// [`DELETED_BUDGET`]. A directory whose cache-tree entry is valid and names the same tree
/// holds no deletion and is skipped.
fn deleted_from_head(
    objects: &mut Objects<'_>,
    trees: &mut Trees,
    tree: ObjectId,
    cached: Option<&gix::index::extension::Tree>,
    dir: &[u8],
    in_index: &PathSet<&gix::bstr::BStr>,
    out: &mut Vec<ObjectId>,
) -> Result<(), GitError> {
    if cached.is_some_and(|c| c.num_entries.is_some() && c.id == tree)
        || out.len() >= DELETED_BUDGET
    {
        return Ok(());
    }
    let entries = trees.get(objects, tree)?;
    for (name, kind, id) in entries.iter() {
        let path = join(dir, name);
        match kind {
            EntryKind::Tree => {
                let child = cached
                    .and_then(|c| c.children.iter().find(|t| t.name.as_slice() == name.as_slice()));
                deleted_from_head(objects, trees, *id, child, &path, in_index, out)?;
            }
            EntryKind::Commit => {}
            _ => {
                if !in_index.contains(path.as_bstr()) && out.len() < DELETED_BUDGET {
                    out.push(*id);
                }
            }
        }
    }
    Ok(())
}

/// Rename detection compares a new file with at most this many deleted ones (git's default
/// rename limit is far higher, but a commit deleting more files than this is no normal commit).
const MAX_RENAME_SOURCES: usize = 64;

/// Sorts `plan.blobs` into pack order (pack by pack, ascending offset, then loose objects). A
/// delta's base precedes it in a pack, so reading in this order lets each reader's object cache
/// serve most chains instead of inflating each base again. Each blob is looked up in the packs'
/// indexes, which the walk has read already (listing the object database would read another
/// copy of every index).
pub(crate) fn sort_by_pack_order(packs: &Packs, plan: &mut GitPlan) {
    plan.blobs.sort_by_cached_key(|b| packs.order_of(&b.id));
}
