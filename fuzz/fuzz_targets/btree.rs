//! See `sqlite_tests::fuzzing::btree`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sqlite_tests::fuzzing::btree(data));
