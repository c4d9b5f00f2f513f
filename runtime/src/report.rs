//! What a run did, what `status` shows, and what a dry run would do.

use std::time::{Duration, SystemTime};

/// One migration applied or rolled back by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// The migration's version.
    pub version: i64,
    /// The migration's name.
    pub name: String,
    /// How long it ran: measured by the server for transactional PostgreSQL migrations, by
    /// the client otherwise; milliseconds as the history table stores them.
    pub execution: Duration,
}

impl Step {
    pub(crate) fn new(version: i64, name: &str, execution: Duration) -> Self {
        Step {
            version,
            name: name.to_string(),
            execution,
        }
    }
}

/// The outcome of `run` or `rollback`, in the order things happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Migrations applied by this run, in version order.
    pub applied: Vec<Step>,
    /// Migrations rolled back by this run, newest first.
    pub reverted: Vec<Step>,
}

impl Report {
    /// Nothing was applied or rolled back.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.reverted.is_empty()
    }
}

/// The state of one migration, from the binary's and the database's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Applied, and the embedded file still has the checksum recorded then.
    Applied,
    /// Embedded, not applied.
    Pending,
    /// Applied, but the file changed since (checksum differs).
    Divergent,
    /// Applied, but this binary does not embed it.
    Missing,
}

impl State {
    /// `applied`, `pending`, `divergent` or `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Divergent => "divergent",
            State::Missing => "missing",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusRow {
    /// The migration's version.
    pub version: i64,
    /// Its name (from the binary, else from the history row).
    pub name: String,
    /// Applied, pending, divergent or missing.
    pub state: State,
    /// When it was applied (the server's clock, to the millisecond).
    pub applied_at: Option<SystemTime>,
    /// How long it ran, when applied.
    pub execution: Option<Duration>,
    /// The file, when the binary embeds the migration.
    pub path: Option<String>,
}

/// Direction of a planned or failed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Applying: the UP section.
    Up,
    /// Rolling back: the DOWN section.
    Down,
}

/// One step a dry run would take, with the SQL it would send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedStep {
    /// The migration's version.
    pub version: i64,
    /// The migration's name.
    pub name: String,
    /// UP (run) or DOWN (rollback).
    pub direction: Direction,
    /// Whether it would run in a transaction with its history update.
    pub transactional: bool,
    /// The section's SQL as written in the file (or as stored, for a DOWN).
    pub sql: String,
}

/// What `run` or `rollback` would do, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// The steps, in the order they would run.
    pub steps: Vec<PlannedStep>,
}
