//! `rules check`: runs every rule's examples and negative examples through the real pipeline
//! (prefilter, verify, entropy, checksum, allowlists), with the prefilter on and off, and checks
//! the built-in allowlist and exclusion examples. The test suite calls the same function.

use crate::detect::{Detector, Lines, Options};
use crate::engine::Compile;
use crate::filter::glob_set;
use crate::provenance::Provenance;
use crate::rules::{Rule, RuleSet};
use std::fmt;

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the rule or entry is defined, and its id.
    pub what: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.message)
    }
}

/// A path that a rule restricted by `paths` globs would scan, for running its examples.
fn example_path(rule: &Rule) -> String {
    match rule.paths.first() {
        Some(g) => g.replace("**/", "").replace('*', "x"),
        None => "example.txt".to_string(),
    }
}

fn short(s: &str) -> String {
    let s: String = s.chars().take(60).collect();
    format!("{s:?}")
}

/// Checks every rule of `set`; an empty result means all examples behave.
///
/// # Errors
/// A rule whose regex does not compile.
pub fn check(set: &RuleSet) -> anyhow::Result<Vec<Problem>> {
    let detector = Detector::new(set, Compile::Eager)?;
    let mut scratch = detector.scratch();
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for rule in &set.rules {
        let what = format!("{}: rule `{}`", rule.origin, rule.id);
        let mut problem = |message: String| problems.push(Problem { what: what.clone(), message });
        if rule.examples.len() < 2 {
            problem("needs at least 2 examples".into());
        }
        if rule.negative_examples.is_empty() {
            problem("needs at least 1 negative example".into());
        }
        if rule.references.is_empty() {
            problem("needs at least 1 reference".into());
        }
        if rule.remediation.trim().is_empty() {
            problem("needs a remediation".into());
        }
        let provenance = Provenance::File { path: example_path(rule).into() };
        let options = Options { show_secrets: true, keep_suppressed: false };
        let mut of_rule = |text: &str, prefilter: bool| {
            found.clear();
            detector.find(
                &mut scratch,
                text.as_bytes(),
                &provenance,
                options,
                prefilter,
                Lines::All,
                &mut found,
            );
            found
                .iter()
                .filter(|f| *f.rule_id == *rule.id)
                .map(|f| f.secret.clone())
                .collect::<Vec<_>>()
        };
        for ex in &rule.examples {
            let lower = ex.to_ascii_lowercase();
            if !rule.keywords.iter().any(|k| lower.contains(k.as_str())) {
                problem(format!("example {} contains none of the keywords", short(ex)));
            }
            let with = of_rule(ex, true);
            let without = of_rule(ex, false);
            if without.is_empty() {
                problem(format!("example {} produces no finding", short(ex)));
            } else if with != without {
                problem(format!(
                    "example {}: the prefilter changes the result ({} vs {} findings)",
                    short(ex),
                    with.len(),
                    without.len()
                ));
            }
        }
        for ex in &rule.negative_examples {
            if !of_rule(ex, false).is_empty() {
                problem(format!("negative example {} produces a finding", short(ex)));
            }
        }
    }
    for a in &set.allowlist {
        for ex in &a.examples {
            if !detector.suppressor().global_suppresses(ex.as_bytes()) {
                problems.push(Problem {
                    what: format!("{}: allowlist `{}`", a.origin, a.reason),
                    message: format!("example {} is not suppressed", short(ex)),
                });
            }
        }
    }
    for e in &set.excludes {
        let globs = glob_set(&e.paths).map_err(anyhow::Error::msg)?;
        for ex in &e.examples {
            if !globs.is_match(ex) {
                problems.push(Problem {
                    what: format!("exclude `{}`", e.reason),
                    message: format!("example path {ex:?} does not match"),
                });
            }
        }
    }
    Ok(problems)
}
