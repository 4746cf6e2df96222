//! Serde types mirroring the TOML of `patterns/*.toml`, before validation.

use super::{Checksum, Confidence, Severity};
use serde::Deserialize;
use toml::Spanned;

/// One rule file: rules, global allowlist entries and default path exclusions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSyntax {
    #[serde(default)]
    pub(crate) rule: Vec<RuleSyntax>,
    #[serde(default)]
    pub(crate) allowlist: Vec<Spanned<AllowlistSyntax>>,
    #[serde(default)]
    pub(crate) exclude: Vec<Spanned<ExcludeSyntax>>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub(crate) disable: Vec<Spanned<String>>,
    /// Per-rule changes, by rule id.
    #[serde(default, rename = "override")]
    pub(crate) overrides: std::collections::BTreeMap<String, Spanned<OverrideSyntax>>,
    /// Path scope of the whole scan.
    pub(crate) paths: Option<PathsSyntax>,
    /// How fingerprints are computed.
    pub(crate) fingerprint: Option<FingerprintSyntax>,
}

/// `[override."rule-id"]`: a built-in rule adjusted without copying it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OverrideSyntax {
    pub severity: Option<Severity>,
    pub min_entropy: Option<f64>,
}

/// `[paths]`: what the scan covers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub(crate) struct PathsSyntax {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[fingerprint]`: keyed fingerprints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub(crate) struct FingerprintSyntax {
    /// Environment variable holding the HMAC key.
    pub key_env: Option<String>,
}

/// A `[[rule]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RuleSyntax {
    pub id: Spanned<String>,
    pub name: String,
    pub description: String,
    pub severity: Severity,
    #[serde(default)]
    pub confidence: Confidence,
    pub keywords: Vec<String>,
    pub regex: Spanned<String>,
    pub min_entropy: Option<f64>,
    pub checksum: Option<Checksum>,
    #[serde(default)]
    pub multiline: bool,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub allowlist: Vec<Spanned<AllowlistSyntax>>,
}

/// An `[[allowlist]]` or `[[rule.allowlist]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AllowlistSyntax {
    pub reason: Option<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub fingerprints: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// An `[[exclude]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExcludeSyntax {
    pub reason: Option<String>,
    pub paths: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}
