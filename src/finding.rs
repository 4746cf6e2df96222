//! The stable [`Finding`] type: location, versioned content fingerprint, and the redacted form
//! of the secret that every report shows by default.

use crate::provenance::{Commit, Provenance};
use crate::rules::{Confidence, Rule, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// The fingerprint scheme, also the SARIF `partialFingerprints` key.
pub const FINGERPRINT_KEY: &str = "leakhound/secret/sha256/v1";

/// One reported secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id (shared with every finding of the rule).
    pub rule_id: Arc<str>,
    /// Rule display name.
    pub rule_name: Arc<str>,
    /// Impact of a leak.
    pub severity: Severity,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// Where the scanned bytes came from.
    pub provenance: Provenance,
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
    pub checksum_valid: bool,
    /// Content fingerprint: depends on rule, path and a hash of the secret, never on the line.
    pub fingerprint: Fingerprint,
    /// Path-independent fingerprint (rule and secret), for baselines that ignore paths.
    pub secret_fingerprint: Fingerprint,
    /// SHA-256 of the secret value (matches betterleaks value fingerprints); never serialized.
    pub secret_sha256: Hex<32>,
    /// Set when the finding was suppressed and the user asked to see suppressed findings.
    pub suppressed: Option<Suppressed>,
    /// Git scans: every other place the same secret occurs (other blob versions, paths,
    /// lines, commits; with `--all-occurrences`, every commit and path carrying its blob).
    pub occurrences: Vec<Occurrence>,
    /// The secret's line as the terminal shows it ([`masked_line`]): what it was assigned to,
    /// with the secret masked. Not in the machine-readable reports.
    pub context: String,
}

/// The serialized form of a [`Finding`] (JSON, JSON Lines): the provenance flattened into
/// `path` and, for git items, `commit`, `author`, `email` and `date`.
#[derive(Serialize)]
struct FindingRow<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: Severity,
    confidence: Confidence,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    secret: &'a str,
    redacted: bool,
    secret_length: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    checksum_valid: bool,
    fingerprint: Fingerprint,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a Suppressed>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    commit: Option<&'a Commit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    occurrences: &'a [Occurrence],
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FindingRow {
            rule_id: &self.rule_id,
            rule_name: &self.rule_name,
            severity: self.severity,
            confidence: self.confidence,
            path: self.provenance.path(),
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            secret: &self.secret,
            redacted: self.redacted,
            secret_length: self.secret_length,
            checksum_valid: self.checksum_valid,
            fingerprint: self.fingerprint,
            suppressed: self.suppressed.as_ref(),
            commit: self.provenance.commit(),
            tag: self.provenance.tag(),
            occurrences: &self.occurrences,
        }
        .serialize(serializer)
    }
}

/// Bytes shown as lowercase hex: fingerprints and digests, kept as bytes so a finding holds
/// them inline (a million findings are a million of these).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hex<const N: usize>(pub [u8; N]);

/// A finding fingerprint: 128 bits of a (keyed) SHA-256.
pub type Fingerprint = Hex<16>;

impl<const N: usize> fmt::Display for Hex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in self.0.iter().enumerate().take(32) {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
        }
        f.write_str(std::str::from_utf8(&out[..2 * N.min(32)]).map_err(|_| fmt::Error)?)
    }
}

impl<const N: usize> fmt::Debug for Hex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<const N: usize> Serialize for Hex<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<const N: usize> std::str::FromStr for Hex<N> {
    type Err = String;

    /// Parses `2 * N` hex digits, either case.
    fn from_str(s: &str) -> Result<Hex<N>, String> {
        let bad = || format!("`{s}` is not {} hex digits", 2 * N);
        if s.len() != 2 * N {
            return Err(bad());
        }
        let mut out = [0u8; N];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            let digits = std::str::from_utf8(pair).map_err(|_| bad())?;
            out[i] = u8::from_str_radix(digits, 16).map_err(|_| bad())?;
        }
        Ok(Hex(out))
    }
}

/// Why a finding was suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// An inline marker on the secret's line.
    Inline,
    /// An allowlist entry (built-in, per-rule or from the config).
    Allowlist,
    /// A baseline entry.
    Baseline,
    /// A `.gitleaksignore` entry.
    Gitleaksignore,
}

impl SuppressionKind {
    /// The name reports show (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Inline => "inline",
            SuppressionKind::Allowlist => "allowlist",
            SuppressionKind::Baseline => "baseline",
            SuppressionKind::Gitleaksignore => "gitleaksignore",
        }
    }
}

/// How a reported finding was suppressed (`--include-suppressed`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suppressed {
    /// What suppressed it.
    pub kind: SuppressionKind,
    /// The reason given with the suppression.
    pub justification: String,
}

/// Another place where a finding's secret occurs: a commit (none for staged content) and path,
/// and the line there.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    /// Full commit id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Repository-relative path (or `(commit message)`).
    pub path: String,
    /// 1-based line of the secret there.
    pub line: usize,
}

/// The pieces of a finding the engine and the line counter produce.
pub struct FindingParts<'a> {
    /// The rule that matched.
    pub rule: &'a Rule,
    /// Its id and name, shared by all its findings.
    pub names: &'a (Arc<str>, Arc<str>),
    /// Where the bytes came from.
    pub provenance: &'a Provenance,
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
    /// The line the secret starts on, and where on it the secret starts.
    pub line: (&'a [u8], usize),
}

impl Finding {
    /// Builds a finding; the secret is redacted unless `show_secret`.
    pub fn new(p: FindingParts<'_>) -> Finding {
        let confidence = if p.checksum_valid { Confidence::High } else { p.rule.confidence };
        let sha256: [u8; 32] = Sha256::digest(p.secret).into();
        let secret = if p.show_secret {
            String::from_utf8_lossy(p.secret).into_owned()
        } else if p.rule.confidence == Confidence::Low {
            // Generic rules catch passwords: not even a prefix of one is shown.
            format!("…[{} chars]", p.secret.len())
        } else {
            redact(p.secret)
        };
        let context = masked_line(p.line.0, p.line.1, p.secret.len(), &secret);
        Finding {
            rule_id: p.names.0.clone(),
            rule_name: p.names.1.clone(),
            severity: p.rule.severity,
            confidence,
            provenance: p.provenance.clone(),
            line: p.start.0,
            column: p.start.1,
            end_line: p.end.0,
            end_column: p.end.1,
            secret,
            redacted: !p.show_secret,
            secret_length: p.secret.len(),
            checksum_valid: p.checksum_valid,
            fingerprint: digest(
                p.key,
                &[
                    FINGERPRINT_KEY.as_bytes(),
                    p.rule.id.as_bytes(),
                    p.provenance.path().as_bytes(),
                    &sha256,
                ],
            ),
            secret_fingerprint: digest(
                p.key,
                &[SECRET_FINGERPRINT_KEY.as_bytes(), p.rule.id.as_bytes(), &sha256],
            ),
            secret_sha256: Hex(sha256),
            suppressed: None,
            occurrences: Vec::new(),
            context,
        }
    }

    /// The path reports show (`-` for standard input).
    pub fn path(&self) -> &str {
        self.provenance.path()
    }

    /// Sort key for deterministic output.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        let origin = match self.provenance.commit() {
            Some(c) => c.id.as_str(),
            None => self.provenance.tag().unwrap_or(""),
        };
        (self.path(), self.line, self.column, &self.rule_id, origin)
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
    .to_string()
}

/// The domain of [`secret_fingerprint`].
const SECRET_FINGERPRINT_KEY: &str = "leakhound/rule-secret/sha256/v1";

/// The path-independent fingerprint of a secret found by a rule (`--baseline-ignore-path`).
pub fn secret_fingerprint(key: Option<&[u8]>, rule_id: &str, secret: &[u8]) -> Fingerprint {
    digest(key, &[SECRET_FINGERPRINT_KEY.as_bytes(), rule_id.as_bytes(), &Sha256::digest(secret)])
}

fn digest(key: Option<&[u8]>, parts: &[&[u8]]) -> Fingerprint {
    use hmac::Mac;
    let full: [u8; 32] = match key {
        Some(k) => {
            let mut mac =
                hmac::Hmac::<Sha256>::new_from_slice(k).expect("HMAC takes keys of any length");
            for p in parts {
                mac.update(p);
                mac.update(&[0]);
            }
            mac.finalize().into_bytes().into()
        }
        None => {
            let mut h = Sha256::new();
            for p in parts {
                h.update(p);
                h.update([0]);
            }
            h.finalize().into()
        }
    };
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    Hex(out)
}

/// The redacted form of a secret: at most its first four characters (fewer for short secrets,
/// none below eight bytes) followed by `…` and the length.
///
/// ```
/// assert_eq!(leakhound::finding::redact(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "ghp_…[40 chars]");
/// assert_eq!(leakhound::finding::redact(b"hunter2"), "…[7 chars]");
/// assert_eq!(
///     leakhound::finding::redact(b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow..."),
///     "-----BEGIN RSA PRIVATE KEY-----…[41 chars]"
/// );
/// ```
pub fn redact(secret: &[u8]) -> String {
    // A PEM block shows its header, which says what kind of key it is and is no secret.
    if let Some(rest) = secret.strip_prefix(b"-----BEGIN ") {
        if let Some(end) = memchr::memmem::find(rest, b"-----") {
            let label = &rest[..end];
            if label.iter().all(|&b| b.is_ascii_uppercase() || b == b' ') {
                let label = String::from_utf8_lossy(label);
                return format!("-----BEGIN {label}-----…[{} chars]", secret.len());
            }
        }
    }
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

/// The line of a secret as the terminal report shows it: `shown` (the secret as reported,
/// redacted by default) where the secret was, after what led up to it on its line (trimmed,
/// at most [`CONTEXT_BEFORE`] characters, and any long run of letters and digits there masked
/// too, since another secret may share the line), and the quote or bracket that closes it.
/// Nothing after that: the rest of a line may hold anything.
///
/// ```
/// let line = br#"    GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789" # ci"#;
/// assert_eq!(
///     leakhound::finding::masked_line(line, 20, 40, "ghp_…[40 chars]"),
///     r#"GITHUB_TOKEN = "ghp_…[40 chars]""#
/// );
/// assert_eq!(
///     leakhound::finding::masked_line(b"curl -u ci:Xk9mQ2vL7pR4zW8aB3cD -H 'x: SECRET'", 39, 6, "…"),
///     "curl -u ci:… -H 'x: …'"
/// );
/// ```
pub fn masked_line(line: &[u8], at: usize, len: usize, shown: &str) -> String {
    let at = at.min(line.len());
    let before = String::from_utf8_lossy(&line[..at]);
    let before = before.trim_start();
    let kept = before.chars().count().saturating_sub(CONTEXT_BEFORE);
    let mut out = String::new();
    if kept > 0 {
        out.push('…');
    }
    let before: String = before.chars().skip(kept).collect();
    // Runs of token characters long enough to be a credential, with a digit in them.
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let long = run.chars().count() >= 16 && run.bytes().any(|b| b.is_ascii_digit());
        out.push_str(if long { "…" } else { run });
        run.clear();
    };
    for c in before.chars() {
        if c.is_ascii_alphanumeric() || "+/=_-.".contains(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out.push_str(shown);
    let after = line.get(at + len..).unwrap_or_default();
    out.extend(after.iter().take(2).take_while(|b| b"\"'`;,)]}>".contains(b)).map(|&b| b as char));
    out.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// How much of what precedes a secret on its line [`masked_line`] keeps, in characters.
pub const CONTEXT_BEFORE: usize = 48;

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

    /// The positions of the first byte of `start..end` and of the byte just past it. Spans
    /// should come sorted by start; the end is counted within the span itself, so overlapping
    /// spans never send the counter back (which on one long line would cost a rescan each).
    pub fn locate_span(&mut self, start: usize, end: usize) -> ((usize, usize), (usize, usize)) {
        let first = self.locate(start);
        let end = end.clamp(start.min(self.hay.len()), self.hay.len());
        let inside = &self.hay[start.min(end)..end];
        let last = match memchr::memrchr(b'\n', inside) {
            Some(nl) => (
                first.0 + memchr::memchr_iter(b'\n', inside).count(),
                code_points(&inside[nl + 1..]) + 1,
            ),
            None => (first.0, first.1 + code_points(inside)),
        };
        (first, last)
    }
}

/// Unicode code points in UTF-8 `bytes` (bytes that are not continuation bytes; invalid UTF-8
/// counts a code point per stray byte).
fn code_points(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&c| c & 0xC0 != 0x80).count()
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
    fn spans_match_two_locates() {
        let hay = "ab\ncé d\n\nxyz".as_bytes();
        for (s, e) in [(0, 2), (1, 4), (3, 10), (4, 12), (10, 13), (12, 12)] {
            let mut one = LineCounter::new(hay);
            let mut two = LineCounter::new(hay);
            let expected = (two.locate(s), two.locate(e));
            assert_eq!(one.locate_span(s, e), expected, "{s}..{e}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let h: Fingerprint = "00ff10ab00ff10ab00ff10ab00ff10ab".parse().unwrap();
        assert_eq!(h.to_string(), "00ff10ab00ff10ab00ff10ab00ff10ab");
        assert_eq!(h, "00FF10AB00FF10AB00FF10AB00FF10AB".parse().unwrap());
        assert!("00ff".parse::<Fingerprint>().is_err());
        assert!("zz".repeat(16).parse::<Fingerprint>().is_err());
    }

    #[test]
    fn crlf_counts_one_line() {
        let mut lc = LineCounter::new(b"a\r\nb");
        assert_eq!(lc.locate(3), (2, 1));
    }
}
