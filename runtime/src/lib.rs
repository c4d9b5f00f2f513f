//! strata-runtime: the list of embedded migrations and what applies, verifies and rolls
//! them back. Applications use it through the `strata` facade, which re-exports it.
//!
//! - [`Migrations`]: the list `embed_migrations!` expands to, with `run`, `rollback`,
//!   `status`, `dry_run` and [`Migrations::runner`] (a [`Runner`] builder for options).
//! - [`plan_up`] / [`plan_down`]: pure planning (what to apply or roll back, and what is
//!   wrong: divergent, missing, out of order, no DOWN), with no database in it.
//! - The history protocol (the table's layout and upgrades, the start-up probe, the lock,
//!   each migration with its history row) belongs to the runtime, for every backend alike.
//! - [`driver`]: the few primitives a backend implements ([`driver::Driver`]); implemented
//!   for `tokio_postgres::Client` (feature `postgres`) and `rusqlite::Connection` (feature
//!   `sqlite`).
//! - [`Error`]: one `#[non_exhaustive]` enum; every variant about a migration names its
//!   version and file, and database errors carry SQLSTATE, `file:line:col` and the client
//!   library's error as their source.

// Errors carry the migration, file and database message; they are the cold path, so their
// size does not matter and boxing would only make matching on them clumsier.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

mod admin;
mod adopt;
mod blocking;
pub mod driver;
mod error;
mod history;
mod lease;
mod lock;
mod migrations;
mod plan;
mod protocol;
mod report;
mod runner;
pub mod scratch;
mod script;
#[doc(hidden)]
pub mod testing;
mod verify;

pub use admin::{FailureRecord, HistoryMark};
pub use adopt::{AdoptPlan, ForeignMigration, Tool};
pub use blocking::Blocking;
pub use error::{DbError, DbErrorKind, Divergence, Error, Location, MigrationRef, Result};
pub use history::{AppliedMigration, HistoryTable};
pub use migrations::Migrations;
pub use plan::{Checks, RevertStep, Target, plan_down, plan_up};
pub use report::{Direction, Plan, PlannedStep, Report, State, StatusRow, Step};
pub use runner::{Runner, status_rows};
pub use script::ScriptFormat;
pub use strata_model::history_table::LockStrategy;
pub use strata_model::migration::{Migration, Section, Statement};
pub use verify::{Difference, Finding, RoundTrip, Verifier, VerifyReport, VerifyStep};
