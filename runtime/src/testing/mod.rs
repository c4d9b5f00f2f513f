//! What `#[strata::test]` expands to: each test gets its own database with the migrations
//! applied. Not called directly; see the attribute's documentation in the facade.
//!
//! - PostgreSQL: the migrations are applied once to a template database per set of
//!   migrations (named after a digest of the list, the history table and strata's version,
//!   so a changed migration makes a new template), under a lock every test process shares;
//!   each test then gets `CREATE DATABASE ... TEMPLATE`, a file copy on the server, dropped
//!   when the test passes and kept when it fails if `STRATA_TEST_KEEP=1`.
//! - SQLite: the migrations are applied once per process to an in-memory database, copied
//!   into each test's own in-memory database with SQLite's backup API.
//! - MySQL: a database per test, migrated (no template databases there), dropped like
//!   PostgreSQL's.

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "mysql")]
pub use mysql::mysql;
#[cfg(feature = "postgres")]
pub use postgres::postgres;
#[cfg(feature = "sqlite")]
pub use sqlite::{sqlite, sqlite_async};

use sha2::{Digest, Sha256};

use crate::migrations::Migrations;

/// Whether a test's return value means it passed: `()` does (a failing test panics), a
/// `Result` when it is `Ok`.
pub trait Outcome {
    /// True when the test passed.
    fn passed(&self) -> bool;
}

impl Outcome for () {
    fn passed(&self) -> bool {
        true
    }
}

impl<T, E> Outcome for Result<T, E> {
    fn passed(&self) -> bool {
        self.is_ok()
    }
}

/// 16 hex digits naming this list of migrations as a template applies it: the versions and
/// checksums (the prefix digest of the last one covers every one before it), the history
/// table, and strata's version (which writes the history rows).
pub(crate) fn template_key(migrations: &Migrations) -> String {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(b"\0");
    hasher.update(migrations.history().quoted());
    for migration in migrations.iter() {
        hasher.update(format!(
            "\0{}:{}",
            migration.version(),
            migration.checksum()
        ));
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The PostgreSQL template database `#[strata::test]` clones for `migrations`.
pub fn template_name(migrations: &Migrations) -> String {
    format!("strata_tpl_{}", template_key(migrations))
}

/// A current-thread tokio runtime for one test's async work.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("cannot start a tokio runtime: {e}")))
}

/// Runs a test's `body`, then drops its database with `drop`, unless the test failed and
/// `STRATA_TEST_KEEP=1`: then the database (`described`) is kept and named. A panic in the
/// body goes on unwinding after that.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn keep_or_drop<T: Outcome>(
    test: &str,
    described: impl FnOnce() -> String,
    body: impl FnOnce() -> T,
    drop: impl FnOnce(),
) -> T {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let passed = matches!(&outcome, Ok(output) if output.passed());
    if !passed && std::env::var("STRATA_TEST_KEEP").is_ok_and(|keep| keep == "1") {
        eprintln!(
            "strata::test: kept the database of failed test {test}: {}",
            described()
        );
    } else {
        drop();
    }
    match outcome {
        Ok(output) => output,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Fails the test with one readable message and no panic location or backtrace: the message
/// goes to stderr (captured and shown with the test's output), then the test unwinds.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) fn fail(message: String) -> ! {
    eprintln!("strata::test: {message}");
    std::panic::resume_unwind(Box::new(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_key_follows_the_migrations_and_the_history_table() {
        let empty = Migrations::empty();
        let key = template_key(&empty);
        assert_eq!(key.len(), 16);
        assert_eq!(key, template_key(&Migrations::empty()));
        let elsewhere = Migrations::from_vec(
            Vec::new(),
            crate::HistoryTable::new(Some("ops"), "history").unwrap(),
        );
        assert_ne!(key, template_key(&elsewhere));
    }
}
