//! Where scanned bytes came from. Every input names its items with a [`Provenance`]; the detect
//! stage copies it into each finding; every report writer matches on it. A new kind of input (an
//! archive member, a decoded span, a commit message) is a new variant here, not a new field on
//! [`crate::finding::Finding`].

use serde::Serialize;
use std::sync::Arc;

/// The origin of one scanned item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// A file of a directory scan.
    File {
        /// Path relative to the repository or the current directory, `/`-separated.
        path: Arc<str>,
    },
    /// Standard input.
    Stdin,
    /// A blob of a git repository.
    GitBlob {
        /// Repository-relative path the blob was found at.
        path: Arc<str>,
        /// The blob's object id, in hex.
        blob: Arc<str>,
        /// Where in the repository it was found.
        origin: GitOrigin,
    },
    /// The message of a commit or an annotated tag: text git keeps outside trees.
    GitMessage {
        /// The commit whose message it is, or that the tag points at.
        commit: Option<Arc<Commit>>,
        /// The tag whose message it is (`refs/tags/v1`); `None` for a commit message.
        tag: Option<Arc<str>>,
    },
}

/// What in a repository carries a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitOrigin {
    /// The index: staged for the next commit.
    Index,
    /// The tree of a commit (the one that introduced it).
    Commit(Arc<Commit>),
    /// A ref that points straight at the blob, or at a tree holding it (a tag), and no commit.
    Tag(Arc<str>),
}

/// A commit and who made it, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// Full commit id.
    #[serde(rename = "commit")]
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 in UTC.
    pub date: String,
    /// Where the commit comes in the sweep's order (committer time, then id): what "first"
    /// means when one secret appears in several commits.
    #[serde(skip)]
    pub order: usize,
}

impl Provenance {
    /// The path reports show: the file or blob path, `-` for standard input.
    pub fn path(&self) -> &str {
        match self {
            Provenance::File { path } | Provenance::GitBlob { path, .. } => path,
            Provenance::Stdin => "-",
            Provenance::GitMessage { tag: None, .. } => "(commit message)",
            Provenance::GitMessage { tag: Some(_), .. } => "(tag message)",
        }
    }

    /// The path that path scopes and allowlists match against; `None` for standard input,
    /// which has none.
    pub fn scope_path(&self) -> Option<&str> {
        match self {
            Provenance::File { path } | Provenance::GitBlob { path, .. } => Some(path),
            Provenance::Stdin | Provenance::GitMessage { .. } => None,
        }
    }

    /// The commit that introduced the item, for git items that have one.
    pub fn commit(&self) -> Option<&Commit> {
        match self {
            Provenance::GitBlob { origin: GitOrigin::Commit(c), .. } => Some(c),
            Provenance::GitMessage { commit, .. } => commit.as_deref(),
            _ => None,
        }
    }

    /// The ref that carries the item, for git items found only through a ref (a tag), and
    /// tag messages.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Provenance::GitBlob { origin: GitOrigin::Tag(t), .. } => Some(t),
            Provenance::GitMessage { tag, .. } => tag.as_deref(),
            _ => None,
        }
    }

    /// Where the item comes in a history's order, for choosing the first of several: the
    /// commit's order, after every commit for what only a ref carries, and 0 for the rest.
    pub fn order(&self) -> usize {
        match (self.commit(), self) {
            (Some(c), _) => c.order,
            (None, Provenance::GitBlob { origin: GitOrigin::Tag(_), .. })
            | (None, Provenance::GitMessage { .. }) => usize::MAX,
            _ => 0,
        }
    }
}

/// A path's bytes as report text: valid UTF-8 as it is, every byte that is not part of valid
/// UTF-8 as `\xNN`, and a backslash as `\\` (so that a name spelled `caf\xe9` stays distinct
/// from one holding the byte). Two names that differ only in invalid bytes stay distinct (a
/// lossy conversion would show both as `\u{fffd}`), and the text says exactly which bytes
/// they are.
///
/// ```
/// assert_eq!(leakhound::provenance::path_text(b"caf\xe9.txt"), "caf\\xe9.txt");
/// assert_eq!(leakhound::provenance::path_text(b"caf\\xe9.txt"), "caf\\\\xe9.txt");
/// assert_eq!(leakhound::provenance::path_text("café".as_bytes()), "café");
/// ```
pub fn path_text(bytes: &[u8]) -> String {
    text_of(bytes, true)
}

/// [`path_text`] for a path whose backslashes are escaped already (a git path built by joining
/// tree entry names, which escapes `\` and `/` within a name): only invalid bytes are escaped.
pub fn joined_path_text(bytes: &[u8]) -> String {
    text_of(bytes, false)
}

fn text_of(bytes: &[u8], backslashes: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        if backslashes {
            out.push_str(&chunk.valid().replace('\\', "\\\\"));
        } else {
            out.push_str(chunk.valid());
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC timestamp.
///
/// ```
/// assert_eq!(leakhound::provenance::rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(leakhound::provenance::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What a report says about the repository it scanned: its remote, the commit checked out and
/// the branch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checkout {
    /// `remote.origin.url` as a URI without credentials (`None` without a remote, or a local
    /// path, which would name a directory of the machine that ran the scan).
    pub remote: Option<String>,
    /// The commit `HEAD` points at.
    pub head: Option<String>,
    /// The branch `HEAD` names, if it is not detached.
    pub branch: Option<String>,
}
