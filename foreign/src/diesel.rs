//! diesel 2.3: `{timestamp}_{name}/up.sql` + `down.sql` directories, history in
//! `__diesel_schema_migrations`.

use std::path::Path;

use diesel::{Connection, SqliteConnection};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

use crate::{Db, Result};

pub fn run(db: &Db, dir: &Path) -> Result {
    // `from_path` is the run-time counterpart of `embed_migrations!`.
    // Its error alone ("No such file or directory") does not say which path.
    let migrations = FileBasedMigrations::from_path(dir)
        .map_err(|err| format!("migrations directory {}: {err}", dir.display()))?;
    match db {
        Db::Postgres(url) => {
            // The wrapper turns diesel-async's tokio-postgres connection into a sync diesel
            // `Connection` (it runs its own runtime, so this must not be inside one), which keeps
            // libpq out of the build while the harness stays diesel's own.
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)?;
            conn.run_pending_migrations(migrations)?;
        }
        Db::Sqlite(path) => {
            let path = path.to_str().ok_or("the SQLite path is not UTF-8")?;
            let mut conn = SqliteConnection::establish(path)?;
            conn.run_pending_migrations(migrations)?;
        }
    }
    Ok(())
}
