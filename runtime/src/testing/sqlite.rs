//! `#[strata::test]` with a `rusqlite::Connection`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, OnceLock};

use rusqlite::Connection;

use super::{Outcome, fail, template_key};
use crate::migrations::Migrations;

/// Migrated in-memory databases, one per set of migrations, copied into each test's.
fn templates() -> &'static Mutex<HashMap<String, Connection>> {
    static TEMPLATES: OnceLock<Mutex<HashMap<String, Connection>>> = OnceLock::new();
    TEMPLATES.get_or_init(Default::default)
}

/// A fresh in-memory database holding `migrations`, applied once per process.
fn migrated(migrations: &Migrations) -> Connection {
    let key = template_key(migrations);
    let mut templates = templates()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !templates.contains_key(&key) {
        let mut template = Connection::open_in_memory()
            .unwrap_or_else(|e| fail(format!("cannot open an in-memory SQLite database: {e}")));
        if let Err(error) = migrations.run_blocking(&mut template) {
            fail(format!("applying the migrations failed: {error}"));
        }
        templates.insert(key.clone(), template);
    }
    let template = &templates[&key];
    let mut conn = Connection::open_in_memory()
        .unwrap_or_else(|e| fail(format!("cannot open an in-memory SQLite database: {e}")));
    let copied = rusqlite::backup::Backup::new(template, &mut conn)
        .and_then(|backup| backup.run_to_completion(i32::MAX, std::time::Duration::ZERO, None));
    if let Err(error) = copied {
        fail(format!("copying the migrated database failed: {error}"));
    }
    conn
}

/// Runs `body` with a fresh in-memory SQLite database holding `migrations`.
pub fn sqlite<R: Outcome>(migrations: &Migrations, body: impl FnOnce(Connection) -> R) -> R {
    body(migrated(migrations))
}

/// [`sqlite`] for an `async fn` test, polled on a current-thread tokio runtime when the
/// `postgres` feature brings tokio, else on this thread.
pub fn sqlite_async<F, Fut>(migrations: &Migrations, body: F) -> Fut::Output
where
    F: FnOnce(Connection) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let conn = migrated(migrations);
    #[cfg(feature = "postgres")]
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| fail(format!("cannot start a tokio runtime: {e}")));
        runtime.block_on(body(conn))
    }
    #[cfg(not(feature = "postgres"))]
    crate::blocking::block_on(body(conn))
}
