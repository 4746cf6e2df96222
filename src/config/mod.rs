//! Finding and reading the user's configuration: the nearest `leakhound.toml` or
//! `.leakhound.toml` (up to the repository root), files given with `--config`, and gitleaks
//! configs, which are translated. Hands validated rule sets to the caller. It compiles each user
//! rule's regex once, only to reject a broken one with its file and line before any scan (the
//! engine compiles the rules it runs itself).

pub(crate) mod gitleaks;

use crate::files::{self, Trust};
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
    let in_repo = start.ancestors().any(files::is_repo_root);
    for dir in start.ancestors() {
        for name in names {
            // Anything by that name counts, a symlink included: reading it refuses a link, so
            // a committed link is an error rather than a config silently looked for elsewhere.
            let candidate = dir.join(name);
            if std::fs::symlink_metadata(&candidate).is_ok_and(|m| !m.is_dir()) {
                return Some(candidate);
            }
        }
        if !in_repo || files::is_repo_root(dir) {
            return None;
        }
    }
    None
}

/// A configuration file's text and how to name it in messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigText {
    /// The file, as messages name it (`leakhound.toml`, or `leakhound.toml at 1a2b3c4`).
    pub(crate) label: String,
    /// Its contents.
    pub(crate) text: String,
}

/// Reads the configuration files: `files` if any, else the file discovered from
/// `discover_from` (unless `no_config`). A file the user named may be a symlink; one found next
/// to the scanned content may not (the scanned content is not trusted).
///
/// # Errors
/// A file cannot be read; the message names it.
pub(crate) fn read(
    files: &[PathBuf],
    discover_from: Option<&Path>,
    no_config: bool,
) -> Result<Vec<ConfigText>> {
    let discovered;
    let discovered_only = files.is_empty() && !no_config;
    let files: &[PathBuf] = if !discovered_only {
        files
    } else {
        discovered = discover_from.and_then(discover).into_iter().collect::<Vec<_>>();
        &discovered
    };
    let links = if discovered_only { Trust::Content } else { Trust::User };
    files
        .iter()
        .map(|path| {
            let text = files::read_text(path, links, files::CONFIG_LIMIT)
                .map_err(|e| anyhow::anyhow!("{}: cannot read config file: {e}", path.display()))?;
            let label = if discovered_only { shown(path) } else { path.display().to_string() };
            Ok(ConfigText { label, text })
        })
        .collect()
}

/// How a discovered configuration file is named in reports: relative to the current directory,
/// or else to its repository's root, never as the absolute path it was found at (a SARIF report
/// uploaded from CI would otherwise carry the runner's directories in every justification).
fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().ok().and_then(|d| std::fs::canonicalize(d).ok());
    if let Some(rel) = cwd.as_deref().and_then(|d| path.strip_prefix(d).ok()) {
        return rel.display().to_string();
    }
    let root = path.ancestors().skip(1).find(|d| files::is_repo_root(d));
    match root.and_then(|r| path.strip_prefix(r).ok()) {
        Some(rel) => rel.display().to_string(),
        None => path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
    }
}

/// Loads the built-in rules plus the configuration: `files` if any, else the file discovered
/// from `discover_from` (unless `no_config`). See [`load_texts`].
///
/// # Errors
/// A file cannot be read or is invalid; the message names the file and line.
pub(crate) fn load(
    files: &[PathBuf],
    discover_from: Option<&Path>,
    no_config: bool,
) -> Result<(RuleSet, Vec<String>)> {
    load_texts(&read(files, discover_from, no_config)?)
}

/// Loads the built-in rules plus configuration `texts` (leakhound or gitleaks format), and
/// applies their `disable` and `override` entries. Returns the set and notes to show
/// (untranslatable parts of a gitleaks config).
///
/// # Errors
/// A text is invalid; the message names the file and line.
pub(crate) fn load_texts(texts: &[ConfigText]) -> Result<(RuleSet, Vec<String>)> {
    load_texts_over(rules::load_builtin().context("built-in rules are broken")?, texts)
}

/// [`load_texts`] over the built-in rules already loaded as `set`.
pub(crate) fn load_texts_over(
    mut set: RuleSet,
    texts: &[ConfigText],
) -> Result<(RuleSet, Vec<String>)> {
    let mut notes = Vec::new();
    for ConfigText { label: file, text } in texts {
        let user = if gitleaks::is_gitleaks(text) {
            let (user, untranslated) = gitleaks::translate(file, text)?;
            notes.extend(untranslated);
            if !user.keep_builtin {
                set.rules.retain(|r| !r.origin.file.starts_with("patterns/"));
            }
            user.set
        } else {
            rules::load_str(file, text)?
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
