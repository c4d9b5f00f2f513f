//! The fuzz targets' seed corpus, replayed in the normal suite: every file of
//! `core/fuzz/corpus/<target>/` goes through the very function the cargo-fuzz target runs
//! (`core/fuzz/targets_common.rs`), which panics on a crash or a broken invariant.
//! Long runs use cargo-fuzz itself: see core/fuzz/README.md.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[path = "../fuzz/targets_common.rs"]
mod common;

type Target = fn(&[u8]);

fn replay(target: &str, run: Target) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    seeds.sort();
    assert!(
        seeds.len() >= 10,
        "{}: only {} seeds",
        dir.display(),
        seeds.len()
    );
    let failures: Vec<String> = seeds
        .iter()
        .filter_map(|seed| {
            let data = fs::read(seed).expect("seed");
            let result = catch_unwind(AssertUnwindSafe(|| run(&data)));
            result.err().map(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("{}: {message}", seed.display())
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{target}: {} of {} seeds fail:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
}

#[test]
fn names_seeds() {
    replay("names", common::names);
}

#[test]
fn sections_seeds() {
    replay("sections", common::sections);
}

#[test]
fn config_seeds() {
    replay("config", common::config);
}

#[test]
fn statements_seeds() {
    replay("statements", common::statements);
}

#[test]
fn pipeline_seeds() {
    replay("pipeline", common::pipeline);
}
