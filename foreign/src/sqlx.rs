//! sqlx 0.8: `{version}_{name}.sql` files (or `.up.sql`/`.down.sql` pairs), history in
//! `_sqlx_migrations`.

use std::path::Path;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Db, Result};

pub fn run(db: &Db, dir: &Path) -> Result {
    crate::runtime()?.block_on(async {
        // `Migrator::new` is the run-time counterpart of `sqlx::migrate!`.
        let migrator = Migrator::new(dir).await?;
        match db {
            Db::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await?;
                migrator.run(&mut conn).await?;
                conn.close().await?;
            }
            Db::Sqlite(path) => {
                // Like the other two tools' SQLite drivers, create the file when missing.
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true);
                let mut conn = options.connect().await?;
                migrator.run(&mut conn).await?;
                conn.close().await?;
            }
        }
        Ok(())
    })
}
