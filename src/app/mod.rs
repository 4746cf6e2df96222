//! The orchestrator: loads and compiles rules once, runs the walk with one [`Worker`] per
//! thread, collects findings and diagnostics, writes the report and computes the exit status.
//! Each stage's logic lives in its own module; this one only wires them together.

mod git;

use crate::config;
use crate::filter::{self, baseline::Baseline, gitleaksignore::GitleaksIgnore};

use crate::cli::{
    BaselineCommand, ColorChoice, Command, CommonArgs, Format, ListFormat, RulesCommand, ScanArgs,
};
use crate::diag::{self, Diagnostics, Level};
use crate::engine::{Compile, CompiledRules, Scratch};
use crate::filter::{glob_set, Filter, FilterOptions, Suppression};
use crate::finding::{Finding, FindingParts, LineCounter, Suppressed};
use crate::input::walk::{self, Event, WalkOptions};
use crate::report::{self, Report, Stats};
use crate::rules::{self, Rule, RuleSet};
use crate::source::{self, Content, Policy, Skip};
use anyhow::{Context, Result};
use clap::Parser;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Exit status: nothing found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: an error (bad arguments or config, unreadable input).
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line and returns the process exit status.
///
/// # Errors
/// Fatal problems: bad rule files, an unwritable report. Problems with single inputs are
/// diagnostics instead and only change the exit status.
pub fn run(command: Command) -> Result<u8> {
    match command {
        Command::Scan(args) => scan(&args),
        Command::Staged(args) => git::staged(&args),
        Command::Git(args) => git::history(&args),
        Command::Rules(RulesCommand::List { config, format }) => list_rules(&config, format),
        Command::Rules(RulesCommand::Check { files }) => check_rules(&files),
        Command::Baseline(BaselineCommand::Convert { path, git, output }) => {
            let out = output.to_string_lossy().into_owned();
            let target = path.to_string_lossy().into_owned();
            let mode = if git { "git" } else { "scan" };
            let argv = ["leakhound", mode, &target, "-q", "--convert-gitleaksignore", &out];
            run(crate::cli::Cli::try_parse_from(argv)?.command)
        }
    }
}

/// Rules and configuration loaded and compiled for one run.
struct Loaded {
    set: RuleSet,
    detector: Detector,
    /// Things in the config that were not applied (untranslatable gitleaks settings).
    notes: Vec<String>,
    baseline: Option<Baseline>,
    gitleaks_ignore: Option<GitleaksIgnore>,
}

/// Loads the built-in rules and the configuration (given, or discovered from
/// `discover_from`), compiles them, and reads the baseline: every user error surfaces before
/// the scan starts, naming its file and line.
fn load(common: &CommonArgs, discover_from: Option<&Path>, compile: Compile) -> Result<Loaded> {
    let (set, mut notes) = config::load(&common.config, discover_from, common.no_config)?;
    let mut gitleaks_ignore = None;
    let ignore_file = if common.no_config {
        None
    } else {
        discover_from.and_then(|d| config::discover_named(d, &[".gitleaksignore"]))
    };
    if let Some(path) = ignore_file {
        let (g, n) = GitleaksIgnore::load(&path).map_err(anyhow::Error::msg)?;
        notes.extend(n);
        gitleaks_ignore = Some(g);
    }
    let opts = SuppressionOptions {
        inline: !common.no_inline_allow,
        include_suppressed: common.include_suppressed,
    };
    let detector = Detector::with_options(&set, compile, opts)?;
    let baseline = common
        .baseline
        .as_deref()
        .map(|p| Baseline::load(p, common.baseline_ignore_path))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    Ok(Loaded { set, detector, notes, baseline, gitleaks_ignore })
}

/// Rules compiled for detection, and their filter: everything [`detect`] needs.
pub struct Detector {
    /// The rules, indexed like the engine's matches.
    pub rules: Vec<Rule>,
    /// The keyword automaton and verifiers.
    pub compiled: CompiledRules,
    /// Allowlists, inline markers and path scopes.
    pub filter: Filter,
    /// HMAC key for fingerprints.
    pub key: Option<Vec<u8>>,
    /// Keep suppressed findings, marked, instead of dropping them.
    pub include_suppressed: bool,
}

/// Suppression switches from the command line.
#[derive(Clone, Copy, Debug)]
pub struct SuppressionOptions {
    /// Honour inline markers.
    pub inline: bool,
    /// Report suppressed findings too, marked as such.
    pub include_suppressed: bool,
}

impl Default for SuppressionOptions {
    fn default() -> SuppressionOptions {
        SuppressionOptions { inline: true, include_suppressed: false }
    }
}

/// The environment variable read for the fingerprint key when the config names none.
pub const FINGERPRINT_KEY_ENV: &str = "LEAKHOUND_FINGERPRINT_KEY";

impl Detector {
    /// Compiles `set` with default suppression options.
    ///
    /// # Errors
    /// A regex or glob that does not compile.
    pub fn new(set: &RuleSet, compile: Compile) -> Result<Detector> {
        Detector::with_options(set, compile, SuppressionOptions::default())
    }

    /// Compiles `set`.
    ///
    /// # Errors
    /// A regex or glob that does not compile.
    pub fn with_options(
        set: &RuleSet,
        compile: Compile,
        opts: SuppressionOptions,
    ) -> Result<Detector> {
        let compiled = CompiledRules::new(&set.rules, compile)?;
        let filter_opts = FilterOptions {
            eager: compile == Compile::Eager,
            inline: opts.inline,
            include_paths: set.include_paths.clone(),
            exclude_paths: set.exclude_paths.clone(),
        };
        let filter =
            Filter::new(&set.rules, &set.allowlist, &filter_opts).map_err(anyhow::Error::msg)?;
        let env = set.fingerprint_key_env.as_deref().unwrap_or(FINGERPRINT_KEY_ENV);
        let key = std::env::var_os(env).filter(|k| !k.is_empty()).map(|k| k.into_encoded_bytes());
        Ok(Detector {
            rules: set.rules.clone(),
            compiled,
            filter,
            key,
            include_suppressed: opts.include_suppressed,
        })
    }

    /// The whole pipeline over one buffer: prefilter, verify, filter, then findings with exact
    /// line and column numbers. Returns the number of suppressed matches (which are kept,
    /// marked, with `include_suppressed`).
    pub fn detect(
        &self,
        scratch: &mut Scratch,
        bytes: &[u8],
        path: Option<&str>,
        show_secrets: bool,
        prefilter: bool,
        out: &mut Vec<Finding>,
    ) -> u64 {
        let mut suppressed = 0;
        let matches = self.compiled.scan(scratch, bytes, prefilter);
        let mut lines = LineCounter::new(bytes);
        let report_path = path.unwrap_or("-");
        for m in matches {
            let rule = &self.rules[m.rule];
            let secret = &bytes[m.secret.0..m.secret.1];
            let line = line_at(bytes, m.secret.0);
            let fp = self.filter.wants_fingerprints().then(|| {
                crate::finding::fingerprint_keyed(
                    self.key.as_deref(),
                    &rule.id,
                    report_path,
                    secret,
                )
            });
            let verdict = self.filter.check(m.rule, path, secret, line, fp.as_deref());
            if verdict.is_some() {
                suppressed += 1;
                if !self.include_suppressed || verdict == Some(Suppression::PathScope) {
                    continue;
                }
            }
            let start = lines.locate(m.secret.0);
            let end = lines.locate(m.secret.1);
            let mut f = Finding::new(FindingParts {
                rule,
                path: report_path,
                secret,
                start,
                end,
                checksum_valid: m.checksum_valid,
                show_secret: show_secrets,
                key: self.key.as_deref(),
            });
            f.suppressed = verdict.map(|v| match v {
                Suppression::Inline { marker } => Suppressed {
                    kind: "inline",
                    justification: format!("inline `{marker}` marker"),
                },
                Suppression::Allowlist { reason, origin } => {
                    Suppressed { kind: "allowlist", justification: format!("{reason} ({origin})") }
                }
                Suppression::Baseline { reason } => {
                    Suppressed { kind: "baseline", justification: reason }
                }
                Suppression::PathScope => Suppressed { kind: "path", justification: String::new() },
            });
            out.push(f);
        }
        suppressed
    }
}

/// The line (without its terminator) that contains byte `at`, at most 4 KiB either side: an
/// inline marker sits near its secret, and a 64 MiB line must not be rescanned per match.
fn line_at(bytes: &[u8], at: usize) -> &[u8] {
    const REACH: usize = 4096;
    let lo = at.saturating_sub(REACH);
    let hi = (at + REACH).min(bytes.len());
    let start = memchr::memrchr(b'\n', &bytes[lo..at]).map_or(lo, |i| lo + i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..hi]).map_or(hi, |i| at + i);
    &bytes[start..end]
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    special: AtomicU64,
    errors: AtomicU64,
    suppressed: AtomicU64,
}

struct Ctx<'a> {
    detector: &'a Detector,
    baseline: Option<&'a Baseline>,
    gitleaks_ignore: Option<&'a GitleaksIgnore>,
    policy: Policy,
    show_secrets: bool,
    findings: Mutex<Vec<Finding>>,
    counters: Counters,
    diags: Diagnostics,
}

/// One walk thread's state: scratch space and buffers reused for every file it scans.
struct Worker<'a> {
    ctx: &'a Ctx<'a>,
    scratch: Scratch,
    buf: Vec<u8>,
    findings: Vec<Finding>,
}

impl<'a> Worker<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Worker<'a> {
        Worker {
            ctx,
            scratch: ctx.detector.compiled.scratch(),
            buf: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn visit(&mut self, event: Event) {
        let c = &self.ctx.counters;
        match event {
            Event::File { path, display } => self.scan_file(&path, &display),
            Event::Special(p) => {
                c.special.fetch_add(1, Ordering::Relaxed);
                self.ctx.diags.push(Level::Note, format!("{p}: skipped: not a regular file"));
            }
            Event::Error { message, is_loop } => {
                if is_loop {
                    self.ctx.diags.push(Level::Note, message);
                } else {
                    c.errors.fetch_add(1, Ordering::Relaxed);
                    self.ctx.diags.push(Level::Error, message);
                }
            }
        }
    }

    fn scan_file(&mut self, path: &Path, display: &str) {
        let ctx = self.ctx;
        let c = &ctx.counters;
        let content = match source::load(path, &ctx.policy, &mut self.buf) {
            Ok(Ok(content)) => content,
            Ok(Err(Skip::Binary)) => {
                c.binary.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(Err(Skip::TooLarge(size))) => {
                c.too_large.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(
                    Level::Warning,
                    format!("{display}: skipped: {size} bytes exceeds --max-file-size"),
                );
                return;
            }
            Err(e) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(Level::Error, format!("{display}: cannot read: {e}"));
                return;
            }
        };
        scan_content(ctx, &mut self.scratch, &content, Some(display), &mut self.findings);
    }
}

fn scan_content(
    ctx: &Ctx<'_>,
    scratch: &mut Scratch,
    content: &Content<'_>,
    path: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let bytes = content.bytes();
    let c = &ctx.counters;
    c.files.fetch_add(1, Ordering::Relaxed);
    c.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let suppressed = ctx.detector.detect(scratch, bytes, path, ctx.show_secrets, true, out);
    c.suppressed.fetch_add(suppressed, Ordering::Relaxed);
    if content.truncated() {
        c.errors.fetch_add(1, Ordering::Relaxed);
        ctx.diags.push(
            Level::Error,
            format!(
                "{}: file shrank while being scanned; its end was not scanned",
                path.unwrap_or("-")
            ),
        );
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        if !self.findings.is_empty() {
            let mut all = self.ctx.findings.lock().unwrap_or_else(|e| e.into_inner());
            all.append(&mut self.findings);
        }
    }
}

fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn scan(args: &ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let discover_from = args.paths.iter().find(|p| *p != Path::new("-")).map(PathBuf::as_path);
    let loaded = load(&args.common, discover_from.or(Some(Path::new("."))), Compile::Lazy)?;
    let (set, detector) = (&loaded.set, &loaded.detector);
    // Default exclusions and the config's excluded paths are never read at all.
    let mut globs: Vec<String> = set.exclude_paths.clone();
    if !args.no_default_excludes {
        globs.extend(set.excludes.iter().flat_map(|e| e.paths.clone()));
    }
    let excludes = if globs.is_empty() {
        None
    } else {
        Some(Arc::new(glob_set(&globs).map_err(anyhow::Error::msg)?))
    };
    let threads = thread_count(&args.common);
    let policy = Policy {
        max_size: args.common.max_file_size,
        mmap_threshold: if args.no_mmap {
            None
        } else {
            Some(args.mmap.unwrap_or(source::DEFAULT_MMAP_THRESHOLD))
        },
        binary: args.common.binary,
    };
    let ctx = Ctx {
        detector,
        baseline: loaded.baseline.as_ref(),
        gitleaks_ignore: loaded.gitleaks_ignore.as_ref(),
        policy,
        show_secrets: args.common.show_secrets,
        findings: Mutex::new(Vec::new()),
        counters: Counters::default(),
        diags: Diagnostics::default(),
    };
    let (stdin, roots): (Vec<_>, Vec<_>) =
        args.paths.iter().cloned().partition(|p| p == Path::new("-"));
    if !stdin.is_empty() {
        let mut buf = Vec::new();
        // Read at most one byte past the limit: standard input gets the same size and binary
        // policy as files.
        let limit = policy.max_size.saturating_add(1);
        match io::stdin().lock().take(limit).read_to_end(&mut buf) {
            Ok(_) if policy.skip(&buf) == Some(Skip::Binary) => {
                ctx.counters.binary.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) if policy.skip(&buf).is_some() => {
                ctx.counters.too_large.fetch_add(1, Ordering::Relaxed);
                ctx.diags
                    .push(Level::Warning, "-: skipped: standard input exceeds --max-file-size");
            }
            Ok(_) => {
                let mut scratch = detector.compiled.scratch();
                let mut found = Vec::new();
                scan_content(&ctx, &mut scratch, &Content::Borrowed(&buf), None, &mut found);
                ctx.findings.lock().unwrap_or_else(|e| e.into_inner()).extend(found);
            }
            Err(e) => {
                ctx.counters.errors.fetch_add(1, Ordering::Relaxed);
                ctx.diags.push(Level::Error, format!("-: cannot read standard input: {e}"));
            }
        }
    }
    let mut excluded = 0;
    let mut srcroot = None;
    if !roots.is_empty() {
        // A root that does not exist is reported once, here, and not walked.
        let roots: Vec<_> = roots
            .into_iter()
            .filter(|r| match std::fs::symlink_metadata(r) {
                Ok(_) => true,
                Err(e) => {
                    ctx.counters.errors.fetch_add(1, Ordering::Relaxed);
                    ctx.diags.push(Level::Error, format!("{}: {e}", r.display()));
                    false
                }
            })
            .collect();
        // A root that is a symlink is what the user named: follow it (a trailing slash makes
        // the walk enter a linked directory).
        let roots: Vec<PathBuf> = roots
            .into_iter()
            .map(|r| {
                let linked_dir = std::fs::symlink_metadata(&r).is_ok_and(|m| m.is_symlink())
                    && std::fs::metadata(&r).is_ok_and(|m| m.is_dir());
                if linked_dir {
                    let mut s = r.into_os_string();
                    s.push("/");
                    PathBuf::from(s)
                } else {
                    r
                }
            })
            .collect();
        let mut rebase = Vec::new();
        for r in &roots {
            if let Some((given, rel, top)) = walk::repo_relative(r) {
                rebase.push((given, rel));
                srcroot.get_or_insert(top);
            }
        }
        let opts = WalkOptions {
            roots,
            threads,
            no_ignore: args.no_ignore,
            follow: args.follow,
            excludes,
            rebase,
        };
        excluded = walk::walk(&opts, || {
            let mut worker = Worker::new(&ctx);
            Box::new(move |event| worker.visit(event))
        });
    }
    for n in &loaded.notes {
        ctx.diags.push(Level::Note, n.clone());
    }
    finish(&ctx, &args.common, excluded as u64, started, true, srcroot.as_deref())
}

fn thread_count(common: &CommonArgs) -> usize {
    common
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Sorts the findings, writes the report and the diagnostics, and computes the exit status.
fn finish(
    ctx: &Ctx<'_>,
    common: &CommonArgs,
    excluded: u64,
    started: Instant,
    report_stale: bool,
    srcroot: Option<&Path>,
) -> Result<u8> {
    let mut findings = std::mem::take(&mut *ctx.findings.lock().unwrap_or_else(|e| e.into_inner()));
    report::sort(&mut findings);
    if let Some(path) = &common.write_baseline {
        let current: Vec<Finding> = findings
            .iter()
            .filter(|f| {
                f.suppressed.is_none()
                    || f.suppressed.as_ref().is_some_and(|s| s.kind == "baseline")
            })
            .cloned()
            .collect();
        filter::baseline::write(path, &current, ctx.baseline)
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
    }
    let mut suppressed = ctx.counters.suppressed.load(Ordering::Relaxed);
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        let by_baseline =
            ctx.baseline.and_then(|b| b.accepts(f)).map(|r| ("baseline", r.to_string()));
        let by_ignore =
            || ctx.gitleaks_ignore.and_then(|g| g.ignores(f)).map(|r| ("gitleaksignore", r));
        if let Some((kind, justification)) = by_baseline.or_else(by_ignore) {
            f.suppressed = Some(Suppressed { kind, justification });
            suppressed += 1;
        }
    }
    if let Some(path) = &common.convert_gitleaksignore {
        // `baseline convert`: what the .gitleaksignore suppressed becomes a content baseline.
        let matched: Vec<Finding> = findings
            .iter()
            .filter(|f| f.suppressed.as_ref().is_some_and(|s| s.kind == "gitleaksignore"))
            .cloned()
            .collect();
        filter::baseline::write(path, &matched, None)
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
        let mut stderr = io::stderr().lock();
        writeln!(stderr, "leakhound: wrote {} entries to {}", matched.len(), path.display())?;
        return Ok(if ctx.diags.errored() { EXIT_ERROR } else { EXIT_CLEAN });
    }
    if !common.include_suppressed {
        findings.retain(|f| f.suppressed.is_none());
    }
    if report_stale {
        // Stale suppressions hide nothing today and may hide the wrong thing tomorrow.
        let level = if common.strict { Level::Error } else { Level::Warning };
        let user_entries =
            ctx.detector.filter.usage().into_iter().filter(|u| !u.origin.starts_with("patterns/"));
        for u in user_entries.filter(|u| u.count == 0) {
            ctx.diags.push(
                level,
                format!("{}: allowlist entry `{}` suppressed nothing", u.origin, u.reason),
            );
        }
        for u in
            ctx.baseline.map(|b| b.usage()).unwrap_or_default().into_iter().filter(|u| u.count == 0)
        {
            ctx.diags.push(
                level,
                format!("{}: baseline entry ({}) matched no finding", u.origin, u.reason),
            );
        }
    }
    let c = &ctx.counters;
    let stats = Stats {
        files_scanned: c.files.load(Ordering::Relaxed),
        bytes_scanned: c.bytes.load(Ordering::Relaxed),
        skipped_binary: c.binary.load(Ordering::Relaxed),
        skipped_too_large: c.too_large.load(Ordering::Relaxed),
        skipped_excluded: excluded,
        skipped_special: c.special.load(Ordering::Relaxed),
        errors: c.errors.load(Ordering::Relaxed),
        suppressed,
    };
    let to_terminal = common.output.is_none() && io::stdout().is_terminal();
    let rep = Report {
        findings: &findings,
        rules: &ctx.detector.rules,
        stats: &stats,
        color: common.format == Format::Human && use_color(common.color, to_terminal),
        srcroot,
    };
    write_report(common.format, &rep, common.output.as_deref())?;
    let mut stderr = io::stderr().lock();
    diag::render(&ctx.diags.sorted(), &mut stderr)?;
    let reported = findings.iter().filter(|f| f.suppressed.is_none()).count();
    if !common.quiet {
        writeln!(stderr, "{}", summary(&stats, reported, started.elapsed().as_secs_f64()))?;
    }
    Ok(if ctx.diags.errored() {
        EXIT_ERROR
    } else if reported == 0 {
        EXIT_CLEAN
    } else {
        common.exit_code
    })
}

fn summary(s: &Stats, findings: usize, secs: f64) -> String {
    let mib = s.bytes_scanned as f64 / (1024.0 * 1024.0);
    let mut skipped = Vec::new();
    for (n, what) in [
        (s.skipped_binary, "binary"),
        (s.skipped_too_large, "too large"),
        (s.skipped_excluded, "excluded by default"),
        (s.skipped_special, "not regular files"),
    ] {
        if n > 0 {
            skipped.push(format!("{n} {what}"));
        }
    }
    let mut line = format!(
        "leakhound: {findings} finding{} in {} file{} ({mib:.1} MiB) in {secs:.2}s",
        if findings == 1 { "" } else { "s" },
        s.files_scanned,
        if s.files_scanned == 1 { "" } else { "s" },
    );
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", s.suppressed));
    }
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    if s.errors > 0 {
        line.push_str(&format!("; {} error{}", s.errors, if s.errors == 1 { "" } else { "s" }));
    }
    line
}

fn write_report(format: Format, rep: &Report<'_>, output: Option<&Path>) -> Result<()> {
    let result = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create report file {}", path.display()))?;
            let mut w = io::BufWriter::new(file);
            report::write(format, rep, &mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("cannot write report file {}", path.display()))
        }
        None => {
            let mut w = io::BufWriter::new(io::stdout().lock());
            report::write(format, rep, &mut w).and_then(|()| w.flush()).map_err(anyhow::Error::from)
        }
    };
    result
}

fn list_rules(config: &[std::path::PathBuf], format: ListFormat) -> Result<u8> {
    let (set, _) = config::load(config, None, true)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ListFormat::Human => {
            for r in &set.rules {
                writeln!(out, "{:<40} {:<9} {}", r.id, r.severity.as_str(), r.name)?;
            }
        }
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = set
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "name": r.name, "description": r.description,
                        "severity": r.severity, "confidence": r.confidence,
                        "keywords": r.keywords, "references": r.references,
                        "source": r.origin.to_string(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

fn check_rules(files: &[std::path::PathBuf]) -> Result<u8> {
    let builtin = rules::load_builtin().context("built-in rules are broken")?;
    let set = if files.is_empty() {
        builtin
    } else {
        let mut set = RuleSet { allowlist: builtin.allowlist, ..RuleSet::default() };
        for f in files {
            set.merge(rules::load_file(f)?);
        }
        set
    };
    let problems = crate::check::check(&set)?;
    let mut err = io::stderr().lock();
    for p in &problems {
        writeln!(err, "{p}")?;
    }
    let examples: usize =
        set.rules.iter().map(|r| r.examples.len() + r.negative_examples.len()).sum();
    writeln!(
        err,
        "leakhound: checked {} rules, {examples} examples: {} problem{}",
        set.rules.len(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    Ok(if problems.is_empty() { EXIT_CLEAN } else { 1 })
}
