//! The command line, decided once: [`Plan`] turns clap's flags into the typed options each
//! stage takes (ripgrep's `HiArgs`). Nothing downstream sees a clap struct; `baseline convert`
//! builds a plan directly instead of a command line.

use crate::cli::{ColorChoice, CommonArgs, GitArgs, ScanArgs, StagedArgs};
use crate::detect;
use crate::report::Format;
use crate::rules::Selection;
use crate::source::{self, Policy};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Everything a scanning command needs.
pub(crate) struct Plan {
    /// What to scan.
    pub(crate) mode: Mode,
    /// Where rules, configuration and suppressions come from.
    pub(crate) config: ConfigPlan,
    /// How findings are made.
    pub(crate) detect: detect::Options,
    /// Size limit, binary sniff, mmap threshold.
    pub(crate) policy: Policy,
    /// Worker threads.
    pub(crate) threads: usize,
    /// What to do with the findings.
    pub(crate) output: OutputPlan,
}

/// What to scan.
pub(crate) enum Mode {
    /// Files and directories, and standard input.
    Scan(ScanPlan),
    /// What the next commit records.
    Staged {
        /// A path inside the repository.
        repo: PathBuf,
        /// Report every line of the staged files, not only the added ones.
        all_lines: bool,
    },
    /// What a range of commits introduced.
    Range {
        /// A path inside the repository.
        repo: PathBuf,
        /// The range.
        range: RangeSpec,
        /// Report every line of the changed files, not only the added ones.
        all_lines: bool,
    },
    /// Every blob of the history.
    Sweep {
        /// A path inside the repository.
        repo: PathBuf,
        /// Refs to start from (every ref when empty).
        branches: Vec<String>,
        /// List every commit and path carrying a blob with a finding.
        all_occurrences: bool,
        /// Scan every blob whole instead of only what deltas change.
        whole_blobs: bool,
    },
}

/// A range of commits.
pub(crate) enum RangeSpec {
    /// `REV..HEAD`.
    Since(String),
    /// `A..B` as given (`A..` means `A..HEAD`).
    Between(String),
}

/// A directory scan.
pub(crate) struct ScanPlan {
    /// Files and directories.
    pub(crate) roots: Vec<PathBuf>,
    /// Also scan standard input.
    pub(crate) stdin: bool,
    /// Do not respect ignore files.
    pub(crate) no_ignore: bool,
    /// Follow symbolic links.
    pub(crate) follow: bool,
    /// Apply `patterns/excludes.toml`.
    pub(crate) default_excludes: bool,
}

/// Where rules, configuration and suppressions come from.
pub(crate) struct ConfigPlan {
    /// `-c` files.
    pub(crate) files: Vec<PathBuf>,
    /// Look for a `leakhound.toml` and `.gitleaksignore` next to what is scanned.
    pub(crate) discover: bool,
    /// `--baseline`.
    pub(crate) baseline: Option<PathBuf>,
    /// `--baseline-ignore-path`.
    pub(crate) baseline_ignore_path: bool,
    /// Honour inline markers.
    pub(crate) inline: bool,
    /// `--rule`, `--skip-rule`, `--min-severity`, `--min-confidence`.
    pub(crate) selection: Selection,
}

/// What a run produces.
pub(crate) struct OutputPlan {
    /// Report format.
    pub(crate) format: Format,
    /// Report file; standard output when `None`.
    pub(crate) path: Option<PathBuf>,
    /// ANSI colors in the human report.
    pub(crate) color: bool,
    /// No summary or progress on standard error.
    pub(crate) quiet: bool,
    /// Every diagnostic on standard error, details too.
    pub(crate) verbose: bool,
    /// Exit status when findings are reported.
    pub(crate) exit_code: u8,
    /// Report suppressed findings too, marked.
    pub(crate) include_suppressed: bool,
    /// Unused suppressions are errors.
    pub(crate) strict: bool,
    /// Write the current findings to this baseline.
    pub(crate) write_baseline: Option<PathBuf>,
    /// `baseline convert`: write what a `.gitleaksignore` suppressed to this baseline instead
    /// of reporting.
    pub(crate) convert_to: Option<PathBuf>,
}

impl Plan {
    /// `leakhound scan`.
    pub(crate) fn scan(args: ScanArgs) -> Plan {
        let (stdin, roots): (Vec<_>, Vec<_>) =
            args.paths.into_iter().partition(|p| p.as_os_str() == "-");
        let mmap_threshold = if args.no_mmap {
            None
        } else {
            Some(args.mmap.unwrap_or(source::DEFAULT_MMAP_THRESHOLD))
        };
        let mode = Mode::Scan(ScanPlan {
            roots,
            stdin: !stdin.is_empty(),
            no_ignore: args.no_ignore,
            follow: args.follow,
            default_excludes: !args.no_default_excludes,
        });
        Plan::new(mode, args.common, mmap_threshold)
    }

    /// `leakhound staged`.
    pub(crate) fn staged(args: StagedArgs) -> Plan {
        let mode = Mode::Staged { repo: args.repo, all_lines: args.all_lines };
        Plan::new(mode, args.common, None)
    }

    /// `leakhound git`.
    pub(crate) fn git(args: GitArgs) -> Plan {
        let range = match (args.since, args.range) {
            (Some(since), _) => Some(RangeSpec::Since(since)),
            (None, Some(range)) => Some(RangeSpec::Between(range)),
            (None, None) => None,
        };
        let mode = match range {
            Some(range) => Mode::Range { repo: args.repo, range, all_lines: args.all_lines },
            None => Mode::Sweep {
                repo: args.repo,
                branches: args.branch,
                all_occurrences: args.all_occurrences,
                whole_blobs: args.whole_blobs,
            },
        };
        Plan::new(mode, args.common, None)
    }

    /// `leakhound baseline convert`: scan `path` (or its history) and write the findings its
    /// `.gitleaksignore` suppresses to `output`. `path` is a path, whatever it is spelled like
    /// (`-` is a file named `-`, not standard input).
    pub(crate) fn convert(path: PathBuf, git: bool, output: PathBuf) -> Plan {
        let mode = if git {
            Mode::Sweep {
                repo: path,
                branches: Vec::new(),
                all_occurrences: false,
                whole_blobs: false,
            }
        } else {
            Mode::Scan(ScanPlan {
                roots: vec![path],
                stdin: false,
                no_ignore: false,
                follow: false,
                default_excludes: true,
            })
        };
        let policy = Policy::default();
        Plan {
            mode,
            config: ConfigPlan {
                files: Vec::new(),
                discover: true,
                baseline: None,
                baseline_ignore_path: false,
                inline: true,
                selection: Selection::default(),
            },
            detect: detect::Options { show_secrets: false, keep_suppressed: true },
            policy,
            threads: default_threads(),
            output: OutputPlan {
                format: Format::Json,
                path: None,
                color: false,
                quiet: true,
                verbose: false,
                exit_code: 1,
                include_suppressed: false,
                strict: false,
                write_baseline: None,
                convert_to: Some(output),
            },
        }
    }

    fn new(mode: Mode, common: CommonArgs, mmap_threshold: Option<u64>) -> Plan {
        let to_terminal = common.output.is_none() && std::io::stdout().is_terminal();
        let color = common.format == Format::Human
            && !common.no_color
            && match common.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
        Plan {
            mode,
            config: ConfigPlan {
                files: common.config,
                discover: !common.no_config,
                baseline: common.baseline,
                baseline_ignore_path: common.baseline_ignore_path,
                inline: !common.no_inline_allow,
                selection: Selection {
                    only: common.rules,
                    skip: common.skip_rules,
                    min_severity: common.min_severity,
                    min_confidence: common.min_confidence,
                },
            },
            detect: detect::Options {
                show_secrets: common.show_secrets,
                // A baseline being written keeps the entries still in use.
                keep_suppressed: common.include_suppressed || common.write_baseline.is_some(),
            },
            policy: Policy {
                max_size: common.max_file_size.unwrap_or(u64::MAX),
                max_read: common.max_file_size.unwrap_or(source::DEFAULT_MEMORY_LIMIT),
                mmap_threshold,
                binary: common.binary,
            },
            threads: common.threads.unwrap_or_else(default_threads).max(1),
            output: OutputPlan {
                format: common.format,
                path: common.output,
                color,
                quiet: common.quiet,
                verbose: common.verbose,
                exit_code: common.exit_code,
                include_suppressed: common.include_suppressed,
                strict: common.strict,
                write_baseline: common.write_baseline,
                convert_to: None,
            },
        }
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
