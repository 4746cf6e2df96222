//! Added-lines filtering for commits and staged changes: a secret that was already there
//! before the change is not this change's problem.

use gix::bstr::ByteSlice;
use imara_diff::{Algorithm, Diff, InternedInput};

/// 1-based numbers of the lines of `after` that are not in `before` (a histogram line diff;
/// LF and CRLF terminators are ignored, so adding a final newline changes nothing).
///
/// ```
/// let added = leakhound::filter::added::added_lines(b"a\nb\nc\n", b"a\nx\nb\nc\ny");
/// assert_eq!(added, vec![2, 5]);
/// ```
pub fn added_lines(before: &[u8], after: &[u8]) -> Vec<u32> {
    let mut input = InternedInput::<&[u8]>::default();
    input.update_before(before.lines());
    input.update_after(after.lines());
    let diff = Diff::compute(Algorithm::Histogram, &input);
    diff.hunks().flat_map(|h| h.after.start + 1..=h.after.end).collect()
}

/// Whether any line in `first..=last` is in the sorted list `added`.
///
/// ```
/// use leakhound::filter::added::touches_added;
/// assert!(touches_added(&[2, 5], 4, 5));
/// assert!(!touches_added(&[2, 5], 3, 4));
/// ```
pub fn touches_added(added: &[u32], first: usize, last: usize) -> bool {
    let i = added.partition_point(|&l| (l as usize) < first);
    added.get(i).is_some_and(|&l| l as usize <= last)
}
