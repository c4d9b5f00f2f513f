//! The flow every `adopt` test runs, whoever wrote the other tool's history.

use std::path::Path;

use serde_json::Value;

use super::strata;

/// A tool's case: its migration files, the SQL that leaves the database as the tool would
/// (schema and history rows), its history table, and a new migration.
pub struct Case {
    pub tool: &'static str,
    pub files: Vec<(&'static str, &'static str)>,
    pub history: String,
    pub table: &'static str,
    pub new: (&'static str, &'static str),
    pub new_version: i64,
}

/// Status rows as (version, state, origin).
fn status(dir: &Path, url: &str) -> Vec<(i64, String, Option<String>)> {
    let (code, stdout, stderr) = strata(dir, url, &["status", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).expect("status JSON");
    rows.iter()
        .map(|r| {
            (
                r["version"].as_i64().expect("version"),
                r["state"].as_str().expect("state").to_string(),
                r["origin"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Runs the whole flow of `case` against `url`, with `dump` reading the tool's table (to
/// show it unchanged).
pub fn adopt_flow(case: &Case, url: &str, dump: &dyn Fn() -> Vec<String>) {
    let project = super::project(&case.files);
    let dir = project.path();
    let before = dump();
    assert!(!before.is_empty(), "the {} history is empty", case.tool);

    // Status says what to do.
    let (code, _, stderr) = strata(dir, url, &["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("`strata adopt --from {}`", case.tool)),
        "{stderr}"
    );

    // The plan, and nothing written.
    let (code, stdout, stderr) = strata(dir, url, &["adopt", "--from", case.tool]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("to record as applied"), "{stdout}");
    assert!(stdout.contains("nothing written"), "{stdout}");
    assert!(
        status(dir, url)
            .iter()
            .all(|(_, state, _)| state == "pending")
    );

    let (code, stdout, stderr) = strata(dir, url, &["adopt", "--from", case.tool, "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let adopted = format!("adopted from {}", case.tool);
    let rows = status(dir, url);
    assert!(!rows.is_empty());
    for (version, state, origin) in &rows {
        assert_eq!(state, "applied", "{version}: {rows:?}");
        assert_eq!(origin.as_deref(), Some(adopted.as_str()), "{rows:?}");
    }
    assert_eq!(dump(), before, "adopt changed {}'s table", case.tool);

    // Adopting again records nothing.
    let (code, stdout, _) = strata(dir, url, &["adopt", "--from", case.tool, "--yes"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to record"), "{stdout}");

    // A new migration: `up` applies exactly it.
    let path = dir.join(case.new.0);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("its directory");
    std::fs::write(&path, case.new.1).expect("write the new migration");
    let (code, stdout, stderr) = strata(dir, url, &["up"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let rows = status(dir, url);
    let new: Vec<_> = rows
        .iter()
        .filter(|(_, _, origin)| origin.is_none())
        .collect();
    assert_eq!(new.len(), 1, "{rows:?}");
    assert_eq!(new[0].0, case.new_version);
    assert_eq!(new[0].1, "applied");
    assert!(
        rows.iter().all(|(_, state, _)| state == "applied"),
        "{rows:?}"
    );
}

/// Every row of `table` in the SQLite file, each as its values' debug text, sorted.
pub fn sqlite_rows(file: &Path, table: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(file).expect("sqlite");
    let mut statement = conn
        .prepare(&format!("SELECT * FROM {table}"))
        .expect("select");
    let columns = statement.column_count();
    let mut rows: Vec<String> = statement
        .query_map([], |row| {
            Ok((0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).expect("value")))
                .collect::<Vec<_>>()
                .join(","))
        })
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    rows.sort();
    rows
}
