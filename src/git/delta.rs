//! Git's delta format: a header with the base's and the result's sizes, then instructions that
//! copy a range of the base or insert literal bytes. Decoded here with every size and range
//! checked, because pack files come from whoever pushed to the repository: a corrupt or crafted
//! delta is an error, never a panic, an out-of-bounds read or an oversized allocation.

use super::MAX_OBJECT;

/// The size of the object a delta builds, from its header.
pub(crate) fn delta_result_size(delta: &[u8]) -> Result<u64, String> {
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
pub(crate) struct CopyRun {
    /// Start in the rebuilt object.
    pub(crate) to: usize,
    /// Start in the base.
    pub(crate) from: usize,
    /// Length.
    pub(crate) len: usize,
}

/// Rebuilds an object from its `base` and a git delta: a header with both sizes, then
/// instructions that copy a range of the base or insert literal bytes. Every size and range is
/// checked: a corrupt delta is an error, never a panic or a short object.
///
/// # Errors
/// The delta is truncated, refers outside the base, or does not produce its stated size.
pub(crate) fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    apply_delta_into(base, delta, &mut out, None)?;
    Ok(out)
}

/// [`apply_delta`] into `out`, also listing in `copies` (when given) the runs copied from the
/// base, adjacent copies of adjacent base bytes merged: what is not copied was inserted.
///
/// # Errors
/// As [`apply_delta`].
pub(crate) fn apply_delta_into(
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
    // One instruction byte produces at most 64 KiB (a copy with no offset or length bytes):
    // a header that claims more than the instructions can build is a lie, and nothing is
    // allocated for it. (Found by the `delta` fuzz target: 60 bytes claiming 4 GiB.)
    let remaining = (delta.len() - at) as u64;
    if size > remaining.saturating_mul(0x10000) {
        return Err(format!("delta claims {size} bytes, more than its instructions can build"));
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

    /// What the `delta` fuzz target found in its first second: a few bytes of delta whose
    /// header claims a result of about 4 GiB made `apply_delta_into` reserve that much before
    /// reading a single instruction (an out-of-memory abort under the fuzzer's 2 GiB limit).
    #[test]
    fn fuzz_a_tiny_delta_claiming_4_gib_allocates_nothing() {
        // Base size 0, result size 2^32 - 1, then two one-byte inserts.
        let delta = [0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, b'a', 0x01, b'b'];
        let mut out = Vec::new();
        let e = apply_delta_into(&[], &delta, &mut out, None).unwrap_err();
        assert!(e.contains("more than its instructions can build"), "{e}");
        assert_eq!(out.capacity(), 0);
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
