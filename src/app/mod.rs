//! The orchestrator: turns the command line into a [`plan::Plan`], loads and compiles the rules
//! once, hands every item to the detect stage on worker threads, and writes the report. Each
//! stage's logic lives in its own module; this one and its children only wire them together:
//! `scan` (files and standard input), `history` (the git commands), `rules` (`rules list`,
//! `rules check`), `progress` (the progress line).

mod history;
mod plan;
mod progress;
mod rules;
mod scan;

use crate::cli::{BaselineCommand, Command, RulesCommand};
use crate::config::{self, ConfigText};
use crate::detect::{Detector, Stage};
use crate::diag::{self, Level};
use crate::engine::Compile;
use crate::filter::baseline::{self, Baseline};
use crate::filter::gitleaksignore::GitleaksIgnore;
use crate::filter::SuppressOptions;
use crate::finding::{Finding, SuppressionKind};
use crate::report::{self, Report};
use anyhow::{Context, Result};
use plan::{Mode, Plan};
use std::io::{self, Write};
use std::path::Path;
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
        Command::Scan(args) => execute(&Plan::scan(args)),
        Command::Staged(args) => execute(&Plan::staged(args)),
        Command::Git(args) => execute(&Plan::git(args)),
        Command::Rules(RulesCommand::List { config, format }) => rules::list(&config, format),
        Command::Rules(RulesCommand::Check { files }) => rules::check(&files),
        Command::Baseline(BaselineCommand::Convert { path, git, output }) => {
            execute(&Plan::convert(path, git, output))
        }
        Command::Completions { shell } => {
            let mut cli = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut out = io::stdout().lock();
            clap_complete::generate(shell, &mut cli, "leakhound", &mut out);
            out.flush()?;
            Ok(EXIT_CLEAN)
        }
        Command::Man => {
            let cli = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cli).render(&mut out)?;
            out.flush()?;
            Ok(EXIT_CLEAN)
        }
    }
}

fn execute(plan: &Plan) -> Result<u8> {
    let started = Instant::now();
    match &plan.mode {
        Mode::Scan(scan) => scan::run(plan, scan, started),
        Mode::Staged { repo, all_lines } => history::staged(plan, repo, *all_lines, started),
        Mode::Range { repo, range, all_lines } => {
            history::range(plan, repo, range, *all_lines, started)
        }
        Mode::Sweep { repo, branches, all_occurrences, whole_blobs } => {
            let sweep = history::Sweep {
                branches,
                all_occurrences: *all_occurrences,
                whole_blobs: *whole_blobs,
            };
            history::sweep(plan, repo, &sweep, started)
        }
    }
}

/// Rules and configuration loaded and compiled for one run.
struct Loaded {
    detector: Detector,
    /// Things in the configuration that were not applied (untranslatable gitleaks settings,
    /// positional `.gitleaksignore` entries).
    notes: Vec<String>,
    /// The config's `[paths] exclude` globs: never read.
    excluded_paths: Vec<String>,
    /// The default path exclusions of `patterns/excludes.toml`.
    default_excludes: Vec<String>,
}

/// Configuration, `.gitleaksignore` and baseline taken from somewhere other than the files on
/// disk: a range scan reads them as the base of the range has them, so that a pull request
/// cannot allowlist its own secret.
#[derive(Default)]
struct Pinned {
    configs: Vec<ConfigText>,
    gitleaks_ignore: Option<ConfigText>,
    baseline: Option<ConfigText>,
    notes: Vec<String>,
}

/// Loads the built-in rules and the configuration (given, or discovered from
/// `discover_from`, or `pinned`), the baseline and a `.gitleaksignore`, and compiles them:
/// every user error surfaces before the scan starts, naming its file and line.
fn load(
    plan: &Plan,
    discover_from: Option<&Path>,
    compile: Compile,
    pinned: Option<&Pinned>,
) -> Result<Loaded> {
    let cfg = &plan.config;
    let configs = match pinned {
        Some(p) => p.configs.clone(),
        None => config::read(&cfg.files, discover_from, !cfg.discover)?,
    };
    let (mut set, mut notes) = config::load_texts(&configs)?;
    cfg.selection.apply(&mut set.rules).map_err(anyhow::Error::msg)?;
    notes.extend(pinned.iter().flat_map(|p| p.notes.iter().cloned()));
    let ignore_text = match pinned {
        Some(p) => p.gitleaks_ignore.clone(),
        None if cfg.discover => {
            match discover_from.and_then(|d| config::discover_named(d, &[".gitleaksignore"])) {
                Some(path) => Some(GitleaksIgnore::read(&path).map_err(anyhow::Error::msg)?),
                None => None,
            }
        }
        None => None,
    };
    let gitleaks_ignore = ignore_text.map(|t| {
        let (ignore, n) = GitleaksIgnore::parse(t.label, &t.text);
        notes.extend(n);
        ignore
    });
    let baseline_text = match (pinned, &cfg.baseline) {
        (Some(p), _) => p.baseline.clone(),
        (None, Some(path)) => Some(Baseline::read(path).map_err(anyhow::Error::msg)?),
        (None, None) => None,
    };
    let baseline = baseline_text
        .map(|t| Baseline::parse(t.label, &t.text, cfg.baseline_ignore_path))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts =
        SuppressOptions { inline: cfg.inline, baseline, gitleaks_ignore, ..Default::default() };
    let detector = Detector::with_suppressions(&set, compile, opts)?;
    let default_excludes = set.excludes.iter().flat_map(|e| e.paths.iter().cloned()).collect();
    Ok(Loaded { detector, notes, excluded_paths: set.exclude_paths, default_excludes })
}

/// Whether `e` is, or was caused by, a write to a closed pipe.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// What a run hands to [`finish`] besides its stage.
struct Ending<'a> {
    notes: &'a [String],
    /// Report allowlist and baseline entries that suppressed nothing (not for range and staged
    /// scans, which see a small part of the tree).
    report_unused: bool,
    started: Instant,
    /// The kind of scan, for reports (SARIF's `automationDetails.id`).
    category: &'static str,
    /// The repository a git scan read.
    checkout: Option<crate::provenance::Checkout>,
}

/// Sorts the findings, writes the baseline and the report, prints the diagnostics and the
/// summary, and computes the exit status.
fn finish(plan: &Plan, stage: Stage<'_>, end: &Ending<'_>) -> Result<u8> {
    let detector = stage.detector();
    let (mut findings, stats, diags) = stage.finish();
    for n in end.notes {
        diags.push(Level::Note, n.clone());
    }
    for w in detector.suppressor().catch_alls() {
        diags.push(Level::Warning, w);
    }
    report::sort(&mut findings);
    let out = &plan.output;
    if let Some(path) = &out.write_baseline {
        // What is reported, plus what a baseline or .gitleaksignore accepts: entries still in
        // use stay. Inline markers and allowlists need no entry.
        let current: Vec<Finding> = findings
            .iter()
            .filter(|f| {
                f.suppressed.as_ref().is_none_or(|s| {
                    matches!(s.kind, SuppressionKind::Baseline | SuppressionKind::Gitleaksignore)
                })
            })
            .cloned()
            .collect();
        baseline::write(path, &current, detector.suppressor().baseline())
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
    }
    if let Some(path) = &out.convert_to {
        // `baseline convert`: what the .gitleaksignore suppressed becomes a content baseline.
        let matched: Vec<Finding> = findings
            .into_iter()
            .filter(|f| {
                f.suppressed.as_ref().is_some_and(|s| s.kind == SuppressionKind::Gitleaksignore)
            })
            .collect();
        baseline::write(path, &matched, None)
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
        let mut stderr = io::stderr().lock();
        diag::render(&diags.sorted(), false, &mut stderr)?;
        writeln!(stderr, "leakhound: wrote {} entries to {}", matched.len(), path.display())?;
        return Ok(if diags.errored() { EXIT_ERROR } else { EXIT_CLEAN });
    }
    // Git scans report each secret once, with the other places it occurs (written to a
    // baseline above one by one, so each occurrence's entry suppresses it).
    let grouped = !matches!(plan.mode, Mode::Scan(_));
    if grouped {
        findings = crate::group::by_secret(findings);
        report::sort(&mut findings);
    }
    if !out.include_suppressed {
        findings.retain(|f| f.suppressed.is_none());
    }
    if end.report_unused {
        let level = if out.strict { Level::Error } else { Level::Warning };
        for message in detector.suppressor().unused() {
            diags.push(level, message);
        }
    }
    let sorted = diags.sorted();
    let rep = Report {
        findings: &findings,
        rules: detector.rules(),
        stats: &stats,
        diagnostics: &sorted,
        color: out.color,
        elapsed: end.started.elapsed(),
        category: end.category,
        checkout: end.checkout.as_ref(),
    };
    // A reader that stops early (`leakhound scan | head -1`) closes the pipe: the report is
    // cut short, but the exit status still says what was found.
    match report::write_to(out.format, &rep, out.path.as_deref()) {
        Err(e) if !is_broken_pipe(&e) => return Err(e),
        _ => {}
    }
    let reported = findings.iter().filter(|f| f.suppressed.is_none()).count();
    // Standard error may be closed too; what it would say changes nothing.
    let mut stderr = io::stderr().lock();
    let _ = diag::render(&sorted, out.verbose, &mut stderr);
    if !out.quiet {
        let secs = end.started.elapsed().as_secs_f64();
        let occurrences = grouped.then(|| {
            let reported = findings.iter().filter(|f| f.suppressed.is_none());
            reported.map(|f| 1 + f.occurrences.len()).sum::<usize>()
        });
        let _ = writeln!(stderr, "{}", report::summary(&stats, (reported, occurrences), secs));
    }
    Ok(if diags.errored() {
        EXIT_ERROR
    } else if reported == 0 {
        EXIT_CLEAN
    } else {
        out.exit_code
    })
}
