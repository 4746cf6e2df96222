//! The detect stage: one entry point for every scanned item, whatever its source. A file of a
//! directory walk, standard input, a staged blob, a blob of a range or of a history sweep: each
//! becomes an [`Item`] (its bytes, or where to get them, and its [`Provenance`]) handed to
//! [`Worker::scan`], which applies the skip policy (size, binary), runs the engine, keeps only
//! the lines a change added when asked to, applies path scopes, lets provider rules shadow
//! generic ones, runs the suppression stage, builds the findings, and counts and reports what it
//! skipped. A new kind of input (an archive member, a decoded span) is a new [`Bytes`] source or
//! a new provenance, never a new copy of this pipeline.
//!
//! [`Detector`] holds what is compiled once and shared read-only by every thread (rules,
//! automaton, suppressions); a [`Stage`] is one run (policy, counters, diagnostics, findings);
//! a [`Worker`] is one thread's scratch space, reused from item to item.

use crate::diag::{Diagnostics, Level};
use crate::engine::{line_window, Compile, CompiledRules, RawMatch, Scratch};
use crate::filter::{SuppressOptions, Suppressor};
use crate::finding::{fingerprint_keyed, Finding, FindingParts, LineCounter};
use crate::provenance::Provenance;
use crate::rules::{Rule, RuleSet};
use crate::source::{self, Content, Policy, Skip};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The environment variable read for the fingerprint key when the config names none.
pub const FINGERPRINT_KEY_ENV: &str = "LEAKHOUND_FINGERPRINT_KEY";

/// Rules compiled for detection, with their suppressions: built once per process, immutable,
/// shared by every thread.
pub struct Detector {
    rules: Vec<Rule>,
    /// Each rule's id and name, shared by its findings.
    names: Vec<(Arc<str>, Arc<str>)>,
    compiled: CompiledRules,
    suppressor: Suppressor,
    key: Option<Vec<u8>>,
}

/// How findings are made in a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Show secrets in clear text instead of redacted.
    pub show_secrets: bool,
    /// Keep suppressed findings, marked, instead of dropping them (for `--include-suppressed`,
    /// and for writing a baseline that keeps the entries still in use).
    pub keep_suppressed: bool,
}

/// Which lines of an item may report findings.
pub enum Lines<'a> {
    /// Every line.
    All,
    /// Only the lines a change added (range and staged scans), computed when the item has a
    /// match at all: `Ok(None)` when every line is new, an error when the previous version
    /// cannot be read (every line is then reported, with the error).
    Added(&'a mut dyn FnMut() -> Result<Option<Vec<u32>>, String>),
}

impl Detector {
    /// Compiles `set` with the default suppressions (inline markers on, no baseline).
    ///
    /// # Errors
    /// A regex or glob that does not compile.
    pub fn new(set: &RuleSet, compile: Compile) -> anyhow::Result<Detector> {
        let opts = SuppressOptions { inline: true, ..SuppressOptions::default() };
        Detector::with_suppressions(set, compile, opts)
    }

    /// Compiles `set` with the given suppressions (the config's scope, inline switch,
    /// baseline and `.gitleaksignore`).
    ///
    /// # Errors
    /// A regex or glob that does not compile; the message names the file and line.
    pub(crate) fn with_suppressions(
        set: &RuleSet,
        compile: Compile,
        mut opts: SuppressOptions,
    ) -> anyhow::Result<Detector> {
        let compiled = CompiledRules::new(&set.rules, compile)?;
        opts.eager = compile == Compile::Eager;
        opts.include_paths = set.include_paths.clone();
        opts.exclude_paths = set.exclude_paths.clone();
        let suppressor =
            Suppressor::new(&set.rules, &set.allowlist, opts).map_err(anyhow::Error::msg)?;
        let env = set.fingerprint_key_env.as_deref().unwrap_or(FINGERPRINT_KEY_ENV);
        let key = std::env::var_os(env).filter(|k| !k.is_empty()).map(|k| k.into_encoded_bytes());
        let names =
            set.rules.iter().map(|r| (r.id.as_str().into(), r.name.as_str().into())).collect();
        Ok(Detector { rules: set.rules.clone(), names, compiled, suppressor, key })
    }

    /// The rules, indexed like the engine's matches.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The compiled rules (the history sweep's pack pass drives the engine itself).
    pub(crate) fn compiled(&self) -> &CompiledRules {
        &self.compiled
    }

    /// The suppression stage (for the baseline in effect and unused entries).
    pub(crate) fn suppressor(&self) -> &Suppressor {
        &self.suppressor
    }

    /// Fresh scratch space for one thread.
    pub fn scratch(&self) -> Scratch {
        self.compiled.scratch()
    }

    /// The whole pipeline over one buffer: prefilter (unless `prefilter` is false: the
    /// reference that `rules check` compares against), verify, the added-lines restriction,
    /// path scopes, shadowing, suppressions, then findings with exact line and column numbers,
    /// appended to `out`. Returns the number of suppressed matches, and the error of computing
    /// the added lines if that failed.
    #[allow(clippy::too_many_arguments)]
    pub fn find(
        &self,
        scratch: &mut Scratch,
        bytes: &[u8],
        provenance: &Provenance,
        options: Options,
        prefilter: bool,
        lines: Lines<'_>,
        out: &mut Vec<Finding>,
    ) -> Found {
        let matches = self.compiled.scan(scratch, bytes, prefilter);
        self.judge(matches, bytes, provenance, options, lines, out)
    }

    /// The path-dependent half of [`Detector::find`]: the engine's `matches` in `bytes`, judged
    /// as found at `provenance` (the added-lines restriction, path scopes, shadowing,
    /// suppressions), become findings appended to `out`. Bytes that several paths carry (a git
    /// blob) are scanned once and judged once per path.
    pub(crate) fn judge(
        &self,
        matches: &[RawMatch],
        bytes: &[u8],
        provenance: &Provenance,
        options: Options,
        lines: Lines<'_>,
        out: &mut Vec<Finding>,
    ) -> Found {
        let mut found = Found::default();
        if matches.is_empty() {
            return found;
        }
        let added = match lines {
            Lines::All => None,
            Lines::Added(compute) => match compute() {
                Ok(added) => added,
                Err(message) => {
                    found.lines_error = Some(message);
                    None
                }
            },
        };
        let scope_path = provenance.scope_path();
        let mut counter = LineCounter::new(bytes);
        let mut kept: Vec<Located> = Vec::with_capacity(matches.len());
        let mut outside: Vec<Located> = Vec::new();
        for m in matches {
            let (start, end) = counter.locate_span(m.secret.0, m.secret.1);
            if added.as_ref().is_some_and(|a| !touches_added(a, start.0, end.0)) {
                continue; // not this change's line: not counted as suppressed either
            }
            let located = Located { m: *m, start, end };
            if self.suppressor.in_scope(m.rule, scope_path) {
                kept.push(located);
            } else {
                outside.push(located);
            }
        }
        found.suppressed += drop_shadowed_generic(&mut kept, &outside, &self.rules);
        for Located { m, start, end } in kept {
            let rule = &self.rules[m.rule];
            let secret = &bytes[m.secret.0..m.secret.1];
            let (line_start, line_end) = line_window(bytes, m.secret.0, m.secret.0);
            let fingerprint = self.suppressor.wants_fingerprints().then(|| {
                fingerprint_keyed(self.key.as_deref(), &rule.id, provenance.path(), secret)
            });
            let verdict = self.suppressor.check_match(
                m.rule,
                scope_path,
                secret,
                &bytes[line_start..line_end],
                fingerprint.as_deref(),
            );
            if verdict.is_some() && !options.keep_suppressed {
                found.suppressed += 1;
                continue;
            }
            let mut finding = Finding::new(FindingParts {
                rule,
                names: &self.names[m.rule],
                provenance,
                secret,
                start,
                end,
                checksum_valid: m.checksum_valid,
                show_secret: options.show_secrets,
                key: self.key.as_deref(),
                line: (&bytes[line_start..line_end], m.secret.0 - line_start),
            });
            finding.suppressed = verdict.or_else(|| self.suppressor.check_finding(&finding));
            if finding.suppressed.is_some() {
                found.suppressed += 1;
                if !options.keep_suppressed {
                    continue;
                }
            }
            out.push(finding);
        }
        found
    }
}

/// What [`Detector::find`] reports besides findings.
#[derive(Debug, Default)]
pub struct Found {
    /// Matches not reported: out of scope or suppressed.
    pub suppressed: u64,
    /// Why the added lines could not be computed (every line was reported).
    pub lines_error: Option<String>,
}

/// A match with its line and column positions.
struct Located {
    m: RawMatch,
    start: (usize, usize),
    end: (usize, usize),
}

/// Whether any line in `first..=last` is in the sorted list `added`.
fn touches_added(added: &[u32], first: usize, last: usize) -> bool {
    let i = added.partition_point(|&l| (l as usize) < first);
    added.get(i).is_some_and(|&l| l as usize <= last)
}

/// Secret spans sorted by start, with the furthest end reached up to each: answers "does any
/// of them overlap this span" in O(log n).
struct Spans {
    spans: Vec<(usize, usize)>,
    reach: Vec<usize>,
}

impl Spans {
    fn new(spans: Vec<(usize, usize)>) -> Spans {
        let reach = spans
            .iter()
            .scan(0, |far, s| {
                *far = s.1.max(*far);
                Some(*far)
            })
            .collect();
        Spans { spans, reach }
    }

    fn overlaps(&self, (start, end): (usize, usize)) -> bool {
        // The spans that start before this one ends; one of them overlaps it if the furthest of
        // their ends lies past its start.
        let before = self.spans.partition_point(|s| s.0 < end);
        before > 0 && self.reach[before - 1] > start
    }
}

/// A generic rule (`password = ...`) yields to a provider rule that matched an overlapping
/// secret: the specific finding says more, and one secret should be one finding. Only a
/// provider match inside its rule's path scope (in `kept`) hides a generic one, so a provider
/// rule that does not report on this path hides nothing. Returns how many matches outside their
/// scope (`outside`) count as suppressed: a generic match that a provider match overlaps was
/// never the finding, so it is not counted. Both lists are sorted by secret start; the pass is
/// O(n log n).
fn drop_shadowed_generic(kept: &mut Vec<Located>, outside: &[Located], rules: &[Rule]) -> u64 {
    let generic = |l: &Located| rules[l.m.rule].is_generic();
    let specific = |list: &[Located]| -> Vec<(usize, usize)> {
        list.iter().filter(|l| !generic(l)).map(|l| l.m.secret).collect()
    };
    let in_scope = Spans::new(specific(kept));
    if kept.iter().any(generic) {
        kept.retain(|l| !generic(l) || !in_scope.overlaps(l.m.secret));
    }
    if !outside.iter().any(generic) {
        return outside.len() as u64;
    }
    let mut any = specific(outside);
    any.extend_from_slice(&in_scope.spans);
    any.sort_unstable();
    let any = Spans::new(any);
    outside.iter().filter(|l| !generic(l) || !any.overlaps(l.m.secret)).count() as u64
}

/// Counts describing a run, shown in summaries and the JSON report.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Files (or inputs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Commit and tag messages scanned (their bytes are in `bytes_scanned`).
    pub messages_scanned: u64,
    /// Files skipped because they look binary.
    pub skipped_binary: u64,
    /// Files skipped for exceeding `--max-file-size`.
    pub skipped_too_large: u64,
    /// Paths pruned by the default exclusions.
    pub skipped_excluded: u64,
    /// FIFOs, sockets and devices skipped.
    pub skipped_special: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Matches dropped by allowlists and path scopes.
    pub suppressed: u64,
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    messages: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    excluded: AtomicU64,
    special: AtomicU64,
    errors: AtomicU64,
    suppressed: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// One run of the detect stage: the detector, the skip policy, the counters and diagnostics,
/// and the findings every worker hands in.
pub struct Stage<'d> {
    detector: &'d Detector,
    policy: Policy,
    options: Options,
    counters: Counters,
    diags: Diagnostics,
    findings: Mutex<Vec<Finding>>,
}

/// Where an item's bytes come from.
pub enum Bytes<'a> {
    /// A file, read or memory-mapped by the policy; its size and head decide skips before all
    /// of it is read.
    File(&'a Path),
    /// Standard input, read up to one byte past the size limit.
    Stdin,
    /// Bytes already in memory (a git blob).
    Memory(&'a [u8]),
}

/// One thing to scan.
pub struct Item<'a> {
    /// Its bytes.
    pub bytes: Bytes<'a>,
    /// Where they came from, copied into each finding.
    pub provenance: Provenance,
    /// Which lines may report.
    pub lines: Lines<'a>,
    /// Other places that hold the same bytes (a git blob at other paths): each judged on its
    /// own, since path scopes, path allowlists and baselines depend on the path, from one scan
    /// of the bytes.
    pub also: Vec<Provenance>,
}

impl<'a> Item<'a> {
    /// An item whose every line may report, with no other occurrences.
    pub fn new(bytes: Bytes<'a>, provenance: Provenance) -> Item<'a> {
        Item { bytes, provenance, lines: Lines::All, also: Vec::new() }
    }
}

/// One thread's state: scratch space, a read buffer and findings, reused from item to item.
/// Its findings go to the stage when it is dropped.
pub struct Worker<'s, 'd> {
    stage: &'s Stage<'d>,
    scratch: Scratch,
    buf: Vec<u8>,
    /// UTF-16 content transcoded to UTF-8.
    decoded: Vec<u8>,
    found: Vec<Finding>,
}

impl<'d> Stage<'d> {
    /// A run of `detector` under `policy`.
    pub fn new(detector: &'d Detector, policy: Policy, options: Options) -> Stage<'d> {
        Stage {
            detector,
            policy,
            options,
            counters: Counters::default(),
            diags: Diagnostics::default(),
            findings: Mutex::new(Vec::new()),
        }
    }

    /// State for one more thread.
    pub fn worker(&self) -> Worker<'_, 'd> {
        Worker {
            stage: self,
            scratch: self.detector.scratch(),
            buf: Vec::new(),
            decoded: Vec::new(),
            found: Vec::new(),
        }
    }

    /// The detector this run uses.
    pub fn detector(&self) -> &'d Detector {
        self.detector
    }

    /// The skip policy.
    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The run's diagnostics, for problems found outside an item (a walk error, a config note).
    pub(crate) fn diags(&self) -> &Diagnostics {
        &self.diags
    }

    /// Records a problem that left part of the input unscanned (exit status 2).
    pub(crate) fn error(&self, message: impl Into<String>) {
        add(&self.counters.errors, 1);
        self.diags.push(Level::Error, message);
    }

    /// Records a special file (FIFO, socket, device) that was not opened.
    pub(crate) fn special(&self, path: &str) {
        add(&self.counters.special, 1);
        self.diags.push(Level::Note, format!("{path}: skipped: not a regular file"));
    }

    /// Records paths pruned by the default exclusions.
    pub(crate) fn excluded(&self, n: u64) {
        add(&self.counters.excluded, n);
    }

    /// Counts blobs settled without a full scan (the history sweep's pack pass): scanned text
    /// with no match, and binary blobs.
    pub(crate) fn settled(&self, files: u64, bytes: u64, binary: u64) {
        add(&self.counters.files, files);
        add(&self.counters.bytes, bytes);
        add(&self.counters.binary, binary);
    }

    /// Lets a later step of the run (the `--all-occurrences` listing) edit the findings handed
    /// in so far.
    pub(crate) fn edit_findings(&self, edit: impl FnOnce(&mut Vec<Finding>)) {
        edit(&mut self.findings.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Ends the run: every finding handed in (workers must be dropped), the counts, and the
    /// diagnostics.
    pub(crate) fn finish(self) -> (Vec<Finding>, Stats, Diagnostics) {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let stats = Stats {
            files_scanned: load(&c.files),
            messages_scanned: load(&c.messages),
            bytes_scanned: load(&c.bytes),
            skipped_binary: load(&c.binary),
            skipped_too_large: load(&c.too_large),
            skipped_excluded: load(&c.excluded),
            skipped_special: load(&c.special),
            errors: load(&c.errors),
            suppressed: load(&c.suppressed),
        };
        let findings = self.findings.into_inner().unwrap_or_else(|e| e.into_inner());
        (findings, stats, self.diags)
    }

    /// Counts a skipped item and says why when the user should know.
    pub(crate) fn skipped(&self, provenance: &Provenance, skip: Skip) {
        match skip {
            Skip::Binary => {
                add(&self.counters.binary, 1);
                self.diags.push(Level::Detail, format!("{}: skipped: binary", label(provenance)));
            }
            Skip::TooLarge { size, limit } => {
                add(&self.counters.too_large, 1);
                let message = match provenance {
                    Provenance::Stdin => format!(
                        "-: skipped: standard input exceeds --max-file-size ({limit} bytes)"
                    ),
                    _ => format!(
                        "{}: skipped: {size} bytes exceeds --max-file-size ({limit} bytes)",
                        label(provenance)
                    ),
                };
                self.diags.push(Level::Warning, message);
            }
        }
    }
}

/// How diagnostics name an item.
fn label(provenance: &Provenance) -> String {
    match provenance {
        Provenance::File { path } => path.to_string(),
        Provenance::Stdin => "-".into(),
        Provenance::GitBlob { path, blob, .. } => format!("{path} (blob {blob})"),
        Provenance::GitMessage { commit: Some(c), tag: None } => {
            format!("message of commit {}", c.id)
        }
        Provenance::GitMessage { tag: Some(t), .. } => format!("message of tag {t}"),
        Provenance::GitMessage { commit: None, tag: None } => "a git message".into(),
    }
}

impl<'s, 'd> Worker<'s, 'd> {
    /// The run this worker belongs to.
    pub fn stage(&self) -> &'s Stage<'d> {
        self.stage
    }

    /// Scans one item: the one path every input takes.
    pub fn scan(&mut self, item: Item<'_>) {
        let stage = self.stage;
        let Item { bytes, provenance, lines, also } = item;
        let content = match bytes {
            Bytes::File(path) => source::load(path, &stage.policy, &mut self.buf),
            Bytes::Stdin => source::read_stdin(&stage.policy, &mut self.buf),
            Bytes::Memory(bytes) => Ok(match stage.policy.skip(bytes) {
                Some(skip) => Err(skip),
                None => Ok(Content::whole(bytes)),
            }),
        };
        let content = match content {
            Ok(Ok(content)) => content,
            Ok(Err(skip)) => return stage.skipped(&provenance, skip),
            Err(e) if provenance == Provenance::Stdin => {
                return stage.error(format!("-: cannot read standard input: {e}"))
            }
            Err(e) => return stage.error(format!("{}: cannot read: {e}", label(&provenance))),
        };
        let mut bytes = content.bytes();
        // UTF-16 text is scanned as the UTF-8 it stands for, at most the in-memory limit of it.
        let mut utf16_cut = false;
        if let Some(order) = source::utf16(bytes) {
            let limit = usize::try_from(stage.policy.max_read).unwrap_or(usize::MAX);
            utf16_cut = source::transcode_utf16(bytes, order, limit, &mut self.decoded);
            bytes = &self.decoded;
        }
        let counter = match provenance {
            Provenance::GitMessage { .. } => &stage.counters.messages,
            _ => &stage.counters.files,
        };
        add(counter, 1);
        add(&stage.counters.bytes, bytes.len() as u64);
        let detector = stage.detector;
        let matches = detector.compiled.scan(&mut self.scratch, bytes, true);
        let found =
            detector.judge(matches, bytes, &provenance, stage.options, lines, &mut self.found);
        add(&stage.counters.suppressed, found.suppressed);
        if let Some(message) = found.lines_error {
            stage.error(format!(
                "{}: cannot read the previous version ({message}); reporting every line",
                label(&provenance)
            ));
        }
        for other in &also {
            let found =
                detector.judge(matches, bytes, other, stage.options, Lines::All, &mut self.found);
            add(&stage.counters.suppressed, found.suppressed);
        }
        if utf16_cut {
            stage.error(format!(
                "{}: UTF-16 text longer than {} bytes: only its start was scanned \
                 (--max-file-size raises the limit)",
                label(&provenance),
                stage.policy.max_read
            ));
        }
        if content.truncated() {
            stage.error(format!(
                "{}: file shrank while being scanned; its end was not scanned",
                label(&provenance)
            ));
        }
    }
}

impl Drop for Worker<'_, '_> {
    fn drop(&mut self) {
        if !self.found.is_empty() {
            let mut all = self.stage.findings.lock().unwrap_or_else(|e| e.into_inner());
            if all.is_empty() {
                // Take the buffer over rather than copy it: a million findings would briefly be
                // held twice.
                std::mem::swap(&mut *all, &mut self.found);
            } else {
                all.append(&mut self.found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_touch() {
        assert!(touches_added(&[2, 5], 4, 5));
        assert!(!touches_added(&[2, 5], 3, 4));
    }

    #[test]
    fn public_types_are_thread_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Detector>();
        assert_send_sync::<Stage<'_>>();
    }
}
