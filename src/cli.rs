//! Command-line flags (clap derive), their help text and per-flag tests. Nothing here touches
//! the file system or knows about rules or engines; `app::plan` turns these into typed options.

use crate::report::Format;
use crate::rules::{Confidence, Severity};
use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// leakhound: find credentials in files, directories and git history.
#[derive(Debug, Parser)]
#[command(name = "leakhound", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The version `--version` prints: the package version and the commit it was built from
/// (`build.rs` asks git; `unknown` outside a clone).
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("LEAKHOUND_COMMIT"), ")");

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (default `.`); `-` reads standard input.
    Scan(ScanArgs),
    /// Scan what `git commit` would record (the index), reporting only the lines it adds:
    /// for a pre-commit hook.
    Staged(StagedArgs),
    /// Scan git history: every unique blob reachable from any ref, or with --since/--range only
    /// what a range of commits introduced.
    Git(GitArgs),
    /// List or check the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Work with baseline files.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print a shell completion script (`source <(leakhound completions bash)`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `leakhound man > leakhound.1`, or `leakhound man | man -l -`.
    Man,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules in effect (built-in plus `-c` files).
    List {
        /// Extra rule files.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Vec<PathBuf>,
        /// Output format.
        #[arg(short = 'f', long = "format", value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Run every rule's examples and negative examples through the full pipeline.
    /// With FILEs, check those rule files (plus the built-in allowlists); without, the built-in set.
    Check {
        /// Rule files to check.
        files: Vec<PathBuf>,
    },
}

/// `baseline` subcommands.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Turn the entries of a .gitleaksignore into a content baseline: scans PATH (or, with
    /// --git, its history) and writes the findings the .gitleaksignore suppresses.
    Convert {
        /// The directory or repository whose .gitleaksignore is converted.
        #[arg(value_name = "PATH", default_value = ".")]
        path: PathBuf,
        /// Scan the git history (for entries with commit ids) instead of the files.
        #[arg(long)]
        git: bool,
        /// The baseline to write.
        #[arg(
            short = 'o',
            long = "output",
            value_name = "FILE",
            default_value = "leakhound-baseline.toml"
        )]
        output: PathBuf,
    },
}

/// Output of `rules list`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    /// One rule per line.
    Human,
    /// A JSON array.
    Json,
}

/// When to color output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Flags every scanning command shares: reports, rules, limits.
#[derive(Debug, ClapArgs)]
pub struct CommonArgs {
    /// Report format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show secrets in clear text in every format (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code when findings are reported.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Config or rule files (leakhound.toml format, or a gitleaks .gitleaks.toml); default: the
    /// nearest leakhound.toml or .leakhound.toml up to the repository root.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Do not look for a leakhound.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Suppress findings listed in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to this baseline file (keeping reasons already in --baseline).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Match baseline entries on rule and secret only, so a secret moved to another file stays
    /// suppressed.
    #[arg(long, requires = "baseline")]
    pub baseline_ignore_path: bool,
    /// Ignore inline `leakhound:allow`, `gitleaks:allow` and `pragma: allowlist secret` markers
    /// (for audits).
    #[arg(long)]
    pub no_inline_allow: bool,
    /// Also report suppressed findings, marked as such (they do not change the exit code).
    #[arg(long)]
    pub include_suppressed: bool,
    /// Make allowlist and baseline entries that suppressed nothing an error (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// Skip inputs larger than SIZE (bytes, or with a K/M/G suffix). Default: no limit for files,
    /// which are memory-mapped; 64M for what must be held in memory (standard input, git blobs,
    /// files read with --no-mmap).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Scan files that look binary (a known binary format, or mostly control bytes).
    #[arg(long)]
    pub binary: bool,
    /// Worker threads (default: all cores; at most 256).
    #[arg(short = 'j', long = "threads", value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Only these rules: a rule id or a glob over ids (`aws.*`); repeatable.
    #[arg(long = "rule", value_name = "PATTERN")]
    pub rules: Vec<String>,
    /// Never these rules: a rule id or a glob over ids; repeatable.
    #[arg(long = "skip-rule", value_name = "PATTERN")]
    pub skip_rules: Vec<String>,
    /// Only rules of at least this severity.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_severity: Option<Severity>,
    /// Only rules of at least this confidence (`low` includes generic patterns).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_confidence: Option<Confidence>,
    /// When to use colors in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Never use colors (`--color never`).
    #[arg(long, conflicts_with = "color")]
    pub no_color: bool,
    /// Do not print the summary line (and progress) on standard error.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Also say why each input was left out (binary files), on standard error.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// Flags of `scan`.
#[derive(Debug, ClapArgs)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report, rule and limit flags.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Do not respect .gitignore, .ignore and .git/info/exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long = "follow", short = 'L')]
    pub follow: bool,
    /// Do not apply the default path exclusions of patterns/excludes.toml.
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Memory-map files of at least SIZE bytes (default 4M); `--no-mmap` always reads.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, conflicts_with = "no_mmap")]
    pub mmap: Option<u64>,
    /// Never memory-map files.
    #[arg(long)]
    pub no_mmap: bool,
}

/// Flags of `staged`.
#[derive(Debug, ClapArgs)]
pub struct StagedArgs {
    /// A path inside the repository.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Report secrets on every line of the staged files, not only on the lines this commit adds.
    #[arg(long)]
    pub all_lines: bool,
    /// Report, rule and limit flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags of `git`.
#[derive(Debug, ClapArgs)]
pub struct GitArgs {
    /// A path inside the repository (a work tree, a .git directory or a bare repository).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Scan only what the commits after REV up to HEAD introduced (REV..HEAD).
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    pub since: Option<String>,
    /// Scan only what the commits in A..B introduced (a pull request's base..head).
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    /// Limit the history sweep to what REF reaches (repeatable; default: every ref).
    #[arg(long, value_name = "REF", conflicts_with_all = ["since", "range"])]
    pub branch: Vec<String>,
    /// List every commit and path that carries a blob with a finding, not only the first.
    #[arg(long)]
    pub all_occurrences: bool,
    /// With --since/--range: report secrets on every line of changed files, not only added lines.
    #[arg(long)]
    pub all_lines: bool,
    /// History sweep: scan every blob whole, instead of only the lines each stored delta
    /// changed (the reference the delta scan is tested against; same findings, slower).
    #[arg(long, hide = true)]
    pub whole_blobs: bool,
    /// Report, rule and limit flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// For a command line written for gitleaks (`gitleaks detect --source . --report-format sarif`),
/// the leakhound command that does the same: people switch with their CI scripts in hand.
/// `None` when the first argument is not a gitleaks command.
pub fn gitleaks_hint(command: &str) -> Option<String> {
    let equivalent = match command {
        "detect" => {
            "`leakhound git [REPO]` sweeps the history (`detect --no-git`: `leakhound scan \
             [DIR]`; `--log-opts A..B`: `leakhound git --range A..B`)"
        }
        "protect" => "`leakhound staged` scans what the next commit records (`protect --staged`)",
        "dir" | "directory" | "files" => "`leakhound scan [PATH]`",
        "stdin" => "`leakhound scan -`",
        _ => return None,
    };
    Some(format!(
        "`{command}` is a gitleaks command; in leakhound: {equivalent}. Flags: `--report-format F \
         --report-path P` are `-f F -o P`, `--source DIR` is the positional path, \
         `--baseline-path` is `--baseline`, `--config` is `-c`, and secrets are redacted unless \
         `--show-secrets`; a .gitleaks.toml and .gitleaksignore are read as they are."
    ))
}

/// The most worker threads `-j` accepts: each holds buffers and caches, so a huge count only
/// costs memory (`-j 50000` once used 15 GB).
pub const MAX_THREADS: usize = 256;

/// Parses a thread count: 1 to [`MAX_THREADS`].
///
/// # Errors
/// Not a number in that range.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a thread count from 1 to {MAX_THREADS}")),
    }
}

/// Parses `123`, `4K`, `64M`, `1G` (binary units; `KiB`/`MiB`/`GiB` and `KB`/`MB`/`GB` too).
///
/// # Errors
/// Not a number with an optional unit.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size (e.g. 4096, 64K, 64M)"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown size unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert!(parse_size("x").is_err());
        assert!(parse_size("5T").is_err());
    }

    #[test]
    fn thread_counts_are_bounded() {
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("50000").is_err());
        assert!(parse_threads("18446744073709551615").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn gitleaks_commands_get_a_hint() {
        assert!(gitleaks_hint("detect").is_some_and(|h| h.contains("leakhound git")));
        assert!(gitleaks_hint("protect").is_some_and(|h| h.contains("leakhound staged")));
        assert!(gitleaks_hint("scna").is_none());
    }

    #[test]
    fn scan_defaults_to_current_dir() {
        let cli = Cli::try_parse_from(["leakhound", "scan"]).unwrap();
        let Command::Scan(a) = cli.command else { panic!("not scan") };
        assert_eq!(a.paths, vec![PathBuf::from(".")]);
        assert_eq!(a.common.exit_code, 1);
        assert_eq!(a.common.max_file_size, None);
    }
}
