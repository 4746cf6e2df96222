//! Baselines: accepted findings, listed by content fingerprint so that the file survives edits
//! above a secret, rebases and squashes, and a different secret on the same line is still
//! reported. The file is sorted, has no timestamps or line numbers, and holds no secret.

use super::Usage;
use crate::config::ConfigText;
use crate::files::{self, Trust};
use crate::finding::{Finding, Fingerprint};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

const HEADER: &str = "\
# leakhound baseline: findings accepted when it was written, by content fingerprint.
# Written with --write-baseline; read with --baseline. It holds no secret and no line number.
# Replace a `reason` with why the finding is acceptable; delete entries for rotated secrets.
";

/// The reason written into new entries.
pub(crate) const DEFAULT_REASON: &str = "accepted when the baseline was written";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    finding: Vec<toml::Spanned<Entry>>,
}

/// One accepted finding.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// Path of the finding.
    pub(crate) path: String,
    /// Rule id.
    pub(crate) rule: String,
    /// The finding's fingerprint (rule, path, secret).
    pub(crate) fingerprint: String,
    /// Rule and secret only, for `--baseline-ignore-path`.
    pub(crate) secret_fingerprint: String,
    /// Why it is accepted.
    pub(crate) reason: String,
}

/// A loaded baseline.
pub(crate) struct Baseline {
    file: String,
    entries: Vec<(Entry, usize)>,
    by_fingerprint: HashMap<Fingerprint, usize>,
    /// The secret fingerprint hashes the rule id too: it alone identifies rule and secret.
    by_secret: HashMap<Fingerprint, usize>,
    ignore_path: bool,
    used: Vec<AtomicUsize>,
}

impl Baseline {
    /// Reads a baseline file (bounded: a regular file, not too large), for [`Baseline::parse`].
    ///
    /// # Errors
    /// The file cannot be read; the message names it.
    pub(crate) fn read(path: &Path) -> Result<ConfigText, String> {
        let label = path.display().to_string();
        let text = files::read_text(path, Trust::User, files::CONFIG_LIMIT)
            .map_err(|e| format!("{label}: cannot read baseline: {e}"))?;
        Ok(ConfigText { label, text })
    }

    /// Parses baseline `text`, reporting errors against `file`; with `ignore_path`, an entry
    /// matches its rule and secret in any file.
    ///
    /// # Errors
    /// The text is not a baseline; the message names the file and line.
    pub(crate) fn parse(file: String, text: &str, ignore_path: bool) -> Result<Baseline, String> {
        let parsed: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| crate::rules::line_of(text, s.start));
            format!("{file}:{line}: {}", e.message().trim_end())
        })?;
        if parsed.version != 1 {
            return Err(format!(
                "{file}: baseline version {} is not supported (expected 1)",
                parsed.version
            ));
        }
        let mut b = Baseline {
            file,
            entries: Vec::new(),
            by_fingerprint: HashMap::new(),
            by_secret: HashMap::new(),
            ignore_path,
            used: Vec::new(),
        };
        for e in parsed.finding {
            let line = crate::rules::line_of(text, e.span().start);
            let e = e.into_inner();
            if e.reason.trim().is_empty() {
                return Err(format!("{}:{line}: every baseline entry needs a `reason`", b.file));
            }
            let i = b.entries.len();
            let hex =
                |s: &str| s.parse::<Fingerprint>().map_err(|m| format!("{}:{line}: {m}", b.file));
            b.by_fingerprint.insert(hex(&e.fingerprint)?, i);
            b.by_secret.insert(hex(&e.secret_fingerprint)?, i);
            b.entries.push((e, line));
            b.used.push(AtomicUsize::new(0));
        }
        Ok(b)
    }

    /// The reason of the entry that accepts `f`, if any.
    pub(crate) fn accepts(&self, f: &Finding) -> Option<&str> {
        let i = self.by_fingerprint.get(&f.fingerprint).copied().or_else(|| {
            if self.ignore_path {
                self.by_secret.get(&f.secret_fingerprint).copied()
            } else {
                None
            }
        })?;
        self.used[i].fetch_add(1, Ordering::Relaxed);
        Some(&self.entries[i].0.reason)
    }

    /// Every entry and how often it matched.
    pub(crate) fn usage(&self) -> Vec<Usage> {
        self.entries
            .iter()
            .zip(&self.used)
            .map(|((e, line), n)| Usage {
                origin: format!("{}:{line}", self.file),
                reason: format!("{} in {}", e.rule, e.path),
                count: n.load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// Writes `findings` as a baseline: one entry per distinct fingerprint, sorted by path, rule and
/// fingerprint. Reasons of entries already in `previous` are kept.
///
/// # Errors
/// The file cannot be written.
pub(crate) fn write(
    path: &Path,
    findings: &[Finding],
    previous: Option<&Baseline>,
) -> std::io::Result<()> {
    let kept: HashMap<&str, &str> = previous
        .map(|b| {
            b.entries.iter().map(|(e, _)| (e.fingerprint.as_str(), e.reason.as_str())).collect()
        })
        .unwrap_or_default();
    let entries: BTreeSet<Entry> = findings
        .iter()
        .map(|f| {
            let fingerprint = f.fingerprint.to_string();
            let reason = kept.get(fingerprint.as_str()).unwrap_or(&DEFAULT_REASON).to_string();
            Entry {
                path: f.path().to_string(),
                rule: f.rule_id.to_string(),
                fingerprint,
                secret_fingerprint: f.secret_fingerprint.to_string(),
                reason,
            }
        })
        .collect();
    let file = File {
        version: 1,
        finding: entries.into_iter().map(|e| toml::Spanned::new(0..0, e)).collect(),
    };
    let body = toml::to_string(&file).map_err(std::io::Error::other)?;
    files::write_replacing(path, |w| write!(w, "{HEADER}\n{body}"))
}
