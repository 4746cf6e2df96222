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
//! Shared by the walks (trees, commits) and the blob scans: [`Packs`] is opened once and shared
//! read-only; each thread owns an [`Objects`] reader with its own cache.

use super::delta::{apply_delta, delta_result_size};
use super::MAX_OBJECT;
use gix::hash::oid;
use gix::objs::Kind;
use gix::odb::pack;
use gix::odb::pack::data::entry::Header;
use gix::ObjectId;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;

/// Longest delta chain followed before calling the pack corrupt (git's own limit is 10,000 as
/// well, `pack.depth` defaults to 50).
pub(super) const MAX_CHAIN: usize = 10_000;

/// A decoded object's bytes, shared with the cache.
pub(crate) type Data = Arc<Vec<u8>>;

/// Why an object was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The object (or a delta base it is built from) declares more bytes than the limit; it was
    /// not inflated.
    TooLarge(u64),
    /// Missing or corrupt; the message names the object.
    Failed(String),
}

impl From<String> for ReadError {
    fn from(message: String) -> ReadError {
        ReadError::Failed(message)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(size) => write!(f, "{size} bytes, over the size limit"),
            ReadError::Failed(message) => f.write_str(message),
        }
    }
}

/// The largest delta base rebuilt for an object under a smaller limit: an attacker who stores
/// a 1 KB file as a delta of a 70 MB one must not hide it behind the 64 MB limit.
const MAX_BASE: u64 = 256 << 20;

/// How often [`Packs::while_releasing`] releases the packs' pages: a release costs a system
/// call and the minor faults of mapping again what is read again, well under a millisecond.
const RELEASE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(25);

/// Cross-pack delta bases followed on one read (see [`Objects::decode`]).
const MAX_PACK_HOPS: usize = 8;

/// The largest tree read (a directory of a million files is about 40 MB).
const MAX_TREE: u64 = 256 << 20;
/// The largest commit or tag read (their messages are text someone typed).
const MAX_COMMIT: u64 = 64 << 20;

/// Deflate expands at most about 1032 to 1: an entry that declares more than this many times
/// the bytes left in its pack is corrupt, whatever its header says, and is not allocated for.
const MAX_RATIO: u64 = 1100;

pub(super) struct Pack {
    pub(super) index: pack::index::File,
    pub(super) data: pack::data::File,
}

/// The repository's pack files (and those of its alternates), memory-mapped. A pack that
/// cannot be opened is left out: gix reads its objects, and reports the error if that fails too.
pub(crate) struct Packs {
    pub(super) packs: Vec<Pack>,
}

impl Packs {
    /// Lets the kernel take back the pages of the pack files this process has read. They stay
    /// in the page cache (a later read maps them again for the cost of a minor fault) but stop
    /// counting against this process: the history sweep reads every pack whole, and without
    /// this its resident size would grow by the size of its packs.
    pub(crate) fn release_pages(&self) {
        for pack in &self.packs {
            if let Some(mapped) = pack.data.entry_slice(0..pack.data.data_len() as u64) {
                release_pages(mapped);
            }
        }
    }

    /// Runs `work`, releasing the pages of the packs ([`Packs::release_pages`]) every
    /// [`RELEASE_INTERVAL`] meanwhile: the pages `work` reads in one interval are all that stay
    /// counted against the process, however it reads them (in order, as the pack pass does, or
    /// all over the packs, as the walk does).
    pub(crate) fn while_releasing<T>(&self, work: impl FnOnce() -> T) -> T {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(RELEASE_INTERVAL) {
                    self.release_pages();
                }
            });
            let out = work();
            drop(done);
            out
        })
    }

    /// Maps the `.idx`/`.pack` pairs of `repo`'s object directory and its alternates.
    pub(crate) fn open(repo: &gix::Repository) -> Packs {
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

    /// Where `id` lies in the packs, as a sort key: pack, then offset; objects outside the packs
    /// come last.
    pub(crate) fn order_of(&self, id: &oid) -> (usize, u64) {
        self.locate(id).unwrap_or((usize::MAX, 0))
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
pub(crate) struct Objects<'r> {
    repo: gix::Repository,
    packs: &'r Packs,
    cache: clru::CLruCache<Key, (Kind, Data), std::collections::hash_map::RandomState, ByLength>,
    inflate: gix_zlib::Inflate,
    chain: Vec<pack::data::Entry>,
    delta: Vec<u8>,
    loose: Vec<u8>,
    /// Packs entered through a base in another pack, on the current read.
    hops: usize,
}

impl<'r> Objects<'r> {
    /// A reader over `packs` (opened from `repo`, a handle of the current thread) whose cache
    /// holds about `cache_bytes` of decoded objects.
    pub(crate) fn new(repo: gix::Repository, packs: &'r Packs, cache_bytes: usize) -> Objects<'r> {
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
            hops: 0,
        }
    }

    /// The repository, for what is not object reading (refs, the index, revision walks).
    pub(crate) fn repo(&self) -> &gix::Repository {
        &self.repo
    }

    /// Reads blob `id` if it is at most `max_size` bytes. The size is checked against what the
    /// object's headers declare before anything is inflated: a crafted delta that claims a
    /// 4 GiB result costs nothing.
    ///
    /// # Errors
    /// Too large, or missing, corrupt or not a blob (the message names the object).
    pub(crate) fn read_blob(&mut self, id: &oid, max_size: u64) -> Result<Data, ReadError> {
        let (found, data) = self.read_nested(id, 0, max_size)?;
        if found != Kind::Blob {
            return Err(format!("object {id}: expected a blob, found a {found}").into());
        }
        Ok(data)
    }

    /// Reads object `id`, which must be of `kind`, within the size git objects of that kind can
    /// sensibly have (a crafted commit that claims 8 GiB is not allocated for).
    ///
    /// # Errors
    /// The object is missing, corrupt, too large or of another kind; the message names it.
    pub(crate) fn read_as(&mut self, id: &oid, kind: Kind) -> Result<Data, String> {
        let limit = match kind {
            Kind::Tree => MAX_TREE,
            Kind::Commit | Kind::Tag => MAX_COMMIT,
            Kind::Blob => MAX_OBJECT,
        };
        let (found, data) = self.read_nested(id, 0, limit).map_err(|e| match e {
            ReadError::TooLarge(size) => {
                format!("object {id}: {size} bytes, more than a {kind} may hold ({limit})")
            }
            ReadError::Failed(message) => message,
        })?;
        if found != kind {
            return Err(format!("object {id}: expected a {kind}, found a {found}"));
        }
        Ok(data)
    }

    /// Reads object `id` (up to [`MAX_OBJECT`] bytes).
    ///
    /// # Errors
    /// The object is missing, corrupt or too large; the message names the object.
    pub(crate) fn read(&mut self, id: &oid) -> Result<(Kind, Data), String> {
        self.read_nested(id, 0, MAX_OBJECT).map_err(|e| match e {
            ReadError::TooLarge(size) => format!("object {id}: {size} bytes is too large"),
            ReadError::Failed(message) => message,
        })
    }

    /// The kind of object `id`, from entry headers alone: a delta's is its chain's base's.
    pub(crate) fn kind(&mut self, id: &oid) -> Result<Kind, String> {
        let Some((mut pi, mut at)) = self.packs.locate(id) else {
            use gix::objs::FindHeader;
            return match self.repo.objects.try_header(id) {
                Ok(Some(h)) => Ok(h.kind),
                Ok(None) => Err(format!("object {id}: not found")),
                Err(e) => Err(format!("object {id}: {e:#}")),
            };
        };
        for _ in 0..=MAX_CHAIN {
            let pack = &self.packs.packs[pi];
            let entry = pack.data.entry(at).map_err(|e| format!("object {id}: {e:#}"))?;
            match entry.header {
                Header::OfsDelta { base_distance } => {
                    at = entry
                        .checked_base_pack_offset(base_distance)
                        .ok_or_else(|| format!("object {id}: delta base out of range"))?;
                }
                Header::RefDelta { base_id } => match self.packs.locate(&base_id) {
                    Some(base) => (pi, at) = base,
                    None => return self.kind(&base_id),
                },
                header => return Ok(header.as_kind().expect("a non-delta entry has a kind")),
            }
        }
        Err(format!("object {id}: delta chain longer than {MAX_CHAIN}"))
    }

    /// Reads object `id`, at most `limit` bytes, as the base of a delta chain already `depth`
    /// deltas long: deltas whose bases lie in other packs must not recurse for ever on a
    /// crafted repository.
    fn read_nested(
        &mut self,
        id: &oid,
        depth: usize,
        limit: u64,
    ) -> Result<(Kind, Data), ReadError> {
        if depth > MAX_CHAIN {
            return Err(format!("object {id}: delta chain longer than {MAX_CHAIN}").into());
        }
        match self.packs.locate(id) {
            Some((pi, offset)) => self.decode(pi, offset, depth, limit).map_err(|e| match e {
                ReadError::Failed(e) => {
                    ReadError::Failed(format!("object {id}: {e} (in {})", self.pack_name(pi)))
                }
                too_large => too_large,
            }),
            None => self.read_elsewhere(id, limit),
        }
    }

    fn pack_name(&self, pi: usize) -> String {
        self.packs.packs[pi].data.path().display().to_string()
    }

    /// Loose objects and objects in packs gix knows but [`Packs`] could not map. The header is
    /// read first (gix inflates only its first bytes), so an object over `limit` is never read.
    fn read_elsewhere(&mut self, id: &oid, limit: u64) -> Result<(Kind, Data), ReadError> {
        use gix::objs::{Find, FindHeader};
        if id == ObjectId::empty_tree(id.kind()) {
            // Git knows the empty tree without storing it (HEAD of an empty repository).
            return Ok((Kind::Tree, Arc::new(Vec::new())));
        }
        match self.repo.objects.try_header(id) {
            Ok(Some(h)) if h.size > limit => return Err(ReadError::TooLarge(h.size)),
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("object {id}: not found").into()),
            Err(e) => return Err(format!("object {id}: {e:#}").into()),
        }
        match self.repo.objects.try_find(id, &mut self.loose) {
            Ok(Some(o)) => Ok((o.kind, Arc::new(o.data.to_vec()))),
            Ok(None) => Err(format!("object {id}: not found").into()),
            Err(e) => Err(format!("object {id}: {e:#}").into()),
        }
    }

    /// Decodes the entry at `offset` of pack `pi`: follows its delta chain to a cached or whole
    /// object, then applies the deltas back down, caching each object rebuilt on the way. No
    /// object on the chain may exceed `limit` bytes; each is checked before it is inflated.
    fn decode(
        &mut self,
        pi: usize,
        offset: u64,
        depth: usize,
        limit: u64,
    ) -> Result<(Kind, Data), ReadError> {
        let pack = &self.packs.packs[pi];
        let mut chain = std::mem::take(&mut self.chain);
        chain.clear();
        let mut at = offset;
        let base = loop {
            if let Some(hit) = self.cache.get(&(pi, at)) {
                break hit.clone();
            }
            if depth + chain.len() > MAX_CHAIN {
                return Err(format!("delta chain longer than {MAX_CHAIN}").into());
            }
            let entry = pack.data.entry(at).map_err(|e| format!("entry at {at}: {e:#}"))?;
            // The object itself must fit the limit; a base it is built from may be larger (a
            // small file stored as a delta of a big one is still scanned), up to a bound.
            let cap = if at == offset { limit } else { limit.max(MAX_BASE) };
            check_size(&entry, cap)?;
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
                        // A base outside this pack: read it whole, wherever it is. Packs
                        // whose deltas name each other's objects as bases could recurse
                        // without end: a few hops are all git ever makes (thin packs).
                        None if self.hops >= MAX_PACK_HOPS => {
                            return Err(format!(
                                "delta bases lead through more than {MAX_PACK_HOPS} packs"
                            )
                            .into());
                        }
                        None => {
                            self.hops += 1;
                            let cap = limit.max(MAX_BASE);
                            let base = self.read_nested(&base_id, depth + chain.len(), cap);
                            self.hops -= 1;
                            break base?;
                        }
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
            let size = delta_result_size(&delta)?;
            let cap = if chain.is_empty() { limit } else { limit.max(MAX_BASE) };
            if size > cap {
                return Err(ReadError::TooLarge(size));
            }
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

/// Drops this process's mappings of the pages of `mapped`, a read-only mapping of a file.
#[allow(unsafe_code)]
fn release_pages(mapped: &[u8]) {
    // Only whole pages inside the mapping: its start is page-aligned (mmap returns it so).
    let page = 4096;
    let start = mapped.as_ptr() as usize;
    let begin = start.next_multiple_of(page);
    let end = (start + mapped.len()) / page * page;
    if end <= begin {
        return;
    }
    // SAFETY: the range lies within `mapped`, a shared read-only mapping of a pack file that
    // nothing writes through. MADV_DONTNEED only unmaps the pages: the next read of one maps the
    // file's page again, with the same bytes, so no reference into the mapping is invalidated.
    // Packs are never rewritten in place (git writes new ones and deletes old ones, whose
    // mapping keeps the file alive). A failure only means the pages stay mapped.
    #[cfg(unix)]
    unsafe {
        libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_DONTNEED);
    }
}

/// Whether pack entry `entry` can hold an object of at most `limit` bytes, from its header
/// alone: a whole object declares its size; a delta's instructions take at most 8 bytes per byte
/// they produce (a one-byte copy), so a delta longer than that cannot build an object within
/// the limit. (The size a delta builds is in its own header, checked once it is inflated.)
pub(super) fn check_size(entry: &pack::data::Entry, limit: u64) -> Result<(), ReadError> {
    let declared = entry.decompressed_size;
    let bound = match entry.header {
        Header::OfsDelta { .. } | Header::RefDelta { .. } => {
            limit.saturating_mul(8).saturating_add(64)
        }
        _ => limit,
    };
    if declared > bound {
        return Err(ReadError::TooLarge(declared));
    }
    Ok(())
}

/// Inflates a pack entry (a whole object or a delta's instructions) into `out`. The entry's
/// declared size is checked against what the rest of the pack could inflate to before anything
/// is allocated for it.
pub(super) fn inflate(
    pack: &Pack,
    entry: &pack::data::Entry,
    inflate: &mut gix_zlib::Inflate,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let at = entry.pack_offset();
    let left = (pack.data.pack_end() as u64).saturating_sub(entry.data_offset);
    if entry.decompressed_size > MAX_OBJECT
        || entry.decompressed_size > left.saturating_mul(MAX_RATIO).saturating_add(1024)
    {
        return Err(format!(
            "entry at {at}: declares {} bytes, more than its compressed data can hold",
            entry.decompressed_size
        ));
    }
    out.clear();
    out.resize(entry.decompressed_size as usize, 0);
    pack.data.decompress_entry(entry, inflate, out).map_err(|e| format!("entry at {at}: {e:#}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::git::open;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Lovelace")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs (the CI script installs it)");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn pack_reader_rebuilds_every_object_of_a_deltified_pack() {
        // Many versions of the same files, packed deep: most objects are delta chains.
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path();
        git(t, &["init", "-q", "-b", "main"]);
        let mut lines: Vec<String> = (0..400).map(|i| format!("line {i} of some text\n")).collect();
        for v in 0..40 {
            lines[v * 7 % 400] = format!("edited in version {v}\n");
            lines.insert(v * 13 % 400, format!("inserted in version {v}\n"));
            std::fs::write(t.join("a.txt"), lines.concat()).unwrap();
            std::fs::create_dir_all(t.join("dir")).unwrap();
            std::fs::write(t.join(format!("dir/b{}.txt", v % 3)), lines[..200].concat()).unwrap();
            git(t, &["add", "-A"]);
            git(t, &["commit", "-q", "-m", "v"]);
        }
        git(t, &["repack", "-adf", "-q", "--depth=50", "--window=50"]);
        let repo = open(t).unwrap();
        let mut objects = repo.objects();
        let all = git(t, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]);
        let mut n = 0;
        for id in all.lines() {
            let id = gix::ObjectId::from_hex(id.as_bytes()).unwrap();
            let (kind, data) = objects.read(&id).unwrap();
            let rebuilt = gix::objs::compute_hash(gix::hash::Kind::Sha1, kind, &data).unwrap();
            assert_eq!(rebuilt, id, "{kind} rebuilt wrongly");
            n += 1;
        }
        assert!(n > 150, "{n} objects");
        let pack = std::fs::read_dir(t.join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .expect("a pack index");
        let deltas = git(t, &["verify-pack", "-v", &pack.display().to_string()]);
        assert!(deltas.contains("chain length = 5"), "the pack has delta chains: {deltas}");
    }
}
