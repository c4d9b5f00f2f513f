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
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        TableFormat::Human => print!("{}", table(&rows)),
    }
    Ok(ExitCode::SUCCESS)
}

/// A Markdown table, readable in a terminal and pasteable into a README.
pub fn table(rows: &[StatusRow]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.version.to_string(),
                r.name.clone(),
                r.state.as_str().to_string(),
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
