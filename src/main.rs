//! The `leakhound` binary: parse arguments, run, map the result to an exit code. The one place
//! that prints a fatal error.
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match leakhound::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let first = std::env::args_os().nth(1);
            let hint =
                first.as_ref().and_then(|a| a.to_str()).and_then(leakhound::cli::gitleaks_hint);
            if let (clap::error::ErrorKind::InvalidSubcommand, Some(hint)) = (e.kind(), hint) {
                eprintln!("leakhound: error: {hint}");
                return ExitCode::from(leakhound::app::EXIT_ERROR);
            }
            let _ = e.print();
            // --help and --version are not errors.
            return if e.use_stderr() {
                ExitCode::from(leakhound::app::EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match leakhound::app::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`leakhound rules list | head`) is not an error. (Scans catch it
            // themselves and exit with the status their findings call for.)
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // A config error quotes the offending line of a file the scanned repository may
            // have committed: escaped, so it cannot drive the terminal.
            let text = format!("{err:#}");
            eprintln!("leakhound: error: {}", leakhound::escape_but(&text, &['\n']));
            ExitCode::from(leakhound::app::EXIT_ERROR)
        }
    }
}
