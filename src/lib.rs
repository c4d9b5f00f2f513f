//! # strata
//!
//! SQL schema migrations that are checked when your crate compiles and applied safely when it
//! runs.
//!
//! ```no_run
//! static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
//!
//! # async fn start(url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
//! tokio::spawn(connection);
//! MIGRATIONS.run(&mut client).await?;
//! # Ok(()) }
//! ```
//!
//! Rolling back from admin code, status, a dry run, and options:
//!
//! ```no_run
//! # static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
//! # async fn admin(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
//! MIGRATIONS.rollback(client, strata::Target::Steps(1)).await?;
//! MIGRATIONS.rollback(client, strata::Target::Version(1)).await?; // undo all above 1
//! for row in MIGRATIONS.status(client).await? {
//!     println!("{} {} {}", row.version, row.name, row.state.as_str());
//! }
//! let plan = MIGRATIONS.runner().target(2).dry_run(client).await?;
//! let report = MIGRATIONS
//!     .runner()
//!     .allow_out_of_order(true)
//!     .lock_timeout(std::time::Duration::from_secs(60))
//!     .run(client)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The same calls take a `rusqlite::Connection`:
//!
//! ```no_run
//! # static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
//! # async fn sqlite() -> Result<(), Box<dyn std::error::Error>> {
//! let mut conn = rusqlite::Connection::open("app.db")?;
//! MIGRATIONS.run(&mut conn).await?;
//! # Ok(()) }
//! ```
//!
//! `embed_migrations!` reads the directory (relative to `CARGO_MANIFEST_DIR`) at compile time,
//! lints every file and fails the build with errors that point at `file:line:col` inside the
//! SQL. `run`, `rollback`, `status` and [`Migrations::runner`] take a
//! `tokio_postgres::Client` (feature `postgres`) or a `rusqlite::Connection` (feature
//! `sqlite`). See the README for naming schemes, sections, directives and `strata.toml`.

pub use strata_build as build;
pub use strata_macros::{embed_migrations, test};
pub use strata_model::migration::{Migration, Section, Statement};

/// What `embed_migrations!` expands to; not an API.
#[doc(hidden)]
pub mod __private {
    pub use strata_model::embedded::{Embedded, check_lengths};
    pub use strata_runtime::testing;
}
pub use strata_runtime::{
    AdoptPlan, AppliedMigration, Blocking, Checks, DbError, DbErrorKind, Difference, Direction,
    Divergence, Error, FailureRecord, Finding, ForeignMigration, HistoryMark, HistoryTable,
    Location, LockStrategy, MigrationRef, Migrations, Plan, PlannedStep, Report, Result,
    RevertStep, RoundTrip, Runner, ScriptFormat, State, StatusRow, Step, Target, Tool, Verifier,
    VerifyReport, VerifyStep, driver, plan_down, plan_up,
};
