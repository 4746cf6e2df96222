//! Every blob of the mapped packs arranged as the packs store them: trees of deltas, each rooted
//! at a whole blob. Walking one tree rebuilds each of its blobs exactly once, from its base still
//! in memory, and says which runs the delta copied from that base, so that the sweep
//! (`super::sweep`) scans only what each delta changed.

use super::delta::{apply_delta_into, delta_result_size, CopyRun};
use super::odb::{check_size, inflate, Packs, MAX_CHAIN};
use gix::odb::pack::data::entry::Header;

/// No node: the end of a child or sibling list, or a root's parent.
const NONE: u32 = u32::MAX;

/// Every blob of the mapped packs, arranged as the packs store them: trees of deltas, each
/// rooted at a whole blob. Walking a tree rebuilds each blob exactly once, from its base still
/// in memory, and tells what the delta copied from the base, so a scanner can skip what it has
/// already seen. Blobs whose base lies outside their pack (rare: thin packs completed on disk),
/// or whose entry cannot be read, are left out: the caller reads them one by one.
pub(crate) struct BlobForest<'p> {
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

/// Where an object lies in the packs: the pack, and its entry number in the pack's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) pack: u32,
    pub(crate) entry: u32,
}

/// A blob rebuilt by [`BlobForest::walk`], with what the caller computed for its base.
pub(crate) struct BlobVisit<'a, S> {
    /// Where the blob lies.
    pub(crate) slot: Slot,
    /// Its bytes.
    pub(crate) data: &'a [u8],
    /// For a delta: the base's bytes, the caller's state for the base, and the runs copied
    /// from it (everything else was inserted).
    pub(crate) base: Option<(&'a [u8], &'a S, &'a [CopyRun])>,
}

/// A worker's reusable buffers for [`BlobForest::walk`].
#[derive(Default)]
pub(crate) struct ForestWalker {
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
    pub(crate) fn blob_forest(&self) -> BlobForest<'_> {
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
        // Reading every header touched every page of every pack: hand them back (the pack pass
        // reads them again in order, a part at a time).
        self.release_pages();
        BlobForest { packs: self, trees, roots, blobs }
    }
}

impl<'p> BlobForest<'p> {
    /// The packs it is built over.
    pub(crate) fn packs(&self) -> &'p Packs {
        self.packs
    }

    /// Number of delta trees.
    pub(crate) fn trees(&self) -> usize {
        self.roots.len()
    }

    /// Number of blobs in all trees.
    pub(crate) fn blobs(&self) -> usize {
        self.blobs
    }

    /// Rebuilds every blob of tree `tree` (`0..self.trees()`), bases before their deltas, and
    /// calls `visit` for each; what `visit` returns for a blob is handed back with each of its
    /// deltas. A blob that cannot be rebuilt, or is larger than `max_size`, goes to `failed`
    /// with its place and the reason, and its deltas are not visited. Nor are the deltas of a blob whose
    /// ancestors already hold [`WALK_BUDGET`] bytes of memory: the caller reads what it was not
    /// shown one by one.
    pub(crate) fn walk<S>(
        &self,
        tree: usize,
        w: &mut ForestWalker,
        max_size: u64,
        mut visit: impl FnMut(BlobVisit<'_, S>) -> S,
        mut failed: impl FnMut(Slot, String),
    ) {
        let (pack_no, root) = self.roots[tree];
        let slot = |entry| Slot { pack: pack_no, entry };
        let pi = pack_no as usize;
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
        if let Err(e) = whole {
            failed(slot(root), in_pack(e));
            w.give(data);
            return;
        }
        let state = visit(BlobVisit { slot: slot(root), data: &data, base: None });
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
            let at = pack.index.pack_offset_at_index(child);
            let mut out = w.take();
            let rebuilt = pack
                .data
                .entry(at)
                .map_err(|e| format!("entry at {at}: {e:#}"))
                .and_then(|entry| {
                    check_size(&entry, max_size).map_err(|e| e.to_string())?;
                    inflate(pack, &entry, &mut w.inflate, &mut w.delta)
                })
                .and_then(|()| match delta_result_size(&w.delta)? {
                    size if size > max_size => Err(format!("{size} bytes, over the size limit")),
                    _ => apply_delta_into(&top.data, &w.delta, &mut out, Some(&mut w.copies)),
                });
            if let Err(e) = rebuilt {
                failed(slot(child), in_pack(e));
                w.give(out);
                continue;
            }
            let base = Some((&top.data[..], &top.state, &w.copies[..]));
            let state = visit(BlobVisit { slot: slot(child), data: &out, base });
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
pub(crate) const WALK_BUDGET: usize = 256 << 20;

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
