#![no_main]
//! `cargo fuzz run statements`: see ../README.md. The checks live in ../targets_common.rs, shared with
//! core/tests/fuzz_corpus.rs, which replays the seed corpus in the normal test suite.

#[path = "../targets_common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::statements(data));
