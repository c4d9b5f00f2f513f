//! What `verify` found, per migration.

use std::fmt;

use crate::error::{DbError, Error, Location};

pub use super::snapshot::Difference;

/// The outcome of [`Migrations::verify`](crate::Migrations::verify): one step per migration,
/// in version order.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Every migration, in version order, with what was checked and found.
    pub steps: Vec<VerifyStep>,
    /// Whether each UP was also run a second time ([`Verifier::idempotent`](super::Verifier::idempotent)).
    pub idempotent: bool,
}

impl VerifyReport {
    /// True when nothing was found: every migration applied, every DOWN restored the schema
    /// before its UP, and (when asked) every UP ran twice without a change.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|step| step.findings.is_empty())
    }

    /// Every finding with the migration it is about, in version order.
    pub fn findings(&self) -> impl Iterator<Item = (&VerifyStep, &Finding)> {
        self.steps
            .iter()
            .flat_map(|step| step.findings.iter().map(move |finding| (step, finding)))
    }
}

/// One migration's part of a [`VerifyReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct VerifyStep {
    /// The migration's version.
    pub version: i64,
    /// The migration's name.
    pub name: String,
    /// Its file.
    pub path: String,
    /// How far its round trip got.
    pub round_trip: RoundTrip,
    /// What was found; empty when all held.
    pub findings: Vec<Finding>,
}

/// How far one migration's up -> down -> up got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoundTrip {
    /// Applied, rolled back to exactly the schema before it, and applied again.
    Verified,
    /// Applied; it has no DOWN (a forward-only migration), so there was no round trip.
    NoDown,
    /// Something failed or differed: see the step's findings.
    Failed,
    /// Not reached: an earlier migration left the database in a state the rest cannot be
    /// checked from.
    NotReached,
}

impl RoundTrip {
    /// `verified`, `no down`, `failed` or `not reached`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundTrip::Verified => "verified",
            RoundTrip::NoDown => "no down",
            RoundTrip::Failed => "failed",
            RoundTrip::NotReached => "not reached",
        }
    }
}

/// Something `verify` found about one migration.
#[derive(Debug)]
#[non_exhaustive]
pub enum Finding {
    /// The UP failed (on the first apply).
    UpFailed(Error),
    /// The DOWN failed; the migration stays applied.
    DownFailed(Error),
    /// The DOWN ran but the schema differs from the one before the UP.
    DownIncomplete {
        /// Where the DOWN section starts.
        location: Location,
        /// What differs from the schema before the UP.
        differences: Vec<Difference>,
    },
    /// Applying the UP again after its DOWN failed.
    ReapplyFailed(Error),
    /// Applying the UP again after its DOWN gave a different schema from the first time.
    ReapplyDiffers {
        /// Where the UP section starts.
        location: Location,
        /// What differs from the schema after the first apply.
        differences: Vec<Difference>,
    },
    /// Running the UP a second time (`--idempotent`) failed.
    NotIdempotent {
        /// The failing statement's place in the file.
        location: Location,
        /// What the database said.
        error: DbError,
    },
    /// Running the UP a second time (`--idempotent`) changed the schema.
    SecondRunChanged {
        /// Where the UP section starts.
        location: Location,
        /// What the second run changed.
        differences: Vec<Difference>,
    },
}

impl Finding {
    /// A short name for machine-readable output: `up-failed`, `down-failed`,
    /// `down-incomplete`, `reapply-failed`, `reapply-differs`, `not-idempotent`,
    /// `second-run-changed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::UpFailed(_) => "up-failed",
            Finding::DownFailed(_) => "down-failed",
            Finding::DownIncomplete { .. } => "down-incomplete",
            Finding::ReapplyFailed(_) => "reapply-failed",
            Finding::ReapplyDiffers { .. } => "reapply-differs",
            Finding::NotIdempotent { .. } => "not-idempotent",
            Finding::SecondRunChanged { .. } => "second-run-changed",
        }
    }

    /// Where in which file: the failing statement, or the section that did not restore.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Finding::UpFailed(error)
            | Finding::DownFailed(error)
            | Finding::ReapplyFailed(error) => error.location(),
            Finding::DownIncomplete { location, .. }
            | Finding::ReapplyDiffers { location, .. }
            | Finding::NotIdempotent { location, .. }
            | Finding::SecondRunChanged { location, .. } => Some(location),
        }
    }

    /// The objects that differ, for the findings that compare schemas.
    pub fn differences(&self) -> &[Difference] {
        match self {
            Finding::DownIncomplete { differences, .. }
            | Finding::ReapplyDiffers { differences, .. }
            | Finding::SecondRunChanged { differences, .. } => differences,
            _ => &[],
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |differences: &[Difference]| join(differences, "is still there", "is missing");
        match self {
            Finding::UpFailed(error) => write!(f, "the UP failed: {}", cause(error)),
            Finding::DownFailed(error) => write!(f, "the DOWN failed: {}", cause(error)),
            Finding::DownIncomplete { differences, .. } => write!(
                f,
                "the DOWN does not restore the schema before the UP: {}",
                list(differences)
            ),
            Finding::ReapplyFailed(error) => {
                write!(
                    f,
                    "applying the UP again after the DOWN failed: {}",
                    cause(error)
                )
            }
            Finding::ReapplyDiffers { differences, .. } => write!(
                f,
                "applying the UP again after the DOWN gives another schema than the first time: {}",
                join(differences, "is new", "is missing")
            ),
            Finding::NotIdempotent { error, .. } => {
                write!(
                    f,
                    "the UP is not idempotent: running it a second time failed: {error}"
                )
            }
            Finding::SecondRunChanged { differences, .. } => write!(
                f,
                "the UP is not idempotent: running it a second time changed the schema: {}",
                join(differences, "was created", "was dropped")
            ),
        }
    }
}

fn join(differences: &[Difference], extra: &str, missing: &str) -> String {
    differences
        .iter()
        .map(|d| d.describe(extra, missing))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The database's words for a failed statement (the finding already names the migration and
/// the place); the whole error otherwise (a partial run says what ran).
fn cause(error: &Error) -> String {
    match error {
        Error::Migration { error, .. } | Error::Rollback { error, .. } => error.to_string(),
        other => other.to_string(),
    }
}
