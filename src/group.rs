//! A post-finding stage for git scans: one finding per distinct secret per rule. The detect
//! stage reports per blob (and per path a blob is judged at); a secret that stays in a file
//! for a thousand commits, or is copied, renamed or committed on several branches, would be a
//! finding per version. Here the findings of one rule and one secret (same rule, same secret
//! fingerprint) become one, attributed to the first place that has it (the oldest commit, by
//! the history's order, then path and line), with every other place listed under it as an
//! occurrence.
//!
//! Suppression is decided per occurrence, before this stage, with each occurrence's own path,
//! so allowlists, inline markers, baselines and fingerprints keep working as they did: the
//! finding is suppressed only when every occurrence is, and otherwise it is attributed to the
//! first occurrence that is not.

use crate::finding::{Finding, Fingerprint, Occurrence};
use std::collections::HashMap;
use std::sync::Arc;

/// Where `f` is, as an occurrence of its secret.
fn occurrence(f: &Finding) -> Occurrence {
    Occurrence {
        commit: f.provenance.commit().map(|c| c.id.clone()),
        path: f.path().to_string(),
        line: f.line,
    }
}

/// Groups `findings` by rule and secret (see the module documentation).
pub(crate) fn by_secret(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: HashMap<(Arc<str>, Fingerprint), Vec<Finding>> = HashMap::new();
    for f in findings {
        groups.entry((f.rule_id.clone(), f.secret_fingerprint)).or_default().push(f);
    }
    let mut out = Vec::with_capacity(groups.len());
    for (_, mut members) in groups {
        members.sort_by(|a, b| {
            (a.provenance.order(), a.path(), a.line, a.column).cmp(&(
                b.provenance.order(),
                b.path(),
                b.line,
                b.column,
            ))
        });
        let first = members.iter().position(|f| f.suppressed.is_none()).unwrap_or(0);
        let mut primary = members.swap_remove(first);
        let mut also: Vec<Occurrence> = std::mem::take(&mut primary.occurrences);
        for m in &members {
            also.push(occurrence(m));
            also.extend(m.occurrences.iter().cloned());
        }
        let here = occurrence(&primary);
        also.retain(|o| *o != here);
        also.sort();
        also.dedup();
        primary.occurrences = also;
        out.push(primary);
    }
    out
}
