//! `strata check`: can we connect, which server, what state is the history table in.

use std::process::ExitCode;

use strata_runtime::{HistoryTable, Migrations};

use super::Result;
use crate::database::Database;
use crate::time::timestamp;

pub async fn run(db: &mut Database, table: HistoryTable) -> Result<ExitCode> {
    println!("connected: {}", db.server_version().await?);
    let rows = Migrations::from_vec(Vec::new(), table.clone())
        .runner()
        .applied(db)
        .await?;
    match rows.last() {
        Some(last) => println!(
            "history table {}: {} applied, latest {} {} at {}",
            table.quoted(),
            rows.len(),
            last.version,
            last.name,
            timestamp(last.applied_at)
        ),
        None => println!("history table {}: empty", table.quoted()),
    }
    Ok(ExitCode::SUCCESS)
}
