//! Finding and reading the user's configuration: the nearest `leakhound.toml` or
//! `.leakhound.toml` (up to the repository root), files given with `--config`, and gitleaks
//! configs, which are translated. Hands validated rule sets to the caller. It compiles each user
//! rule's regex once, only to reject a broken one with its file and line before any scan (the
//! engine compiles the rules it runs itself).

pub(crate) mod gitleaks;

use crate::rules::{self, RuleSet};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Config file names looked for, in order.
pub(crate) const NAMES: [&str; 2] = ["leakhound.toml", ".leakhound.toml"];

/// The nearest config file at or above `start`, stopping at the repository root (a directory
/// holding `.git`) or the file system root.
pub(crate) fn discover(start: &Path) -> Option<PathBuf> {
    discover_named(start, &NAMES)
}

/// The nearest file called one of `names` at or above `start`, up to the repository root (a
/// directory holding `.git`). Outside a repository only `start` itself is looked at: a config
/// in some parent directory (`/tmp`, a home directory) is nothing the scanned tree asked for.
pub(crate) fn discover_named(start: &Path, names: &[&str]) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let start = if start.is_dir() { start } else { start.parent()?.to_path_buf() };
    let in_repo = start.ancestors().any(|d| d.join(".git").exists());
    for dir in start.ancestors() {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if !in_repo || dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Loads the built-in rules plus the configuration: `files` if any, else the file discovered
/// from `discover_from` (unless `no_config`). Applies `disable` and `override` entries.
/// Returns the set and notes to show (untranslatable parts of a gitleaks config).
///
/// # Errors
/// A file cannot be read or is invalid; the message names the file and line.
pub(crate) fn load(
    files: &[PathBuf],
    discover_from: Option<&Path>,
    no_config: bool,
) -> Result<(RuleSet, Vec<String>)> {
    let mut set = rules::load_builtin().context("built-in rules are broken")?;
    let mut notes = Vec::new();
    let discovered;
    let files: &[PathBuf] = if !files.is_empty() || no_config {
        files
    } else {
        discovered = discover_from.and_then(discover).into_iter().collect::<Vec<_>>();
        &discovered
    };
    for path in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read config file", path.display()))?;
        let file = path.display().to_string();
        let user = if gitleaks::is_gitleaks(&text) {
            let (user, untranslated) = gitleaks::translate(&file, &text)?;
            notes.extend(untranslated);
            if !user.keep_builtin {
                set.rules.retain(|r| !r.origin.file.starts_with("patterns/"));
            }
            user.set
        } else {
            rules::load_str(&file, &text)?
        };
        for r in &user.rules {
            crate::engine::compile_regex(&[&r.regex]).map_err(|e| {
                anyhow::anyhow!("{}: rule `{}`: cannot compile regex: {e}", r.origin, r.id)
            })?;
        }
        set.merge(user);
    }
    set.apply_changes()?;
    rules::check_unique_ids(&set.rules)?;
    Ok((set, notes))
}
