//! The rule data model: the `patterns/*.toml` schema, loading of the built-in and user rule files,
//! and structural validation (ids, keywords, regex syntax, examples).
//!
//! This module hands validated rules to the engine as plain strings; it never compiles a regex
//! into an automaton and never scans bytes.

mod load;
mod select;
mod syntax;

pub use load::{
    builtin_files, check_regex, check_unique_ids, load_builtin, load_file, load_str, RuleSet,
};
pub use select::Selection;
pub use syntax::{AllowlistSyntax, ExcludeSyntax, OverrideSyntax, RuleSyntax};

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a leak of this credential is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)] // `--min-severity`
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Limited impact (publishable or narrowly scoped values).
    Low,
    /// Scoped credentials such as webhooks.
    Medium,
    /// Most API tokens.
    High,
    /// Cloud root credentials, private keys.
    Critical,
}

impl Severity {
    /// The `security-severity` score GitHub code scanning reads (0.0 to 10.0).
    pub fn score(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }

    /// Lowercase name as in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a rule is that a match is a real credential.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)] // `--min-confidence`
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic patterns: many matches are not secrets.
    Low,
    /// Provider-specific shape without a checksum.
    #[default]
    Medium,
    /// Unambiguous prefixes, or a checksum that verified offline.
    High,
}

impl Confidence {
    /// Lowercase name as in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A named offline validator for tokens that carry a checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Checksum {
    /// GitHub classic tokens and npm tokens: the last six base62 characters are the CRC32 of
    /// the 30 random characters after the `xxx_` prefix.
    #[serde(rename = "github-crc32")]
    GithubCrc32,
    /// JSON Web Tokens: the header and the payload are base64url-encoded JSON objects, and the
    /// header names its algorithm (`alg`). A token-shaped string whose segments do not decode
    /// so is not a JWT.
    #[serde(rename = "jwt-header")]
    JwtHeader,
}

/// Where a rule or allowlist came from, for diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The rule file (`patterns/aws.toml` for built-in rules).
    pub file: String,
    /// 1-based line of the rule's `id`.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A per-rule or global allowlist entry, validated but not compiled.
#[derive(Clone, Debug)]
pub struct Allowlist {
    /// Why these values are not secrets.
    pub reason: String,
    /// Regexes tested against the secret.
    pub secrets: Vec<String>,
    /// Case-insensitive substrings of the secret.
    pub stopwords: Vec<String>,
    /// Path globs.
    pub paths: Vec<String>,
    /// Only for these rule ids (empty: every rule). Global entries only.
    pub rules: Vec<String>,
    /// Exact finding fingerprints.
    pub fingerprints: Vec<String>,
    /// Path regexes (from gitleaks configs).
    pub path_regexes: Vec<String>,
    /// Secrets this entry must suppress (global entries only).
    pub examples: Vec<String>,
    /// Where the entry was defined.
    pub origin: Origin,
}

/// A default path exclusion: files skipped without being read.
#[derive(Clone, Debug)]
pub struct Exclude {
    /// Why these files are skipped.
    pub reason: String,
    /// Gitignore-style globs.
    pub paths: Vec<String>,
    /// Paths this entry must match.
    pub examples: Vec<String>,
}

/// One validated detection rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable dotted id, the SARIF `ruleId`.
    pub id: String,
    /// Short display name.
    pub name: String,
    /// What the credential is.
    pub description: String,
    /// Impact of a leak.
    pub severity: Severity,
    /// Confidence of a match before checksum validation.
    pub confidence: Confidence,
    /// Lowercase prefilter literals.
    pub keywords: Vec<String>,
    /// Regex source; group `secret` or group 1 is the secret.
    pub regex: String,
    /// Minimum Shannon entropy of the secret in bits per byte.
    pub min_entropy: Option<f64>,
    /// Offline checksum validator.
    pub checksum: Option<Checksum>,
    /// Whether a match may extend far past the keyword's line.
    pub multiline: bool,
    /// Only report in paths matching one of these globs (empty: everywhere).
    pub paths: Vec<String>,
    /// Never report in paths matching these globs.
    pub exclude_paths: Vec<String>,
    /// Only report in paths matching this regex (from gitleaks configs).
    pub path_regex: Option<String>,
    /// Capture group of the secret, when not `secret` or 1 (gitleaks `secretGroup`).
    pub secret_group: Option<usize>,
    /// Documentation links.
    pub references: Vec<String>,
    /// How to revoke and rotate the credential.
    pub remediation: String,
    /// Inputs that must produce a finding of this rule.
    pub examples: Vec<String>,
    /// Inputs that must not produce a finding of this rule.
    pub negative_examples: Vec<String>,
    /// Per-rule allowlist entries.
    pub allowlist: Vec<Allowlist>,
    /// Where the rule was defined.
    pub origin: Origin,
}

impl Rule {
    /// Generic rules yield to a specific rule that matched the same bytes.
    pub fn is_generic(&self) -> bool {
        self.id.starts_with("generic.")
    }
}

/// The 1-based line of byte `offset` of `text` (clamped to its end): where a TOML parser's span
/// points, for messages that name `file:line`.
///
/// ```
/// assert_eq!(leakhound::rules::line_of("a\nb\nc", 2), 2);
/// assert_eq!(leakhound::rules::line_of("a\n", 99), 2);
/// ```
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}

/// A rule file that could not be loaded; the message names the file, the rule and the line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    /// The rule file.
    pub file: String,
    /// 1-based line number (0 when unknown).
    pub line: usize,
    /// What is wrong, naming the rule where there is one.
    pub message: String,
}
