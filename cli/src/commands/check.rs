//! `strata check`: can we connect, which server, what state is the history table in.

use std::process::ExitCode;

use strata_runtime::{Driver, HistoryTable};

use super::Result;
use crate::database::Database;

pub async fn run(db: &mut Database, dir: &str) -> Result<ExitCode> {
    println!("connected: {}", db.server_version().await?);
    let loaded = strata_core::load(std::path::Path::new("."), dir);
    let history = &loaded.config.history;
    let table =
        HistoryTable::new(history.schema.as_deref(), &history.table).map_err(|e| e.to_string())?;
    let rows = db
        .read_history(&table)
        .await
        .map_err(|e| format!("history table {}: {e}", table.quoted()))?;
    match rows.last() {
        Some(last) => println!(
            "history table {}: {} applied, latest {} {} at {}",
            table.quoted(),
            rows.len(),
            last.version,
            last.name,
            last.applied_at
        ),
        None => println!("history table {}: empty", table.quoted()),
    }
    Ok(ExitCode::SUCCESS)
}
