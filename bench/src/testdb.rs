//! Per-test database cost: `#[strata::test]` (clone a migrated template) against applying
//! every migration to a fresh database per test (what a test harness without templates, such
//! as `#[sqlx::test]`, does), on 50 and 700 realistic migrations.
//!
//! Each sample is one whole test's database overhead with an empty body: create, connect,
//! (apply), disconnect, drop. The template is built before the samples (its one-off cost is
//! reported on its own).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::db::Server;
use crate::stats::Samples;

static REAL50: strata::Migrations = strata::embed_migrations!("generated/real50/strata");
static REAL700: strata::Migrations = strata::embed_migrations!("generated/real700/strata");

const SETS: [(&str, &strata::Migrations); 2] = [("real50", &REAL50), ("real700", &REAL700)];

/// One `#[strata::test]` with an empty body, through the function the attribute expands to
/// (it runs its own tokio runtime, so on a thread of its own).
async fn strata_test(migrations: &'static strata::Migrations) -> Duration {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        strata::__private::testing::postgres(migrations, "bench", |client| async move {
            drop(client);
        });
        started.elapsed()
    })
    .await
    .expect("strata::test")
}

/// A fresh database with every migration applied, then dropped.
async fn apply_per_test(server: &Server, migrations: &strata::Migrations) -> Duration {
    let started = Instant::now();
    let database = server.create().await;
    let mut client = crate::db::connect(&database.url()).await;
    migrations.run(&mut client).await.expect("apply");
    drop(client);
    database.drop().await;
    started.elapsed()
}

pub async fn run(server: &Server, samples: usize, csv: &mut Samples) {
    for (set, migrations) in SETS {
        // The template's one-off build: drop it, then the first test builds it.
        let template = strata::__private::testing::template_name(migrations);
        server
            .execute(&format!(
                "DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"
            ))
            .await;
        let first = strata_test(migrations).await;
        csv.push("strata-test", set, "first-test", 0, first);
        eprintln!("testdb {set}: first #[strata::test] (builds the template) {first:?}");
        for sample in 0..samples {
            // Alternate, so drift on the server hits both alike.
            server.checkpoint().await;
            let clone = strata_test(migrations).await;
            csv.push("strata-test", set, "per-test", sample, clone);
            server.checkpoint().await;
            let apply = apply_per_test(server, migrations).await;
            csv.push("apply-per-test", set, "per-test", sample, apply);
            eprintln!("testdb {set} sample {sample}: template {clone:?}, apply {apply:?}");
        }
        csv.value(
            "all",
            set,
            "migrations",
            migrations.len() as f64,
            "migrations",
        );
        server
            .execute(&format!(
                "DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"
            ))
            .await;
    }
}

pub fn render(out: &mut String, csv: &Samples) {
    if csv.median("strata-test", "real50", "per-test").is_nan() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Per-test database: `#[strata::test]` against applying every migration per test\n\n\
         | set | `#[strata::test]` per test (template clone) | applying all migrations per test | ratio | first test (builds the template) |\n|---|---:|---:|---:|---:|"
    );
    for set in ["real50", "real700"] {
        let clone = csv.median("strata-test", set, "per-test");
        let apply = csv.median("apply-per-test", set, "per-test");
        let first = csv.median("strata-test", set, "first-test");
        let _ = writeln!(
            out,
            "| {set} ({:.0} migrations) | {clone:.0} ms | {apply:.0} ms | {:.1}x | {first:.0} ms |",
            csv.median("all", set, "migrations"),
            apply / clone
        );
    }
}
