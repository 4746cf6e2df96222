//! A parallel directory walk over the `ignore` crate: `.gitignore`/`.ignore` aware, hidden files
//! included (`.env`, `.npmrc`), `.git/` and default exclusions pruned, symlinks not followed
//! unless asked.

use crate::files::{self, Trust};
use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What to walk and how.
#[derive(Clone, Debug)]
pub(crate) struct WalkOptions {
    /// Roots: directories or files.
    pub(crate) roots: Vec<PathBuf>,
    /// Worker threads.
    pub(crate) threads: usize,
    /// Ignore `.gitignore`, `.ignore` and git exclude files.
    pub(crate) no_ignore: bool,
    /// Follow symbolic links.
    pub(crate) follow: bool,
    /// Default exclusions, matched against report paths; `None` for none.
    pub(crate) excludes: Option<Arc<GlobSet>>,
    /// Report paths of files under a root: `(root as given, prefix)` makes
    /// `root/sub/file` appear as `prefix/sub/file` (the repository-relative path), so that
    /// reports, globs and fingerprints do not depend on how the root was spelled.
    pub(crate) rebase: Vec<(PathBuf, String)>,
    /// Files named as roots (device, inode): a directory walk that meets one leaves it to its
    /// own root, so it is scanned once.
    pub(crate) named_files: Arc<Vec<(u64, u64)>>,
}

impl WalkOptions {
    /// The report path of `path`.
    pub(crate) fn report_path(&self, path: &Path) -> String {
        for (root, prefix) in &self.rebase {
            if let Ok(rest) = path.strip_prefix(root) {
                let rest = display_path(rest);
                return match (prefix.is_empty(), rest.is_empty()) {
                    (true, _) => rest,
                    (false, true) => prefix.clone(),
                    (false, false) => format!("{prefix}/{rest}"),
                };
            }
        }
        display_path(path)
    }
}

/// The roots of a scan, checked and resolved.
pub(crate) struct Roots {
    /// Roots to walk.
    pub(crate) roots: Vec<PathBuf>,
    /// See [`WalkOptions::rebase`].
    pub(crate) rebase: Vec<(PathBuf, String)>,
    /// One message per root that does not exist (not walked).
    pub(crate) missing: Vec<String>,
    /// Files named as roots, by device and inode: walked as roots, left out of directory walks.
    pub(crate) named_files: Vec<(u64, u64)>,
}

/// Checks and resolves the roots the user named: a root that does not exist is reported once
/// and not walked; a symlink to a directory is followed (the user named it); a root inside a
/// git work tree reports its files relative to the top of the work tree.
pub(crate) fn resolve_roots(paths: &[PathBuf]) -> Roots {
    let mut out = Roots {
        roots: Vec::new(),
        rebase: Vec::new(),
        missing: Vec::new(),
        named_files: Vec::new(),
    };
    // Each file is scanned once however the roots overlap (`scan t t/a.env t`): a root that
    // another root names again, or a directory inside another root's directory, is dropped. A
    // file the user named inside a directory root stays a root (scanned even where ignore rules
    // or default exclusions would skip it) and the directory walk leaves it out.
    let canonical: Vec<Option<PathBuf>> =
        paths.iter().map(|p| std::fs::canonicalize(p).ok()).collect();
    let covered = |i: usize, c: &Path| {
        canonical.iter().enumerate().any(|(j, other)| {
            other.as_deref().is_some_and(|o| {
                (o == c && j < i) || (o != c && c.starts_with(o) && o.is_dir() && c.is_dir())
            })
        })
    };
    for (i, r) in paths.iter().enumerate() {
        let meta = match std::fs::symlink_metadata(r) {
            Ok(m) => m,
            Err(e) => {
                out.missing.push(format!("{}: {e}", r.display()));
                continue;
            }
        };
        if canonical[i].as_deref().is_some_and(|c| covered(i, c)) {
            continue;
        }
        // A trailing slash makes the walk enter a linked directory.
        let root = if meta.is_symlink() && std::fs::metadata(r).is_ok_and(|m| m.is_dir()) {
            let mut s = r.clone().into_os_string();
            s.push("/");
            PathBuf::from(s)
        } else {
            r.clone()
        };
        if let Some((given, rel)) = repo_relative(&root) {
            out.rebase.push((given, rel));
        }
        if let Some(m) = std::fs::metadata(&root).ok().filter(|m| m.is_file()) {
            use std::os::unix::fs::MetadataExt;
            out.named_files.push((m.dev(), m.ino()));
        }
        out.roots.push(root);
    }
    out
}

/// For a root inside a git work tree: the root as given and its path relative to the top of
/// the work tree (see [`WalkOptions::rebase`]). `None` outside a repository.
fn repo_relative(root: &Path) -> Option<(PathBuf, String)> {
    let canonical = std::fs::canonicalize(root).ok()?;
    let top = canonical.ancestors().find(|d| files::is_repo_root(d))?;
    let rel = canonical.strip_prefix(top).ok()?;
    Some((root.to_path_buf(), display_path(rel)))
}

/// One thing the walk found.
#[derive(Debug)]
pub(crate) enum Event {
    /// A regular file to scan, with its report path.
    File {
        /// Path to open.
        path: PathBuf,
        /// Path to report (no leading `./`, `/` separators).
        display: String,
    },
    /// A FIFO, socket or device: never opened (reading a FIFO would block forever).
    Special(String),
    /// The walk could not read a directory entry, or found a symlink loop.
    Error {
        /// Message naming the path.
        message: String,
        /// Whether the problem is a loop (a note, not a read failure).
        is_loop: bool,
    },
}

/// The report form of a walked path: no leading `./`, `/` separators, bytes that are not
/// UTF-8 as `\xNN` ([`crate::provenance::path_text`]).
pub(crate) fn display_path(path: &Path) -> String {
    let p = path.strip_prefix("./").unwrap_or(path);
    crate::provenance::path_text(p.as_os_str().as_encoded_bytes())
}

/// What a walk found besides files.
#[derive(Debug, Default)]
pub(crate) struct WalkOutcome {
    /// Paths pruned by the default exclusions.
    pub(crate) excluded: usize,
    /// Ignore files that could not be read safely (a symlink, a FIFO, a device, an absurd
    /// size), each with why: their directory was walked without ignore rules instead.
    pub(crate) unsafe_ignore_files: Vec<String>,
}

/// Walks `opts.roots` on `opts.threads` threads. `make_visitor` is called once per thread and
/// walk; the visitor it returns gets every [`Event`] of that thread.
///
/// The `ignore` crate reads `.gitignore`, `.ignore` and `.git/info/exclude` files as it enters
/// each directory, without a bound: a committed `.gitignore` that is a symlink to `/dev/zero`
/// would exhaust memory, a FIFO would hang the walk. So each directory's ignore files are
/// checked first (regular files only, no symlinks, size-capped); a directory whose files fail
/// is pruned from the walk and walked again afterwards without ignore rules, which scans more,
/// never less.
pub(crate) fn walk<'s, F>(opts: &WalkOptions, mut make_visitor: F) -> WalkOutcome
where
    F: FnMut() -> Box<dyn FnMut(Event) + Send + 's>,
{
    let mut outcome = WalkOutcome::default();
    let unsafe_found: Pruned = Arc::new(Mutex::new(Vec::new()));
    let mut plain = Vec::new();
    let mut guarded = Vec::new();
    for root in &opts.roots {
        match (!opts.no_ignore).then(|| root_ignore_problem(root)).flatten() {
            Some(problem) => {
                outcome.unsafe_ignore_files.push(problem);
                plain.push(root.clone());
            }
            None => guarded.push(root.clone()),
        }
    }
    let respect = !opts.no_ignore;
    let found = respect.then_some(&unsafe_found);
    outcome.excluded += walk_roots(opts, &guarded, respect, found, &mut make_visitor);
    let pruned: Vec<(PathBuf, String)> =
        std::mem::take(&mut *unsafe_found.lock().unwrap_or_else(|e| e.into_inner()));
    for (dir, problem) in pruned {
        outcome.unsafe_ignore_files.push(problem);
        plain.push(dir);
    }
    outcome.excluded += walk_roots(opts, &plain, false, None, &mut make_visitor);
    outcome.unsafe_ignore_files.sort();
    outcome
}

/// Directories pruned for their unsafe ignore files, with why.
type Pruned = Arc<Mutex<Vec<(PathBuf, String)>>>;

/// Ignore files the walk reads in a directory when ignore rules are on.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// Why the ignore files `dir` holds cannot be read safely, if they cannot: `.gitignore` and
/// `.ignore` must be regular files (git does not follow a symlinked `.gitignore` either), and so
/// must what a `.git` entry leads to (a `.git` file's `gitdir`, its `commondir`, `info/exclude`).
fn ignore_problem(dir: &Path) -> Option<String> {
    let refuse = |p: &Path, trust: Trust| {
        files::check(p, trust, files::CONFIG_LIMIT)
            .err()
            .map(|why| format!("{}: {why}", p.display()))
    };
    for name in IGNORE_FILES {
        let p = dir.join(name);
        if files::exists_no_follow(&p) {
            if let Some(problem) = refuse(&p, Trust::Content) {
                return Some(problem);
            }
        }
    }
    let dot_git = dir.join(".git");
    let common = match std::fs::symlink_metadata(&dot_git) {
        Ok(m) if m.is_dir() => dot_git,
        Ok(_) => {
            // A worktree or submodule link: `gitdir: <dir>`, whose `commondir` names the
            // repository whose `info/exclude` applies.
            let text = match files::read_text(&dot_git, Trust::Content, 4096) {
                Ok(text) => text,
                Err(why) => return Some(format!("{}: {why}", dot_git.display())),
            };
            let gitdir = text.lines().next().and_then(|l| l.strip_prefix("gitdir: "))?;
            let gitdir = PathBuf::from(gitdir);
            let commondir = gitdir.join("commondir");
            if !files::exists_no_follow(&commondir) {
                return None;
            }
            match files::read_text(&commondir, Trust::Repository, 4096) {
                Ok(text) => {
                    let line = text.lines().next().unwrap_or_default();
                    if line.starts_with('.') {
                        gitdir.join(line)
                    } else {
                        PathBuf::from(line)
                    }
                }
                Err(why) => return Some(format!("{}: {why}", commondir.display())),
            }
        }
        Err(_) => return None,
    };
    let exclude = common.join("info/exclude");
    if files::exists_no_follow(&exclude) {
        return refuse(&exclude, Trust::Repository);
    }
    None
}

/// [`ignore_problem`] for a root and every directory above it (whose ignore files the walk
/// reads too).
fn root_ignore_problem(root: &Path) -> Option<String> {
    let canonical = std::fs::canonicalize(root).ok()?;
    let dir = if canonical.is_dir() { canonical.as_path() } else { canonical.parent()? };
    dir.ancestors().find_map(ignore_problem)
}

/// One walk of `roots`. With `respect`, ignore rules apply, and directories whose ignore files
/// are unsafe are pruned and listed in `unsafe_found`.
fn walk_roots<'s, F>(
    opts: &WalkOptions,
    roots: &[PathBuf],
    respect: bool,
    unsafe_found: Option<&Pruned>,
    make_visitor: &mut F,
) -> usize
where
    F: FnMut() -> Box<dyn FnMut(Event) + Send + 's>,
{
    let Some((first, rest)) = roots.split_first() else { return 0 };
    let mut b = WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    b.threads(opts.threads)
        .hidden(false)
        .ignore(respect)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(false)
        .parents(respect)
        .require_git(false)
        .follow_links(opts.follow);
    let excluded = Arc::new(AtomicUsize::new(0));
    {
        let excluded = excluded.clone();
        let excludes = opts.excludes.clone();
        let opts_for_filter = opts.clone();
        let unsafe_found = unsafe_found.cloned();
        b.filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && e.file_name() == ".git" {
                return false;
            }
            if e.depth() == 0 {
                return true; // what the user named explicitly is always scanned
            }
            if !is_dir && !opts_for_filter.named_files.is_empty() {
                use std::os::unix::fs::MetadataExt;
                let named = e
                    .metadata()
                    .is_ok_and(|m| opts_for_filter.named_files.contains(&(m.dev(), m.ino())));
                if named {
                    return false; // scanned as the root the user named
                }
            }
            if let Some(ex) = &excludes {
                let display = opts_for_filter.report_path(e.path());
                // Directories are tested as if they held a file, so `**/node_modules/**`
                // prunes the whole tree without visiting it.
                let probe = if is_dir { format!("{display}/_") } else { display };
                if ex.is_match(&probe) {
                    excluded.fetch_add(1, Ordering::Relaxed);
                    return false;
                }
            }
            if let (true, Some(found)) = (is_dir, &unsafe_found) {
                if let Some(problem) = ignore_problem(e.path()) {
                    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                    found.push((e.path().to_path_buf(), problem));
                    return false;
                }
            }
            true
        });
    }
    b.build_parallel().run(|| {
        let mut visit = make_visitor();
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    let Some(ft) = e.file_type() else { return WalkState::Continue };
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if ft.is_file() {
                        let display = opts.report_path(e.path());
                        visit(Event::File { path: e.into_path(), display });
                    } else if ft.is_symlink() {
                        // Not following links: a link is neither scanned nor an error, unless
                        // the user named it (a root), which is followed to a file.
                        if e.depth() == 0 && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file())
                        {
                            let display = opts.report_path(e.path());
                            visit(Event::File { path: e.into_path(), display });
                        }
                    } else {
                        visit(Event::Special(opts.report_path(e.path())));
                    }
                }
                Err(err) => {
                    let is_loop = is_loop(&err);
                    visit(Event::Error { message: err.to_string(), is_loop });
                }
            }
            WalkState::Continue
        })
    });
    excluded.load(Ordering::Relaxed)
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().all(is_loop),
        _ => false,
    }
}
