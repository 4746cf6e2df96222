//! Git's delta format on arbitrary bases and instructions: decoding never panics, and what
//! decodes has its stated size, copies inside both buffers, and sorted, disjoint changed lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    leakhound::fuzzing::delta(&input.0, &input.1);
});
