//! What the schema-replay tests share: a migrations directory written from `(name, content)`
//! pairs, loaded through `strata_core::load`, and its schema findings.

use std::fs;
use std::path::Path;

use strata_core::lint_registry::Group;

/// (lint, file name, line, message) for every schema finding on `files` in a directory of
/// `dialect` whose DOWNs are optional.
pub fn schema_findings(
    dialect: &str,
    files: &[(&str, &str)],
) -> Vec<(String, String, u32, String)> {
    let dir = tempfile::tempdir().expect("tmp");
    let migrations = dir.path().join("m");
    fs::create_dir_all(&migrations).expect("mkdir");
    for (name, text) in files {
        fs::write(migrations.join(name), text).expect("write");
    }
    fs::write(
        migrations.join("strata.toml"),
        format!("dialect = \"{dialect}\"\ndown = \"optional\"\n"),
    )
    .expect("toml");
    let loaded = strata_core::load(Path::new(dir.path()), "m");
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.lint.group() == Group::Schema)
        .map(|d| {
            (
                d.lint.name().to_string(),
                d.file.rsplit('/').next().unwrap_or_default().to_string(),
                d.span.as_ref().map_or(0, |s| s.line),
                d.message.clone(),
            )
        })
        .collect()
}
