//! Shannon entropy of a candidate secret.

/// Shannon entropy of `bytes` in bits per byte (0.0 for an empty slice, at most 8.0).
///
/// ```
/// assert_eq!(leakhound::engine::shannon_entropy(b"aaaa"), 0.0);
/// assert!((leakhound::engine::shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
/// ```
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}
