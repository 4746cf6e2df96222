//! Compiled allowlist entries (built-in placeholders from `patterns/`, per-rule entries and the
//! user's config), path globs, and how often each entry fired in a run.

use super::Usage;
use crate::engine::compile_regex;
use crate::rules::Allowlist;
use aho_corasick::AhoCorasick;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Builds a set of gitignore-style globs: `*` stays within a path segment, `**` crosses them.
///
/// # Errors
/// An invalid glob (rule loading has already rejected those).
pub(crate) fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
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

/// [`glob_set`], or `None` for no globs.
pub(crate) fn opt_glob_set(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        Ok(None)
    } else {
        glob_set(globs).map(Some)
    }
}

/// One regex matching any of `patterns`, or `None` for none; errors name `origin`.
pub(crate) fn opt_regex(patterns: &[String], origin: &str) -> Result<Option<Regex>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
    compile_regex(&p).map(Some).map_err(|e| format!("{origin}: {e}"))
}

/// What a match looks like to an allowlist entry.
pub(crate) struct Candidate<'a> {
    /// Rule id.
    pub(crate) rule_id: &'a str,
    /// Report path (`None` for standard input).
    pub(crate) path: Option<&'a str>,
    /// The secret.
    pub(crate) secret: &'a [u8],
    /// The finding's fingerprint, computed only if some entry lists fingerprints.
    pub(crate) fingerprint: Option<&'a str>,
}

/// One compiled allowlist entry.
pub(crate) struct Entry {
    pub(crate) reason: String,
    pub(crate) origin: String,
    rules: Vec<String>,
    secrets: Option<Regex>,
    /// One automaton over the entry's stopwords (ASCII case-insensitive): a match is checked
    /// against all of them in one pass, however many there are.
    stopwords: Option<AhoCorasick>,
    paths: Option<GlobSet>,
    path_regexes: Option<Regex>,
    fingerprints: HashSet<String>,
    used: AtomicUsize,
}

impl Entry {
    /// Compiles `a`.
    ///
    /// # Errors
    /// A regex or glob that does not compile; the message starts with where `a` is defined.
    pub(crate) fn new(a: &Allowlist) -> Result<Entry, String> {
        let origin = a.origin.to_string();
        let in_entry = |e: String| format!("{origin}: allowlist `{}`: {e}", a.reason);
        Ok(Entry {
            reason: a.reason.clone(),
            rules: a.rules.clone(),
            secrets: opt_regex(&a.secrets, "secrets").map_err(in_entry)?,
            stopwords: if a.stopwords.is_empty() {
                None
            } else {
                let built = AhoCorasick::builder().ascii_case_insensitive(true).build(&a.stopwords);
                Some(built.map_err(|e| in_entry(format!("stopwords: {e}")))?)
            },
            paths: opt_glob_set(&a.paths).map_err(in_entry)?,
            path_regexes: opt_regex(&a.path_regexes, "paths").map_err(in_entry)?,
            fingerprints: a.fingerprints.iter().cloned().collect(),
            origin,
            used: AtomicUsize::new(0),
        })
    }

    /// An entry suppresses when its rule list (if any) names the rule, its path tests (if any)
    /// match, and its secret tests (if any: regexes, stopwords, fingerprints) match. A match
    /// is counted.
    pub(crate) fn suppresses(&self, c: &Candidate<'_>) -> bool {
        let hit = self.matches(c);
        if hit {
            self.used.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// [`Entry::suppresses`] without counting.
    pub(crate) fn matches(&self, c: &Candidate<'_>) -> bool {
        if !self.rules.is_empty() && !self.rules.iter().any(|r| r == c.rule_id) {
            return false;
        }
        if self.paths.is_some() || self.path_regexes.is_some() {
            let Some(p) = c.path else { return false };
            let by_glob = self.paths.as_ref().is_some_and(|g| g.is_match(p));
            let by_regex = self.path_regexes.as_ref().is_some_and(|r| r.is_match(p));
            if !by_glob && !by_regex {
                return false;
            }
        }
        if self.secrets.is_none() && self.stopwords.is_none() && self.fingerprints.is_empty() {
            return true;
        }
        self.secrets.as_ref().is_some_and(|r| r.is_match(c.secret))
            || self.stopwords.as_ref().is_some_and(|w| w.is_match(c.secret))
            || c.fingerprint.is_some_and(|f| self.fingerprints.contains(f))
    }

    /// The entry and how often it fired.
    pub(crate) fn usage(&self) -> Usage {
        Usage {
            origin: self.origin.clone(),
            reason: self.reason.clone(),
            count: self.used.load(Ordering::Relaxed),
        }
    }

    /// Whether the entry suppresses every match of the rules it applies to, whatever the
    /// secret and the path (`secrets = [".*"]`, `paths = ["**"]`): such an entry hides
    /// everything, today and tomorrow, and deserves a warning. Judged on sample secrets and
    /// paths of every shape.
    pub(crate) fn matches_everything(&self) -> bool {
        const SECRETS: [&[u8]; 4] = [
            b"x",
            b"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",
            b"AKIA1234567890ABCDEF",
            b"p@ss word!\"'",
        ];
        const PATHS: [&str; 4] = ["a", "src/main.rs", ".env", "deep/er/than/x.txt"];
        let paths_all = self.paths.as_ref().is_none_or(|g| PATHS.iter().all(|p| g.is_match(p)))
            && self.path_regexes.as_ref().is_none_or(|r| PATHS.iter().all(|p| r.is_match(p)));
        let has_secret_tests =
            self.secrets.is_some() || self.stopwords.is_some() || !self.fingerprints.is_empty();
        let secrets_all =
            self.secrets.as_ref().is_some_and(|r| SECRETS.iter().all(|s| r.is_match(s)))
                || self.stopwords.as_ref().is_some_and(|w| SECRETS.iter().all(|s| w.is_match(s)));
        paths_all && (!has_secret_tests || secrets_all)
    }

    /// Whether the entry applies to every rule (not only to some).
    pub(crate) fn for_every_rule(&self) -> bool {
        self.rules.is_empty()
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
