//! A synchronous program: no async runtime anywhere. Applies the migrations to the
//! quickstart's SQLite file with `run_blocking`, then prints the status.
//!
//!     cargo run --example sync
//!
//! With feature `postgres-sync`, the same calls take a `postgres::Client`.

static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = rusqlite::Connection::open("strata-quickstart.db")?;
    let report = MIGRATIONS.run_blocking(&mut conn)?;
    println!("applied now: {}", report.applied.len());
    for row in MIGRATIONS.status_blocking(&mut conn)? {
        println!("{:>6} {:<26} {}", row.version, row.name, row.state);
    }
    Ok(())
}
