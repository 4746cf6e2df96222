//! Everything git: opening a repository and its refs ([`Repo`], [`resolve`], [`tips`]), the
//! object reader ([`odb`], [`delta`]), the commit and tree walks that list what to scan
//! ([`walk`]), the blob delta forest and the history sweep's delta scan ([`forest`], [`sweep`]),
//! and the added-lines diff of range and staged scans ([`diff`]).
//!
//! Nothing here knows rules beyond the engine's interface, reports or exit codes: the git
//! commands in `app` wire these parts to the detect stage.

pub(crate) mod delta;
pub(crate) mod diff;
pub(crate) mod forest;
pub(crate) mod odb;
pub(crate) mod sweep;
pub(crate) mod walk;

use crate::files::{self, Trust};
use crate::provenance::{rfc3339, Checkout, Commit};
use gix::ObjectId;
use odb::{Objects, Packs};
use std::path::{Path, PathBuf};

/// Largest object decoded; a corrupt size field must not allocate the machine away.
pub(crate) const MAX_OBJECT: u64 = 4 << 30;

/// A git problem, naming the repository, revision or object concerned.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub(crate) struct GitError {
    /// What was being done (`object 1a2b...`, `revision main`, the repository path).
    pub(crate) context: String,
    /// The library's message, with its causes.
    pub(crate) message: String,
}

pub(crate) fn err(context: impl Into<String>, e: impl std::fmt::Display) -> GitError {
    GitError { context: context.into(), message: format!("{e}") }
}

/// An opened repository, shareable across threads.
pub(crate) struct Repo {
    /// Thread-safe handle; workers call `to_thread_local()`.
    pub(crate) handle: gix::ThreadSafeRepository,
    /// Its pack files, mapped once for every thread's [`Objects`] reader.
    pub(crate) packs: Packs,
    /// The repository has shallow boundaries: history before them is absent.
    pub(crate) shallow: bool,
    /// The work tree, where a leakhound.toml is looked for (the git dir for a bare repository).
    pub(crate) workdir: Option<std::path::PathBuf>,
}

/// Opens the repository containing `path` (a work tree, a `.git` directory or a bare repository).
///
/// # Errors
/// `path` is not inside a git repository, or the repository cannot be read.
pub(crate) fn open(path: &Path) -> Result<Repo, GitError> {
    let ctx = || path.display().to_string();
    check_metadata(path)?;
    // gix reads some objects itself (revision parsing, the index, a range's walk): none of
    // them may allocate more than this, whatever a crafted header claims.
    let options = gix::open::Options::default()
        .config_overrides([format!("gitoxide.objects.allocLimit={}", 1u64 << 30)]);
    let repo = gix::discover_opts(path, Default::default(), options)
        .map_err(|e| err(ctx(), format!("not a git repository: {e}")))?;
    let shallow = repo.is_shallow().map_err(|e| err(ctx(), e))?;
    let workdir = Some(repo.workdir().unwrap_or_else(|| repo.git_dir()).to_path_buf());
    let packs = Packs::open(&repo);
    Ok(Repo { handle: repo.into_sync(), packs, shallow, workdir })
}

/// The files of a git directory that gix reads whole, with the most each may hold. A
/// repository may come from anywhere (a tarball, a CI cache): a `shallow` or `packed-refs` that
/// is a symlink to `/dev/zero` or a FIFO must be an error naming it, not a read that never ends.
const METADATA: [(&str, u64); 13] = [
    ("HEAD", 1 << 20),
    ("config", 64 << 20),
    ("commondir", 1 << 20),
    ("shallow", 256 << 20),
    ("packed-refs", 4 << 30),
    ("index", 16 << 30),
    ("objects/info/alternates", 1 << 20),
    ("info/exclude", 64 << 20),
    ("FETCH_HEAD", 256 << 20),
    ("ORIG_HEAD", 1 << 20),
    ("MERGE_HEAD", 1 << 20),
    ("logs/HEAD", 4 << 30),
    ("logs/refs/stash", 4 << 30),
];

/// Checks the metadata of the repository containing `path` before gix reads it: regular files
/// only (a symlink to one is followed), each within its size (see [`METADATA`]), loose refs
/// included.
///
/// # Errors
/// The first file that is not, named.
fn check_metadata(path: &Path) -> Result<(), GitError> {
    let Some(git_dir) = find_git_dir(path) else { return Ok(()) };
    check_git_dir(&git_dir)?;
    // A linked worktree keeps refs and objects in the common directory.
    let commondir = git_dir.join("commondir");
    let git_dir = if files::exists_no_follow(&commondir) {
        let text = files::read_text(&commondir, Trust::Repository, 4096)
            .map_err(|why| err(commondir.display().to_string(), why))?;
        let common = git_dir.join(text.lines().next().unwrap_or_default());
        check_git_dir(&common)?;
        common
    } else {
        git_dir
    };
    check_object_format(path, &git_dir)
}

/// Refuses, in one line that says so, a repository whose objects are not named by SHA-1
/// (`git init --object-format=sha256`): gix does not read those yet, and its own error ("could
/// not be loaded") would not tell the user why.
fn check_object_format(path: &Path, git_dir: &Path) -> Result<(), GitError> {
    let config = git_dir.join("config");
    let Ok(text) = files::read_text(&config, Trust::Repository, 64 << 20) else { return Ok(()) };
    let Ok(parsed) = text.parse::<gix::config::File>() else { return Ok(()) };
    match parsed.string("extensions.objectFormat") {
        Some(format) if !format.eq_ignore_ascii_case(b"sha1") => Err(err(
            path.display().to_string(),
            format!(
                "the repository names its objects with {format} (extensions.objectFormat), \
                 which leakhound cannot read yet; `leakhound scan` scans its work tree"
            ),
        )),
        _ => Ok(()),
    }
}

fn check_git_dir(git_dir: &Path) -> Result<(), GitError> {
    let checked = |file: &Path, limit: u64| match files::check(file, Trust::Repository, limit) {
        Ok(()) => Ok(()),
        Err(why) => Err(err(file.display().to_string(), why)),
    };
    for (name, limit) in METADATA {
        let file = git_dir.join(name);
        if files::exists_no_follow(&file) {
            checked(&file, limit)?;
        }
    }
    // Loose refs and their logs, and the pack files (a FIFO among them would hang the open).
    let mut dirs = vec![git_dir.join("refs"), git_dir.join("logs/refs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let file = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(file),
                _ => checked(&file, 4 << 30)?,
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(git_dir.join("objects/pack")) {
        for entry in entries.flatten() {
            checked(&entry.path(), u64::MAX)?;
        }
    }
    Ok(())
}

/// The git directory of the repository containing `path`, as git finds it: the nearest `.git`
/// directory or `gitdir:` file above it, or `path` itself when it is a bare repository.
fn find_git_dir(path: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(path).ok()?;
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        // A `.git` that is a symlink to a directory is followed, as git follows it.
        match std::fs::metadata(&dot_git) {
            Ok(m) if m.is_dir() => return Some(dot_git),
            Ok(_) => {
                let text = files::read_text(&dot_git, Trust::Repository, 4096).ok()?;
                let gitdir = text.lines().next()?.strip_prefix("gitdir: ")?;
                return Some(dir.join(gitdir));
            }
            Err(_) => {}
        }
        if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
            return Some(dir.to_path_buf());
        }
    }
    None
}

/// Decoded objects each reader keeps: a delta chain's rebuilt bases, so that the next version
/// of a tree or file is one delta away (see `odb`). On `benches/git.sh 50000` the walk takes as
/// long with 16 MiB as with 48 MiB (and 50% longer with 1 MiB); peak RSS is 40 MiB lower.
pub(crate) const OBJECT_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl Repo {
    /// A handle for the current thread (for refs, the index and revision walks; objects are
    /// read with [`Repo::objects`]).
    pub(crate) fn local(&self) -> gix::Repository {
        self.handle.to_thread_local()
    }

    /// An object reader for the current thread, with its own handle and cache.
    pub(crate) fn objects(&self) -> Objects<'_> {
        Objects::new(self.local(), &self.packs, OBJECT_CACHE_BYTES)
    }
}

/// Who made a commit and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CommitInfo {
    /// Commit id.
    pub(crate) id: ObjectId,
    /// Author name.
    pub(crate) author: String,
    /// Author email.
    pub(crate) email: String,
    /// Author time, seconds since the Unix epoch.
    pub(crate) author_time: i64,
    /// Committer time, seconds since the Unix epoch (orders "first").
    pub(crate) commit_time: i64,
    /// The commit message: text git keeps outside trees, scanned too.
    pub(crate) message: Box<[u8]>,
    /// A commit of notes (`refs/notes/*`) that no other ref reaches: its files are notes on
    /// the objects they are named after.
    pub(crate) notes: bool,
}

impl CommitInfo {
    /// The commit as findings carry it; `order` is its place in the listing (oldest first).
    pub(crate) fn provenance(&self, order: usize) -> Commit {
        Commit {
            id: self.id.to_string(),
            author: self.author.clone(),
            email: self.email.clone(),
            date: rfc3339(self.author_time),
            order,
        }
    }
}

/// Resolves a revision to a commit id.
///
/// # Errors
/// The revision does not exist or does not name a commit: one line that names it and says what
/// to do (in CI, most often: fetch it).
pub(crate) fn resolve(repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
    let ctx = || format!("revision `{rev}`");
    let Ok(id) = repo.rev_parse_single(rev) else {
        return Err(err(ctx(), not_found_hint(repo, rev)));
    };
    let object = id.object().map_err(|e| err(ctx(), format!("object {id} is missing ({e})")))?;
    let kind = object.kind;
    match object.peel_to_commit() {
        Ok(commit) => Ok(commit.id),
        Err(_) => Err(err(ctx(), format!("names a {kind}, not a commit"))),
    }
}

/// What to say about a revision that does not resolve.
fn not_found_hint(repo: &gix::Repository, rev: &str) -> String {
    let shallow = repo.is_shallow().unwrap_or(false);
    let base = rev.split(['~', '^']).next().unwrap_or(rev);
    if base != rev && repo.rev_parse_single(base).is_ok() {
        let why = if shallow {
            "this is a shallow clone; fetch more history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
        } else {
            "the history is not that long"
        };
        return format!("not found: {why}");
    }
    match base.split_once('/') {
        Some((remote, branch)) if repo.find_remote(remote).is_ok() => format!(
            "not found: the checkout has not fetched it; run `git fetch {remote} {branch}`, or set `fetch-depth: 0` in actions/checkout"
        ),
        _ => "not found: no branch, tag or commit has this name".to_string(),
    }
}

/// An annotated tag's message, by the tag's ref name.
pub(crate) type TagMessage = (String, Box<[u8]>);

/// What the refs point at.
#[derive(Debug, Default)]
pub(crate) struct Tips {
    /// Commits to walk from.
    pub(crate) commits: Vec<ObjectId>,
    /// Notes (`refs/notes/*`): commits whose trees hold notes, one file per annotated object.
    pub(crate) notes: Vec<ObjectId>,
    /// Blobs and trees a ref points at directly (a tag of a file or a directory): the ref's
    /// name, the object and its kind.
    pub(crate) objects: Vec<(String, ObjectId, gix::objs::Kind)>,
    /// The messages of annotated tags, by the tag's ref name.
    pub(crate) messages: Vec<TagMessage>,
    /// Refs that could not be read or point at nothing, each named: the rest is walked.
    pub(crate) errors: Vec<GitError>,
}

/// Tags of tags followed from one ref before giving up on it (git itself stops far sooner).
const MAX_TAG_DEPTH: usize = 64;

/// What every ref points at (branches, tags peeled, remotes, the stash and its reflog, a
/// detached HEAD), or just the given refs, which must name commits.
///
/// # Errors
/// The references cannot be listed at all, or a given ref does not resolve to a commit. A ref
/// that cannot be read among many is recorded in [`Tips::errors`] instead.
pub(crate) fn tips(objects: &mut Objects<'_>, only: &[String]) -> Result<Tips, GitError> {
    let repo = objects.repo().clone();
    let repo = &repo;
    let mut tips = Tips::default();
    if !only.is_empty() {
        tips.commits = only.iter().map(|r| resolve(repo, r)).collect::<Result<_, _>>()?;
        return Ok(tips);
    }
    let platform = repo.references().map_err(|e| err("references", e))?;
    let all = platform.all().map_err(|e| err("references", e))?;
    for r in all {
        let mut r = match r {
            Ok(r) => r,
            Err(e) => {
                tips.errors.push(err("reference", e));
                continue;
            }
        };
        let name = r.name().as_bstr().to_string();
        let mut id = match r.target().try_id() {
            Some(id) => id.to_owned(),
            None => match r.peel_to_id() {
                Ok(id) => id.detach(),
                Err(e) => {
                    tips.errors.push(err(format!("reference {name}"), e));
                    continue;
                }
            },
        };
        // Peeled by leakhound's own reader (gix would map a second copy of every pack index
        // and read the packs through it), keeping each annotated tag's message on the way (a
        // tag of a tag too).
        let mut kind = objects.kind(&id);
        for _ in 0..MAX_TAG_DEPTH {
            if !matches!(kind, Ok(gix::objs::Kind::Tag)) {
                break;
            }
            kind = objects.read_as(&id, gix::objs::Kind::Tag).and_then(|data| {
                tips.messages.push((name.clone(), message_of(&data).into()));
                id = tag_target(&data).ok_or_else(|| format!("tag {id}: no object line"))?;
                objects.kind(&id)
            });
        }
        match kind {
            Ok(gix::objs::Kind::Commit) if name.starts_with("refs/notes/") => tips.notes.push(id),
            Ok(gix::objs::Kind::Commit) => tips.commits.push(id),
            Ok(kind @ (gix::objs::Kind::Blob | gix::objs::Kind::Tree)) => {
                tips.objects.push((name, id, kind));
            }
            Ok(_) => {}
            Err(e) => tips.errors.push(err(format!("reference {name}: object {id}"), e)),
        }
    }
    if let Ok(Some(stash)) = repo.try_find_reference("refs/stash") {
        let mut log = stash.log_iter();
        if let Ok(Some(lines)) = log.all() {
            tips.commits.extend(lines.flatten().map(|l| l.new_oid()));
        }
    }
    if let Ok(head) = repo.head_id() {
        tips.commits.push(head.detach()); // a detached HEAD is under no ref
    }
    tips.commits.sort();
    tips.commits.dedup();
    tips.notes.sort();
    tips.notes.dedup();
    tips.objects.sort();
    tips.objects.dedup_by_key(|o| o.1);
    tips.messages.sort();
    tips.messages.dedup();
    Ok(tips)
}

/// The message of a commit or tag object: what follows the blank line after its header.
pub(crate) fn message_of(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |at| &data[at + 2..])
}

/// The object a tag object points at (its first line, `object <id>`).
fn tag_target(data: &[u8]) -> Option<ObjectId> {
    let line = data.split(|&b| b == b'\n').next()?;
    ObjectId::from_hex(line.strip_prefix(b"object ")?).ok()
}

impl Repo {
    /// The remote, `HEAD` commit and branch of the repository.
    pub(crate) fn checkout(&self) -> Checkout {
        let repo = self.local();
        let remote = repo
            .config_snapshot()
            .string("remote.origin.url")
            .and_then(|url| remote_uri(&url.to_string()));
        let head = repo.head_id().ok().map(|id| id.to_string());
        let branch = repo.head_name().ok().flatten().map(|name| name.shorten().to_string());
        Checkout { remote, head, branch }
    }
}

/// A remote URL as a URI with no user name or password in it (`https://user:token@host/x` is
/// how many CI systems clone, and the token must not end up in a report): `scheme://host/path`,
/// or `ssh://host/path` for git's `user@host:path` form. `None` for a local path.
fn remote_uri(url: &str) -> Option<String> {
    let url = url.trim();
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme == "file" || scheme.is_empty() {
            return None;
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        return (!host.is_empty()).then(|| format!("{scheme}://{host}/{path}"));
    }
    // `[user@]host:path`, unless it is a path (which has a `/` before any `:`).
    let colon = url.find(':')?;
    if url[..colon].contains('/') {
        return None;
    }
    let host = url[..colon].rsplit_once('@').map_or(&url[..colon], |(_, host)| host);
    let path = url[colon + 1..].trim_start_matches('/');
    (!host.is_empty()).then(|| format!("ssh://{host}/{path}"))
}

#[cfg(test)]
mod checkout_tests {
    use super::remote_uri;

    #[test]
    fn remote_urls_lose_their_credentials() {
        let uri = |u: &str| remote_uri(u);
        assert_eq!(
            uri("https://x-access-token:ghs_abc@github.com/o/r.git").as_deref(),
            Some("https://github.com/o/r.git")
        );
        assert_eq!(uri("git@github.com:o/r.git").as_deref(), Some("ssh://github.com/o/r.git"));
        assert_eq!(uri("ssh://git@host:2222/o/r").as_deref(), Some("ssh://host:2222/o/r"));
        assert_eq!(uri("/srv/git/r.git"), None);
        assert_eq!(uri("../r.git"), None);
        assert_eq!(uri("file:///srv/r.git"), None);
    }
}
