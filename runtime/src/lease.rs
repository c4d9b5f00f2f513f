//! The table lease (`lock = "table"`): one row beside the history table says who may migrate
//! and until when. Every statement of it stands alone (no session state, no transaction held
//! while waiting or migrating), so it is correct when each statement runs on another server
//! connection: behind PgBouncer's transaction pooling, or on engines without advisory locks.
//!
//! - take: one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired OR ours RETURNING`, which
//!   succeeds only when the row is free, expired or already ours;
//! - renew: `UPDATE ... SET expires_at = now + ttl WHERE owner = me` (no row: the lease was
//!   lost, and the run stops before its next migration);
//! - release: `DELETE ... WHERE owner = me`.
//!
//! A holder killed with SIGKILL leaves its row; it expires `ttl` after its last renewal and
//! the next runner takes it over.

use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use crate::driver::{Dialect, Driver};
use crate::history::HistoryTable;
use crate::history::sql::HistorySql;

/// How long a lease lasts without renewal unless the runner says otherwise: short enough
/// that a killed holder blocks deploys briefly, long enough for a busy server to renew.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// The lease's SQL for one history table and one owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseSql {
    pub(crate) create: String,
    /// The last one returns one row (`true`) when the lease is now ours: inserted when there
    /// was none, taken over when it had expired, or renewed when it was ours already. Each
    /// statement stands alone.
    pub(crate) take: Vec<String>,
    /// One row (a description of the holder) when someone holds it.
    pub(crate) holder: String,
    /// The last one returns one row when the lease is still ours and now runs `ttl` from
    /// now.
    pub(crate) renew: Vec<String>,
    pub(crate) release: String,
    /// Runs first in every history write of the run: divides by zero unless the lease is
    /// still ours, and locks the row `FOR KEY SHARE` until the write commits. A takeover
    /// changes `owner`, a key column (UNIQUE), so it waits for that commit; a renewal
    /// changes only `expires_at` and does not wait. So a killed holder's migration still in
    /// flight at the server either commits before another runner reads the history, or
    /// fails here after the takeover and rolls back.
    pub(crate) fence: String,
    /// The error code the fence fails with when the lease is no longer ours.
    pub(crate) fence_code: &'static str,
}

impl LeaseSql {
    /// `None` for dialects without a lease (SQLite serializes writers itself).
    pub(crate) fn new(
        table: &HistoryTable,
        sql: &HistorySql,
        dialect: Dialect,
        owner: &str,
        ttl: Duration,
    ) -> Option<Self> {
        match dialect {
            Dialect::Postgres => {}
            Dialect::Mysql => return Some(Self::mysql(sql, owner, ttl)),
            _ => return None,
        }
        let lease = table.lease_quoted(dialect);
        let owner = sql.literal(owner);
        let until = format!(
            "clock_timestamp() + interval '{} milliseconds'",
            ttl.as_millis()
        );
        Some(LeaseSql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {lease} (id smallint PRIMARY KEY CHECK (id = 1), \
                 owner text NOT NULL UNIQUE, acquired_at timestamptz NOT NULL, \
                 expires_at timestamptz NOT NULL)"
            ),
            // An UPDATE locks only rows its WHERE keeps, so a held lease costs a waiter no
            // lock wait; INSERT ... DO NOTHING never locks.
            take: vec![format!(
                "WITH inserted AS (INSERT INTO {lease} (id, owner, acquired_at, expires_at) \
                 VALUES (1, {owner}, clock_timestamp(), {until}) \
                 ON CONFLICT (id) DO NOTHING RETURNING true), \
                 taken AS (UPDATE {lease} SET owner = {owner}, acquired_at = clock_timestamp(), \
                 expires_at = {until} WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM inserted) \
                 AND (expires_at < clock_timestamp() OR owner = {owner}) RETURNING true) \
                 SELECT true FROM inserted UNION ALL SELECT true FROM taken"
            )],
            holder: format!(
                "SELECT owner || ' (lease taken ' || to_char(acquired_at AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ', expires in ' || \
                 greatest(0, ceil(extract(epoch FROM expires_at - clock_timestamp())))::bigint \
                 || ' s)' FROM {lease} WHERE owner <> {owner}"
            ),
            renew: vec![format!(
                "UPDATE {lease} SET expires_at = {until} WHERE id = 1 AND owner = {owner} \
                 RETURNING true"
            )],
            release: format!("DELETE FROM {lease} WHERE id = 1 AND owner = {owner}"),
            fence: format!(
                "SELECT 1 / (SELECT count(*)::int FROM (SELECT 1 FROM {lease} \
                 WHERE id = 1 AND owner = {owner} FOR KEY SHARE) AS ours)"
            ),
            fence_code: "22012",
        })
    }

    /// MySQL's lease: no `RETURNING` and no writable CTE, so taking it is an UPDATE of an
    /// expired or own row, an INSERT that does nothing when a row exists, then a read of
    /// whose it is; each statement alone is atomic, and the read decides. Its fence reads
    /// the row `LOCK IN SHARE MODE` (a takeover's UPDATE waits for the commit) and fails
    /// with "subquery returns more than 1 row" (1242) when it is not ours: MySQL's division
    /// by zero is NULL, not an error.
    fn mysql(sql: &HistorySql, owner: &str, ttl: Duration) -> Self {
        let lease = sql.lease_quoted();
        let owner = sql.literal(owner);
        let now = "UTC_TIMESTAMP(3)";
        let until = format!(
            "DATE_ADD(UTC_TIMESTAMP(3), INTERVAL {} MICROSECOND)",
            ttl.as_micros()
        );
        let ours = format!("SELECT TRUE FROM {lease} WHERE id = 1 AND owner = {owner}");
        LeaseSql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {lease} (id SMALLINT NOT NULL PRIMARY KEY \
                 CHECK (id = 1), owner VARCHAR(255) NOT NULL UNIQUE, \
                 acquired_at DATETIME(3) NOT NULL, expires_at DATETIME(3) NOT NULL) \
                 ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
            take: vec![
                format!(
                    "UPDATE {lease} SET owner = {owner}, acquired_at = {now}, expires_at = {until} \
                     WHERE id = 1 AND (expires_at < {now} OR owner = {owner})"
                ),
                format!(
                    "INSERT INTO {lease} (id, owner, acquired_at, expires_at) \
                     VALUES (1, {owner}, {now}, {until}) ON DUPLICATE KEY UPDATE id = id"
                ),
                ours.clone(),
            ],
            holder: format!(
                "SELECT CONCAT(owner, ' (lease taken ', DATE_FORMAT(acquired_at, \
                 '%Y-%m-%dT%H:%i:%sZ'), ', expires in ', \
                 GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, {now}, expires_at) / 1000000)), \
                 ' s)') FROM {lease} WHERE owner <> {owner}"
            ),
            renew: vec![
                format!("UPDATE {lease} SET expires_at = {until} WHERE id = 1 AND owner = {owner}"),
                ours,
            ],
            release: format!("DELETE FROM {lease} WHERE id = 1 AND owner = {owner}"),
            fence: format!(
                "SELECT IF(EXISTS (SELECT 1 FROM {lease} WHERE id = 1 AND owner = {owner} \
                 LOCK IN SHARE MODE), 1, (SELECT 1 UNION ALL SELECT 2))"
            ),
            fence_code: "1242",
        }
    }
}

/// This process's lease owner: host, pid and a random part, so two runners never share one
/// (not even two runs of one process: each run draws a new random part).
pub(crate) fn owner_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string());
    // RandomState is seeded from the OS's randomness per instance.
    let random = RandomState::new().hash_one((std::process::id(), Instant::now()));
    format!("{host}:{}:{random:016x}", std::process::id())
}

/// A lease this run holds: its SQL, its length, and what renewals learned.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) sql: LeaseSql,
    pub(crate) ttl: Duration,
    renewed: Mutex<Instant>,
    lost: AtomicBool,
}

impl Lease {
    pub(crate) fn taken(sql: LeaseSql, ttl: Duration) -> Self {
        Lease {
            sql,
            ttl,
            renewed: Mutex::new(Instant::now()),
            lost: AtomicBool::new(false),
        }
    }

    /// How often a heartbeat renews: three chances before the lease runs out.
    pub(crate) fn interval(&self) -> Duration {
        self.ttl / 3
    }

    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    fn since_renewal(&self) -> Duration {
        self.renewed.lock().map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Renews on `conn` when a third of the lease has passed since the last renewal (between
    /// migrations, on the run's own connection). `false` when the lease was lost.
    pub(crate) async fn renew_if_due<D: Driver>(&self, conn: &mut D) -> bool {
        if self.since_renewal() >= self.interval() {
            self.renew(conn).await;
        }
        !self.is_lost()
    }

    /// Renews now. A database error is logged and retried at the next beat: the lease only
    /// counts as lost when the server says another owner has it.
    pub(crate) async fn renew<D: Driver>(&self, conn: &mut D) {
        let renew: Vec<&str> = self.sql.renew.iter().map(String::as_str).collect();
        match conn.run_batch(&renew).await {
            Ok(sets) if sets.last().is_some_and(|rows| !rows.is_empty()) => {
                if let Ok(mut renewed) = self.renewed.lock() {
                    *renewed = Instant::now();
                }
                debug!("renewed the migration lease");
            }
            Ok(_) => {
                warn!("the migration lease expired and another runner took it");
                self.lost.store(true, Ordering::SeqCst);
            }
            Err(error) => warn!(%error, "renewing the migration lease failed; retrying"),
        }
    }

    /// Renews on a second connection every [`interval`](Self::interval), for as long as the
    /// run's future lives (the caller races the two and drops this one), so one migration
    /// longer than the lease keeps it.
    pub(crate) async fn heartbeat<H: Driver>(&self, conn: &mut H) {
        loop {
            conn.pause(self.interval()).await;
            self.renew(conn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_differ_between_runs_of_one_process() {
        let (a, b) = (owner_id(), owner_id());
        assert_ne!(a, b);
        assert!(a.contains(&format!(":{}:", std::process::id())), "{a}");
    }

    fn every_statement(sql: &LeaseSql) -> impl Iterator<Item = &String> {
        sql.take
            .iter()
            .chain(&sql.renew)
            .chain([&sql.holder, &sql.release, &sql.fence])
    }

    #[test]
    fn every_statement_names_the_owner_and_the_lease_table() {
        let table = HistoryTable::new(Some("ops"), "history").expect("valid");
        let history = HistorySql::new(&table, Dialect::Postgres);
        let sql = LeaseSql::new(&table, &history, Dialect::Postgres, "h:1:it's", DEFAULT_TTL)
            .expect("PostgreSQL has a lease");
        for statement in every_statement(&sql) {
            assert!(
                statement.contains("\"ops\".\"history_lease\""),
                "{statement}"
            );
            assert!(statement.contains("E'h:1:it''s'"), "{statement}");
        }
        assert!(sql.take[0].contains("30000 milliseconds"), "{:?}", sql.take);
        let mysql = HistorySql::new(&table, Dialect::Mysql);
        let sql = LeaseSql::new(&table, &mysql, Dialect::Mysql, "h:1:it's", DEFAULT_TTL)
            .expect("MySQL has a lease");
        for statement in every_statement(&sql) {
            assert!(statement.contains("`ops`.`history_lease`"), "{statement}");
            assert!(statement.contains("'h:1:it''s'"), "{statement}");
        }
        let sqlite = HistorySql::new(&table, Dialect::Sqlite);
        assert!(LeaseSql::new(&table, &sqlite, Dialect::Sqlite, "o", DEFAULT_TTL).is_none());
    }
}
