//! Non-fatal diagnostics: problems with one input that do not stop the scan but are reported,
//! and that turn the exit code to "error" when they mean part of the input went unscanned.

use std::io::{self, Write};
use std::sync::Mutex;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Informational (a skipped special file, a symlink loop).
    Note,
    /// Something the user should look at; the scan is still complete.
    Warning,
    /// Part of the input could not be scanned: the exit code becomes 2.
    Error,
}

/// One message, naming the file it is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Diagnostic {
    /// Severity.
    pub(crate) level: Level,
    /// The text, starting with the path it concerns.
    pub(crate) message: String,
}

/// A thread-safe collector of diagnostics.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    /// Records a diagnostic.
    pub(crate) fn push(&self, level: Level, message: impl Into<String>) {
        let d = Diagnostic { level, message: message.into() };
        self.items.lock().unwrap_or_else(|e| e.into_inner()).push(d);
    }

    /// All diagnostics, sorted (so output does not depend on thread timing).
    pub(crate) fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort_by(|a, b| a.message.cmp(&b.message).then(a.level.cmp(&b.level)));
        v
    }

    /// Whether any error was recorded.
    pub(crate) fn errored(&self) -> bool {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|d| d.level == Level::Error)
    }
}

/// `text` with every control character (a newline, a terminal escape) written as `\u{..}`, so a
/// file name or commit author cannot forge output lines or drive the terminal.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// Writes diagnostics as `leakhound: error: ...` lines, control characters escaped.
///
/// # Errors
/// Writing to `out` fails.
pub(crate) fn render(diags: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for d in diags {
        let level = match d.level {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        writeln!(out, "leakhound: {level}: {}", escape(&d.message))?;
    }
    Ok(())
}
