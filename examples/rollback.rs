//! Admin code: show the status, then roll back the most recent migration (its DOWN runs in a
//! transaction together with the history delete).
//!
//!     DATABASE_URL=postgres://... cargo run --example rollback
//!     cargo run --example rollback            # the quickstart's SQLite file

static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

async fn roll_back_one<D: strata::driver::Driver>(conn: &mut D) -> Result<(), strata::Error> {
    for row in MIGRATIONS.status(conn).await? {
        println!("{:>6} {:<26} {}", row.version, row.name, row.state.as_str());
    }
    let plan = MIGRATIONS
        .runner()
        .dry_run_rollback(conn, strata::Target::Steps(1))
        .await?;
    for step in &plan.steps {
        println!(
            "rolling back {} {}:\n{}",
            step.version,
            step.name,
            step.sql.trim_end()
        );
    }
    let report = MIGRATIONS.rollback(conn, strata::Target::Steps(1)).await?;
    println!("rolled back {} migration(s)", report.reverted.len());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
    {
        Some(url) => {
            let (mut client, connection) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            roll_back_one(&mut client).await?;
        }
        None => roll_back_one(&mut rusqlite::Connection::open("strata-quickstart.db")?).await?,
    }
    Ok(())
}
