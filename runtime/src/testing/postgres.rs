//! `#[strata::test]` with a `tokio_postgres::Client`: a template database per set of
//! migrations, cloned per test.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};

use super::{Outcome, fail, template_key, template_name};
use crate::migrations::Migrations;
use crate::scratch::{create_scratch, drop_scratch, scratch_name};

/// Where tests connect when `DATABASE_URL` is not set.
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `body` with a client connected to a fresh database holding `migrations`, on a
/// current-thread tokio runtime. The database is dropped when the test passes, and when it
/// fails unless `STRATA_TEST_KEEP=1` (then its name is printed).
pub fn postgres<F, Fut>(migrations: &Migrations, test: &str, body: F) -> Fut::Output
where
    F: FnOnce(Client) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let config = server();
    let runtime = super::test_runtime();
    let (name, mut admin) = runtime.block_on(test_database(migrations, &config));
    super::keep_or_drop(
        test,
        || describe(&database(&config, &name)),
        || {
            runtime.block_on(async {
                let client = connect(database(&config, &name)).await;
                body(client).await
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

/// `DATABASE_URL` (else [`DEFAULT_URL`]) and its parsed configuration.
fn server() -> Config {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    match url.parse::<Config>() {
        Ok(config) => config,
        Err(error) => fail(format!(
            "DATABASE_URL is not a PostgreSQL URL ({error}); #[strata::test] with a \
             tokio_postgres::Client needs postgres://user@host:port/database"
        )),
    }
}

/// `config` pointed at database `name`.
fn database(config: &Config, name: &str) -> Config {
    let mut config = config.clone();
    config.dbname(name);
    config
}

/// `postgres://user@host:port/database`, never the password.
fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or_default(),
        config.get_dbname().unwrap_or_default()
    )
}

async fn connect(config: Config) -> Client {
    match config.connect(NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
        Err(error) => {
            let source = if std::env::var("DATABASE_URL").is_ok() {
                "DATABASE_URL"
            } else {
                "DATABASE_URL is not set; the default"
            };
            fail(format!(
                "cannot connect to PostgreSQL at {} ({source}): {error}. #[strata::test] needs a \
                 server where this role may CREATE DATABASE; set DATABASE_URL to one",
                describe(&config)
            ))
        }
    }
}

/// Creates this test's database from the migrated template (made first if needed); the
/// admin session that created it, kept to drop it afterwards.
async fn test_database(migrations: &Migrations, config: &Config) -> (String, Client) {
    let mut template = template(migrations, config).await;
    let mut admin = connect(config.clone()).await;
    let name = scratch_name("strata_testdb");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rebuilt = false;
    loop {
        match create_scratch(&mut admin, &name, Some(&template)).await {
            Ok(()) => return (name, admin),
            // 55006: a session of the process that built the template is still closing.
            Err(error) if error.code == "55006" && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // 3D000: someone dropped the template this process built earlier; build it again.
            Err(error) if error.code == "3D000" && !rebuilt => {
                forget(&template);
                template = self::template(migrations, config).await;
                rebuilt = true;
            }
            Err(error) => fail(format!(
                "cannot create a test database from template {template}: {error}"
            )),
        }
    }
}

/// The template holding `migrations`: found, or built under a lock every test process on
/// this server shares (built as `<name>_building`, renamed when complete, so a template
/// that exists is always complete).
/// Templates this process built or found.
fn ready() -> &'static Mutex<HashSet<String>> {
    static READY: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    READY.get_or_init(Default::default)
}

fn forget(template: &str) {
    if let Ok(mut set) = ready().lock() {
        set.remove(template);
    }
}

async fn template(migrations: &Migrations, config: &Config) -> String {
    let ready = ready();
    let key = template_key(migrations);
    let name = template_name(migrations);
    if ready.lock().is_ok_and(|set| set.contains(&name)) {
        return name;
    }
    let admin = connect(config.clone()).await;
    // The key's first 15 hex digits: a positive i64, the same in every process.
    let lock = i64::from_str_radix(&key[..15], 16).unwrap_or_default();
    admin_query(&admin, format!("SELECT pg_advisory_lock({lock})")).await;
    let exists = any_row(
        &admin,
        format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
    )
    .await;
    if !exists {
        build(migrations, config, &admin, &name).await;
    }
    admin_query(&admin, format!("SELECT pg_advisory_unlock({lock})")).await;
    if let Ok(mut set) = ready.lock() {
        set.insert(name.clone());
    }
    name
}

/// Applies `migrations` to a new database and renames it to `name` once they all are.
async fn build(migrations: &Migrations, config: &Config, admin: &Client, name: &str) {
    let building = format!("{name}_building");
    // A build killed half-way left this; nobody else builds it while we hold the lock.
    admin_query(
        admin,
        format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
    )
    .await;
    admin_query(
        admin,
        format!("CREATE DATABASE \"{building}\" TEMPLATE template0"),
    )
    .await;
    {
        let mut client = connect(database(config, &building)).await;
        if let Err(error) = migrations.run(&mut client).await {
            admin_query(
                admin,
                format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            )
            .await;
            fail(format!(
                "applying the migrations to the test template failed: {error}"
            ));
        }
    }
    // The migrating session closes asynchronously; a database cannot be renamed while a
    // session is connected to it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let connected = any_row(
            admin,
            format!("SELECT 1 FROM pg_stat_activity WHERE datname = '{building}'"),
        )
        .await;
        if !connected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin_query(
        admin,
        format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""),
    )
    .await;
}

/// Runs `sql` on the admin connection; a failure fails the test with the statement.
async fn admin_query(admin: &Client, sql: String) -> Vec<tokio_postgres::SimpleQueryMessage> {
    admin
        .simple_query(&sql)
        .await
        .unwrap_or_else(|e| fail(format!("{sql}: {e}")))
}

/// Whether `sql` returns a row.
async fn any_row(admin: &Client, sql: String) -> bool {
    admin_query(admin, sql)
        .await
        .iter()
        .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
}
