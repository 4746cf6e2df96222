//! Which rules a run uses: `--rule`/`--skip-rule` globs over rule ids, and the lowest severity
//! and confidence to report. Applied to the rule set before it is compiled, so a narrowed run
//! is also a faster one.

use super::{Confidence, Rule, Severity};
use globset::{Glob, GlobMatcher};

/// The rule selection flags of one run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only rules whose id matches one of these globs (all when empty).
    pub only: Vec<String>,
    /// Never rules whose id matches one of these globs.
    pub skip: Vec<String>,
    /// Only rules of at least this severity.
    pub min_severity: Option<Severity>,
    /// Only rules of at least this confidence.
    pub min_confidence: Option<Confidence>,
}

impl Selection {
    /// Whether the selection keeps every rule.
    pub fn is_everything(&self) -> bool {
        self.only.is_empty()
            && self.skip.is_empty()
            && self.min_severity.is_none()
            && self.min_confidence.is_none()
    }

    /// Keeps the rules of `rules` this selection selects.
    ///
    /// # Errors
    /// A pattern is not a valid glob or matches no rule id (a typo would otherwise make a run
    /// that reports nothing, silently), or nothing is left to scan with.
    pub fn apply(&self, rules: &mut Vec<Rule>) -> Result<(), String> {
        if self.is_everything() {
            return Ok(());
        }
        let compile = |flag: &str, patterns: &[String]| -> Result<Vec<GlobMatcher>, String> {
            patterns
                .iter()
                .map(|p| {
                    let glob = Glob::new(p).map_err(|e| format!("{flag} `{p}`: {e}"))?;
                    let matcher = glob.compile_matcher();
                    if !rules.iter().any(|r| matcher.is_match(&r.id)) {
                        return Err(format!(
                            "{flag} `{p}` matches no rule id (`leakhound rules list` shows them; \
                             `*` matches any part, as in `aws.*`)"
                        ));
                    }
                    Ok(matcher)
                })
                .collect()
        };
        let only = compile("--rule", &self.only)?;
        let skip = compile("--skip-rule", &self.skip)?;
        rules.retain(|r| {
            (only.is_empty() || only.iter().any(|m| m.is_match(&r.id)))
                && !skip.iter().any(|m| m.is_match(&r.id))
                && self.min_severity.is_none_or(|s| r.severity >= s)
                && self.min_confidence.is_none_or(|c| r.confidence >= c)
        });
        if rules.is_empty() {
            return Err("the rule selection (--rule, --skip-rule, --min-severity, \
                        --min-confidence) leaves no rule to scan with"
                .to_string());
        }
        Ok(())
    }
}
