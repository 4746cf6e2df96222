//! Non-fatal diagnostics: problems with one input that do not stop the scan but are reported,
//! and that turn the exit code to "error" when they mean part of the input went unscanned.

use std::io::{self, Write};
use std::sync::Mutex;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Why an input was left out by design (a binary file): in SARIF and with `-v` only.
    Detail,
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

/// `text` with every control character (a newline, a terminal escape) and every bidirectional
/// formatting character (which reorders what a terminal shows) written as `\u{..}`, so a file
/// name or commit author cannot forge output lines, drive the terminal or disguise itself.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    escape_but(text, &[])
}

/// [`escape`], keeping the characters in `keep` (the newlines of a multi-line error). Public
/// for the binary's fatal-error message; not part of the library's API.
pub fn escape_but<'t>(text: &'t str, keep: &[char]) -> std::borrow::Cow<'t, str> {
    let unsafe_char = |c: char| {
        (c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
            && !keep.contains(&c)
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| if unsafe_char(c) { c.escape_unicode().to_string() } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// Writes diagnostics as `leakhound: error: ...` lines, control characters escaped; details
/// only when `verbose`.
///
/// # Errors
/// Writing to `out` fails.
pub(crate) fn render(diags: &[Diagnostic], verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    for d in diags.iter().filter(|d| verbose || d.level != Level::Detail) {
        let level = match d.level {
            Level::Detail => "info",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        writeln!(out, "leakhound: {level}: {}", escape(&d.message))?;
    }
    Ok(())
}
