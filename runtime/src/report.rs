//! What a run did, what `status` shows, and what a dry run would do.

/// One migration applied or rolled back by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub version: i64,
    pub name: String,
    pub execution_ms: i64,
}

/// The outcome of `run` or `rollback`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub applied: Vec<Step>,
    pub reverted: Vec<Step>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.reverted.is_empty()
    }
}

/// The state of one migration, from the binary's and the database's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file changed since (checksum differs).
    Divergent,
    /// Applied, but this binary does not embed it.
    Missing,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Divergent => "divergent",
            State::Missing => "missing",
        }
    }
}

/// One row of `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub version: i64,
    pub name: String,
    pub state: State,
    /// UTC, RFC 3339, when applied.
    pub applied_at: Option<String>,
    pub execution_ms: Option<i64>,
    /// The file, when the binary embeds the migration.
    pub path: Option<String>,
}

/// Direction of a planned step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// One step a dry run would take, with the SQL it would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub version: i64,
    pub name: String,
    pub direction: Direction,
    pub transactional: bool,
    pub sql: String,
}

/// What `run` or `rollback` would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<PlannedStep>,
}
