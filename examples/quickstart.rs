//! The quickstart: embeds ./migrations at compile time, applies them to a local SQLite file
//! (`strata-quickstart.db`), or to PostgreSQL when DATABASE_URL is set, and prints the status.
//! Run it twice: the second run applies nothing.
//!
//!     cargo run --example quickstart

use std::error::Error;

static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

fn print_status(report: &strata::Report, rows: &[strata::StatusRow]) {
    println!("applied now: {}", report.applied.len());
    println!(
        "{:>8}  {:<26} {:<9} {:<25} {:>8}",
        "version", "name", "state", "applied", "ms"
    );
    for row in rows {
        println!(
            "{:>8}  {:<26} {:<9} {:<25} {:>8}",
            row.version,
            row.name,
            row.state.as_str(),
            row.applied_at
                .and_then(|at| at.elapsed().ok())
                .map_or_else(|| "-".to_string(), |age| format!("{} s ago", age.as_secs())),
            row.execution
                .map_or_else(|| "-".to_string(), |d| d.as_millis().to_string()),
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    println!("{} migrations embedded at compile time", MIGRATIONS.len());
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
    {
        Some(url) => {
            let (mut client, connection) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            let report = MIGRATIONS.run(&mut client).await?;
            print_status(&report, &MIGRATIONS.status(&mut client).await?);
        }
        None => {
            let path = "strata-quickstart.db";
            println!(
                "database: SQLite file {path} (set DATABASE_URL=postgres://... to use PostgreSQL)"
            );
            let mut conn = rusqlite::Connection::open(path)?;
            let report = MIGRATIONS.run(&mut conn).await?;
            print_status(&report, &MIGRATIONS.status(&mut conn).await?);
        }
    }
    Ok(())
}
