//! refinery 0.10: `V{n}__{name}.sql` files, history in `refinery_schema_history`.

use std::path::Path;

use crate::{Db, Result};

pub fn run(db: &Db, dir: &Path) -> Result {
    // `load_sql_migrations` is the run-time counterpart of `embed_migrations!`.
    let migrations = refinery::load_sql_migrations(dir)?;
    let runner = refinery::Runner::new(&migrations);
    match db {
        Db::Postgres(url) => crate::runtime()?.block_on(async {
            let (mut client, connection) =
                tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            // tokio-postgres does its I/O in this separate future; it ends when `client` drops.
            let io = tokio::spawn(connection);
            runner.run_async(&mut client).await?;
            drop(client);
            io.await??;
            Ok(())
        }),
        Db::Sqlite(path) => {
            let mut conn = rusqlite::Connection::open(path)?;
            runner.run(&mut conn)?;
            Ok(())
        }
    }
}
