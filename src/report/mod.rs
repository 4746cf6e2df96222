//! Serializes sorted findings plus run metadata: human, JSON, JSON Lines, SARIF, and the
//! formats other CI systems read (GitHub workflow commands, Markdown, JUnit XML, CSV, GitLab's
//! Secret Detection report). This is the only module that writes reports; it never filters,
//! dedupes or decides exit codes.

mod csv;
mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;
mod summary;

pub(crate) use summary::summary;

use crate::detect::Stats;
use crate::finding::Finding;
use crate::rules::Rule;
use anyhow::Context;
use std::io::{self, Write};
use std::path::Path;

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable blocks, colored on a terminal.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// A Markdown table, for `$GITHUB_STEP_SUMMARY` or a merge-request comment.
    Markdown,
    /// JUnit XML test report (GitLab, Jenkins, Azure Pipelines): a failing test per finding.
    Junit,
    /// CSV, one row per finding.
    Csv,
    /// GitLab Secret Detection report (`artifacts:reports:secret_detection`).
    Gitlab,
}

/// Everything a report needs.
pub(crate) struct Report<'a> {
    /// Findings, sorted with [`sort`].
    pub(crate) findings: &'a [Finding],
    /// Rules in effect (for SARIF rule metadata).
    pub(crate) rules: &'a [Rule],
    /// Run counts.
    pub(crate) stats: &'a Stats,
    /// What the run could not scan or wants the user to know, sorted.
    pub(crate) diagnostics: &'a [crate::diag::Diagnostic],
    /// Use ANSI colors (human format only).
    pub(crate) color: bool,
    /// How long the run took (GitLab's report gives its start and end).
    pub(crate) elapsed: std::time::Duration,
    /// What kind of scan this was (`scan`, `staged`, `range`, `history`): SARIF's
    /// `automationDetails.id`, which GitHub uses as the analysis category.
    pub(crate) category: &'a str,
    /// The repository a git scan read: remote, commit, branch.
    pub(crate) checkout: Option<&'a crate::provenance::Checkout>,
}

/// Rules by id, for the formats that show a finding's fix next to it.
fn rule_index(rules: &[Rule]) -> std::collections::HashMap<&str, &Rule> {
    rules.iter().map(|r| (r.id.as_str(), r)).collect()
}

/// Sorts findings by path, line, column and rule: the same output whatever the thread count.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Writes `report` in `format` to `out`.
///
/// # Errors
/// Writing fails.
pub(crate) fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Jsonl => json::write_lines(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Markdown => markdown::write(report, out),
        Format::Junit => junit::write(report, out),
        Format::Csv => csv::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
    }
}

/// Writes `report` in `format` to the file `output`, or to standard output.
///
/// # Errors
/// The file cannot be created or written, or standard output is closed.
pub(crate) fn write_to(
    format: Format,
    report: &Report<'_>,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    match output {
        // Replaces whatever is at `path`, a symlink included, instead of writing through it.
        Some(path) => crate::files::write_replacing(path, |w| write(format, report, w))
            .with_context(|| format!("cannot write report file {}", path.display())),
        None => {
            let mut w = io::BufWriter::new(io::stdout().lock());
            Ok(write(format, report, &mut w).and_then(|()| w.flush())?)
        }
    }
}
