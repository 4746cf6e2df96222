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

/// Registered mappings, in fixed slots so the signal handler can scan them without locks or
/// allocation. `OWNED` claims a slot; `START`/`LEN` are guarded by a per-slot sequence number
/// (`SEQ`, odd while being written), so the handler only ever uses a consistent pair, even
/// while another thread reuses a slot.
const SLOTS: usize = 256;
static OWNED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static SEQ: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static LENS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static TRUNCATED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
static mut PREVIOUS: Option<libc::sigaction> = None;

/// Publishes `(start, len)` in `slot` under its sequence number.
fn publish(slot: usize, start: usize, len: usize) {
    SEQ[slot].fetch_add(1, Ordering::AcqRel);
    STARTS[slot].store(start, Ordering::Release);
    LENS[slot].store(len, Ordering::Release);
    SEQ[slot].fetch_add(1, Ordering::AcqRel);
}

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
            if OWNED[slot]
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                TRUNCATED[slot].store(false, Ordering::Release);
                publish(slot, start, len);
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
        publish(self.slot, 0, 0);
        OWNED[self.slot].store(false, Ordering::Release);
    }
}

fn install_handler() {
    // SAFETY: sigaction with a zeroed struct plus the fields we set is the documented way to
    // install a handler. The previous handler is read and stored first, and the page size
    // cached, so the handler only reads values written before it can run.
    unsafe {
        PAGE_SIZE.store(libc::sysconf(libc::_SC_PAGESIZE).max(1) as usize, Ordering::Release);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) != 0 {
            return;
        }
        PREVIOUS = Some(previous);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// The slot whose registered mapping contains `addr`, read consistently.
fn slot_of(addr: usize) -> Option<usize> {
    for slot in 0..SLOTS {
        if !OWNED[slot].load(Ordering::Acquire) {
            continue;
        }
        let before = SEQ[slot].load(Ordering::Acquire);
        if before % 2 == 1 {
            continue; // being (un)registered: not the mapping a reader is inside
        }
        let start = STARTS[slot].load(Ordering::Acquire);
        let len = LENS[slot].load(Ordering::Acquire);
        if SEQ[slot].load(Ordering::Acquire) != before {
            continue;
        }
        if len > 0 && addr >= start && addr < start + len {
            return Some(slot);
        }
    }
    None
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; si_addr is the fault
    // address for SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    // BUS_ADRERR is an access past the end of a file; anything else (hardware memory errors)
    // is not ours to paper over.
    let past_eof = unsafe { (*info).si_code } == libc::BUS_ADRERR;
    if let Some(slot) = slot_of(addr).filter(|_| past_eof) {
        let page = PAGE_SIZE.load(Ordering::Acquire);
        let base = addr & !(page - 1);
        // SAFETY: mmap is a plain system call; MAP_FIXED replaces exactly one page inside our
        // own registered mapping with a zero page, which the mapping's munmap later removes.
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
