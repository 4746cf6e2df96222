//! Reading git objects for a history sweep: packed objects are decoded here, with a cache of
//! every object on each delta chain; loose objects, and anything the packs cannot answer, go
//! through gix.
//!
//! Why not gix's own pack decoder: it caches only the object asked for, not the bases it had to
//! rebuild on the way. `git repack` stores the newest version of a tree or file whole and older
//! versions as deltas against newer ones, while a sweep reads commits oldest first: each tree
//! then cost its whole delta chain again (26 deltas deep on average in `benches/git.sh`'s
//! repository), and the tree walk took 2.9 s of CPU where `git rev-list --objects` needs 0.8 s.
//! Keeping every rebuilt base makes the next, newer version one delta away.
//!
//! Shared by `input::git` (trees) and `source::git` (blobs): [`Packs`] is opened once and shared
//! read-only; each thread owns an [`Objects`] reader with its own cache.

use gix::hash::oid;
use gix::objs::Kind;
use gix::odb::pack;
use gix::odb::pack::data::entry::Header;
use gix::ObjectId;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Longest delta chain followed before calling the pack corrupt (git's own limit is 10,000 as
/// well, `pack.depth` defaults to 50).
const MAX_CHAIN: usize = 10_000;
/// Largest object decoded; a corrupt size field must not allocate the machine away.
const MAX_OBJECT: u64 = 4 << 30;

/// A decoded object's bytes, shared with the cache.
pub type Data = Arc<Vec<u8>>;

struct Pack {
    index: pack::index::File,
    data: pack::data::File,
}

/// The repository's pack files (and those of its alternates), memory-mapped. A pack that
/// cannot be opened is left out: gix reads its objects, and reports the error if that fails too.
pub struct Packs {
    packs: Vec<Pack>,
}

impl Packs {
    /// Maps the `.idx`/`.pack` pairs of `repo`'s object directory and its alternates.
    pub fn open(repo: &gix::Repository) -> Packs {
        let hash = repo.object_hash();
        let objects = repo.objects.store_ref().path().to_path_buf();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut dirs = vec![objects.clone()];
        if let Ok(alternates) = gix::odb::alternate::resolve(objects, &cwd) {
            dirs.extend(alternates);
        }
        let mut packs = Vec::new();
        for dir in dirs {
            for idx in index_files(&dir.join("pack")) {
                let index = pack::index::File::at(&idx, hash);
                let data = pack::data::File::at(idx.with_extension("pack"), hash);
                if let (Ok(index), Ok(data)) = (index, data) {
                    packs.push(Pack { index, data });
                }
            }
        }
        // Biggest first: most lookups end in the first pack tried.
        packs.sort_by_key(|p| std::cmp::Reverse(p.index.num_objects()));
        Packs { packs }
    }

    fn locate(&self, id: &oid) -> Option<(usize, u64)> {
        self.packs
            .iter()
            .enumerate()
            .find_map(|(pi, p)| p.index.lookup(id).map(|i| (pi, p.index.pack_offset_at_index(i))))
    }
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    out.sort();
    out
}

/// Cache key: pack number and entry offset.
type Key = (usize, u64);

struct ByLength;

impl clru::WeightScale<Key, (Kind, Data)> for ByLength {
    fn weight(&self, _: &Key, value: &(Kind, Data)) -> usize {
        value.1.len() + 64
    }
}

/// One thread's object reader: a cache of decoded pack entries and reused buffers.
pub struct Objects<'r> {
    repo: &'r gix::Repository,
    packs: &'r Packs,
    cache: clru::CLruCache<Key, (Kind, Data), std::collections::hash_map::RandomState, ByLength>,
    inflate: gix_zlib::Inflate,
    chain: Vec<pack::data::Entry>,
    delta: Vec<u8>,
    loose: Vec<u8>,
}

impl<'r> Objects<'r> {
    /// A reader over `packs` (opened from `repo`) whose cache holds about `cache_bytes` of
    /// decoded objects.
    pub fn new(repo: &'r gix::Repository, packs: &'r Packs, cache_bytes: usize) -> Objects<'r> {
        let capacity = NonZeroUsize::new(cache_bytes.max(1)).expect("at least one byte");
        Objects {
            repo,
            packs,
            cache: clru::CLruCache::with_config(
                clru::CLruCacheConfig::new(capacity).with_scale(ByLength),
            ),
            inflate: Default::default(),
            chain: Vec::new(),
            delta: Vec::new(),
            loose: Vec::new(),
        }
    }

    /// The repository, for what is not object reading (refs, the index, revision walks).
    pub fn repo(&self) -> &'r gix::Repository {
        self.repo
    }

    /// Reads object `id`, which must be of `kind`.
    ///
    /// # Errors
    /// The object is missing, corrupt or of another kind; the message names the object.
    pub fn read_as(&mut self, id: &oid, kind: Kind) -> Result<Data, String> {
        let (found, data) = self.read(id)?;
        if found != kind {
            return Err(format!("object {id}: expected a {kind}, found a {found}"));
        }
        Ok(data)
    }

    /// Reads object `id`.
    ///
    /// # Errors
    /// The object is missing or corrupt; the message names the object.
    pub fn read(&mut self, id: &oid) -> Result<(Kind, Data), String> {
        self.read_nested(id, 0)
    }

    /// [`Objects::read`] as the base of a delta chain already `depth` deltas long: deltas whose
    /// bases lie in other packs must not recurse for ever on a crafted repository.
    fn read_nested(&mut self, id: &oid, depth: usize) -> Result<(Kind, Data), String> {
        if depth > MAX_CHAIN {
            return Err(format!("object {id}: delta chain longer than {MAX_CHAIN}"));
        }
        match self.packs.locate(id) {
            Some((pi, offset)) => self
                .decode(pi, offset, depth)
                .map_err(|e| format!("object {id}: {e} (in {})", self.pack_name(pi))),
            None => self.read_elsewhere(id),
        }
    }

    fn pack_name(&self, pi: usize) -> String {
        self.packs.packs[pi].data.path().display().to_string()
    }

    /// Loose objects and objects in packs gix knows but [`Packs`] could not map.
    fn read_elsewhere(&mut self, id: &oid) -> Result<(Kind, Data), String> {
        use gix::objs::Find;
        if id == ObjectId::empty_tree(id.kind()) {
            // Git knows the empty tree without storing it (HEAD of an empty repository).
            return Ok((Kind::Tree, Arc::new(Vec::new())));
        }
        match self.repo.objects.try_find(id, &mut self.loose) {
            Ok(Some(o)) => Ok((o.kind, Arc::new(o.data.to_vec()))),
            Ok(None) => Err(format!("object {id}: not found")),
            Err(e) => Err(format!("object {id}: {e:#}")),
        }
    }

    /// Decodes the entry at `offset` of pack `pi`: follows its delta chain to a cached or whole
    /// object, then applies the deltas back down, caching each object rebuilt on the way.
    fn decode(&mut self, pi: usize, offset: u64, depth: usize) -> Result<(Kind, Data), String> {
        let pack = &self.packs.packs[pi];
        let mut chain = std::mem::take(&mut self.chain);
        chain.clear();
        let mut at = offset;
        let base = loop {
            if let Some(hit) = self.cache.get(&(pi, at)) {
                break hit.clone();
            }
            if depth + chain.len() > MAX_CHAIN {
                return Err(format!("delta chain longer than {MAX_CHAIN}"));
            }
            let entry = pack.data.entry(at).map_err(|e| format!("entry at {at}: {e:#}"))?;
            match entry.header {
                Header::OfsDelta { base_distance } => {
                    at = entry
                        .checked_base_pack_offset(base_distance)
                        .ok_or_else(|| format!("entry at {at}: delta base out of range"))?;
                    chain.push(entry);
                }
                Header::RefDelta { base_id } => {
                    chain.push(entry);
                    match pack.index.lookup(base_id) {
                        Some(i) => at = pack.index.pack_offset_at_index(i),
                        // A base outside this pack: read it whole, wherever it is.
                        None => break self.read_nested(&base_id, depth + chain.len())?,
                    }
                }
                header => {
                    let kind = header.as_kind().expect("a non-delta entry has a kind");
                    let mut out = Vec::new();
                    self.inflate_into(pi, &entry, &mut out)?;
                    let whole = (kind, Arc::new(out));
                    let _ = self.cache.put_with_weight((pi, at), whole.clone());
                    break whole;
                }
            }
        };
        let (kind, mut data) = base;
        let mut delta = std::mem::take(&mut self.delta);
        while let Some(entry) = chain.pop() {
            self.inflate_into(pi, &entry, &mut delta)?;
            let rebuilt = Arc::new(apply_delta(&data, &delta)?);
            let _ = self.cache.put_with_weight((pi, entry.pack_offset()), (kind, rebuilt.clone()));
            data = rebuilt;
        }
        self.delta = delta;
        self.chain = chain;
        Ok((kind, data))
    }

    fn inflate_into(
        &mut self,
        pi: usize,
        entry: &pack::data::Entry,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        inflate(&self.packs.packs[pi], entry, &mut self.inflate, out)
    }
}

/// No node: the end of a child or sibling list, or a root's parent.
const NONE: u32 = u32::MAX;

/// Every blob of the mapped packs, arranged as the packs store them: trees of deltas, each
/// rooted at a whole blob. Walking a tree rebuilds each blob exactly once, from its base still
/// in memory, and tells what the delta copied from the base, so a scanner can skip what it has
/// already seen. Blobs whose base lies outside their pack (rare: thin packs completed on disk),
/// or whose entry cannot be read, are left out: the caller reads them one by one.
pub struct BlobForest<'p> {
    packs: &'p Packs,
    trees: Vec<PackTree>,
    /// (pack, node) of each root, in pack order.
    roots: Vec<(u32, u32)>,
    blobs: usize,
}

/// One pack's delta trees; nodes are the pack index's entry numbers.
struct PackTree {
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
}

/// A blob rebuilt by [`BlobForest::walk`], with what the caller computed for its base.
pub struct BlobVisit<'a, S> {
    /// The blob.
    pub id: &'a oid,
    /// Its bytes.
    pub data: &'a [u8],
    /// For a delta: the base's bytes, the caller's state for the base, and the runs copied
    /// from it (everything else was inserted).
    pub base: Option<(&'a [u8], &'a S, &'a [CopyRun])>,
}

/// A worker's reusable buffers for [`BlobForest::walk`].
#[derive(Default)]
pub struct ForestWalker {
    inflate: gix_zlib::Inflate,
    delta: Vec<u8>,
    copies: Vec<CopyRun>,
    spare: Vec<Vec<u8>>,
}

struct Frame<S> {
    data: Vec<u8>,
    state: S,
    next: u32,
}

impl Packs {
    /// Reads every entry header of every pack and links each blob to its delta base.
    pub fn blob_forest(&self) -> BlobForest<'_> {
        const UNKNOWN: u8 = 0;
        const BLOB: u8 = 1;
        const OTHER: u8 = 2;
        let mut trees = Vec::with_capacity(self.packs.len());
        let mut roots = Vec::new();
        let mut blobs = 0;
        for (pi, pack) in self.packs.iter().enumerate() {
            let n = pack.index.num_objects() as usize;
            let mut by_offset: Vec<(u64, u32)> =
                (0..n as u32).map(|i| (pack.index.pack_offset_at_index(i), i)).collect();
            by_offset.sort_unstable();
            let node_at = |offset: u64| {
                by_offset.binary_search_by_key(&offset, |&(o, _)| o).ok().map(|k| by_offset[k].1)
            };
            let mut parent = vec![NONE; n];
            let mut kind = vec![UNKNOWN; n];
            for &(offset, i) in &by_offset {
                let i = i as usize;
                let Ok(entry) = pack.data.entry(offset) else {
                    kind[i] = OTHER;
                    continue;
                };
                let base = match entry.header {
                    Header::OfsDelta { base_distance } => {
                        entry.checked_base_pack_offset(base_distance).and_then(node_at)
                    }
                    Header::RefDelta { base_id } => pack.index.lookup(base_id),
                    Header::Blob => {
                        kind[i] = BLOB;
                        continue;
                    }
                    _ => {
                        kind[i] = OTHER;
                        continue;
                    }
                };
                match base {
                    Some(b) => parent[i] = b,
                    None => kind[i] = OTHER,
                }
            }
            // A delta has its root's kind; resolve each chain once, marking it on the way back.
            let mut chain = Vec::new();
            for i in 0..n {
                let mut at = i;
                while kind[at] == UNKNOWN && chain.len() <= MAX_CHAIN {
                    chain.push(at);
                    at = parent[at] as usize;
                }
                let k = if kind[at] == UNKNOWN { OTHER } else { kind[at] };
                for &c in &chain {
                    kind[c] = k;
                }
                chain.clear();
            }
            let mut first_child = vec![NONE; n];
            let mut next_sibling = vec![NONE; n];
            for &(_, i) in by_offset.iter().rev() {
                let iu = i as usize;
                if kind[iu] != BLOB {
                    continue;
                }
                blobs += 1;
                match parent[iu] {
                    NONE => roots.push((pi as u32, i)),
                    p => {
                        next_sibling[iu] = first_child[p as usize];
                        first_child[p as usize] = i;
                    }
                }
            }
            trees.push(PackTree { first_child, next_sibling });
        }
        // Collected from the back of each pack: restore pack order.
        roots.reverse();
        roots.sort_by_key(|&(p, _)| p);
        BlobForest { packs: self, trees, roots, blobs }
    }
}

impl BlobForest<'_> {
    /// Number of delta trees.
    pub fn trees(&self) -> usize {
        self.roots.len()
    }

    /// Number of blobs in all trees.
    pub fn blobs(&self) -> usize {
        self.blobs
    }

    /// Rebuilds every blob of tree `tree` (`0..self.trees()`), bases before their deltas, and
    /// calls `visit` for each; what `visit` returns for a blob is handed back with each of its
    /// deltas. A blob that cannot be rebuilt, or is larger than `max_size`, goes to `failed`
    /// with the reason, and its deltas are not visited. Nor are the deltas of a blob whose
    /// ancestors already hold [`WALK_BUDGET`] bytes of memory: the caller reads what it was not
    /// shown one by one.
    pub fn walk<S>(
        &self,
        tree: usize,
        w: &mut ForestWalker,
        max_size: u64,
        mut visit: impl FnMut(BlobVisit<'_, S>) -> S,
        mut failed: impl FnMut(&oid, String),
    ) {
        let (pi, root) = self.roots[tree];
        let pi = pi as usize;
        let pack = &self.packs.packs[pi];
        let tree = &self.trees[pi];
        let in_pack = |e: String| format!("{e} (in {})", pack.data.path().display());
        let mut data = w.take();
        let at = pack.index.pack_offset_at_index(root);
        let whole =
            pack.data.entry(at).map_err(|e| format!("entry at {at}: {e:#}")).and_then(|entry| {
                if entry.decompressed_size > max_size {
                    return Err(format!("{} bytes, over the size limit", entry.decompressed_size));
                }
                inflate(pack, &entry, &mut w.inflate, &mut data)
            });
        let id = pack.index.oid_at_index(root);
        if let Err(e) = whole {
            failed(id, in_pack(e));
            w.give(data);
            return;
        }
        let state = visit(BlobVisit { id, data: &data, base: None });
        let mut held = data.len();
        let mut stack = vec![Frame { data, state, next: tree.first_child[root as usize] }];
        while let Some(top) = stack.last_mut() {
            let child = top.next;
            if child == NONE {
                let done = stack.pop().expect("a frame");
                held -= done.data.len();
                w.give(done.data);
                continue;
            }
            top.next = tree.next_sibling[child as usize];
            let id = pack.index.oid_at_index(child);
            let at = pack.index.pack_offset_at_index(child);
            let mut out = w.take();
            let rebuilt = pack
                .data
                .entry(at)
                .map_err(|e| format!("entry at {at}: {e:#}"))
                .and_then(|entry| inflate(pack, &entry, &mut w.inflate, &mut w.delta))
                .and_then(|()| match delta_result_size(&w.delta)? {
                    size if size > max_size => Err(format!("{size} bytes, over the size limit")),
                    _ => apply_delta_into(&top.data, &w.delta, &mut out, Some(&mut w.copies)),
                });
            if let Err(e) = rebuilt {
                failed(id, in_pack(e));
                w.give(out);
                continue;
            }
            let state =
                visit(BlobVisit { id, data: &out, base: Some((&top.data, &top.state, &w.copies)) });
            let first = tree.first_child[child as usize];
            if first == NONE || held + out.len() > WALK_BUDGET {
                w.give(out);
            } else {
                held += out.len();
                stack.push(Frame { data: out, state, next: first });
            }
        }
    }
}

/// Most bytes of blobs [`BlobForest::walk`] keeps for the deltas still to rebuild from them (a
/// 50-deep chain of a 10 MB file would otherwise hold 500 MB).
pub const WALK_BUDGET: usize = 256 << 20;

impl ForestWalker {
    fn take(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    /// Keeps a few buffers of ordinary size for reuse; a huge one goes back to the allocator.
    fn give(&mut self, buf: Vec<u8>) {
        if self.spare.len() < 16 && buf.capacity() <= 4 << 20 {
            self.spare.push(buf);
        }
    }
}

/// The lines of `data`, a delta's result, that are not copied whole from its base together
/// with the newline before them, as sorted, disjoint `(start, end)` ranges of whole lines (each
/// with its newline), into `out`. Every other line is a line of the base, between the same
/// newlines, so a rule that matches within a line finds there exactly what it found in the
/// base. A line at the very start counts as copied only from the base's start, and a last line
/// without a newline always counts as changed (the base's copy of it may go on).
pub fn changed_lines(data: &[u8], copies: &[CopyRun], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut push = |start: usize, end: usize| {
        // Widen to whole lines, and merge with the previous range if they touch.
        let start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &data[end - 1..]).map_or(data.len(), |i| end + i);
        match out.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    };
    let mut unchanged_to = 0;
    for c in copies {
        let start = if c.to == 0 && c.from == 0 { 0 } else { c.to + 1 };
        let end = c.to + c.len;
        if start >= end {
            continue;
        }
        if start > unchanged_to {
            push(unchanged_to, start);
        }
        unchanged_to = unchanged_to.max(end);
    }
    if unchanged_to < data.len() {
        push(unchanged_to, data.len());
    }
    if data.last().is_some_and(|&b| b != b'\n') {
        push(data.len() - 1, data.len());
    }
}

/// Inflates a pack entry (a whole object or a delta's instructions) into `out`.
fn inflate(
    pack: &Pack,
    entry: &pack::data::Entry,
    inflate: &mut gix_zlib::Inflate,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let at = entry.pack_offset();
    if entry.decompressed_size > MAX_OBJECT {
        return Err(format!("entry at {at}: {} bytes is too large", entry.decompressed_size));
    }
    out.clear();
    out.resize(entry.decompressed_size as usize, 0);
    pack.data.decompress_entry(entry, inflate, out).map_err(|e| format!("entry at {at}: {e:#}"))?;
    Ok(())
}

/// The size of the object a delta builds, from its header.
fn delta_result_size(delta: &[u8]) -> Result<u64, String> {
    let mut at = 0;
    delta_size(delta, &mut at)?;
    delta_size(delta, &mut at)
}

/// Reads one size of a delta header: 7 bits per byte, least significant first.
fn delta_size(delta: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut size = 0u64;
    let mut shift = 0;
    loop {
        let &byte = delta.get(*at).ok_or("truncated delta header")?;
        *at += 1;
        if shift > 63 {
            return Err("delta header size overflows".into());
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(size);
        }
    }
}

/// A run of a delta's output copied from its base: `out[to..to + len] == base[from..from + len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyRun {
    /// Start in the rebuilt object.
    pub to: usize,
    /// Start in the base.
    pub from: usize,
    /// Length.
    pub len: usize,
}

/// Rebuilds an object from its `base` and a git delta: a header with both sizes, then
/// instructions that copy a range of the base or insert literal bytes. Every size and range is
/// checked: a corrupt delta is an error, never a panic or a short object.
///
/// # Errors
/// The delta is truncated, refers outside the base, or does not produce its stated size.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    apply_delta_into(base, delta, &mut out, None)?;
    Ok(out)
}

/// [`apply_delta`] into `out`, also listing in `copies` (when given) the runs copied from the
/// base, adjacent copies of adjacent base bytes merged: what is not copied was inserted.
///
/// # Errors
/// As [`apply_delta`].
pub fn apply_delta_into(
    base: &[u8],
    delta: &[u8],
    out: &mut Vec<u8>,
    mut copies: Option<&mut Vec<CopyRun>>,
) -> Result<(), String> {
    out.clear();
    if let Some(c) = copies.as_deref_mut() {
        c.clear();
    }
    let mut at = 0;
    let base_size = delta_size(delta, &mut at)?;
    if base_size != base.len() as u64 {
        return Err(format!("delta expects a {base_size}-byte base, found {} bytes", base.len()));
    }
    let size = delta_size(delta, &mut at)?;
    if size > MAX_OBJECT {
        return Err(format!("delta result of {size} bytes is too large"));
    }
    let size = size as usize;
    out.reserve(size);
    while let Some(&op) = delta.get(at) {
        at += 1;
        if op & 0x80 != 0 {
            let mut field = |bits: u8, bytes: usize| -> Result<usize, String> {
                let mut v = 0usize;
                for i in 0..bytes {
                    if bits & (1 << i) != 0 {
                        let &b = delta.get(at).ok_or("truncated copy instruction")?;
                        at += 1;
                        v |= usize::from(b) << (8 * i);
                    }
                }
                Ok(v)
            };
            let offset = field(op & 0x0f, 4)?;
            let mut len = field((op >> 4) & 0x07, 3)?;
            if len == 0 {
                len = 0x10000;
            }
            let src = offset
                .checked_add(len)
                .and_then(|end| base.get(offset..end))
                .ok_or("delta copies past the end of its base")?;
            if out.len() + src.len() > size {
                return Err("delta produces more than its stated size".into());
            }
            if let Some(c) = copies.as_deref_mut() {
                match c.last_mut() {
                    Some(last)
                        if last.to + last.len == out.len() && last.from + last.len == offset =>
                    {
                        last.len += len;
                    }
                    _ => c.push(CopyRun { to: out.len(), from: offset, len }),
                }
            }
            out.extend_from_slice(src);
        } else if op != 0 {
            let len = usize::from(op);
            let src = delta.get(at..at + len).ok_or("truncated insert instruction")?;
            at += len;
            if out.len() + src.len() > size {
                return Err("delta produces more than its stated size".into());
            }
            out.extend_from_slice(src);
        } else {
            return Err("reserved delta instruction 0".into());
        }
    }
    if out.len() != size {
        return Err(format!("delta produced {} bytes, expected {size}", out.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_copy_and_insert() {
        let base = b"hello world";
        // base size 11, result size 10: copy 0..6 ("hello "), insert "git!"
        let delta = [11, 10, 0x80 | 0x10, 6, 4, b'g', b'i', b't', b'!'];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello git!");
    }

    #[test]
    fn copies_are_listed_and_merged() {
        let base = b"abcdefgh";
        // copy 0..2, copy 2..4 (adjacent: merged), insert "X", copy 6..8
        let delta =
            [8, 7, 0x80 | 0x10, 2, 0x80 | 0x01 | 0x10, 2, 2, 1, b'X', 0x80 | 0x01 | 0x10, 6, 2];
        let (mut out, mut copies) = (Vec::new(), Vec::new());
        apply_delta_into(base, &delta, &mut out, Some(&mut copies)).unwrap();
        assert_eq!(out, b"abcdXgh");
        assert_eq!(
            copies,
            vec![CopyRun { to: 0, from: 0, len: 4 }, CopyRun { to: 5, from: 6, len: 2 }]
        );
    }

    #[test]
    fn changed_lines_are_whole_lines_not_copied_with_their_newline() {
        let base = b"one\ntwo\nthree\nfour\n";
        // "one\ntwo\n" copied, "TWO\n" inserted, "three\nfour\n" copied.
        let data = b"one\ntwo\nTWO\nthree\nfour\n";
        let copies = [CopyRun { to: 0, from: 0, len: 8 }, CopyRun { to: 12, from: 8, len: 11 }];
        let mut out = Vec::new();
        changed_lines(data, &copies, &mut out);
        // The inserted line, and "three" whose newline before it was inserted too.
        assert_eq!(out, vec![(8, 18)]);
        assert_eq!(&data[8..18], b"TWO\nthree\n");
        // A copy that does not start at the base's start leaves the first line changed.
        changed_lines(b"wo\n", &[CopyRun { to: 0, from: 5, len: 3 }], &mut out);
        assert_eq!(out, vec![(0, 3)]);
        // A last line without a newline is always changed.
        changed_lines(&base[..17], &[CopyRun { to: 0, from: 0, len: 17 }], &mut out);
        assert_eq!(out, vec![(14, 17)]);
        // Nothing copied: everything changed.
        changed_lines(b"a\nb\n", &[], &mut out);
        assert_eq!(out, vec![(0, 4)]);
    }

    #[test]
    fn corrupt_deltas_are_errors() {
        let base = b"hello world";
        assert!(apply_delta(base, &[12, 1, 1, b'x']).is_err(), "wrong base size");
        assert!(apply_delta(base, &[11, 5, 0x80 | 0x01 | 0x10, 9, 5]).is_err(), "copy past end");
        assert!(apply_delta(base, &[11, 5, 3, b'a']).is_err(), "truncated insert");
        assert!(apply_delta(base, &[11, 2, 1, b'a']).is_err(), "short result");
        assert!(apply_delta(base, &[11, 1, 0]).is_err(), "reserved opcode");
        assert!(apply_delta(base, &[0x80]).is_err(), "truncated header");
    }
}
