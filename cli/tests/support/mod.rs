//! What the CLI's end-to-end tests share: a project directory and a run of the built binary.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

use assert_cmd::Command;

pub mod adopt;

/// A temporary project holding `files` (paths relative to it, e.g. `migrations/001_a.sql`).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    for (path, text) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        fs::write(full, text).expect("write");
    }
    dir
}

/// `strata <args>` in `dir` with `DATABASE_URL=url` and no `PGSSL*` from the environment:
/// (exit code, stdout, stderr).
pub fn strata(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("strata")
        .expect("binary")
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env_remove("PGSSLMODE")
        .env_remove("PGSSLROOTCERT")
        .args(args)
        .output()
        .expect("run strata");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
