//! Keeps or suppresses each verified match: path scopes (per rule and for the whole scan),
//! inline `leakhound:allow` markers, per-rule allowlists and the global allowlist (documentation
//! placeholders from `patterns/`, plus the user's config), and baselines of accepted findings.
//!
//! Every entry that fires is counted, so a run can report suppressions that matched nothing.
//! This module never changes a match span, reads files or prints.

pub mod added;
pub mod baseline;
pub mod gitleaksignore;
pub mod inline;

use crate::engine::compile_regex;
use crate::rules::{Allowlist, Rule};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;
use std::collections::HashSet;
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

fn opt_glob_set(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        Ok(None)
    } else {
        glob_set(globs).map(Some)
    }
}

fn opt_regex(patterns: &[String], origin: &str) -> Result<Option<Regex>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
    compile_regex(&p).map(Some).map_err(|e| format!("{origin}: {e}"))
}

struct Entry {
    reason: String,
    origin: String,
    rules: Vec<String>,
    secrets: Option<Regex>,
    stopwords: Vec<String>,
    paths: Option<GlobSet>,
    path_regexes: Option<Regex>,
    fingerprints: HashSet<String>,
    used: AtomicUsize,
}

/// What a match looks like to the allowlists.
pub struct Candidate<'a> {
    /// Rule id.
    pub rule_id: &'a str,
    /// Report path (`None` for standard input).
    pub path: Option<&'a str>,
    /// The secret.
    pub secret: &'a [u8],
    /// The finding's fingerprint, computed only if some entry lists fingerprints.
    pub fingerprint: Option<&'a str>,
}

impl Entry {
    fn new(a: &Allowlist) -> Result<Entry, String> {
        let origin = a.origin.to_string();
        Ok(Entry {
            reason: a.reason.clone(),
            rules: a.rules.clone(),
            secrets: opt_regex(&a.secrets, &origin)?,
            stopwords: a.stopwords.clone(),
            paths: opt_glob_set(&a.paths)?,
            path_regexes: opt_regex(&a.path_regexes, &origin)?,
            fingerprints: a.fingerprints.iter().cloned().collect(),
            origin,
            used: AtomicUsize::new(0),
        })
    }

    /// An entry suppresses when its rule list (if any) names the rule, its path tests (if any)
    /// match, and its secret tests (if any: regexes, stopwords, fingerprints) match.
    fn suppresses(&self, c: &Candidate<'_>, lower: &[u8]) -> bool {
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
        if self.secrets.is_none() && self.stopwords.is_empty() && self.fingerprints.is_empty() {
            return true;
        }
        self.secrets.as_ref().is_some_and(|r| r.is_match(c.secret))
            || self.stopwords.iter().any(|w| memchr::memmem::find(lower, w.as_bytes()).is_some())
            || c.fingerprint.is_some_and(|f| self.fingerprints.contains(f))
    }
}

/// Why a match was not reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// The path is outside the rule's or the scan's path scope.
    PathScope,
    /// An allowlist entry matched.
    Allowlist {
        /// The entry's reason.
        reason: String,
        /// Where the entry is defined.
        origin: String,
    },
    /// An inline marker on the secret's line.
    Inline {
        /// The marker found.
        marker: String,
    },
    /// A baseline lists the finding.
    Baseline {
        /// The baseline entry's reason.
        reason: String,
    },
}

/// An allowlist or baseline entry and how often it fired in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Where it is defined (`file:line`).
    pub origin: String,
    /// Its reason.
    pub reason: String,
    /// Matches it suppressed.
    pub count: usize,
}

/// Compiled scopes and allowlists, shared read-only across workers. Per-rule entries are
/// compiled on first use of their rule: most rules never match in a given scan.
pub struct Filter {
    rule_ids: Vec<String>,
    global: Vec<Entry>,
    sources: Vec<Vec<Allowlist>>,
    per_rule: Vec<OnceLock<Vec<Entry>>>,
    include: Vec<Option<GlobSet>>,
    exclude: Vec<Option<GlobSet>>,
    path_regex: Vec<Option<Regex>>,
    scope_include: Option<GlobSet>,
    scope_exclude: Option<GlobSet>,
    inline: bool,
    wants_fingerprints: bool,
}

/// How a [`Filter`] is built.
#[derive(Clone, Debug, Default)]
pub struct FilterOptions {
    /// Compile every per-rule allowlist now, so that errors surface at once.
    pub eager: bool,
    /// Honour inline markers (`--no-inline-allow` turns this off).
    pub inline: bool,
    /// Only report in paths matching these globs (empty: everywhere).
    pub include_paths: Vec<String>,
    /// Never report in paths matching these globs.
    pub exclude_paths: Vec<String>,
}

impl Filter {
    /// Compiles the scopes of `rules` and the `global` allowlist.
    ///
    /// # Errors
    /// An allowlist regex or glob that does not compile; the message names where it is defined.
    pub fn new(
        rules: &[Rule],
        global: &[Allowlist],
        opts: &FilterOptions,
    ) -> Result<Filter, String> {
        let filter = Filter {
            rule_ids: rules.iter().map(|r| r.id.clone()).collect(),
            global: global.iter().map(Entry::new).collect::<Result<_, _>>()?,
            sources: rules.iter().map(|r| r.allowlist.clone()).collect(),
            per_rule: rules.iter().map(|_| OnceLock::new()).collect(),
            include: rules.iter().map(|r| opt_glob_set(&r.paths)).collect::<Result<_, _>>()?,
            exclude: rules
                .iter()
                .map(|r| opt_glob_set(&r.exclude_paths))
                .collect::<Result<_, _>>()?,
            path_regex: rules
                .iter()
                .map(|r| opt_regex(r.path_regex.as_slice(), &r.origin.to_string()))
                .collect::<Result<_, _>>()?,
            scope_include: opt_glob_set(&opts.include_paths)?,
            scope_exclude: opt_glob_set(&opts.exclude_paths)?,
            inline: opts.inline,
            wants_fingerprints: global
                .iter()
                .chain(rules.iter().flat_map(|r| &r.allowlist))
                .any(|a| !a.fingerprints.is_empty()),
        };
        if opts.eager {
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

    /// Whether some allowlist entry matches on fingerprints (so callers compute them).
    pub fn wants_fingerprints(&self) -> bool {
        self.wants_fingerprints
    }

    /// Decides whether the match of rule `rule` is reported. `line` is the text of the line the
    /// secret starts on, for inline markers. `fingerprint` is needed only when
    /// [`Filter::wants_fingerprints`].
    pub fn check(
        &self,
        rule: usize,
        path: Option<&str>,
        secret: &[u8],
        line: &[u8],
        fingerprint: Option<&str>,
    ) -> Option<Suppression> {
        if let Some(p) = path {
            if self.include[rule].as_ref().is_some_and(|g| !g.is_match(p))
                || self.exclude[rule].as_ref().is_some_and(|g| g.is_match(p))
                || self.path_regex[rule].as_ref().is_some_and(|r| !r.is_match(p))
                || self.scope_include.as_ref().is_some_and(|g| !g.is_match(p))
                || self.scope_exclude.as_ref().is_some_and(|g| g.is_match(p))
            {
                return Some(Suppression::PathScope);
            }
        } else if self.include[rule].is_some() || self.path_regex[rule].is_some() {
            return Some(Suppression::PathScope);
        }
        let rule_id = &self.rule_ids[rule];
        if self.inline {
            if let Some(marker) = inline::marker(line, rule_id) {
                return Some(Suppression::Inline { marker: marker.to_string() });
            }
        }
        let lower = secret.to_ascii_lowercase();
        let c = Candidate { rule_id, path, secret, fingerprint };
        for e in self.rule_entries(rule).iter().chain(&self.global) {
            if e.suppresses(&c, &lower) {
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
        let c = Candidate { rule_id: "", path: None, secret, fingerprint: None };
        self.global.iter().any(|e| e.rules.is_empty() && e.suppresses(&c, &lower))
    }

    /// Every allowlist entry (compiled or not) and how often it fired in this run.
    pub fn usage(&self) -> Vec<Usage> {
        let mut out = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            match self.per_rule[i].get() {
                Some(entries) => out.extend(entries.iter().map(|e| Usage {
                    origin: e.origin.clone(),
                    reason: e.reason.clone(),
                    count: e.used.load(Ordering::Relaxed),
                })),
                None => out.extend(src.iter().map(|a| Usage {
                    origin: a.origin.to_string(),
                    reason: a.reason.clone(),
                    count: 0,
                })),
            }
        }
        out.extend(self.global.iter().map(|e| Usage {
            origin: e.origin.clone(),
            reason: e.reason.clone(),
            count: e.used.load(Ordering::Relaxed),
        }));
        out
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
