//! Pack entries whose headers may lie (sizes, delta bases, zlib streams), read through the pack
//! reader and the blob delta forest under a size limit: no panic, no allocation past the limit.
#![no_main]

use leakhound::fuzzing::PackEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|entries: Vec<(u8, u64, Vec<u8>, u8)>| {
    let entries: Vec<PackEntry> = entries
        .into_iter()
        .take(16)
        .map(|(kind, claimed, payload, base)| PackEntry {
            kind: kind % 8,
            claimed,
            payload,
            base: usize::from(base),
        })
        .collect();
    leakhound::fuzzing::pack(&entries);
});
