//! See `sqlite_tests::fuzzing::differential`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sqlite_tests::fuzzing::differential(data));
