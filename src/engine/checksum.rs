//! Offline checksum validators for tokens that carry one.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether a GitHub classic token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm token (`npm_`)
/// carries a valid checksum: its last six characters are the CRC32 (IEEE) of the random part
/// between the prefix and the checksum, in base62 (`0-9A-Za-z`), left-padded with `0`.
///
/// ```
/// use leakhound::engine::github_crc32_valid;
/// // The example split published with npm's token format announcement.
/// assert!(github_crc32_valid(b"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")); // leakhound:allow -- npm's published example
/// assert!(!github_crc32_valid(b"npm_qkJaB6MffYVzZXWqmcoF49yrUxP3wf0LsakQ"));
/// ```
pub fn github_crc32_valid(token: &[u8]) -> bool {
    let Some(sep) = memchr::memchr(b'_', token) else { return false };
    let body = &token[sep + 1..];
    if body.len() <= 6 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    let mut n = crc32fast::hash(random);
    let mut encoded = [b'0'; 6];
    for slot in encoded.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    n == 0 && encoded == check
}
