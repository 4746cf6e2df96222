//! The suppression stage: decides, for each verified match, whether it is reported. In order:
//! path scopes (per rule, and the config's `[paths]`), inline markers (`leakhound:allow`),
//! allowlists (built-in placeholders from `patterns/`, per-rule entries, the user's config),
//! baselines of accepted findings, and a `.gitleaksignore`. Each suppression has a typed kind
//! ([`SuppressionKind`]) and a justification.
//!
//! Every entry that fires is counted, so a run can report suppressions that matched nothing.
//! This module never changes a match span, reads scanned files or prints.

pub(crate) mod allowlist;
pub(crate) mod baseline;
pub(crate) mod gitleaksignore;
pub(crate) mod inline;

pub(crate) use allowlist::glob_set;

use crate::finding::{Finding, Suppressed, SuppressionKind};
use crate::rules::{Allowlist, Rule};
use allowlist::{opt_glob_set, opt_regex, Candidate, Entry};
use baseline::Baseline;
use gitleaksignore::GitleaksIgnore;
use globset::GlobSet;
use regex_automata::meta::Regex;
use std::sync::OnceLock;

/// An allowlist or baseline entry and how often it fired in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    /// Where it is defined (`file:line`).
    pub(crate) origin: String,
    /// Its reason.
    pub(crate) reason: String,
    /// Matches it suppressed.
    pub(crate) count: usize,
}

/// How a [`Suppressor`] is built.
#[derive(Default)]
pub(crate) struct SuppressOptions {
    /// Compile every allowlist now, built-in ones too, so that errors surface at once (user
    /// entries are always compiled at once).
    pub(crate) eager: bool,
    /// Honour inline markers (`--no-inline-allow` turns this off).
    pub(crate) inline: bool,
    /// Only report in paths matching these globs (empty: everywhere).
    pub(crate) include_paths: Vec<String>,
    /// Never report in paths matching these globs.
    pub(crate) exclude_paths: Vec<String>,
    /// Accepted findings (`--baseline`).
    pub(crate) baseline: Option<Baseline>,
    /// A `.gitleaksignore` found next to the scanned tree.
    pub(crate) gitleaks_ignore: Option<GitleaksIgnore>,
}

/// Where a rule reports: its own globs and path regex, within the scan's scope.
struct Scope {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    path_regex: Option<Regex>,
}

/// Compiled scopes, allowlists, baseline and `.gitleaksignore`, shared read-only across
/// workers. Allowlists of built-in rules are compiled on first use of their rule: most rules
/// never match in a given scan.
pub(crate) struct Suppressor {
    rule_ids: Vec<String>,
    scopes: Vec<Scope>,
    scope_include: Option<GlobSet>,
    scope_exclude: Option<GlobSet>,
    global: Vec<Entry>,
    sources: Vec<Vec<Allowlist>>,
    per_rule: Vec<OnceLock<Vec<Entry>>>,
    inline: bool,
    wants_fingerprints: bool,
    baseline: Option<Baseline>,
    gitleaks_ignore: Option<GitleaksIgnore>,
}

fn is_builtin(a: &Allowlist) -> bool {
    a.origin.file.starts_with("patterns/")
}

impl Suppressor {
    /// Compiles the scopes of `rules`, their allowlists and the `global` allowlist.
    ///
    /// # Errors
    /// An allowlist regex or glob that does not compile; the message names the file and line
    /// where it is defined.
    pub(crate) fn new(
        rules: &[Rule],
        global: &[Allowlist],
        opts: SuppressOptions,
    ) -> Result<Suppressor, String> {
        let scopes = rules
            .iter()
            .map(|r| {
                Ok(Scope {
                    include: opt_glob_set(&r.paths)?,
                    exclude: opt_glob_set(&r.exclude_paths)?,
                    path_regex: opt_regex(r.path_regex.as_slice(), &r.origin.to_string())?,
                })
            })
            .collect::<Result<_, String>>()?;
        let per_rule: Vec<OnceLock<Vec<Entry>>> = rules.iter().map(|_| OnceLock::new()).collect();
        for (rule, slot) in rules.iter().zip(&per_rule) {
            // A user's entry that does not compile is an error now, naming its file and line,
            // never an entry skipped in the middle of a scan.
            if opts.eager || !rule.allowlist.iter().all(is_builtin) {
                let entries = rule.allowlist.iter().map(Entry::new).collect::<Result<_, _>>()?;
                let _ = slot.set(entries);
            }
        }
        Ok(Suppressor {
            rule_ids: rules.iter().map(|r| r.id.clone()).collect(),
            scopes,
            scope_include: opt_glob_set(&opts.include_paths)?,
            scope_exclude: opt_glob_set(&opts.exclude_paths)?,
            global: global.iter().map(Entry::new).collect::<Result<_, _>>()?,
            sources: rules.iter().map(|r| r.allowlist.clone()).collect(),
            per_rule,
            inline: opts.inline,
            wants_fingerprints: global
                .iter()
                .chain(rules.iter().flat_map(|r| &r.allowlist))
                .any(|a| !a.fingerprints.is_empty()),
            baseline: opts.baseline,
            gitleaks_ignore: opts.gitleaks_ignore,
        })
    }

    fn rule_entries(&self, rule: usize) -> &[Entry] {
        self.per_rule[rule].get_or_init(|| {
            // Only built-in entries are compiled lazily, and the test suite compiles every one
            // of them eagerly (`rules check`): none can fail here.
            self.sources[rule].iter().filter_map(|a| Entry::new(a).ok()).collect()
        })
    }

    /// Whether some allowlist entry matches on fingerprints (so callers compute them for
    /// [`Suppressor::check_match`]).
    pub(crate) fn wants_fingerprints(&self) -> bool {
        self.wants_fingerprints
    }

    /// Whether rule `rule` reports at `path` (`None`: standard input, which only rules
    /// without an include scope report on). A match outside its scope is never reported.
    pub(crate) fn in_scope(&self, rule: usize, path: Option<&str>) -> bool {
        let s = &self.scopes[rule];
        match path {
            Some(p) => {
                s.include.as_ref().is_none_or(|g| g.is_match(p))
                    && !s.exclude.as_ref().is_some_and(|g| g.is_match(p))
                    && s.path_regex.as_ref().is_none_or(|r| r.is_match(p))
                    && self.scope_include.as_ref().is_none_or(|g| g.is_match(p))
                    && !self.scope_exclude.as_ref().is_some_and(|g| g.is_match(p))
            }
            None => s.include.is_none() && s.path_regex.is_none(),
        }
    }

    /// The first half of the stage, before a finding is built: an inline marker on `line` (the
    /// text of the line the secret starts on), then the allowlists. `fingerprint` is needed
    /// only when [`Suppressor::wants_fingerprints`].
    pub(crate) fn check_match(
        &self,
        rule: usize,
        path: Option<&str>,
        secret: &[u8],
        line: &[u8],
        fingerprint: Option<&str>,
    ) -> Option<Suppressed> {
        let rule_id = &self.rule_ids[rule];
        if self.inline {
            if let Some(marker) = inline::marker(line, rule_id) {
                return Some(Suppressed {
                    kind: SuppressionKind::Inline,
                    justification: format!("inline `{marker}` marker"),
                });
            }
        }
        let c = Candidate { rule_id, path, secret, fingerprint };
        let entry =
            self.rule_entries(rule).iter().chain(&self.global).find(|e| e.suppresses(&c))?;
        Some(Suppressed {
            kind: SuppressionKind::Allowlist,
            justification: format!("{} ({})", entry.reason, entry.origin),
        })
    }

    /// The second half, on the finding built from a match: a baseline entry, then a
    /// `.gitleaksignore` entry.
    pub(crate) fn check_finding(&self, f: &Finding) -> Option<Suppressed> {
        if let Some(reason) = self.baseline.as_ref().and_then(|b| b.accepts(f)) {
            return Some(Suppressed {
                kind: SuppressionKind::Baseline,
                justification: reason.to_string(),
            });
        }
        let reason = self.gitleaks_ignore.as_ref()?.ignores(f)?;
        Some(Suppressed { kind: SuppressionKind::Gitleaksignore, justification: reason })
    }

    /// Whether the global allowlist suppresses `secret` (for checking its examples).
    pub(crate) fn global_suppresses(&self, secret: &[u8]) -> bool {
        let c = Candidate { rule_id: "", path: None, secret, fingerprint: None };
        self.global.iter().any(|e| e.for_every_rule() && e.matches(&c))
    }

    /// The baseline in effect, if any (its reasons are kept when a new one is written).
    pub(crate) fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// One message per user allowlist entry that suppresses everything it applies to (see
    /// [`Entry::matches_everything`]): a config change can switch a rule, or the scan, off.
    pub(crate) fn catch_alls(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            if src.iter().all(is_builtin) {
                continue;
            }
            for e in self.rule_entries(i).iter().filter(|e| e.matches_everything()) {
                out.push(format!(
                    "{}: allowlist entry `{}` matches every secret and path: rule `{}` reports nothing",
                    e.origin, e.reason, self.rule_ids[i]
                ));
            }
        }
        for e in self.global.iter().filter(|e| !e.origin.starts_with("patterns/")) {
            if e.matches_everything() {
                out.push(format!(
                    "{}: allowlist entry `{}` matches every secret and path: it suppresses every finding{}",
                    e.origin,
                    e.reason,
                    if e.for_every_rule() { "" } else { " of its rules" }
                ));
            }
        }
        out
    }

    /// One message per user allowlist entry and baseline entry that suppressed nothing in this
    /// run: stale suppressions hide nothing today and may hide the wrong thing tomorrow.
    pub(crate) fn unused(&self) -> Vec<String> {
        let mut allowlist: Vec<Usage> = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            match self.per_rule[i].get() {
                Some(entries) => allowlist.extend(entries.iter().map(Entry::usage)),
                None => allowlist.extend(src.iter().map(|a| Usage {
                    origin: a.origin.to_string(),
                    reason: a.reason.clone(),
                    count: 0,
                })),
            }
        }
        allowlist.extend(self.global.iter().map(Entry::usage));
        let mut out: Vec<String> = allowlist
            .into_iter()
            .filter(|u| u.count == 0 && !u.origin.starts_with("patterns/"))
            .map(|u| format!("{}: allowlist entry `{}` suppressed nothing", u.origin, u.reason))
            .collect();
        let baseline = self.baseline.as_ref().map(Baseline::usage).unwrap_or_default();
        out.extend(
            baseline
                .into_iter()
                .filter(|u| u.count == 0)
                .map(|u| format!("{}: baseline entry ({}) matched no finding", u.origin, u.reason)),
        );
        out
    }
}
