//! The history sweep's pack pass: every blob of the packs' delta trees ([`BlobForest`]) is
//! rebuilt once and looked at only in the lines its delta changed; a delta inherits its base's
//! matches in the lines it copied unchanged. The pass decides one thing per blob: whether it has
//! any rule match at all ([`PackState`]). Blobs with a match, and those it could not decide, are
//! then scanned whole by the detect stage with their path, like any other item, so reports are
//! exactly those of scanning every blob whole (`--whole-blobs`, the reference the tests compare
//! against).
//!
//! Why a delta can inherit: a rule other than a `multiline` one is verified only within its
//! keyword's line (see `engine`), and a line the delta copied whole from its base together with
//! the newline before it is a line of the base between the same newlines ([`changed_lines`]).

use super::delta::CopyRun;
use super::forest::{BlobForest, BlobVisit, ForestWalker, Slot};
use super::odb::Packs;
use crate::engine::{CompiledRules, KeywordHit, Scratch};
use crate::source::{Policy, Skip};
use gix::hash::oid;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the pack pass found out about a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackState {
    /// Text without a rule match; its size.
    Clean(u64),
    /// At least one rule matched (maybe allowlisted: the full scan decides).
    Matched,
    /// Looks binary.
    Binary,
    /// Not decoded, over the size limit, or UTF-16 text: the full scan reads it (and
    /// reports it if it cannot).
    Failed,
}

/// The pack pass's verdict on every blob it rebuilt, one word per entry of each pack's index
/// (a map by object id cost five times as much on a long history, and twice that while it
/// was being built).
#[derive(Default)]
pub(crate) struct PackStates {
    by_pack: Vec<Box<[AtomicU64]>>,
}

/// [`PackStates`]' words: 0 for an entry the pass did not visit; the low two bits tell the
/// rest apart.
const CLEAN: u64 = 1;
const OTHER: u64 = 2;

impl PackStates {
    fn for_packs(packs: &Packs) -> PackStates {
        let by_pack = packs
            .packs
            .iter()
            .map(|p| (0..p.index.num_objects()).map(|_| AtomicU64::new(0)).collect())
            .collect();
        PackStates { by_pack }
    }

    fn set(&self, slot: Slot, state: PackState) {
        let word = match state {
            PackState::Clean(size) => size.min(u64::MAX >> 2) << 2 | CLEAN,
            PackState::Matched => OTHER,
            PackState::Binary => 1 << 2 | OTHER,
            PackState::Failed => 2 << 2 | OTHER,
        };
        self.by_pack[slot.pack as usize][slot.entry as usize].store(word, Ordering::Relaxed);
    }

    /// The verdict on blob `id`, if the pass rebuilt it. A blob stored in several packs has
    /// the same bytes in each: any copy's verdict holds, but one that could not be rebuilt
    /// (`Failed`) only if no other copy was.
    pub(crate) fn get(&self, packs: &Packs, id: &oid) -> Option<PackState> {
        let mut failed = None;
        for (pack, words) in packs.packs.iter().zip(&self.by_pack) {
            let Some(entry) = pack.index.lookup(id) else { continue };
            let word = words[entry as usize].load(Ordering::Relaxed);
            let state = match (word & 3, word >> 2) {
                (0, _) => continue,
                (CLEAN, size) => PackState::Clean(size),
                (_, 0) => PackState::Matched,
                (_, 1) => PackState::Binary,
                _ => PackState::Failed,
            };
            if state != PackState::Failed {
                return Some(state);
            }
            failed = Some(state);
        }
        failed
    }
}

/// What a delta inherits from its base if it copies the lines unchanged: the whole-match spans
/// of the rules that match within a line ([`CompiledRules::line_spans`]), and the keyword hits
/// of the rules that reach further (their windows are verified anew). `None`: the blob was not
/// scanned (binary, too large), so its deltas are scanned whole.
pub(crate) type Carried = Option<(Vec<(usize, usize)>, Vec<KeywordHit>)>;

/// One worker's buffers, reused from delta tree to delta tree.
struct PassWorker {
    walker: ForestWalker,
    scratch: Scratch,
    regions: Vec<(usize, usize)>,
}

/// Scans every blob of `forest`'s delta trees on the current rayon pool, each tree on one
/// thread. `scanned(bytes)` is called for every blob rebuilt (for progress).
pub(crate) fn pack_pass(
    forest: &BlobForest<'_>,
    compiled: &CompiledRules,
    policy: &Policy,
    scanned: &(dyn Fn(u64) + Sync),
) -> PackStates {
    let states = PackStates::for_packs(forest.packs());
    (0..forest.trees()).into_par_iter().for_each_init(
        || PassWorker {
            walker: ForestWalker::default(),
            scratch: compiled.scratch(),
            regions: Vec::new(),
        },
        |w, tree| {
            let PassWorker { walker, scratch, regions } = w;
            forest.walk(
                tree,
                walker,
                policy.max_read.min(policy.max_size),
                |blob| {
                    scanned(blob.data.len() as u64);
                    let (state, carried) = scan_delta(compiled, policy, scratch, regions, &blob);
                    states.set(blob.slot, state);
                    carried
                },
                |slot, _| states.set(slot, PackState::Failed),
            );
        },
    );
    states
}

/// One blob of the pack pass: a whole blob (or one whose base was not scanned) is scanned in
/// full; a delta only in the lines it changed, and it keeps the matches of its base that lie in
/// lines it copied unchanged.
pub(crate) fn scan_delta(
    compiled: &CompiledRules,
    policy: &Policy,
    scratch: &mut Scratch,
    regions: &mut Vec<(usize, usize)>,
    blob: &BlobVisit<'_, Carried>,
) -> (PackState, Carried) {
    let data = blob.data;
    match policy.skip(data) {
        Some(Skip::Binary) => return (PackState::Binary, None),
        Some(Skip::TooLarge { .. }) => return (PackState::Failed, None),
        None => {}
    }
    // UTF-16 text is scanned as the UTF-8 it stands for, by the full scan (its deltas too:
    // they carry nothing from it).
    if crate::source::utf16(data).is_some() {
        return (PackState::Failed, None);
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
    copies: &[CopyRun],
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

/// The lines of `data`, a delta's result, that are not copied whole from its base together
/// with the newline before them, as sorted, disjoint `(start, end)` ranges of whole lines (each
/// with its newline), into `out`. Every other line is a line of the base, between the same
/// newlines, so a rule that matches within a line finds there exactly what it found in the
/// base. A line at the very start counts as copied only from the base's start, and a last line
/// without a newline always counts as changed (the base's copy of it may go on).
pub(crate) fn changed_lines(data: &[u8], copies: &[CopyRun], out: &mut Vec<(usize, usize)>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
