//! `status`, `pending`, `executed`: a table (the "Migration History" people keep by hand in
//! READMEs) or JSON.

use std::process::ExitCode;

use serde::Serialize;
use strata_runtime::{Migrations, State, StatusRow};

use super::Result;
use crate::args::TableFormat;
use crate::database::Database;
use crate::time::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Pending,
    Executed,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    version: i64,
    name: &'a str,
    state: &'static str,
    applied_at: Option<String>,
    execution_ms: Option<i64>,
    file: Option<&'a str>,
    /// How an applied row came to be when not by a run: `baseline`, `adopted from <tool>`,
    /// `marked applied by repair`.
    origin: Option<&'a str>,
    /// A no-transaction migration that failed part-way: what `strata repair` explains.
    partial: Option<JsonPartial<'a>>,
}

#[derive(Serialize)]
struct JsonPartial<'a> {
    failed_statement: i64,
    total: i64,
    completed_lines: &'a [u32],
    error: &'a str,
}

pub async fn run(
    db: &mut Database,
    migrations: &Migrations,
    filter: Filter,
    format: TableFormat,
) -> Result<ExitCode> {
    let rows: Vec<StatusRow> = migrations
        .status(db)
        .await?
        .into_iter()
        .filter(|r| match filter {
            Filter::All => true,
            Filter::Pending => r.state == State::Pending,
            Filter::Executed => r.state != State::Pending,
        })
        .collect();
    let marks = migrations.history_marks(db).await?;
    let failures = migrations.partial_failures(db).await?;
    let origin = |version: i64| {
        marks
            .iter()
            .find(|m| m.version == version)
            .and_then(|m| m.origin.as_deref())
    };
    let failure = |version: i64| failures.iter().find(|f| f.version == version);
    match format {
        TableFormat::Json => {
            let json: Vec<JsonRow<'_>> = rows
                .iter()
                .map(|r| JsonRow {
                    version: r.version,
                    name: &r.name,
                    state: r.state.as_str(),
                    applied_at: r.applied_at.map(timestamp),
                    execution_ms: r.execution.map(|d| d.as_millis() as i64),
                    file: r.path.as_deref(),
                    origin: origin(r.version),
                    partial: failure(r.version).map(|f| JsonPartial {
                        failed_statement: f.failed_statement,
                        total: f.total,
                        completed_lines: &f.completed_lines,
                        error: &f.error,
                    }),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        TableFormat::Human => {
            let states: Vec<String> = rows
                .iter()
                .map(|r| match (origin(r.version), failure(r.version)) {
                    (Some(origin), _) => format!("{} ({origin})", r.state.as_str()),
                    (None, Some(f)) => format!(
                        "{} (failed part-way at statement {} of {}: strata repair)",
                        r.state.as_str(),
                        f.failed_statement,
                        f.total
                    ),
                    (None, None) => r.state.as_str().to_string(),
                })
                .collect();
            print!("{}", table(&rows, &states));
        }
    }
    if rows.iter().all(|r| r.state == State::Pending) {
        suggest_adopt(db, migrations).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Nothing applied by strata, but another tool's history is here: say how to switch.
async fn suggest_adopt(db: &mut Database, migrations: &Migrations) -> Result<()> {
    for tool in migrations.foreign_histories(db).await? {
        eprintln!(
            "this database has no strata history, but it has a {tool} history ({}): \
             `strata adopt --from {tool}` records those migrations as applied without running them",
            tool.default_table()
        );
    }
    Ok(())
}

/// A Markdown table, readable in a terminal and pasteable into a README; the state column's
/// text given per row.
fn table(rows: &[StatusRow], states: &[String]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .zip(states)
        .map(|(r, state)| {
            [
                r.version.to_string(),
                r.name.clone(),
                state.clone(),
                r.applied_at.map_or_else(|| "-".to_string(), timestamp),
                r.execution
                    .map_or_else(|| "-".to_string(), |d| format!("{} ms", d.as_millis())),
            ]
        })
        .collect();
    let header = ["version", "name", "state", "applied at", "duration"];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&header.map(str::to_string));
    out.push_str(&format!(
        "|{}|\n",
        widths.map(|w| "-".repeat(w + 2)).join("|")
    ));
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}
