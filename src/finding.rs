//! The stable [`Finding`] type: location, versioned content fingerprint, and the redacted form
//! of the secret that every report shows by default.

use crate::rules::{Confidence, Rule, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The fingerprint scheme, also the SARIF `partialFingerprints` key.
pub const FINGERPRINT_KEY: &str = "leakhound/secret/sha256/v1";

/// One reported secret.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id.
    pub rule_id: String,
    /// Rule display name.
    pub rule_name: String,
    /// Impact of a leak.
    pub severity: Severity,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// Path relative to the scan root (`/` separators), or `-` for standard input.
    pub path: String,
    /// 1-based line of the secret's first byte.
    pub line: usize,
    /// 1-based column (Unicode code points) of the secret's first byte.
    pub column: usize,
    /// 1-based line of the secret's last byte.
    pub end_line: usize,
    /// 1-based column just past the secret's last character.
    pub end_column: usize,
    /// The secret, redacted unless the user asked for `--show-secrets`.
    pub secret: String,
    /// Whether `secret` is redacted.
    pub redacted: bool,
    /// Length of the secret in bytes.
    pub secret_length: usize,
    /// Whether an offline checksum verified the secret.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub checksum_valid: bool,
    /// Content fingerprint: depends on rule, path and a hash of the secret, never on the line.
    pub fingerprint: String,
    /// Path-independent fingerprint (rule and secret), for baselines that ignore paths.
    #[serde(skip)]
    pub secret_fingerprint: String,
    /// Hex SHA-256 of the secret value (matches betterleaks value fingerprints); never serialized.
    #[serde(skip)]
    pub secret_sha256: String,
    /// Set when the finding was suppressed and the user asked to see suppressed findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// Where a finding from git history first appeared.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitProvenance>,
    /// With `--all-occurrences`: every other commit and path carrying the same blob.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
}

/// How a reported finding was suppressed (`--include-suppressed`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suppressed {
    /// `inline`, `allowlist` or `baseline`.
    pub kind: &'static str,
    /// The reason given with the suppression.
    pub justification: String,
}

/// The commit that introduced a blob, and who made it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GitProvenance {
    /// Full commit id.
    pub commit: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 in UTC.
    pub date: String,
}

/// Another commit and path where a blob with a finding occurs.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Occurrence {
    /// Full commit id.
    pub commit: String,
    /// Repository-relative path.
    pub path: String,
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC timestamp.
///
/// ```
/// assert_eq!(leakhound::finding::rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(leakhound::finding::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The pieces of a finding the engine and the line counter produce.
pub struct FindingParts<'a> {
    /// The rule that matched.
    pub rule: &'a Rule,
    /// Report path.
    pub path: &'a str,
    /// The secret bytes.
    pub secret: &'a [u8],
    /// `(line, column)` of the first byte.
    pub start: (usize, usize),
    /// `(line, column)` just past the end.
    pub end: (usize, usize),
    /// Checksum verified.
    pub checksum_valid: bool,
    /// Reveal the secret in reports.
    pub show_secret: bool,
    /// HMAC key for fingerprints, if the user configured one.
    pub key: Option<&'a [u8]>,
}

impl Finding {
    /// Builds a finding; the secret is redacted unless `show_secret`.
    pub fn new(p: FindingParts<'_>) -> Finding {
        let confidence = if p.checksum_valid { Confidence::High } else { p.rule.confidence };
        Finding {
            rule_id: p.rule.id.clone(),
            rule_name: p.rule.name.clone(),
            severity: p.rule.severity,
            confidence,
            path: p.path.to_string(),
            line: p.start.0,
            column: p.start.1,
            end_line: p.end.0,
            end_column: p.end.1,
            secret: if p.show_secret {
                String::from_utf8_lossy(p.secret).into_owned()
            } else if p.rule.confidence == Confidence::Low {
                // Generic rules catch passwords: not even a prefix of one is shown.
                format!("…[{} chars]", p.secret.len())
            } else {
                redact(p.secret)
            },
            redacted: !p.show_secret,
            secret_length: p.secret.len(),
            checksum_valid: p.checksum_valid,
            fingerprint: fingerprint_keyed(p.key, &p.rule.id, p.path, p.secret),
            secret_fingerprint: secret_fingerprint(p.key, &p.rule.id, p.secret),
            secret_sha256: Sha256::digest(p.secret).iter().map(|b| format!("{b:02x}")).collect(),
            suppressed: None,
            git: None,
            occurrences: Vec::new(),
        }
    }

    /// Sort key for deterministic output.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        let commit = self.git.as_ref().map_or("", |g| g.commit.as_str());
        (&self.path, self.line, self.column, &self.rule_id, commit)
    }
}

/// Hex SHA-256 of `rule_id`, `path` and the SHA-256 of `secret`, truncated to 128 bits: the
/// unkeyed form of [`fingerprint_keyed`].
///
/// ```
/// let a = leakhound::finding::fingerprint("r.x", "a.env", b"s3cr3t");
/// assert_eq!(a, leakhound::finding::fingerprint("r.x", "a.env", b"s3cr3t"));
/// assert_ne!(a, leakhound::finding::fingerprint("r.x", "a.env", b"other"));
/// assert_eq!(a.len(), 32);
/// ```
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    fingerprint_keyed(None, rule_id, path, secret)
}

/// The finding fingerprint: a hash of the rule id, the path and the SHA-256 of the secret; with
/// a key, an HMAC-SHA-256, so that a low-entropy password cannot be guessed from a baseline.
/// Never depends on the line or the commit.
pub fn fingerprint_keyed(key: Option<&[u8]>, rule_id: &str, path: &str, secret: &[u8]) -> String {
    digest(
        key,
        &[FINGERPRINT_KEY.as_bytes(), rule_id.as_bytes(), path.as_bytes(), &Sha256::digest(secret)],
    )
}

/// The path-independent fingerprint of a secret found by a rule (`--baseline-ignore-path`).
pub fn secret_fingerprint(key: Option<&[u8]>, rule_id: &str, secret: &[u8]) -> String {
    digest(key, &[b"leakhound/rule-secret/sha256/v1", rule_id.as_bytes(), &Sha256::digest(secret)])
}

fn digest(key: Option<&[u8]>, parts: &[&[u8]]) -> String {
    use hmac::Mac;
    let out: Vec<u8> = match key {
        Some(k) => {
            let mut mac =
                hmac::Hmac::<Sha256>::new_from_slice(k).expect("HMAC takes keys of any length");
            for p in parts {
                mac.update(p);
                mac.update(&[0]);
            }
            mac.finalize().into_bytes().to_vec()
        }
        None => {
            let mut h = Sha256::new();
            for p in parts {
                h.update(p);
                h.update([0]);
            }
            h.finalize().to_vec()
        }
    };
    out[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The redacted form of a secret: at most its first four characters (fewer for short secrets,
/// none below eight bytes) followed by `…` and the length.
///
/// ```
/// assert_eq!(leakhound::finding::redact(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "ghp_…[40 chars]");
/// assert_eq!(leakhound::finding::redact(b"hunter2"), "…[7 chars]");
/// ```
pub fn redact(secret: &[u8]) -> String {
    let shown = match secret.len() {
        0..=7 => 0,
        8..=15 => 2,
        _ => 4,
    };
    let prefix: String = secret[..shown]
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect();
    format!("{prefix}…[{} chars]", secret.len())
}

/// Converts increasing byte offsets of one buffer into 1-based `(line, column)` pairs, counting
/// newlines only once across calls. Columns count Unicode code points (UTF-8 lead bytes).
pub struct LineCounter<'a> {
    hay: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    /// Column (0-based, in code points) of `pos` on its line.
    column: usize,
}

impl<'a> LineCounter<'a> {
    /// Starts at the beginning of `hay`.
    pub fn new(hay: &'a [u8]) -> LineCounter<'a> {
        LineCounter { hay, pos: 0, line: 1, line_start: 0, column: 0 }
    }

    /// The position of `offset`. Offsets should not decrease from call to call (matches come
    /// sorted); one that does restarts from the line it is on.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.hay.len());
        if offset < self.pos {
            // Restart at the start of the current line if the offset is on it, else from the
            // beginning: never worse than one pass.
            if offset >= self.line_start {
                self.pos = self.line_start;
                self.column = 0;
            } else {
                *self = LineCounter::new(self.hay);
            }
        }
        let chunk = &self.hay[self.pos..offset];
        let code_points = |b: &[u8]| b.iter().filter(|&&c| c & 0xC0 != 0x80).count();
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', chunk).count();
                self.line_start = self.pos + last + 1;
                self.column = code_points(&self.hay[self.line_start..offset]);
            }
            None => self.column += code_points(chunk),
        }
        self.pos = offset;
        (self.line, self.column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let hay = "ab\ncé d\n\nxyz".as_bytes();
        let mut lc = LineCounter::new(hay);
        assert_eq!(lc.locate(0), (1, 1));
        assert_eq!(lc.locate(1), (1, 2));
        assert_eq!(lc.locate(3), (2, 1));
        assert_eq!(lc.locate(7), (2, 4)); // after 'c', 'é' (2 bytes), ' '
        assert_eq!(lc.locate(10), (4, 1));
        assert_eq!(lc.locate(2), (1, 3));
    }

    #[test]
    fn crlf_counts_one_line() {
        let mut lc = LineCounter::new(b"a\r\nb");
        assert_eq!(lc.locate(3), (2, 1));
    }
}
