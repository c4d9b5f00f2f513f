//! A real streaming replica: a private primary and a hot standby made with
//! `pg_basebackup -R`, both owned by this test. Migrations run on the primary; on the
//! standby `status` reports them, and `up` with a migration pending there is refused with a
//! message that says it is a replica and to point at the primary.

mod cluster;
mod common;

use std::time::{Duration, Instant};

use cluster::PrivateCluster;
use strata::{Error, Migrations, State};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");

#[tokio::test]
async fn status_works_on_a_standby_and_up_is_refused_naming_the_primary() {
    let primary = PrivateCluster::start();
    let standby = primary.start_standby();
    let mut on_primary = common::connect(&primary.url()).await;
    let report = SEQUENTIAL
        .runner()
        .target(2)
        .run(&mut on_primary)
        .await
        .expect("apply 1 and 2 on the primary");
    assert_eq!(report.applied.len(), 2);

    let mut on_standby = common::connect(&standby.url()).await;
    assert_eq!(
        common::rows(&on_standby, "SELECT pg_is_in_recovery()::text").await,
        ["true"]
    );
    // Replication is asynchronous: wait for the standby to replay the primary's commits.
    let started = Instant::now();
    let status = loop {
        let status = SEQUENTIAL.status(&mut on_standby).await.expect("status");
        if status.iter().filter(|r| r.state == State::Applied).count() == 2 {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the standby never caught up: {status:?}\n{}",
            standby.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status[2].state, State::Pending);

    let refused = SEQUENTIAL.run(&mut on_standby).await;
    match &refused {
        Err(error @ Error::ReadOnly { reason, .. }) => {
            assert_eq!(*reason, strata::driver::ReadOnly::Replica);
            let text = error.to_string();
            assert!(text.contains("hot standby, a read replica"), "{text}");
            assert!(
                text.contains("point `up` / `down` at the primary"),
                "{text}"
            );
            assert!(text.contains("[25006]"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // A no-op on the standby (its history equals the list up to 2) needs no write at all.
    assert!(
        SEQUENTIAL
            .runner()
            .target(2)
            .run(&mut on_standby)
            .await
            .expect("no-op on the standby")
            .is_empty()
    );
    // The primary is unaffected and still applies the rest.
    let report = SEQUENTIAL.run(&mut on_primary).await.expect("apply 3");
    assert_eq!(report.applied.len(), 1);
}
