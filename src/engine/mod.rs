//! The detection engine: one Aho-Corasick automaton over the keywords of every rule finds where
//! rules may match, and each rule's regex verifies only the window around its keyword hits.
//!
//! The engine sees bytes and returns [`RawMatch`]es. It never sees a path, a config or a file.
//! [`CompiledRules`] is built once and shared read-only by every worker; each worker owns a
//! [`Scratch`] with its regex caches and buffers, reused from buffer to buffer.

mod checksum;
mod entropy;

pub use checksum::{github_crc32_valid, jwt_structure_valid};
pub use entropy::shannon_entropy;

use crate::rules::{Checksum, Rule};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::{self, Regex};
use regex_automata::util::captures::Captures;
use regex_automata::Input;
use std::sync::OnceLock;

/// How far a window reaches before and after a keyword on the same line. Lines longer than this
/// (minified code, a 64 MiB single line) are verified only near the keyword.
const LINE_REACH: usize = 4096;
/// How far past the keyword a `multiline` rule (private key blocks) may match.
const MULTILINE_REACH: usize = 64 * 1024;

/// A rule whose regex failed to compile.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: rule `{id}`: cannot compile regex: {message}")]
pub struct CompileError {
    /// The rule id.
    pub id: String,
    /// Where the rule is defined.
    pub origin: String,
    /// The regex engine's message.
    pub message: String,
}

/// When rule regexes are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compile {
    /// On the first keyword hit of each rule: most scans (a pre-commit hook above all) touch few
    /// rules, and compiling every regex up front costs tens of milliseconds.
    Lazy,
    /// As [`Compile::Lazy`], with a keyword automaton that builds in a fraction of the time and
    /// scans more slowly: for small inputs, such as the files of one commit.
    LazySmall,
    /// All at once in [`CompiledRules::new`], so that errors surface before scanning.
    Eager,
}

/// Compiles a rule or allowlist regex the way the engine runs it: byte-oriented, without Unicode
/// classes (secrets are ASCII, and Unicode tables cost 30x more time and memory to compile).
///
/// # Errors
/// The pattern does not parse or exceeds the size limits.
pub fn compile_regex(patterns: &[&str]) -> Result<Regex, String> {
    build_regex(patterns, false)
}

/// Compiles a rule regex: as [`compile_regex`], and `^`/`$` match at line boundaries (LF or
/// CRLF), because a rule is verified over a window of a larger buffer, one line at a time.
fn compile_rule_regex(pattern: &str) -> Result<Regex, String> {
    build_regex(&[pattern], true)
}

fn build_regex(patterns: &[&str], lines: bool) -> Result<Regex, String> {
    let syntax = regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .multi_line(lines)
        .crlf(lines);
    Regex::builder()
        .syntax(syntax)
        .configure(Regex::config().utf8_empty(false))
        .build_many(patterns)
        .map_err(|e| {
            // The error's own text is terse ("error building NFA"); its causes say what is
            // wrong ("exceeds size limit", the parser's caret diagnostic).
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            message
        })
}

struct Verifier {
    regex: OnceLock<Result<Regex, String>>,
    source: String,
    secret_group: OnceLock<usize>,
    group: Option<usize>,
    multiline: bool,
    min_entropy: Option<f64>,
    checksum: Option<Checksum>,
}

impl Verifier {
    fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| compile_rule_regex(&self.source)).as_ref().ok()
    }

    fn secret_group(&self, regex: &Regex) -> usize {
        *self.secret_group.get_or_init(|| {
            self.group.unwrap_or_else(|| {
                regex.group_info().to_index(regex_automata::PatternID::ZERO, "secret").unwrap_or(1)
            })
        })
    }
}

/// Rules compiled for scanning: immutable, `Send + Sync`, built once per process.
pub struct CompiledRules {
    prefilter: AhoCorasick,
    /// For each prefilter pattern, the rules that listed it as a keyword.
    keyword_rules: Vec<Vec<u32>>,
    /// For each prefilter pattern, whether one of its rules is `multiline`: a window that
    /// reaches past the keyword's line.
    wide_keywords: Vec<bool>,
    /// Rules without keywords (imported gitleaks rules): verified over every buffer.
    always: Vec<u32>,
    verifiers: Vec<Verifier>,
}

/// Per-thread mutable search state. Make one per worker with [`CompiledRules::scratch`].
pub struct Scratch {
    caches: Vec<Option<meta::Cache>>,
    captures: Vec<Option<Captures>>,
    windows: Vec<Vec<(usize, usize)>>,
    touched: Vec<u32>,
    matches: Vec<RawMatch>,
    wide_hits: Vec<KeywordHit>,
    line_spans: Vec<(usize, usize)>,
}

/// Where a keyword of a `multiline` rule was found in a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeywordHit {
    /// Start of the keyword.
    pub start: usize,
    /// End of the keyword.
    pub end: usize,
    /// Which keyword (an automaton pattern).
    keyword: u32,
}

impl KeywordHit {
    /// The same keyword found at `start` instead.
    pub fn moved(self, start: usize) -> KeywordHit {
        KeywordHit { start, end: start + (self.end - self.start), keyword: self.keyword }
    }
}

/// A verified match in a buffer, before allowlists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the rule list given to [`CompiledRules::new`].
    pub rule: usize,
    /// Byte span of the whole regex match.
    pub span: (usize, usize),
    /// Byte span of the secret (the capture group).
    pub secret: (usize, usize),
    /// The rule's checksum validator accepted the secret.
    pub checksum_valid: bool,
}

/// Building the keyword automaton.
struct Keywords;

impl Keywords {
    fn build(
        rules: &[Rule],
        kind: AhoCorasickKind,
    ) -> Result<(AhoCorasick, Vec<Vec<u32>>), CompileError> {
        let mut keywords: Vec<&str> = Vec::new();
        let mut keyword_rules: Vec<Vec<u32>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (ri, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                let slot = *index.entry(kw.as_str()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                let ri = u32::try_from(ri).expect("fewer than 2^32 rules");
                if !keyword_rules[slot].contains(&ri) {
                    keyword_rules[slot].push(ri);
                }
            }
        }
        // A keyword hit also triggers the rules of every keyword it contains: the search below
        // reports only the longest keyword starting at a position, so `sk-ant-` must stand for
        // `sk-` too. Together with restarting one byte after each hit, no keyword can hide another.
        // Which keywords each keyword contains, found by searching each one with an automaton of
        // all of them (comparing every pair cost 12 ms at start-up with 650 keywords).
        let lower: Vec<String> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        let inside = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(&lower)
            .map_err(|e| CompileError {
                id: "*".into(),
                origin: "keywords".into(),
                message: e.to_string(),
            })?;
        let direct = keyword_rules.clone();
        for (i, long) in lower.iter().enumerate() {
            for m in inside.find_overlapping_iter(long.as_str()) {
                let j = m.pattern().as_usize();
                if i == j {
                    continue;
                }
                for &r in &direct[j] {
                    if !keyword_rules[i].contains(&r) {
                        keyword_rules[i].push(r);
                    }
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(kind))
            .build(&keywords)
            .map_err(|e| CompileError {
                id: "*".into(),
                origin: "keywords".into(),
                message: e.to_string(),
            })?;
        Ok((automaton, keyword_rules))
    }
}

impl CompiledRules {
    /// Builds the keyword automaton and the verifiers for `rules`.
    ///
    /// # Errors
    /// With [`Compile::Eager`], the first rule whose regex does not compile; and if the automaton
    /// cannot be built (it can always be for valid rules).
    pub fn new(rules: &[Rule], compile: Compile) -> Result<CompiledRules, CompileError> {
        let kind = if compile == Compile::LazySmall {
            AhoCorasickKind::ContiguousNFA
        } else {
            AhoCorasickKind::DFA
        };
        let (prefilter, keyword_rules) = Keywords::build(rules, kind)?;
        let wide_keywords = keyword_rules
            .iter()
            .map(|rs| rs.iter().any(|&r| rules[r as usize].multiline))
            .collect();
        let verifiers: Vec<Verifier> = rules
            .iter()
            .map(|r| Verifier {
                regex: OnceLock::new(),
                source: r.regex.clone(),
                secret_group: OnceLock::new(),
                group: r.secret_group,
                multiline: r.multiline,
                min_entropy: r.min_entropy,
                checksum: r.checksum,
            })
            .collect();
        if compile == Compile::Eager {
            for (v, r) in verifiers.iter().zip(rules) {
                if let Err(message) = v.regex.get_or_init(|| compile_rule_regex(&v.source)) {
                    return Err(CompileError {
                        id: r.id.clone(),
                        origin: r.origin.to_string(),
                        message: message.clone(),
                    });
                }
            }
        }
        let always = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.keywords.is_empty())
            .map(|(i, _)| u32::try_from(i).expect("fewer than 2^32 rules"))
            .collect();
        Ok(CompiledRules { prefilter, keyword_rules, wide_keywords, always, verifiers })
    }

    /// Fresh scratch space for one worker thread.
    pub fn scratch(&self) -> Scratch {
        let n = self.verifiers.len();
        Scratch {
            caches: (0..n).map(|_| None).collect(),
            captures: (0..n).map(|_| None).collect(),
            windows: vec![Vec::new(); n],
            touched: Vec::new(),
            matches: Vec::new(),
            wide_hits: Vec::new(),
            line_spans: Vec::new(),
        }
    }

    /// Finds every match of every rule in `haystack`, sorted by secret position then rule.
    /// Matches of different rules may overlap (a generic rule and a provider rule on one
    /// secret): which one to report is the caller's decision, since it depends on path scopes.
    /// The returned slice lives in `scratch` until the next call.
    ///
    /// With `prefilter` false every rule is verified over the whole buffer: the reference
    /// behaviour that `rules check` compares the prefiltered scan against.
    pub fn scan<'s>(
        &self,
        scratch: &'s mut Scratch,
        haystack: &[u8],
        prefilter: bool,
    ) -> &'s [RawMatch] {
        scratch.matches.clear();
        scratch.touched.clear();
        scratch.wide_hits.clear();
        if prefilter {
            self.collect_windows(scratch, haystack, (0, haystack.len()));
            self.add_always(scratch, haystack);
        } else {
            for (ri, w) in scratch.windows.iter_mut().enumerate() {
                w.push((0, haystack.len()));
                scratch.touched.push(ri as u32);
            }
        }
        self.verify_windows(scratch, haystack)
    }

    /// Finds the matches [`CompiledRules::scan`] would find in a delta whose base was scanned:
    /// those in `regions` (the lines the delta changed: whole lines, sorted and disjoint), and
    /// those of the rules that reach past their keyword's line (`multiline` rules, rules without
    /// keywords) wherever they are, given the keyword hits of such rules that the delta copied
    /// from its base (`carried`, from the base's [`CompiledRules::wide_hits`]). Every other rule
    /// sees only its keyword's line, so an unchanged line holds the base's matches.
    pub fn scan_regions<'s>(
        &self,
        scratch: &'s mut Scratch,
        haystack: &[u8],
        regions: &[(usize, usize)],
        carried: &[KeywordHit],
    ) -> &'s [RawMatch] {
        scratch.matches.clear();
        scratch.touched.clear();
        scratch.wide_hits.clear();
        for &region in regions {
            self.collect_windows(scratch, haystack, region);
        }
        for &hit in carried {
            scratch.wide_hits.push(hit);
            for &ri in &self.keyword_rules[hit.keyword as usize] {
                let v = &self.verifiers[ri as usize];
                if v.multiline {
                    let w = window(haystack, hit.start, hit.end, true);
                    if scratch.windows[ri as usize].is_empty() {
                        scratch.touched.push(ri);
                    }
                    scratch.windows[ri as usize].push(w);
                }
            }
        }
        self.add_always(scratch, haystack);
        self.verify_windows(scratch, haystack)
    }

    /// The keyword hits of `multiline` rules in the buffer of the last scan: what a delta of
    /// it carries into [`CompiledRules::scan_regions`].
    pub fn wide_hits<'s>(&self, scratch: &'s Scratch) -> &'s [KeywordHit] {
        &scratch.wide_hits
    }

    /// The whole-match spans of the last scan's matches of rules that match within a line:
    /// where a delta that copies those lines unchanged has matches too.
    pub fn line_spans<'s>(&self, scratch: &'s Scratch) -> &'s [(usize, usize)] {
        &scratch.line_spans
    }

    /// Whether rule `rule` (an index into the rules given to [`CompiledRules::new`]) matches
    /// within its keyword's line, so that an unchanged line gives it the same matches.
    pub fn is_line_local(&self, rule: usize) -> bool {
        !self.verifiers[rule].multiline && !self.always.contains(&(rule as u32))
    }

    fn add_always(&self, scratch: &mut Scratch, haystack: &[u8]) {
        for &ri in &self.always {
            if scratch.windows[ri as usize].is_empty() {
                scratch.touched.push(ri);
            }
            scratch.windows[ri as usize].push((0, haystack.len()));
        }
    }

    fn verify_windows<'s>(&self, scratch: &'s mut Scratch, haystack: &[u8]) -> &'s [RawMatch] {
        let touched = std::mem::take(&mut scratch.touched);
        for &ri in &touched {
            let ri = ri as usize;
            let mut windows = std::mem::take(&mut scratch.windows[ri]);
            merge_windows(&mut windows);
            self.verify(ri, scratch, haystack, &windows);
            windows.clear();
            scratch.windows[ri] = windows;
        }
        scratch.touched = touched;
        let matches = &mut scratch.matches;
        matches.sort_unstable_by_key(|m| (m.secret.0, m.secret.1, m.rule));
        scratch.line_spans.clear();
        scratch
            .line_spans
            .extend(matches.iter().filter(|m| self.is_line_local(m.rule)).map(|m| m.span));
        &scratch.matches
    }

    /// Adds the window of each keyword hit within `span` to its rules.
    fn collect_windows(&self, scratch: &mut Scratch, hay: &[u8], span: (usize, usize)) {
        // Non-overlapping leftmost-longest search, restarted one byte after each hit's start:
        // unlike an overlapping search it keeps the automaton's fast scan loop, and it still
        // sees every position where a keyword starts.
        let mut input = aho_corasick::Input::new(hay).span(span.0..span.1);
        while let Some(hit) = self.prefilter.find(input.clone()) {
            input.set_start(hit.start() + 1);
            let keyword = hit.pattern().as_usize();
            if self.wide_keywords[keyword] {
                scratch.wide_hits.push(KeywordHit {
                    start: hit.start(),
                    end: hit.end(),
                    keyword: keyword as u32,
                });
            }
            for &ri in &self.keyword_rules[keyword] {
                let windows = &mut scratch.windows[ri as usize];
                let multiline = self.verifiers[ri as usize].multiline;
                // Cheap skip for a hit whose whole line the previous window already covers
                // (a newline, not the reach limit, ended that window; a multiline window ends
                // at its reach, wherever that falls).
                if !multiline
                    && windows.last().is_some_and(|&(_, end)| {
                        end >= hit.end() && end < hay.len() && hay[end] == b'\n'
                    })
                {
                    continue;
                }
                let w = window(hay, hit.start(), hit.end(), multiline);
                if windows.last().is_some_and(|&(start, end)| start <= w.0 && end >= w.1) {
                    continue;
                }
                if windows.is_empty() {
                    scratch.touched.push(ri);
                }
                windows.push(w);
            }
        }
    }

    fn verify(&self, ri: usize, scratch: &mut Scratch, hay: &[u8], windows: &[(usize, usize)]) {
        let v = &self.verifiers[ri];
        let Some(regex) = v.regex() else { return };
        let group = v.secret_group(regex);
        let cache = scratch.caches[ri].get_or_insert_with(|| regex.create_cache());
        let caps = scratch.captures[ri].get_or_insert_with(|| regex.create_captures());
        for &(start, end) in windows {
            let mut pos = start;
            while pos <= end {
                let input = Input::new(hay).span(pos..end);
                regex.search_captures_with(cache, &input, caps);
                let Some(m) = caps.get_match() else { break };
                pos = if m.is_empty() { m.end() + 1 } else { m.end() };
                // Group 0 (imported gitleaks rules): the first capture group that took part.
                let secret = if group == 0 {
                    (1..caps.group_len()).find_map(|g| caps.get_group(g))
                } else {
                    caps.get_group(group)
                };
                let Some(secret) = secret else { continue };
                if secret.is_empty() {
                    continue;
                }
                let bytes = &hay[secret.range()];
                if v.min_entropy.is_some_and(|min| shannon_entropy(bytes) < min) {
                    continue;
                }
                let checksum_valid = match v.checksum {
                    Some(Checksum::GithubCrc32) => {
                        if !github_crc32_valid(bytes) {
                            continue;
                        }
                        true
                    }
                    Some(Checksum::JwtHeader) => {
                        if !jwt_structure_valid(bytes) {
                            continue;
                        }
                        true
                    }
                    None => false,
                };
                scratch.matches.push(RawMatch {
                    rule: ri,
                    span: (m.start(), m.end()),
                    secret: (secret.start, secret.end),
                    checksum_valid,
                });
            }
        }
    }
}

/// The part of `hay` a rule is verified in around a keyword at `start..end`: the keyword's line
/// ([`line_window`]), or from the line's start up to [`MULTILINE_REACH`] past the keyword.
fn window(hay: &[u8], start: usize, end: usize, multiline: bool) -> (usize, usize) {
    let (from, to) = line_window(hay, start, end);
    if multiline {
        (from, (end + MULTILINE_REACH).min(hay.len()))
    } else {
        (from, to)
    }
}

/// The line around `start..end` (without its terminator), reaching at most [`LINE_REACH`]
/// bytes either way: what a rule sees around a keyword, and where an inline marker for a secret
/// is looked for. Lines longer than the reach (minified code, a 64 MiB single line) are cut, so
/// no byte is looked at more than a bounded number of times.
pub fn line_window(hay: &[u8], start: usize, end: usize) -> (usize, usize) {
    let lo = start.saturating_sub(LINE_REACH);
    let from = memchr::memrchr(b'\n', &hay[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = (end + LINE_REACH).min(hay.len());
    let to = memchr::memchr(b'\n', &hay[end..hi]).map_or(hi, |i| end + i);
    (from, to)
}

/// Sorts and coalesces overlapping or touching windows so no byte is verified twice.
fn merge_windows(windows: &mut Vec<(usize, usize)>) {
    windows.sort_unstable();
    let mut out = 0;
    for i in 0..windows.len() {
        let w = windows[i];
        if out > 0 && w.0 <= windows[out - 1].1 {
            windows[out - 1].1 = windows[out - 1].1.max(w.1);
        } else {
            windows[out] = w;
            out += 1;
        }
    }
    windows.truncate(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge() {
        let mut w = vec![(10, 20), (0, 5), (5, 8), (19, 30), (40, 41)];
        merge_windows(&mut w);
        assert_eq!(w, vec![(0, 8), (10, 30), (40, 41)]);
    }

    #[test]
    fn window_is_the_line() {
        let hay = b"aaa\nbb KEY cc\ndd";
        assert_eq!(window(hay, 7, 10, false), (4, 13));
        assert_eq!(window(hay, 7, 10, true), (4, hay.len()));
    }

    #[test]
    fn public_types_are_thread_safe() {
        fn assert_send_sync<T: Send + Sync + std::panic::UnwindSafe>() {}
        assert_send_sync::<CompiledRules>();
        fn assert_send<T: Send>() {}
        assert_send::<Scratch>();
    }
}
