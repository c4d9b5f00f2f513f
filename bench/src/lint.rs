//! `strata lint` throughput (release CLI) on a generated 10 MB directory.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::stats::{Samples, median_ms};

pub fn run(csv: &mut Samples) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new("cargo").args(["build", "-q", "--release", "-p", "strata-cli"]).current_dir(&repo).status().expect("cargo");
    assert!(status.success(), "building the strata CLI failed");
    let binary = repo.join("target/release/strata");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/lint10mb");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("dir");
    let mut bytes = 0;
    let mut i = 0;
    while bytes < 10 * 1024 * 1024 {
        i += 1;
        let mut text = format!("-- migration {i}\n-- UP\n");
        for t in 0..8 {
            text.push_str(&format!(
                "CREATE TABLE t{i}_{t} (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'n{i}', created_at timestamptz NOT NULL DEFAULT now());\n\
                 CREATE INDEX t{i}_{t}_name_idx ON t{i}_{t} (name) WHERE name <> '';\n"
            ));
        }
        text.push_str("-- DOWN\n");
        for t in (0..8).rev() {
            text.push_str(&format!("DROP TABLE t{i}_{t};\n"));
        }
        bytes += text.len();
        fs::write(dir.join(format!("{i:05}_m{i}.sql")), text).expect("write");
    }
    for sample in 0..3 {
        let started = Instant::now();
        let out = Command::new(&binary).args(["--dir", &dir.to_string_lossy(), "lint", "--format", "json"]).output().expect("lint");
        let elapsed = started.elapsed();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        csv.push("strata", "lint10mb", "lint", sample, elapsed);
    }
    let ms = median_ms(&csv.of("strata", "lint10mb", "lint"));
    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!("\n## strata lint (release) on {i} files, {mb:.1} MB: median {ms:.0} ms = {:.1} MB/s\n", mb / (ms / 1000.0));
}
