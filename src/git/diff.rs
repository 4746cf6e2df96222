//! What a change added: the lines of a blob that its previous version (at the same path, or the
//! file it was most likely renamed from) does not have. Range and staged scans report only
//! secrets on those lines: a secret that was already there is not this change's problem.

use super::odb::Objects;
use gix::bstr::ByteSlice;
use gix::ObjectId;
use imara_diff::{Algorithm, Diff, InternedInput};

/// 1-based numbers of the lines of `after` that are not in `before` (a histogram line diff;
/// LF and CRLF terminators are ignored, so adding a final newline changes nothing).
pub(crate) fn added_lines(before: &[u8], after: &[u8]) -> Vec<u32> {
    let mut input = InternedInput::<&[u8]>::default();
    input.update_before(before.lines());
    input.update_after(after.lines());
    let diff = Diff::compute(Algorithm::Histogram, &input);
    diff.hunks().flat_map(|h| h.after.start + 1..=h.after.end).collect()
}

/// The lines `data` adds over its previous version: `before` (the blob at the same path), or,
/// for a file new at its path, the most similar of `rename_sources` (deleted files). `None` when
/// the file has no previous version: every line is new. Previous versions larger than
/// `max_size` are not read.
///
/// # Errors
/// The previous version cannot be read; the message names the object.
pub(crate) fn added_since(
    objects: &mut Objects<'_>,
    before: Option<ObjectId>,
    rename_sources: &[ObjectId],
    data: &[u8],
    max_size: u64,
) -> Result<Option<Vec<u32>>, String> {
    if let Some(before) = before {
        let old = objects
            .read_blob(&before, max_size)
            .map_err(|e| format!("previous version {before}: {e}"))?;
        return Ok(Some(added_lines(&old, data)));
    }
    Ok(rename_source(objects, rename_sources, data, max_size))
}

/// The added lines of `data` over the deleted blob it was most likely renamed from: the one it
/// shares most lines with, if at least half of its lines are old (git's default similarity
/// threshold). Unreadable candidates are passed over: they are no rename source.
fn rename_source(
    objects: &mut Objects<'_>,
    candidates: &[ObjectId],
    data: &[u8],
    max_size: u64,
) -> Option<Vec<u32>> {
    let lines = data.lines().count().max(1);
    let mut best: Option<Vec<u32>> = None;
    for id in candidates {
        let Ok(old) = objects.read_blob(id, max_size) else { continue };
        let added = added_lines(&old, data);
        if added.len() * 2 <= lines && best.as_ref().is_none_or(|b| added.len() < b.len()) {
            best = Some(added);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_ignore_terminators() {
        assert_eq!(added_lines(b"a\nb\nc\n", b"a\nx\nb\nc\ny"), vec![2, 5]);
        assert_eq!(added_lines(b"a\r\nb", b"a\nb\n"), Vec::<u32>::new());
    }
}
