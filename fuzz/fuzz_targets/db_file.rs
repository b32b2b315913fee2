//! See `sqlite_tests::fuzzing::db_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sqlite_tests::fuzzing::db_file(data));
