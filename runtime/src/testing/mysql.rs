//! `#[strata::test]` with a `mysql_async::Conn`: a database per test, created on the server
//! and migrated. MySQL has no template databases and no cheap copy of one (a dump and
//! reload costs more than the migrations of a typical project), so each test's database
//! runs the migrations itself.

use std::future::Future;

use mysql_async::{Conn, Opts, OptsBuilder};

use super::{Outcome, fail};
use crate::migrations::Migrations;
use crate::scratch::{create_scratch, drop_scratch, scratch_name};

/// Where tests connect when neither `MYSQL_URL` nor a MySQL `DATABASE_URL` is set.
const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306";

/// Runs `body` with a connection to a fresh database holding `migrations`, on a
/// current-thread tokio runtime. The database is dropped when the test passes, and when it
/// fails unless `STRATA_TEST_KEEP=1` (then its name is printed).
pub fn mysql<F, Fut>(migrations: &Migrations, test: &str, body: F) -> Fut::Output
where
    F: FnOnce(Conn) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let opts = server();
    let runtime = super::test_runtime();
    let (name, mut admin) = runtime.block_on(test_database(migrations, &opts));
    super::keep_or_drop(
        test,
        || describe(&database(&opts, &name)),
        || {
            runtime.block_on(async {
                let conn = connect(database(&opts, &name)).await;
                body(conn).await
            })
        },
        || {
            runtime.block_on(async {
                if let Err(error) = drop_scratch(&mut admin, &name).await {
                    eprintln!("strata::test: cannot drop test database {name}: {error}");
                }
            })
        },
    )
}

/// `MYSQL_URL`, else `DATABASE_URL` when it is a MySQL URL (a project may test PostgreSQL
/// too), else [`DEFAULT_URL`]; `mariadb://` is read as `mysql://`.
fn server() -> Opts {
    let url = std::env::var("MYSQL_URL")
        .ok()
        .or_else(|| {
            std::env::var("DATABASE_URL")
                .ok()
                .filter(|url| url.starts_with("mysql://") || url.starts_with("mariadb://"))
        })
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url,
    };
    Opts::from_url(&url).unwrap_or_else(|error| {
        fail(format!(
            "MYSQL_URL is not a MySQL URL ({error}); #[strata::test] with a mysql_async::Conn \
             needs mysql://user@host:port"
        ))
    })
}

/// `opts` pointed at database `name`.
fn database(opts: &Opts, name: &str) -> Opts {
    OptsBuilder::from_opts(opts.clone())
        .db_name(Some(name))
        .into()
}

/// `mysql://user@host:port/database`, never the password.
fn describe(opts: &Opts) -> String {
    format!(
        "mysql://{}@{}:{}/{}",
        opts.user().unwrap_or_default(),
        opts.ip_or_hostname(),
        opts.tcp_port(),
        opts.db_name().unwrap_or_default()
    )
}

async fn connect(opts: Opts) -> Conn {
    let described = describe(&opts);
    Conn::new(opts).await.unwrap_or_else(|error| {
        fail(format!(
            "cannot connect to MySQL at {described}: {error}. #[strata::test] needs a server \
             where this user may CREATE DATABASE; set MYSQL_URL to one"
        ))
    })
}

/// Creates this test's database and applies the migrations to it; the admin session that
/// created it (and holds it as its owner), kept to drop it afterwards.
async fn test_database(migrations: &Migrations, opts: &Opts) -> (String, Conn) {
    let mut admin = connect(opts.clone()).await;
    let name = scratch_name("strata_testdb");
    if let Err(error) = create_scratch(&mut admin, &name, None).await {
        fail(format!("cannot create a test database: {error}"));
    }
    let mut conn = connect(database(opts, &name)).await;
    if let Err(error) = migrations.run(&mut conn).await {
        let _ = drop_scratch(&mut admin, &name).await;
        fail(format!(
            "applying the migrations to the test database failed: {error}"
        ));
    }
    drop(conn);
    (name, admin)
}
