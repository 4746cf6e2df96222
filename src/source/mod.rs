//! Turns an input item into bytes: reading into a reused buffer or memory-mapping large files,
//! enforcing the size limit and sniffing binary content. All `unsafe` lives in [`mmap`].
//!
//! This module knows nothing of rules, matches or output formats.

pub mod mmap;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Bytes sniffed for a NUL to call a file binary, as git and ripgrep do.
const BINARY_SNIFF: usize = 8192;

/// How files are turned into bytes.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Files larger than this are skipped.
    pub max_size: u64,
    /// Files at least this large are memory-mapped; `None` never maps.
    pub mmap_threshold: Option<u64>,
    /// Scan files that look binary.
    pub binary: bool,
}

/// Default mmap threshold, chosen by `benches/mmap_threshold.sh`: below it a read into the
/// worker's reused buffer is as fast or faster than setting up and tearing down a mapping.
pub const DEFAULT_MMAP_THRESHOLD: u64 = 4 * 1024 * 1024;

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_size: 64 * 1024 * 1024,
            mmap_threshold: Some(DEFAULT_MMAP_THRESHOLD),
            binary: false,
        }
    }
}

impl Policy {
    /// Why bytes already in memory (standard input, a git blob) are not scanned, if they are not.
    pub fn skip(&self, bytes: &[u8]) -> Option<Skip> {
        if bytes.len() as u64 > self.max_size {
            Some(Skip::TooLarge(bytes.len() as u64))
        } else if !self.binary && looks_binary(bytes) {
            Some(Skip::Binary)
        } else {
            None
        }
    }
}

/// Why a file was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Larger than [`Policy::max_size`]; carries the size.
    TooLarge(u64),
    /// Contains a NUL byte near its start.
    Binary,
}

/// The bytes of one input.
pub enum Content<'a> {
    /// Read into a worker's buffer (or standard input).
    Borrowed(&'a [u8]),
    /// A guarded memory mapping.
    Mapped(mmap::GuardedMmap),
}

impl Content<'_> {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Content::Borrowed(b) => b,
            Content::Mapped(m) => m.bytes(),
        }
    }

    /// For a mapping, whether the file shrank while it was being read, so that part of the
    /// content read as zeros instead of crashing the process.
    pub fn truncated(&self) -> bool {
        match self {
            Content::Borrowed(_) => false,
            Content::Mapped(m) => m.truncated(),
        }
    }
}

/// Whether `bytes` look binary.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some()
}

/// Reads standard input into `buf`, at most one byte past the size limit, and returns its bytes
/// or why they are skipped: standard input gets the same size and binary policy as files.
///
/// # Errors
/// Standard input cannot be read.
pub fn read_stdin<'a>(
    policy: &Policy,
    buf: &'a mut Vec<u8>,
) -> io::Result<Result<Content<'a>, Skip>> {
    buf.clear();
    io::stdin().lock().take(policy.max_size.saturating_add(1)).read_to_end(buf)?;
    Ok(match policy.skip(buf) {
        Some(skip) => Err(skip),
        None => Ok(Content::Borrowed(buf)),
    })
}

/// Opens `path` and returns its bytes, or why it is skipped.
///
/// # Errors
/// The file cannot be opened or read.
pub fn load<'a>(
    path: &Path,
    policy: &Policy,
    buf: &'a mut Vec<u8>,
) -> io::Result<Result<Content<'a>, Skip>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > policy.max_size {
        return Ok(Err(Skip::TooLarge(len)));
    }
    if policy.mmap_threshold.is_some_and(|t| len >= t) && len > 0 {
        if let Some(map) = mmap::GuardedMmap::map(&file) {
            // A file truncated under the sniff reads as zeros: scan it, so the truncation is
            // reported, rather than calling it binary.
            if !policy.binary && looks_binary(map.bytes()) && !map.truncated() {
                return Ok(Err(Skip::Binary));
            }
            return Ok(Ok(Content::Mapped(map)));
        }
        // Mapping failed (unsupported file system, too many maps): read instead.
    }
    buf.clear();
    // The file may grow between metadata() and read: never read past the size limit.
    let mut reader = file.take(policy.max_size.saturating_add(1));
    if !policy.binary {
        // Sniff the head first, so a large binary file costs one small read, not a full one.
        (&mut reader).take(BINARY_SNIFF as u64).read_to_end(buf)?;
        if looks_binary(buf) {
            return Ok(Err(Skip::Binary));
        }
    }
    buf.reserve(usize::try_from(len).unwrap_or(0).saturating_sub(buf.len()));
    reader.read_to_end(buf)?;
    if buf.len() as u64 > policy.max_size {
        return Ok(Err(Skip::TooLarge(buf.len() as u64)));
    }
    Ok(Ok(Content::Borrowed(buf)))
}
