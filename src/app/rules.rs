//! `rules list` and `rules check`.

use super::EXIT_CLEAN;
use crate::cli::ListFormat;
use crate::config;
use crate::rules::{self, RuleSet};
use anyhow::{Context, Result};
use std::io::{self, Write};
use std::path::PathBuf;

/// Lists the rules in effect (built-in plus `config` files).
pub(super) fn list(config: &[PathBuf], format: ListFormat) -> Result<u8> {
    let (set, _) = config::load(config, None, true)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ListFormat::Human => {
            for r in &set.rules {
                writeln!(out, "{:<40} {:<9} {}", r.id, r.severity.as_str(), r.name)?;
            }
        }
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = set
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "name": r.name, "description": r.description,
                        "severity": r.severity, "confidence": r.confidence,
                        "keywords": r.keywords, "references": r.references,
                        "source": r.origin.to_string(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// Runs the examples of the built-in rules, or of `files` (with the built-in allowlists).
pub(super) fn check(files: &[PathBuf]) -> Result<u8> {
    let builtin = rules::load_builtin().context("built-in rules are broken")?;
    let set = if files.is_empty() {
        builtin
    } else {
        let mut set = RuleSet { allowlist: builtin.allowlist, ..RuleSet::default() };
        for f in files {
            set.merge(rules::load_file(f)?);
        }
        set
    };
    let problems = crate::check::check(&set)?;
    let mut err = io::stderr().lock();
    for p in &problems {
        writeln!(err, "{p}")?;
    }
    let examples: usize =
        set.rules.iter().map(|r| r.examples.len() + r.negative_examples.len()).sum();
    writeln!(
        err,
        "leakhound: checked {} rules, {examples} examples: {} problem{}",
        set.rules.len(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    Ok(if problems.is_empty() { EXIT_CLEAN } else { 1 })
}
