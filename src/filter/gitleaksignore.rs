//! Reading a gitleaks `.gitleaksignore` for migration. Content entries (the SHA-256 of a secret
//! value, as betterleaks writes them, or a leakhound fingerprint) apply directly. Positional
//! entries (`commit:file:rule:line` or `file:rule:line`) tie a suppression to a line number, so
//! they go stale on the next edit; they are applied as best effort, by path and line (and commit
//! when given), since gitleaks rule ids differ from leakhound's, and `leakhound baseline convert`
//! turns them into a content baseline.

use crate::config::ConfigText;
use crate::files::{self, Trust};
use crate::finding::{Finding, Fingerprint, Hex};
use std::path::Path;

struct Positional {
    commit: Option<String>,
    path: String,
    line: usize,
}

/// The entries of one `.gitleaksignore`.
pub(crate) struct GitleaksIgnore {
    file: String,
    /// SHA-256 digests of secret values.
    values: Vec<Hex<32>>,
    /// leakhound fingerprints.
    fingerprints: Vec<Fingerprint>,
    positional: Vec<Positional>,
}

impl GitleaksIgnore {
    /// Reads `path` (bounded, and never through a symlink), for [`GitleaksIgnore::parse`].
    ///
    /// # Errors
    /// The file cannot be read.
    pub(crate) fn read(path: &Path) -> Result<ConfigText, String> {
        let label = path.display().to_string();
        // Found next to the scanned content: a symlink is not followed.
        let text = files::read_text(path, Trust::Content, files::CONFIG_LIMIT)
            .map_err(|e| format!("{label}: cannot read: {e}"))?;
        Ok(ConfigText { label, text })
    }

    /// Parses `.gitleaksignore` `text`, reporting notes against `file`. Lines that are neither
    /// form are returned as notes.
    pub(crate) fn parse(file: String, text: &str) -> (GitleaksIgnore, Vec<String>) {
        let mut g = GitleaksIgnore {
            file: file.clone(),
            values: Vec::new(),
            fingerprints: Vec::new(),
            positional: Vec::new(),
        };
        let mut notes = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Ok(value) = line.parse::<Hex<32>>() {
                g.values.push(value);
                continue;
            }
            if let Ok(fingerprint) = line.parse::<Fingerprint>() {
                g.fingerprints.push(fingerprint);
                continue;
            }
            let parts: Vec<&str> = line.split(':').collect();
            let parsed = match parts.as_slice() {
                [commit, path @ .., _rule, lineno]
                    if commit.len() >= 7
                        && commit.bytes().all(|b| b.is_ascii_hexdigit())
                        && !path.is_empty() =>
                {
                    lineno.parse().ok().map(|l| Positional {
                        commit: Some(commit.to_ascii_lowercase()),
                        path: path.join(":"),
                        line: l,
                    })
                }
                [path @ .., _rule, lineno] if !path.is_empty() => lineno
                    .parse()
                    .ok()
                    .map(|l| Positional { commit: None, path: path.join(":"), line: l }),
                _ => None,
            };
            match parsed {
                Some(p) => g.positional.push(p),
                None => {
                    notes.push(format!("{file}:{}: not a gitleaks ignore entry, skipped", n + 1))
                }
            }
        }
        if !g.positional.is_empty() {
            notes.push(format!(
                "{file}: {} positional entries (file:rule:line) are applied by path and line only and go stale on \
                 the next edit; convert them to a content baseline with `leakhound baseline convert`",
                g.positional.len()
            ));
        }
        (g, notes)
    }

    /// Why `f` is ignored, if it is.
    pub(crate) fn ignores(&self, f: &Finding) -> Option<String> {
        if self.values.contains(&f.secret_sha256) || self.fingerprints.contains(&f.fingerprint) {
            return Some(format!("content entry in {}", self.file));
        }
        let commit = f.provenance.commit().map(|c| c.id.as_str());
        let hit = self.positional.iter().any(|p| {
            p.path == f.path()
                && (p.line >= f.line && p.line <= f.end_line)
                && p.commit.as_deref().is_none_or(|c| commit.is_some_and(|fc| fc.starts_with(c)))
        });
        hit.then(|| format!("positional entry in {}", self.file))
    }
}
