//! strata-runtime: the list of embedded migrations and what applies, verifies and rolls
//! them back. Planning (`plan.rs`) is pure; databases sit behind the [`Driver`] trait.

// Errors carry the migration, file and database message; they are the cold path, so their
// size does not matter and boxing would only make matching on them clumsier.
#![allow(clippy::result_large_err)]

mod driver;
pub mod drivers;
mod error;
mod history;
mod migrations;
mod plan;
mod report;
mod runner;

pub use driver::{Applied, Driver, StepError};
pub use error::{DbError, Divergence, Error, Location, MigrationRef, Result};
pub use history::{AppliedMigration, HistoryTable};
pub use migrations::Migrations;
pub use plan::{Checks, RevertStep, Target, plan_down, plan_up};
pub use report::{Direction, Plan, PlannedStep, Report, State, StatusRow, Step};
pub use runner::{Runner, status_rows};
pub use strata_core::model::{Migration, Section, Statement};
