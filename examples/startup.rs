//! What a service copies: connect, migrate at start-up, log, then serve.
//! N replicas can start at once: the advisory lock serializes them, each migration is applied
//! exactly once, and a replica that finds nothing pending pays one round trip.
//!
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run --example startup

use std::process::ExitCode;
use std::time::Duration;

static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

async fn migrate(url: &str) -> Result<strata::Report, Box<dyn std::error::Error>> {
    let mut config: tokio_postgres::Config = url.parse()?;
    if config.get_application_name().is_none() {
        // Shows up in the log of a replica waiting for the migration lock ("held by pid ...").
        config.application_name("startup-example");
    }
    let (mut client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::error!(%error, "database connection closed");
        }
    });

    // Refuse to start on a database that disagrees with this binary (divergent, missing or
    // out-of-order migrations); give up if another replica holds the lock for too long.
    let report = MIGRATIONS
        .runner()
        .lock_timeout(Duration::from_secs(300))
        .run(&mut client)
        .await?;
    Ok(report)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    match migrate(&url).await {
        Ok(report) => tracing::info!(applied = report.applied.len(), "database ready"),
        Err(error) => {
            // strata's errors name the migration, its file:line:col and the SQLSTATE.
            tracing::error!(%error, "migrations failed; not starting");
            return ExitCode::FAILURE;
        }
    }

    // ... start serving here ...
    ExitCode::SUCCESS
}
