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
        match self.packs.locate(id) {
            Some((pi, offset)) => self
                .decode(pi, offset)
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
    fn decode(&mut self, pi: usize, offset: u64) -> Result<(Kind, Data), String> {
        let pack = &self.packs.packs[pi];
        let mut chain = std::mem::take(&mut self.chain);
        chain.clear();
        let mut at = offset;
        let base = loop {
            if let Some(hit) = self.cache.get(&(pi, at)) {
                break hit.clone();
            }
            if chain.len() > MAX_CHAIN {
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
                        None => break self.read(&base_id)?,
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
        let at = entry.pack_offset();
        if entry.decompressed_size > MAX_OBJECT {
            return Err(format!("entry at {at}: {} bytes is too large", entry.decompressed_size));
        }
        out.clear();
        out.resize(entry.decompressed_size as usize, 0);
        self.packs.packs[pi]
            .data
            .decompress_entry(entry, &mut self.inflate, out)
            .map_err(|e| format!("entry at {at}: {e:#}"))?;
        Ok(())
    }
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

/// Rebuilds an object from its `base` and a git delta: a header with both sizes, then
/// instructions that copy a range of the base or insert literal bytes. Every size and range is
/// checked: a corrupt delta is an error, never a panic or a short object.
///
/// # Errors
/// The delta is truncated, refers outside the base, or does not produce its stated size.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, String> {
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
    let mut out = Vec::with_capacity(size);
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
    Ok(out)
}

/// The id gix would compute for `data` of `kind`: for tests that compare this reader with gix.
pub fn object_id(kind: Kind, data: &[u8]) -> ObjectId {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, kind, data).expect("sha1 hashing works")
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
