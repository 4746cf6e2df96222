//! Entry points for the fuzz targets (`fuzz/`) and the property tests (`tests/it/`): the
//! parsers and decoders that take untrusted bytes, and the invariants they must keep. Not part
//! of the library's API.

use crate::detect::Detector;
use crate::git::delta::{apply_delta_into, delta_result_size, CopyRun};
use crate::git::forest::BlobVisit;
use crate::git::sweep::{changed_lines, scan_delta, PackState};
use crate::source::Policy;

/// Applies `delta` to `base`: never panics, and a delta that decodes builds exactly the size
/// its header states, from copies that lie inside the base and the result.
///
/// # Panics
/// When an invariant does not hold (that is the fuzzer's finding).
pub fn delta(base: &[u8], delta: &[u8]) {
    let (mut out, mut copies) = (Vec::new(), Vec::new());
    if apply_delta_into(base, delta, &mut out, Some(&mut copies)).is_ok() {
        assert_eq!(Ok(out.len() as u64), delta_result_size(delta));
        for c in &copies {
            assert!(c.from + c.len <= base.len() && c.to + c.len <= out.len());
            assert_eq!(&out[c.to..c.to + c.len], &base[c.from..c.from + c.len]);
        }
        let mut regions = Vec::new();
        changed_lines(&out, &copies, &mut regions);
        assert!(regions.windows(2).all(|w| w[0].1 < w[1].0), "sorted, disjoint: {regions:?}");
        assert!(regions.iter().all(|r| r.0 < r.1 && r.1 <= out.len()));
    }
}

/// A git delta that turns `base` into `target`: copies of runs the base holds (at least 4
/// bytes, found greedily), inserts of the rest. Enough to test the delta scan against deltas
/// whose copies start and end anywhere, as real deltas do.
pub fn encode_delta(base: &[u8], target: &[u8]) -> Vec<u8> {
    fn size(out: &mut Vec<u8>, mut n: usize) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut out = Vec::new();
    size(&mut out, base.len());
    size(&mut out, target.len());
    let mut pending: Vec<u8> = Vec::new();
    let flush = |out: &mut Vec<u8>, pending: &mut Vec<u8>| {
        for chunk in pending.chunks(127) {
            out.push(chunk.len() as u8);
            out.extend_from_slice(chunk);
        }
        pending.clear();
    };
    let mut i = 0;
    while i < target.len() {
        let (mut best_at, mut best_len) = (0, 0);
        for at in 0..base.len() {
            let len = base[at..].iter().zip(&target[i..]).take_while(|(a, b)| a == b).count();
            if len > best_len {
                (best_at, best_len) = (at, len);
            }
        }
        if best_len < 4 {
            pending.push(target[i]);
            i += 1;
            continue;
        }
        flush(&mut out, &mut pending);
        let mut left = best_len;
        let mut from = best_at;
        while left > 0 {
            let len = left.min(0xffff);
            let mut op = 0x80u8;
            let mut args = Vec::new();
            for k in 0..4 {
                let byte = ((from >> (8 * k)) & 0xff) as u8;
                if byte != 0 {
                    op |= 1 << k;
                    args.push(byte);
                }
            }
            for k in 0..2 {
                let byte = ((len >> (8 * k)) & 0xff) as u8;
                if byte != 0 {
                    op |= 0x10 << k;
                    args.push(byte);
                }
            }
            out.push(op);
            out.extend(args);
            from += len;
            left -= len;
        }
        i += best_len;
    }
    flush(&mut out, &mut pending);
    out
}

/// The history sweep's delta scan agrees with scanning the whole blob: `target` stored as a
/// delta of `base` has a rule match (found in the lines the delta changed, or inherited from
/// the base's unchanged lines) exactly when scanning `target` whole finds one.
///
/// # Errors
/// The two disagree; the message says how.
pub fn delta_scan_agrees(detector: &Detector, base: &[u8], target: &[u8]) -> Result<(), String> {
    let delta = encode_delta(base, target);
    let (mut rebuilt, mut copies): (Vec<u8>, Vec<CopyRun>) = (Vec::new(), Vec::new());
    apply_delta_into(base, &delta, &mut rebuilt, Some(&mut copies))?;
    if rebuilt != target {
        return Err("the encoded delta does not rebuild the target".into());
    }
    let policy =
        Policy { max_size: u64::MAX, max_read: u64::MAX, mmap_threshold: None, binary: true };
    let compiled = detector.compiled();
    let mut scratch = compiled.scratch();
    let mut regions = Vec::new();
    let slot = crate::git::forest::Slot { pack: 0, entry: 0 };
    let (_, carried) = scan_delta(
        compiled,
        &policy,
        &mut scratch,
        &mut regions,
        &BlobVisit { slot, data: base, base: None },
    );
    let visit = BlobVisit { slot, data: target, base: Some((base, &carried, copies.as_slice())) };
    let (state, _) = scan_delta(compiled, &policy, &mut scratch, &mut regions, &visit);
    let whole = !compiled.scan(&mut scratch, target, true).is_empty();
    match (state == PackState::Matched, whole) {
        (a, b) if a == b => Ok(()),
        (true, false) => Err("the delta scan saw a match that a whole scan does not".into()),
        _ => Err("the delta scan missed a match that a whole scan finds".into()),
    }
}

/// A configuration file: loading returns rules or an error naming the file, never panics, and
/// what loads compiles.
pub fn config(text: &str) {
    // Parsing the built-in rules under the fuzzer's instrumentation takes a tenth of a second:
    // done once, it leaves the fuzzer thousands of inputs a second instead of ten.
    static BUILTIN: std::sync::OnceLock<crate::rules::RuleSet> = std::sync::OnceLock::new();
    let builtin = BUILTIN.get_or_init(|| crate::rules::load_builtin().expect("built-in rules"));
    let texts = [crate::config::ConfigText { label: "fuzz.toml".into(), text: text.into() }];
    if let Ok((mut set, _)) = crate::config::load_texts_over(builtin.clone(), &texts) {
        // The built-in rules compile (the test suite proves it); compiling them on every input
        // would leave the fuzzer three inputs a second.
        set.rules.retain(|r| !r.origin.file.starts_with("patterns/"));
        let _ = Detector::new(&set, crate::engine::Compile::Eager);
    }
}

/// A baseline file and a `.gitleaksignore`: parsed or refused, never a panic.
pub fn suppression_files(text: &str) {
    let _ = crate::filter::baseline::Baseline::parse("fuzz.toml".into(), text, false);
    let _ = crate::filter::gitleaksignore::GitleaksIgnore::parse("fuzz".into(), text);
}

/// One entry of a pack the fuzzer builds: its type (1 commit, 2 tree, 3 blob, 4 tag, 6 ofs
/// delta against entry `base`), the size its header claims, and the bytes it inflates to.
#[derive(Clone, Debug)]
pub struct PackEntry {
    /// Pack entry type.
    pub kind: u8,
    /// The size the entry header declares (it may lie).
    pub claimed: u64,
    /// What the zlib stream holds.
    pub payload: Vec<u8>,
    /// For a delta: the earlier entry it is built on.
    pub base: usize,
}

/// Writes `entries` as a pack (with an index that lists them under made-up ids) into a fresh
/// bare repository, then reads every object through the pack reader and walks every blob delta
/// tree of the history sweep, with a size limit: nothing may panic, allocate past the limit or
/// loop, whatever the headers claim.
///
/// # Panics
/// When reading panics (that is the fuzzer's finding).
pub fn pack(entries: &[PackEntry]) {
    use std::io::Write;
    let Ok(dir) = tempfile::tempdir() else { return };
    let git = dir.path();
    let made = std::fs::create_dir_all(git.join("objects/pack"))
        .and_then(|()| std::fs::create_dir_all(git.join("refs/heads")))
        .and_then(|()| std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n"))
        .and_then(|()| {
            std::fs::write(
                git.join("config"),
                "[core]\n\trepositoryformatversion = 0\n\tbare = true\n",
            )
        });
    if made.is_err() {
        return;
    }
    let mut pack = b"PACK\0\0\0\x02".to_vec();
    pack.extend((entries.len() as u32).to_be_bytes());
    let mut offsets: Vec<u64> = Vec::new();
    for e in entries {
        let at = pack.len() as u64;
        let kind = if matches!(e.kind, 1..=4 | 6) { e.kind } else { 3 };
        let kind = if kind == 6 && e.base >= offsets.len() { 3 } else { kind };
        let mut header = vec![(kind << 4) | (e.claimed & 0x0f) as u8];
        let mut rest = e.claimed >> 4;
        while rest > 0 {
            *header.last_mut().expect("one byte") |= 0x80;
            header.push((rest & 0x7f) as u8);
            rest >>= 7;
        }
        pack.extend(header);
        if kind == 6 {
            let mut n = at - offsets[e.base];
            let mut ofs = vec![(n & 0x7f) as u8];
            n >>= 7;
            while n > 0 {
                n -= 1;
                ofs.insert(0, 0x80 | (n & 0x7f) as u8);
                n >>= 7;
            }
            pack.extend(ofs);
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        if z.write_all(&e.payload).is_err() {
            return;
        }
        let Ok(compressed) = z.finish() else { return };
        pack.extend(compressed);
        offsets.push(at);
    }
    let sha1 = |data: &[u8]| {
        let mut h = gix::hash::hasher(gix::hash::Kind::Sha1);
        h.update(data);
        h.try_finalize().map(|id| id.as_bytes().to_vec()).unwrap_or_else(|_| vec![0; 20])
    };
    let pack_sum = sha1(&pack);
    pack.extend(&pack_sum);
    let mut ids: Vec<(Vec<u8>, u64)> =
        offsets.iter().enumerate().map(|(i, at)| (sha1(&(i as u64).to_be_bytes()), *at)).collect();
    ids.sort();
    let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
    for byte in 0..=255u8 {
        idx.extend((ids.iter().filter(|(id, _)| id[0] <= byte).count() as u32).to_be_bytes());
    }
    for (id, _) in &ids {
        idx.extend(id);
    }
    idx.extend(std::iter::repeat_n(0u8, 4 * ids.len()));
    for (_, at) in &ids {
        idx.extend((*at as u32).to_be_bytes());
    }
    idx.extend(&pack_sum);
    let idx_sum = sha1(&idx);
    idx.extend(&idx_sum);
    let written = std::fs::write(git.join("objects/pack/pack-fuzz.pack"), &pack)
        .and_then(|()| std::fs::write(git.join("objects/pack/pack-fuzz.idx"), &idx));
    if written.is_err() {
        return;
    }
    let Ok(repo) = crate::git::open(git) else { return };
    const LIMIT: u64 = 1 << 20;
    let mut objects = repo.objects();
    for (id, _) in &ids {
        let Ok(id) = gix::ObjectId::try_from(id.as_slice()) else { continue };
        if let Ok(data) = objects.read_blob(&id, LIMIT) {
            assert!(data.len() as u64 <= LIMIT);
        }
        let _ = objects.read(&id);
    }
    let forest = repo.packs.blob_forest();
    let mut walker = crate::git::forest::ForestWalker::default();
    for tree in 0..forest.trees() {
        forest.walk(
            tree,
            &mut walker,
            LIMIT,
            |blob| assert!(blob.data.len() as u64 <= LIMIT),
            |_, _| {},
        );
    }
}
