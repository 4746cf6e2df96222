//! Serializes sorted findings plus run metadata: human, JSON, JSON Lines and SARIF. This is the
//! only module that writes reports; it never filters, dedupes or decides exit codes.

mod human;
mod json;
pub mod sarif;

use crate::finding::Finding;
use crate::rules::Rule;
use serde::Serialize;
use std::io::{self, Write};

pub use crate::cli::Format;

/// Counts describing a run, shown in summaries and the JSON report.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Files (or inputs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Files skipped because they look binary.
    pub skipped_binary: u64,
    /// Files skipped for exceeding `--max-file-size`.
    pub skipped_too_large: u64,
    /// Paths pruned by the default exclusions.
    pub skipped_excluded: u64,
    /// FIFOs, sockets and devices skipped.
    pub skipped_special: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Matches dropped by allowlists and path scopes.
    pub suppressed: u64,
}

/// Everything a report needs.
pub struct Report<'a> {
    /// Findings, sorted with [`sort`].
    pub findings: &'a [Finding],
    /// Rules in effect (for SARIF rule metadata).
    pub rules: &'a [Rule],
    /// Run counts.
    pub stats: &'a Stats,
    /// Use ANSI colors (human format only).
    pub color: bool,
    /// The directory relative paths are relative to (the repository's work tree); the current
    /// directory when `None`. SARIF's `%SRCROOT%`.
    pub srcroot: Option<&'a std::path::Path>,
}

/// Sorts findings by path, line, column and rule: the same output whatever the thread count.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Writes `report` in `format` to `out`.
///
/// # Errors
/// Writing fails.
pub fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Jsonl => json::write_lines(report, out),
        Format::Sarif => sarif::write(report, out),
    }
}
