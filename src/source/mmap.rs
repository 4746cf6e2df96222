//! Memory maps that survive their file shrinking underneath them.
//!
//! Reading a page of a mapping that lies past the end of a truncated file raises SIGBUS, which
//! would kill the scanner. A process-wide SIGBUS handler checks whether the faulting address
//! belongs to a mapping registered here; if so it maps a zero page over it, notes the
//! truncation, and returns so the read continues (seeing zeros). Any other SIGBUS goes to the
//! previous handler (Rust's own, or the default action).
#![allow(unsafe_code)]

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// Registered mappings: `(start, len, truncated)`. A slot with len 0 is free. Fixed size so the
/// signal handler can scan it without locks or allocation.
const SLOTS: usize = 256;
static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static LENS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static TRUNCATED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static INSTALL: Once = Once::new();
static mut PREVIOUS: Option<libc::sigaction> = None;

/// A read-only file mapping registered with the SIGBUS guard.
pub struct GuardedMmap {
    map: memmap2::Mmap,
    slot: usize,
}

impl GuardedMmap {
    /// Maps `file`, or returns `None` (the caller reads instead) if mapping fails or every
    /// guard slot is taken.
    pub fn map(file: &File) -> Option<GuardedMmap> {
        INSTALL.call_once(install_handler);
        // SAFETY: the mapping is read-only and private to this process. Another process may
        // truncate or modify the file while it is mapped: modification only changes the bytes
        // we see (we copy nothing out that must stay consistent), and truncation is caught by
        // the SIGBUS guard below, which keeps the mapped range readable.
        let map = unsafe { memmap2::MmapOptions::new().map(file) }.ok()?;
        let (start, len) = (map.as_ptr() as usize, map.len());
        for slot in 0..SLOTS {
            if LENS[slot].load(Ordering::Acquire) == 0
                && LENS[slot]
                    .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                STARTS[slot].store(start, Ordering::Release);
                TRUNCATED[slot].store(false, Ordering::Release);
                LENS[slot].store(len, Ordering::Release);
                let _ = map.advise(memmap2::Advice::Sequential);
                return Some(GuardedMmap { map, slot });
            }
        }
        None
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Whether a read hit a page past the end of the (shrunk) file.
    pub fn truncated(&self) -> bool {
        TRUNCATED[self.slot].load(Ordering::Acquire)
    }
}

impl Drop for GuardedMmap {
    fn drop(&mut self) {
        // Unregister before the mapping goes away (field drop happens after this body).
        LENS[self.slot].store(usize::MAX, Ordering::Release);
        STARTS[self.slot].store(0, Ordering::Release);
        LENS[self.slot].store(0, Ordering::Release);
    }
}

fn install_handler() {
    // SAFETY: sigaction with a zeroed struct plus the fields we set is the documented way to
    // install a handler; PREVIOUS is written once here, before any mapping exists that could
    // make the handler read it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
            PREVIOUS = Some(previous);
        }
    }
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; si_addr is the fault
    // address for SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    for slot in 0..SLOTS {
        let len = LENS[slot].load(Ordering::Acquire);
        if len == 0 || len == usize::MAX {
            continue;
        }
        let start = STARTS[slot].load(Ordering::Acquire);
        if addr >= start && addr < start + len {
            // SAFETY: sysconf and mmap are plain system calls (async-signal-safe in practice);
            // MAP_FIXED replaces exactly one page inside our own registered mapping with zeros.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
            let base = addr & !(page - 1);
            let ok = unsafe {
                libc::mmap(
                    base as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            } != libc::MAP_FAILED;
            if ok {
                TRUNCATED[slot].store(true, Ordering::Release);
                return;
            }
        }
    }
    // Not ours: hand over to whoever handled SIGBUS before us, or die the default way.
    // SAFETY: PREVIOUS was written once before any handler invocation could read it.
    unsafe {
        match *std::ptr::addr_of!(PREVIOUS) {
            Some(prev)
                if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN =>
            {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(prev.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
                    f(sig);
                }
            }
            _ => {
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn truncation_while_mapped_reads_zeros_instead_of_crashing() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data = vec![b'a'; 1 << 20];
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        let file = File::open(f.path()).unwrap();
        let map = GuardedMmap::map(&file).unwrap();
        assert_eq!(map.bytes()[0], b'a');
        assert!(!map.truncated());
        f.as_file().set_len(4096).unwrap();
        let sum: u64 = map.bytes().iter().map(|&b| u64::from(b)).sum();
        assert!(map.truncated());
        assert!(sum >= 4096 * u64::from(b'a') && sum < (1 << 20) * u64::from(b'a'));
    }
}
