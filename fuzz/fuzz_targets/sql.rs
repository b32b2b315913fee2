//! See `sqlite_tests::fuzzing::sql`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sqlite_tests::fuzzing::sql(data));
