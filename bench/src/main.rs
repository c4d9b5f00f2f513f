//! strata vs refinery 0.10 vs sqlx 0.8 vs a floor client, in one run, on one PostgreSQL,
//! on byte-identical SQL. `cargo run --release -- [runtime|compile|lint|all]`; see BENCHMARKS.md.

#[path = "../../tests/common/mod.rs"]
mod common;
mod compile;
mod lint;
mod stats;

use std::borrow::Cow;
use std::time::{Duration, Instant};

use common::{CountingProxy, TestDb};
use stats::{Samples, median_ms};

const N: usize = const_n();

const fn const_n() -> usize {
    let bytes = env!("BENCH_N").as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < bytes.len() {
        n = n * 10 + (bytes[i] - b'0') as usize;
        i += 1;
    }
    n
}

static STRATA_TABLE: strata::Migrations = strata::embed_migrations!("generated/strata/table");
static STRATA_TINY: strata::Migrations = strata::embed_migrations!("generated/strata/tiny");
static SQLX_TABLE: sqlx::migrate::Migrator = sqlx::migrate!("generated/sqlx/table");
static SQLX_TINY: sqlx::migrate::Migrator = sqlx::migrate!("generated/sqlx/tiny");

mod refinery_table {
    refinery::embed_migrations!("generated/refinery/table");
}
mod refinery_tiny {
    refinery::embed_migrations!("generated/refinery/tiny");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Floor,
    Strata,
    Refinery,
    Sqlx,
}

const TOOLS: [Tool; 4] = [Tool::Floor, Tool::Strata, Tool::Refinery, Tool::Sqlx];

impl Tool {
    fn name(self) -> &'static str {
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
    Table,
    Tiny,
}

impl Set {
    fn name(self) -> &'static str {
        match self {
            Set::Table => "table",
            Set::Tiny => "tiny",
        }
    }

    fn strata(self) -> &'static strata::Migrations {
        match self {
            Set::Table => &STRATA_TABLE,
            Set::Tiny => &STRATA_TINY,
        }
    }
}

/// The floor: exactly one round trip at start-up and one per migration.
async fn floor(client: &tokio_postgres::Client, set: Set, upto: usize) {
    let messages = client
        .simple_query("CREATE TABLE IF NOT EXISTS floor_history (version bigint PRIMARY KEY); SELECT version FROM floor_history")
        .await
        .expect("floor start-up");
    let applied: Vec<i64> = messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
            _ => None,
        })
        .collect();
    for m in set.strata().iter().take(upto).filter(|m| !applied.contains(&m.version())) {
        let batch = format!("BEGIN; {}; INSERT INTO floor_history VALUES ({}); COMMIT", m.up(), m.version());
        client.simple_query(&batch).await.expect("floor migration");
    }
}

async fn pg(url: &str) -> tokio_postgres::Client {
    common::connect(url).await
}

/// Runs one tool's migrate call up to `upto` on `url`; returns the time of that call alone.
async fn migrate(tool: Tool, set: Set, url: &str, upto: usize) -> Duration {
    match tool {
        Tool::Floor => {
            let client = pg(url).await;
            let started = Instant::now();
            floor(&client, set, upto).await;
            started.elapsed()
        }
        Tool::Strata => {
            let mut client = pg(url).await;
            let started = Instant::now();
            set.strata().runner().target(upto as i64).run(&mut client).await.expect("strata run");
            started.elapsed()
        }
        Tool::Refinery => {
            let mut client = pg(url).await;
            let runner = match set {
                Set::Table => refinery_table::migrations::runner(),
                Set::Tiny => refinery_tiny::migrations::runner(),
            }
            .set_target(refinery::Target::Version(upto as i32));
            let started = Instant::now();
            runner.run_async(&mut client).await.expect("refinery run");
            started.elapsed()
        }
        Tool::Sqlx => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.expect("sqlx connect");
            let all = match set {
                Set::Table => &SQLX_TABLE,
                Set::Tiny => &SQLX_TINY,
            };
            let migrator = sqlx::migrate::Migrator {
                migrations: Cow::Owned(all.migrations[..upto.min(all.migrations.len())].to_vec()),
                ignore_missing: false,
                locking: true,
                no_tx: false,
            };
            let started = Instant::now();
            migrator.run(&mut conn).await.expect("sqlx run");
            let elapsed = started.elapsed();
            let _ = conn.close().await;
            elapsed
        }
    }
}

/// Round trips for applying `upto` migrations from empty, and for a no-op run after it.
async fn round_trips(tool: Tool, set: Set, upto: usize) -> (usize, usize) {
    let db = TestDb::new(&format!("rt_{}", tool.name())).await;
    let proxy = CountingProxy::start(5432).await;
    let url = proxy.url(&db.url);
    // Connection set-up is excluded: migrate() connects before counting starts... so count
    // the difference against a connect-only baseline.
    let baseline = {
        let before = proxy.counts.round_trips();
        drop(pg(&url).await);
        proxy.counts.round_trips() - before
    };
    let sqlx_baseline = {
        use sqlx::Connection;
        let before = proxy.counts.round_trips();
        let conn = sqlx::PgConnection::connect(&url).await.expect("sqlx connect");
        let _ = conn.close().await;
        proxy.counts.round_trips() - before
    };
    let connect_cost = if tool == Tool::Sqlx { sqlx_baseline } else { baseline };
    let before = proxy.counts.round_trips();
    migrate(tool, set, &url, upto).await;
    let apply = proxy.counts.round_trips() - before - connect_cost;
    let before = proxy.counts.round_trips();
    migrate(tool, set, &url, upto).await;
    let noop = proxy.counts.round_trips() - before - connect_cost;
    (apply, noop)
}

async fn runtime(samples: usize, csv: &mut Samples) {
    println!("\n## Round trips (counted by a loopback proxy: simple queries + extended-protocol syncs)\n");
    println!("| tool | per migration | fixed per run | no-op run |");
    println!("|---|---:|---:|---:|");
    for tool in TOOLS {
        let (ten, _) = round_trips(tool, Set::Table, 10).await;
        let (twenty, noop) = round_trips(tool, Set::Table, 20).await;
        let per = (twenty - ten) as f64 / 10.0;
        let fixed = ten as f64 - 10.0 * per;
        println!("| {} | {per} | {fixed} | {noop} |", tool.name());
    }

    for set in [Set::Table, Set::Tiny] {
        let mut medians = Vec::new();
        for sample in 0..samples {
            for tool in TOOLS {
                let db = TestDb::new(&format!("apply_{}", tool.name())).await;
                let elapsed = migrate(tool, set, &db.url, N).await;
                csv.push(tool.name(), set.name(), "apply", sample, elapsed);
            }
        }
        for tool in TOOLS {
            medians.push((tool, median_ms(&csv.of(tool.name(), set.name(), "apply"))));
        }
        print_ratios(&format!("apply {N} migrations, set `{}`", set.name()), &medians);
    }

    let mut medians = Vec::new();
    let dbs: Vec<(Tool, TestDb)> = {
        let mut dbs = Vec::new();
        for tool in TOOLS {
            let db = TestDb::new(&format!("noop_{}", tool.name())).await;
            migrate(tool, Set::Table, &db.url, N).await;
            dbs.push((tool, db));
        }
        dbs
    };
    for sample in 0..samples * 6 {
        for (tool, db) in &dbs {
            let elapsed = migrate(*tool, Set::Table, &db.url, N).await;
            csv.push(tool.name(), "table", "noop", sample, elapsed);
        }
    }
    for tool in TOOLS {
        medians.push((tool, median_ms(&csv.of(tool.name(), "table", "noop"))));
    }
    print_ratios(&format!("no-op run with {N} applied (the migrate call)"), &medians);
}

fn print_ratios(title: &str, medians: &[(Tool, f64)]) {
    let of = |t: Tool| medians.iter().find(|(m, _)| *m == t).map_or(f64::NAN, |(_, v)| *v);
    let faster_peer = of(Tool::Refinery).min(of(Tool::Sqlx));
    println!("\n## {title}\n");
    println!("| tool | median ms | ÷ floor | ÷ strata | ÷ faster peer |");
    println!("|---|---:|---:|---:|---:|");
    for (tool, ms) in medians {
        println!(
            "| {} | {ms:.1} | {:.2} | {:.2} | {:.2} |",
            tool.name(),
            ms / of(Tool::Floor),
            ms / of(Tool::Strata),
            ms / faster_peer
        );
    }
}

#[tokio::main]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".to_string());
    let samples: usize = std::env::var("BENCH_SAMPLES").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    println!("# strata benchmark: {N} migrations per set, {samples} samples, PostgreSQL at {}", common::server_url());
    let mut csv = Samples::default();
    if what == "runtime" || what == "all" {
        runtime(samples, &mut csv).await;
    }
    if what == "compile" || what == "all" {
        compile::run(&mut csv);
    }
    if what == "lint" || what == "all" {
        lint::run(&mut csv);
    }
    match csv.write("results/samples.csv") {
        Ok(path) => println!("\nraw samples: {path}"),
        Err(e) => eprintln!("cannot write samples: {e}"),
    }
}
