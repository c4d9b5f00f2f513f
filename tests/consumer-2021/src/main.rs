//! What a new user writes: embed a directory, run it on SQLite.

static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    let report = MIGRATIONS.run(&mut conn).await?;
    assert_eq!(report.applied.len(), MIGRATIONS.len());
    let count: i64 = conn.query_row("SELECT count(*) FROM notes", [], |row| row.get(0))?;
    assert_eq!(count, 1);
    let again = MIGRATIONS.run(&mut conn).await?;
    assert!(again.applied.is_empty(), "a second run applies nothing");
    println!(
        "consumer-2021: applied {} migrations, second run applied none",
        report.applied.len()
    );
    Ok(())
}
