//! strata vs refinery 0.10 vs sqlx 0.8 vs a floor client, in one run, on one PostgreSQL, on
//! byte-identical SQL. `cargo run --release -- [all|runtime|compile|app|lint|testdb] [--samples N]`;
//! see ../BENCHMARKS.md for the method. `-- mysql` does the same on MySQL / MariaDB
//! (`MYSQL_URL`; not part of `all`).

mod compile;
mod db;
mod lint;
mod mysql;
mod proxy;
mod stats;
mod testdb;

use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

use db::Server;
use proxy::{Proxy, Snapshot};
use stats::{Report, Samples};

static STRATA_TABLE: strata::Migrations = strata::embed_migrations!("generated/table/strata");
static STRATA_TABLE10: strata::Migrations = strata::embed_migrations!("generated/table10/strata");
static STRATA_RT: strata::Migrations = strata::embed_migrations!("generated/rt/strata");
static SQLX_TABLE: sqlx::migrate::Migrator = sqlx::migrate!("generated/table/sqlx");
static SQLX_TABLE10: sqlx::migrate::Migrator = sqlx::migrate!("generated/table10/sqlx");
static SQLX_RT: sqlx::migrate::Migrator = sqlx::migrate!("generated/rt/sqlx");
mod refinery_table {
    refinery::embed_migrations!("generated/table/refinery");
}
mod refinery_table10 {
    refinery::embed_migrations!("generated/table10/refinery");
}
mod refinery_rt {
    refinery::embed_migrations!("generated/rt/refinery");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Floor,
    Strata,
    Refinery,
    Sqlx,
}

pub const TOOLS: [Tool; 4] = [Tool::Floor, Tool::Strata, Tool::Refinery, Tool::Sqlx];

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Floor => "floor",
            Tool::Strata => "strata",
            Tool::Refinery => "refinery",
            Tool::Sqlx => "sqlx",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Set {
    /// 1,000 × `CREATE TABLE t{n} (...); INSERT INTO t{n} ...`.
    Table,
    /// The first 10 of the table set (round trips per migration = difference / 990).
    Table10,
    /// 1,000 tiny migrations: `INSERT INTO rt VALUES (n)`.
    RoundTrip,
}

impl Set {
    fn name(self) -> &'static str {
        match self {
            Set::Table => "table",
            Set::Table10 => "table10",
            Set::RoundTrip => "rt",
        }
    }

    fn strata(self) -> &'static strata::Migrations {
        match self {
            Set::Table => &STRATA_TABLE,
            Set::Table10 => &STRATA_TABLE10,
            Set::RoundTrip => &STRATA_RT,
        }
    }

    fn sqlx(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Set::Table => &SQLX_TABLE,
            Set::Table10 => &SQLX_TABLE10,
            Set::RoundTrip => &SQLX_RT,
        }
    }

    fn refinery(self) -> refinery::Runner {
        match self {
            Set::Table => refinery_table::migrations::runner(),
            Set::Table10 => refinery_table10::migrations::runner(),
            Set::RoundTrip => refinery_rt::migrations::runner(),
        }
    }

    /// The floor's list: (version, up SQL), read from the same generated files at start-up.
    fn floor(self) -> Vec<(i64, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("generated")
            .join(self.name())
            .join("sqlx");
        let mut list: Vec<(i64, String)> = std::fs::read_dir(&dir)
            .expect("generated dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let version = name
                    .split('_')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("version");
                (
                    version,
                    std::fs::read_to_string(&p).expect("read migration"),
                )
            })
            .collect();
        list.sort();
        list
    }
}

/// The floor: one round trip at start-up (create the history table if missing, read it) and
/// one per migration (`BEGIN; sql; INSERT history; COMMIT` as one simple-query batch).
async fn floor(client: &tokio_postgres::Client, migrations: &[(i64, String)]) {
    let messages = client
        .simple_query("CREATE TABLE IF NOT EXISTS floor_history (version bigint PRIMARY KEY); SELECT max(version) FROM floor_history")
        .await
        .expect("floor start-up");
    let applied: i64 = messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some(row.get(0).and_then(|v| v.parse().ok()).unwrap_or(0))
            }
            _ => None,
        })
        .unwrap_or(0);
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > applied) {
        let batch =
            format!("BEGIN;\n{sql}\n;INSERT INTO floor_history VALUES ({version});\nCOMMIT;");
        client.simple_query(&batch).await.expect("floor migration");
    }
}

/// A connected client of one tool, ready for its migrate call.
enum Connected {
    Postgres(tokio_postgres::Client),
    Sqlx(sqlx::PgConnection),
}

async fn connect(tool: Tool, url: &str) -> Connected {
    match tool {
        Tool::Sqlx => {
            use sqlx::Connection;
            Connected::Sqlx(
                sqlx::PgConnection::connect(url)
                    .await
                    .expect("sqlx connect"),
            )
        }
        _ => Connected::Postgres(db::connect(url).await),
    }
}

/// The migrate call alone, as an application makes it at start-up.
async fn migrate(
    tool: Tool,
    set: Set,
    conn: &mut Connected,
    floor_list: &[(i64, String)],
) -> Duration {
    let started = Instant::now();
    match (tool, conn) {
        (Tool::Floor, Connected::Postgres(client)) => floor(client, floor_list).await,
        (Tool::Strata, Connected::Postgres(client)) => {
            set.strata().run(client).await.expect("strata run");
        }
        (Tool::Refinery, Connected::Postgres(client)) => {
            set.refinery()
                .run_async(client)
                .await
                .expect("refinery run");
        }
        (Tool::Sqlx, Connected::Sqlx(conn)) => set.sqlx().run(conn).await.expect("sqlx run"),
        _ => unreachable!("tool and connection match"),
    }
    started.elapsed()
}

async fn close(conn: Connected) {
    if let Connected::Sqlx(conn) = conn {
        use sqlx::Connection;
        let _ = conn.close().await;
    }
}

/// The order of the tools in round `round`: rotated, so no tool always goes first.
fn order(round: usize) -> Vec<Tool> {
    (0..TOOLS.len())
        .map(|i| TOOLS[(i + round) % TOOLS.len()])
        .collect()
}

/// Counts one apply from empty and one no-op run after it, through the proxy.
async fn count(
    server: &Server,
    proxy: &Proxy,
    tool: Tool,
    set: Set,
    floor_list: &[(i64, String)],
) -> (Snapshot, Snapshot) {
    let database = server.create().await;
    let url = database.url_via(proxy.port);
    let mut conn = connect(tool, &url).await;
    let before = proxy.snapshot();
    migrate(tool, set, &mut conn, floor_list).await;
    let apply = proxy.snapshot().since(&before);
    close(conn).await;
    let mut conn = connect(tool, &url).await;
    let before = proxy.snapshot();
    migrate(tool, set, &mut conn, floor_list).await;
    let noop = proxy.snapshot().since(&before);
    close(conn).await;
    database.drop().await;
    (apply, noop)
}

async fn runtime(
    server: &Server,
    samples: usize,
    delay: Duration,
    csv: &mut Samples,
    report: &mut Report,
) {
    let upstream = (server.url.host.as_str(), server.url.port)
        .to_socket_addrs()
        .expect("server address")
        .next()
        .expect("address");
    let proxy = Proxy::start(upstream).await;
    // Timed runs connect directly, or through a proxy that adds `delay` in each direction.
    let delayed = if delay.is_zero() {
        None
    } else {
        Some(Proxy::start_delayed(upstream, delay).await)
    };
    let timed_url = |database: &db::Database| match &delayed {
        Some(proxy) => database.url_via(proxy.port),
        None => database.url(),
    };
    let lists: Vec<(Set, Vec<(i64, String)>)> = [Set::Table, Set::Table10, Set::RoundTrip]
        .into_iter()
        .map(|s| (s, s.floor()))
        .collect();
    let list = |set: Set| {
        lists
            .iter()
            .find(|(s, _)| *s == set)
            .map(|(_, l)| l.as_slice())
            .expect("list")
    };

    eprintln!("counting round trips through the proxy ...");
    for tool in TOOLS {
        let (ten, _) = count(server, &proxy, tool, Set::Table10, list(Set::Table10)).await;
        let (thousand, noop) = count(server, &proxy, tool, Set::Table, list(Set::Table)).await;
        let per = (thousand.round_trips() - ten.round_trips()) as f64 / 990.0;
        let statements = (thousand.statements - ten.statements) as f64 / 990.0;
        let fixed = ten.round_trips() as f64 - 10.0 * per;
        for (what, s) in [("apply10", ten), ("apply1000", thousand), ("noop", noop)] {
            csv.count(tool.name(), what, &s);
        }
        report.round_trips.push((
            tool,
            per,
            statements,
            fixed,
            noop.round_trips(),
            noop.statements,
            thousand,
            noop,
        ));
    }

    for set in [Set::Table, Set::RoundTrip] {
        eprintln!(
            "apply {} ({samples} samples per tool, alternating) ...",
            set.name()
        );
        for sample in 0..samples {
            for tool in order(sample) {
                let database = server.create().await;
                server.checkpoint().await;
                let mut conn = connect(tool, &timed_url(&database)).await;
                let elapsed = migrate(tool, set, &mut conn, list(set)).await;
                close(conn).await;
                csv.push(tool.name(), set.name(), "apply", sample, elapsed);
                if set == Set::Table {
                    // No-op runs with 1,000 applied: a fresh connection each, like a start-up.
                    for repeat in 0..3 {
                        let mut conn = connect(tool, &timed_url(&database)).await;
                        let elapsed = migrate(tool, set, &mut conn, list(set)).await;
                        close(conn).await;
                        csv.push(
                            tool.name(),
                            set.name(),
                            "noop",
                            sample * 3 + repeat,
                            elapsed,
                        );
                    }
                }
                database.drop().await;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .cloned()
        .unwrap_or_else(|| "all".to_string());
    let samples: usize = args
        .iter()
        .position(|a| a == "--samples")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let delay = Duration::from_micros(
        args.iter()
            .position(|a| a == "--delay-ms")
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0, |ms| (ms * 1000.0) as u64),
    );
    if !matches!(
        what.as_str(),
        "all" | "runtime" | "compile" | "app" | "lint" | "testdb" | "mysql"
    ) {
        eprintln!(
            "usage: strata-bench [all|runtime|compile|app|lint|testdb|mysql] [--samples N] [--delay-ms MS]"
        );
        std::process::exit(2);
    }
    let mut csv = Samples::default();
    let mut report = Report {
        samples,
        ..Report::default()
    };
    if what == "all" || what == "runtime" {
        let server = Server::connect().await;
        report.server = format!(
            "PostgreSQL {} at {}:{}",
            server.version().await,
            server.url.host,
            server.url.port
        );
        if !delay.is_zero() {
            report.server.push_str(&format!(
                "; timed runs through a proxy adding {} ms in each direction",
                delay.as_secs_f64() * 1000.0
            ));
        }
        runtime(&server, samples, delay, &mut csv, &mut report).await;
        server.drop_leftovers(true).await;
        report.leftover_databases = Some(server.count_bench_databases().await);
    }
    if what == "all" || what == "compile" {
        compile::run(samples, &mut csv);
    }
    if what == "all" || what == "app" {
        // Clean builds of whole graphs take a minute each: at most 3 samples.
        compile::run_app(samples.min(3), &mut csv);
    }
    if what == "all" || what == "lint" {
        lint::run(samples, &mut csv);
    }
    if what == "all" || what == "testdb" {
        let server = Server::connect().await;
        testdb::run(&server, samples, &mut csv).await;
        server.drop_leftovers(true).await;
    }
    // MySQL / MariaDB (`MYSQL_URL`): only when asked for, so `all` needs no MySQL server.
    let mysql_text = if what == "mysql" {
        Some(mysql::run(samples, &mut csv).await)
    } else {
        None
    };
    let mut text = report.render(&csv);
    if let Some(mysql_text) = mysql_text {
        text.push_str(&mysql_text);
    }
    println!("{text}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    std::fs::create_dir_all(&dir).expect("results dir");
    csv.write(&dir.join("samples.csv"))
        .expect("write samples.csv");
    std::fs::write(dir.join("summary.md"), &text).expect("write summary.md");
    println!(
        "raw samples: {}\nsummary: {}",
        dir.join("samples.csv").display(),
        dir.join("summary.md").display()
    );
}
