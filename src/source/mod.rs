//! Turns an input item into bytes: reading into a reused buffer or memory-mapping large files,
//! enforcing the size limit and sniffing binary content. All `unsafe` lives in [`mmap`].
//!
//! This module knows nothing of rules, matches or output formats.

pub mod mmap;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Bytes looked at to call content binary, as git and ripgrep do.
const BINARY_SNIFF: usize = 8192;

/// What is held in memory by default: standard input and git blobs (which must be inflated)
/// larger than this are skipped, and reported, unless `--max-file-size` says otherwise. Files
/// on disk are memory-mapped, so their size costs no heap and they have no limit by default.
pub const DEFAULT_MEMORY_LIMIT: u64 = 64 * 1024 * 1024;

/// How inputs are turned into bytes.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Inputs larger than this are skipped (`--max-file-size`; `u64::MAX`: no limit).
    pub max_size: u64,
    /// Inputs read into memory rather than mapped (standard input, git blobs, files with
    /// `--no-mmap`) larger than this are skipped.
    pub max_read: u64,
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
            max_size: u64::MAX,
            max_read: DEFAULT_MEMORY_LIMIT,
            mmap_threshold: Some(DEFAULT_MMAP_THRESHOLD),
            binary: false,
        }
    }
}

impl Policy {
    /// Why bytes already in memory (standard input, a git blob) are not scanned, if they are not.
    pub fn skip(&self, bytes: &[u8]) -> Option<Skip> {
        let size = bytes.len() as u64;
        let limit = self.max_read.min(self.max_size);
        if size > limit {
            Some(Skip::TooLarge { size, limit })
        } else if !self.binary && looks_binary(bytes) {
            Some(Skip::Binary)
        } else {
            None
        }
    }
}

/// Why an input was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Larger than the limit that applies to it.
    TooLarge {
        /// Its size (for standard input: at least this).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Binary content: a known binary format, or mostly bytes that are not text.
    Binary,
}

/// The bytes of one input.
pub enum Content<'a> {
    /// Read into a worker's buffer (or already in memory).
    Borrowed {
        /// The bytes.
        bytes: &'a [u8],
        /// The file shrank while it was being read: fewer bytes than its size said.
        truncated: bool,
    },
    /// A guarded memory mapping.
    Mapped(mmap::GuardedMmap),
}

impl<'a> Content<'a> {
    /// Bytes that are all there is.
    pub fn whole(bytes: &'a [u8]) -> Content<'a> {
        Content::Borrowed { bytes, truncated: false }
    }
}

impl Content<'_> {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Content::Borrowed { bytes, .. } => bytes,
            Content::Mapped(m) => m.bytes(),
        }
    }

    /// Whether the file shrank while it was being read, so that its end was not scanned (a
    /// mapping reads the missing part as zeros instead of crashing the process).
    pub fn truncated(&self) -> bool {
        match self {
            Content::Borrowed { truncated, .. } => *truncated,
            Content::Mapped(m) => m.truncated(),
        }
    }
}

/// Magic numbers of binary formats, at offset 0. A known format is binary even where it holds
/// little but text-like bytes.
const MAGIC: &[&[u8]] = &[
    b"\x7fELF",          // ELF executables and libraries
    b"MZ",               // Windows PE
    b"\xfe\xed\xfa\xce", // Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe", // Mach-O universal, Java class
    b"\0asm",            // WebAssembly
    b"\x89PNG",
    b"\xff\xd8\xff", // JPEG
    b"GIF8",
    b"II*\0", // TIFF
    b"MM\0*",
    b"RIFF", // WAV, AVI, WebP
    b"OggS",
    b"fLaC",
    b"ID3",            // MP3
    b"\0\0\0\x18ftyp", // MP4
    b"\0\0\0\x20ftyp",
    b"\0\x01\0\0", // TrueType
    b"OTTO",
    b"wOFF",
    b"wOF2",
    b"SQLite format 3\0",
    b"\x1f\x8b", // gzip
    b"BZh",
    b"\xfd7zXZ\0",
    b"\x28\xb5\x2f\xfd", // zstd
    b"7z\xbc\xaf\x27\x1c",
    b"PK\x03\x04", // zip, jar, docx
    b"%PDF",
];

/// Whether `bytes` look binary. Only content with a NUL byte in its first 8 KiB can be: text
/// may hold a stray NUL (a file whose first line is one must still be scanned), so a NUL alone
/// decides nothing. Binary is a known format's magic number, or a head of which more than 30%
/// are bytes that text does not use (NUL and other control characters).
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(BINARY_SNIFF)];
    if memchr::memchr(0, head).is_none() || utf16(head).is_some() {
        return false;
    }
    if MAGIC.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    control * 10 > head.len() * 3
}

/// Whether `head` looks like ASCII-range text in UTF-16 (either byte order) without a byte
/// order mark: a NUL in every other byte, and text in the others. Such content is not binary.
fn utf16_without_bom(head: &[u8]) -> bool {
    let pairs = head.len() / 2;
    if pairs < 4 {
        return false;
    }
    let nul_at = |parity: usize| head.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    let text_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
            .count()
    };
    // Little-endian: NULs at odd offsets; big-endian: at even ones.
    (nul_at(1) * 10 >= pairs * 9 && text_at(0) * 10 >= pairs * 9)
        || (nul_at(0) * 10 >= pairs * 9 && text_at(1) * 10 >= pairs * 9)
}

/// A UTF-16 byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    /// Little-endian (Windows' `Unicode`: `.reg` exports, PowerShell's `Out-File`).
    Le,
    /// Big-endian.
    Be,
}

/// Whether `bytes` are UTF-16 text, and in which byte order: by a byte order mark, or by the
/// NUL in every other byte of ASCII-range text. Scanned as they are, their keywords would never
/// match (every other byte is a NUL): [`transcode_utf16`] turns them into UTF-8 first.
pub fn utf16(bytes: &[u8]) -> Option<Utf16> {
    let head = &bytes[..bytes.len().min(BINARY_SNIFF)];
    // The common case: no NUL, so no ASCII character in UTF-16.
    memchr::memchr(0, head)?;
    let pairs = head.len() / 2;
    let nuls_at = |parity: usize| head.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    // A byte order mark alone proves little (a binary or Latin-1 file may start with one): the
    // ASCII characters of UTF-16 text, which any secret is made of, put a NUL in every other
    // byte, so some of those must be there too.
    match head {
        [0xff, 0xfe, ..] if nuls_at(1) * 10 >= pairs => return Some(Utf16::Le),
        [0xfe, 0xff, ..] if nuls_at(0) * 10 >= pairs => return Some(Utf16::Be),
        _ => {}
    }
    if pairs < 4 || !utf16_without_bom(head) {
        return None;
    }
    Some(if nuls_at(1) * 2 >= pairs { Utf16::Le } else { Utf16::Be })
}

/// Decodes UTF-16 `bytes` (without the byte order mark) into UTF-8 in `out`, at most `limit`
/// input bytes; returns whether the input was longer. An unpaired surrogate becomes U+FFFD.
/// Each character stays one character, so the lines and columns of what is found in `out` are
/// those of the original file.
pub fn transcode_utf16(bytes: &[u8], order: Utf16, limit: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    let bom = match (order, bytes) {
        (Utf16::Le, [0xff, 0xfe, ..]) | (Utf16::Be, [0xfe, 0xff, ..]) => 2,
        _ => 0,
    };
    let body = &bytes[bom..];
    let cut = body.len().min(limit) & !1;
    let units = body[..cut].chunks_exact(2).map(|p| match order {
        Utf16::Le => u16::from_le_bytes([p[0], p[1]]),
        Utf16::Be => u16::from_be_bytes([p[0], p[1]]),
    });
    out.reserve(cut);
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    body.len() > cut + 1
}

/// Reads standard input into `buf`, at most one byte past the in-memory limit, and returns its
/// bytes or why they are skipped: standard input gets the same size and binary policy as files.
///
/// # Errors
/// Standard input cannot be read.
pub fn read_stdin<'a>(
    policy: &Policy,
    buf: &'a mut Vec<u8>,
) -> io::Result<Result<Content<'a>, Skip>> {
    buf.clear();
    let limit = policy.max_read.min(policy.max_size);
    io::stdin().lock().take(limit.saturating_add(1)).read_to_end(buf)?;
    Ok(match policy.skip(buf) {
        Some(skip) => Err(skip),
        None => Ok(Content::whole(buf)),
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
        return Ok(Err(Skip::TooLarge { size: len, limit: policy.max_size }));
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
    let limit = policy.max_read.min(policy.max_size);
    if len > limit {
        return Ok(Err(Skip::TooLarge { size: len, limit }));
    }
    buf.clear();
    // The file may grow between metadata() and read: never read past the limit.
    let mut reader = file.take(limit.saturating_add(1));
    if !policy.binary {
        // Sniff the head first, so a large binary file costs one small read, not a full one.
        (&mut reader).take(BINARY_SNIFF as u64).read_to_end(buf)?;
        if looks_binary(buf) {
            return Ok(Err(Skip::Binary));
        }
    }
    buf.reserve(usize::try_from(len).unwrap_or(0).saturating_sub(buf.len()));
    reader.read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Ok(Err(Skip::TooLarge { size: buf.len() as u64, limit }));
    }
    // Fewer bytes than the file's size a moment ago: it shrank while being read, and its end
    // was never seen. The mapped path reports the same.
    let truncated = (buf.len() as u64) < len;
    Ok(Ok(Content::Borrowed { bytes: buf, truncated }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_needs_a_format_or_mostly_control_bytes() {
        assert!(!looks_binary(b"\0first line is a NUL\nAKIA...\n"), "a stray NUL is text");
        assert!(!looks_binary(b"plain text"));
        assert!(looks_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\0\0\0"));
        assert!(!looks_binary(b"MZ is a name, not an executable"), "a magic number needs a NUL");
        assert!(looks_binary(&[0u8, 1, 2, 3, 4, 5, 6, 7, 8, b'a']));
        assert!(!looks_binary(b"a\0b\0c\0d\0e\0f\0"), "UTF-16LE text");
        assert!(!looks_binary(b"\0a\0b\0c\0d\0e\0f"), "UTF-16BE text");
    }

    /// Issue 9: a file read (not mapped) that yields fewer bytes than its size said is reported
    /// as cut short, as the mapped path reports it. A sysfs file is such a file: it claims 4096
    /// bytes and holds a line.
    #[test]
    fn a_read_that_ends_before_the_size_is_truncated() {
        let path = Path::new("/sys/kernel/mm/transparent_hugepage/enabled");
        let policy = Policy { mmap_threshold: None, ..Policy::default() };
        let mut buf = Vec::new();
        match load(path, &policy, &mut buf) {
            Ok(Ok(content)) => assert!(content.truncated(), "{} bytes read", content.bytes().len()),
            // No sysfs here: nothing to observe.
            other => assert!(!path.exists(), "{:?}", other.map(|c| c.map(|c| c.bytes().len()))),
        }
        let dir = std::env::temp_dir().join(format!("lh-trunc-{}", std::process::id()));
        std::fs::write(&dir, b"whole").unwrap();
        let whole = load(&dir, &policy, &mut buf).unwrap().unwrap();
        assert!(!whole.truncated());
        drop(whole);
        std::fs::remove_file(&dir).unwrap();
    }
}
