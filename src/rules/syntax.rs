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
