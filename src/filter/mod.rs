//! Keeps or suppresses each verified match: per-rule path scopes, per-rule allowlists and the
//! global allowlist (documentation placeholders and the like, data from `patterns/`).
//!
//! Every entry that fires is counted, so a run can report which suppressions were used.
//! This module never changes a match span, reads files or prints.

pub mod added;

use crate::engine::compile_regex;
use crate::rules::{Allowlist, Rule};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Builds a set of gitignore-style globs: `*` stays within a path segment, `**` crosses them.
///
/// # Errors
/// An invalid glob (rule loading has already rejected those).
pub fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        // A glob without a slash matches the file name at any depth, as in .gitignore.
        let g = if g.contains('/') { g.clone() } else { format!("**/{g}") };
        b.add(
            GlobBuilder::new(&g)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid glob `{g}`: {e}"))?,
        );
    }
    b.build().map_err(|e| e.to_string())
}

struct Entry {
    reason: String,
    origin: String,
    secrets: Option<Regex>,
    stopwords: Vec<String>,
    paths: Option<GlobSet>,
    used: AtomicUsize,
}

impl Entry {
    fn new(a: &Allowlist) -> Result<Entry, String> {
        let secrets = if a.secrets.is_empty() {
            None
        } else {
            let patterns: Vec<&str> = a.secrets.iter().map(String::as_str).collect();
            Some(compile_regex(&patterns).map_err(|e| format!("{}: {e}", a.origin))?)
        };
        let paths = if a.paths.is_empty() { None } else { Some(glob_set(&a.paths)?) };
        Ok(Entry {
            reason: a.reason.clone(),
            origin: a.origin.to_string(),
            secrets,
            stopwords: a.stopwords.clone(),
            paths,
            used: AtomicUsize::new(0),
        })
    }

    /// An entry suppresses when its paths (if any) match and its secret tests (if any) match.
    fn suppresses(&self, path: Option<&str>, secret: &[u8], lower: &[u8]) -> bool {
        if let Some(paths) = &self.paths {
            match path {
                Some(p) if paths.is_match(p) => {}
                _ => return false,
            }
        }
        if self.secrets.is_none() && self.stopwords.is_empty() {
            return true;
        }
        self.secrets.as_ref().is_some_and(|r| r.is_match(secret))
            || self.stopwords.iter().any(|w| memchr::memmem::find(lower, w.as_bytes()).is_some())
    }
}

/// Why a match was not reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// The path is outside the rule's `paths` or inside its `exclude_paths`.
    PathScope,
    /// An allowlist entry matched.
    Allowlist {
        /// The entry's reason.
        reason: String,
        /// Where the entry is defined.
        origin: String,
    },
}

/// Compiled per-rule scopes and allowlists, shared read-only across workers. Allowlist entries
/// are compiled on first use of their rule: most rules never match in a given scan.
pub struct Filter {
    global: Vec<Entry>,
    sources: Vec<Vec<Allowlist>>,
    per_rule: Vec<OnceLock<Vec<Entry>>>,
    include: Vec<Option<GlobSet>>,
    exclude: Vec<Option<GlobSet>>,
}

impl Filter {
    /// Compiles the scopes of `rules` and the `global` allowlist; with `eager`, also every
    /// per-rule allowlist, so that an error surfaces now.
    ///
    /// # Errors
    /// An allowlist regex or glob that does not compile; the message names where it is defined.
    pub fn new(rules: &[Rule], global: &[Allowlist], eager: bool) -> Result<Filter, String> {
        let opt_set = |g: &[String]| if g.is_empty() { Ok(None) } else { glob_set(g).map(Some) };
        let filter = Filter {
            global: global.iter().map(Entry::new).collect::<Result<_, _>>()?,
            sources: rules.iter().map(|r| r.allowlist.clone()).collect(),
            per_rule: rules.iter().map(|_| OnceLock::new()).collect(),
            include: rules.iter().map(|r| opt_set(&r.paths)).collect::<Result<_, _>>()?,
            exclude: rules.iter().map(|r| opt_set(&r.exclude_paths)).collect::<Result<_, _>>()?,
        };
        if eager {
            for (i, src) in filter.sources.iter().enumerate() {
                let entries = src.iter().map(Entry::new).collect::<Result<Vec<_>, _>>()?;
                let _ = filter.per_rule[i].set(entries);
            }
        }
        Ok(filter)
    }

    fn rule_entries(&self, rule: usize) -> &[Entry] {
        self.per_rule[rule].get_or_init(|| {
            // Rule loading parsed these regexes and globs (and the test suite compiles every
            // built-in one eagerly), so an entry that fails here is skipped, not fatal.
            self.sources[rule].iter().filter_map(|a| Entry::new(a).ok()).collect()
        })
    }

    /// Decides whether the match of rule `rule` with `secret` at `path` is reported.
    /// `path` is relative to the scan root with `/` separators, or `None` for standard input.
    pub fn check(&self, rule: usize, path: Option<&str>, secret: &[u8]) -> Option<Suppression> {
        if let Some(p) = path {
            if self.include[rule].as_ref().is_some_and(|g| !g.is_match(p))
                || self.exclude[rule].as_ref().is_some_and(|g| g.is_match(p))
            {
                return Some(Suppression::PathScope);
            }
        } else if self.include[rule].is_some() {
            return Some(Suppression::PathScope);
        }
        let lower = secret.to_ascii_lowercase();
        for e in self.rule_entries(rule).iter().chain(&self.global) {
            if e.suppresses(path, secret, &lower) {
                e.used.fetch_add(1, Ordering::Relaxed);
                return Some(Suppression::Allowlist {
                    reason: e.reason.clone(),
                    origin: e.origin.clone(),
                });
            }
        }
        None
    }

    /// Whether the global allowlist suppresses `secret` (for checking its examples).
    pub fn global_suppresses(&self, secret: &[u8]) -> bool {
        let lower = secret.to_ascii_lowercase();
        self.global.iter().any(|e| e.suppresses(None, secret, &lower))
    }

    /// Allowlist entries and how often each fired in this run: `(origin, reason, count)`.
    pub fn usage(&self) -> Vec<(String, String, usize)> {
        self.per_rule
            .iter()
            .filter_map(OnceLock::get)
            .flatten()
            .chain(&self.global)
            .map(|e| (e.origin.clone(), e.reason.clone(), e.used.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_name_globs_match_at_any_depth() {
        let g = glob_set(&["package-lock.json".into(), "**/node_modules/**".into()]).unwrap();
        assert!(g.is_match("package-lock.json"));
        assert!(g.is_match("a/b/package-lock.json"));
        assert!(g.is_match("web/node_modules/x/index.js"));
        assert!(!g.is_match("src/package-lock.json.rs"));
    }
}
