//! A runner waiting for a lock held by another session: logs at info who holds it, times
//! out, then proceeds once it is released; a span per migration. On a real PostgreSQL, in a
//! database of its own. Alone in its test binary, so that the tracing subscriber it installs
//! sees every callsite.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestDb;
use strata::{Error, Migrations};

static PAIRED: Migrations = strata::embed_migrations!("tests/fixtures/pg/paired");

/// Captures formatted tracing output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

#[tokio::test]
async fn a_waiting_runner_logs_the_holder_then_times_out_then_proceeds() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // A current-thread runtime: everything below is polled on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::new("lockwait").await;
    let mut runner = db.client().await;
    PAIRED
        .runner()
        .target(1)
        .run(&mut runner)
        .await
        .expect("apply 1");
    let holder = db.client().await;
    let key = strata::HistoryTable::default().lock_key();
    holder
        .simple_query(&format!(
            "SET application_name = 'holder-app'; SELECT pg_advisory_lock({key})"
        ))
        .await
        .expect("hold");

    let started = Instant::now();
    let result = PAIRED
        .runner()
        .lock_timeout(Duration::from_millis(400))
        .run(&mut runner)
        .await;
    match result {
        Err(Error::LockTimeout {
            holder: Some(holder),
            waited,
        }) => {
            assert!(holder.contains("holder-app"), "{holder}");
            assert!(waited >= Duration::from_millis(400));
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    let text = logs.text();
    assert!(
        text.contains("INFO")
            && text.contains("another runner holds the migration lock")
            && text.contains("holder-app"),
        "{text}"
    );
    assert_eq!(
        db.history_versions().await,
        [1],
        "nothing applied without the lock"
    );

    // Released later: a runner without a timeout waits, then applies.
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        holder
            .simple_query(&format!("SELECT pg_advisory_unlock({key})"))
            .await
            .expect("release");
    };
    let (report, ()) = tokio::join!(PAIRED.run(&mut runner), release);
    assert_eq!(report.expect("runs once the lock is free").applied.len(), 2);
    assert!(logs.text().contains("took the migration lock"));
    assert!(
        logs.text().contains("version=3"),
        "a span per migration: {}",
        logs.text()
    );
}
