//! `strata lint` throughput: the release CLI (built in the main workspace, into its own
//! target directory) on a generated 10 MB directory of realistic migrations.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use strata_bench_gen::{Migration, realistic_migration, write_set};

use crate::stats::Samples;

pub fn run(samples: usize, csv: &mut Samples) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo");
    eprintln!("lint: building the release CLI in {} ...", repo.display());
    let status = Command::new("cargo")
        .args(["build", "-q", "--release", "-p", "strata-cli"])
        .current_dir(&repo)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .status()
        .expect("cargo");
    assert!(status.success(), "building the strata CLI failed");
    let binary = repo.join("target/release/strata");

    let mut set: Vec<Migration> = Vec::new();
    let mut bytes = 0;
    while bytes < 10_000_000 {
        let m = realistic_migration(set.len() + 1);
        bytes += m.sql.len();
        set.push(m);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/lint10mb");
    let strata_dir = write_set(&dir, &set).expect("write lint set").remove(0);
    // Warm the page cache once, and check the set is clean.
    let out = Command::new(&binary)
        .arg("--dir")
        .arg(&strata_dir)
        .args(["lint", "--format", "json"])
        .output()
        .expect("lint");
    assert!(
        out.status.success(),
        "the generated set must lint clean: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for sample in 0..samples {
        let started = Instant::now();
        let out = Command::new(&binary)
            .arg("--dir")
            .arg(&strata_dir)
            .args(["lint", "--format", "json"])
            .output()
            .expect("lint");
        let elapsed = started.elapsed();
        assert!(out.status.success());
        csv.push("strata", "lint10mb", "lint", sample, elapsed);
    }
    csv.value("strata", "lint10mb", "files", set.len() as f64, "files");
    csv.value("strata", "lint10mb", "bytes", bytes as f64, "bytes");
}

pub fn render(out: &mut String, csv: &Samples) {
    let ms = csv.median("strata", "lint10mb", "lint");
    if ms.is_nan() {
        return;
    }
    let files = csv.median("strata", "lint10mb", "files");
    let bytes = csv.median("strata", "lint10mb", "bytes");
    let _ = writeln!(
        out,
        "\n### `strata lint` (release CLI), {files:.0} files, {:.1} MB: median {ms:.0} ms = **{:.1} MB/s**",
        bytes / 1e6,
        bytes / 1e6 / (ms / 1000.0)
    );
}
