//! Day-2 operations on the history, beside the runs: `baseline` (record migrations as
//! applied without running them), `repair` (accept an edited migration's checksum, settle a
//! `no-transaction` migration that failed part-way) and, in `adopt/`, taking over another
//! tool's history. Each records through the normal runner (lock, checks, chain and count
//! bookkeeping) with the UP left out, so a recorded row is indistinguishable from an applied
//! one except for its `origin`.

pub(crate) mod failure;

use strata_model::migration::{Migration, Section};

use crate::driver::{Driver, Transaction};
use crate::error::{Error, Result};
use crate::history::AppliedMigration;
use crate::history::sql::HistorySql;
use crate::migrations::Migrations;
use crate::protocol::{self, Read};
use crate::report::Report;

pub use failure::FailureRecord;

/// How a history row came to be, when not by a run, and what `repair` replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryMark {
    /// The migration's version.
    pub version: i64,
    /// `baseline`, `adopted from <tool>`, `marked applied by repair`; `None`: applied by a
    /// run.
    pub origin: Option<String>,
    /// The checksums `repair --accept-checksum` replaced, oldest first.
    pub previous_checksums: Vec<String>,
}

/// A copy of `migrations` whose UPs are empty: running it records each migration (name,
/// checksum, DOWN, chain) without running any of its SQL.
pub(crate) fn record_only(migrations: &Migrations) -> Migrations {
    let copies = migrations
        .iter()
        .map(|m| {
            let empty = Section::new(
                String::new(),
                m.path().to_string(),
                m.up_section().line(),
                Vec::new(),
                0,
            );
            Migration::new(
                m.version(),
                m.name().to_string(),
                empty,
                m.down_section().cloned(),
                m.checksum().to_string(),
                m.transactional(),
            )
        })
        .collect();
    Migrations::from_vec(copies, migrations.history().clone()).with_lock(migrations.lock_strategy())
}

/// Creates the history table if needed and adds the `origin` / `previous_checksum` columns.
pub(crate) async fn ensure_admin_columns<D: Driver>(conn: &mut D, sql: &HistorySql) -> Result<()> {
    protocol::read(conn, sql, Read::Create).await?;
    let (guard, statements) = sql.admin_columns();
    let present = conn.run_batch(&[&guard]).await.map_err(Error::Database)?;
    if present.iter().flatten().next().is_none() {
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        conn.run_batch(&statements).await.map_err(Error::Database)?;
    }
    Ok(())
}

/// Runs `statements` in one transaction.
async fn in_transaction<D: Driver>(conn: &mut D, statements: Vec<String>) -> Result<()> {
    let tail = move |_| statements.clone();
    let transaction = Transaction {
        guard: None,
        sql: "",
        statements: &[],
        tail: &tail,
    };
    conn.run_transaction(&transaction)
        .await
        .map(drop)
        .map_err(|e| Error::Database(e.error))
}

fn refused(version: i64, reason: impl Into<String>) -> Error {
    Error::Repair {
        version,
        reason: reason.into(),
    }
}

impl Migrations {
    fn sql_for<D: Driver>(&self, conn: &D) -> HistorySql {
        HistorySql::new(self.history(), conn.dialect())
    }

    /// Records every migration up to and including `to` as applied, without running any of
    /// it, marked `baseline` in the history: for a database whose schema already exists.
    /// Migrations already recorded with the same checksum are left as they are; one recorded
    /// with another checksum is refused ([`Error::RecordedDifferently`]), as is a baseline below
    /// migrations already applied ([`Error::OutOfOrder`]). Takes the migration lock.
    pub async fn baseline<D: Driver>(&self, conn: &mut D, to: i64) -> Result<Report> {
        self.record(conn, "baseline", to).await
    }

    /// Records `self`'s migrations up to `to` with `origin`, through the runner.
    pub(crate) async fn record<D: Driver>(
        &self,
        conn: &mut D,
        origin: &str,
        to: i64,
    ) -> Result<Report> {
        if self.get(to).is_none() {
            return Err(Error::UnknownTarget(to));
        }
        let copy = record_only(self);
        ensure_admin_columns(conn, &copy.sql_for(conn)).await?;
        match copy
            .runner()
            .target(to)
            .recording_as(origin)
            .run(conn)
            .await
        {
            // The runner's advice (`allow_divergent`) is for runs; recording has none.
            Err(Error::Divergent(list)) => Err(Error::RecordedDifferently(list)),
            other => other,
        }
    }

    /// What `baseline`, `adopt` and `repair` marked, by version (empty when nothing was).
    pub async fn history_marks<D: Driver>(&self, conn: &mut D) -> Result<Vec<HistoryMark>> {
        let select = self.sql_for(conn).select_marks();
        let Ok(sets) = conn.run_batch(&[&select]).await else {
            // No such table or columns: nothing was ever marked.
            return Ok(Vec::new());
        };
        Ok(sets
            .into_iter()
            .flatten()
            .map(|row| HistoryMark {
                version: row[0].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0),
                origin: row[1].clone(),
                previous_checksums: row[2]
                    .as_deref()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            })
            .collect())
    }

    /// The `no-transaction` migrations that failed part-way (recorded when they failed), by
    /// version. A record stays until `repair` settles it; one whose migration has been
    /// applied since is stale and is left out.
    pub async fn partial_failures<D: Driver>(&self, conn: &mut D) -> Result<Vec<FailureRecord>> {
        failure::read(conn, &self.sql_for(conn)).await
    }

    /// After a deliberate edit to an applied migration: stores the checksum (and DOWN) of the
    /// migration as it is now for `version`, keeping the replaced checksum in
    /// `previous_checksum`. Refused unless `version` is applied and its checksum differs.
    pub async fn accept_checksum<D: Driver>(&self, conn: &mut D, version: i64) -> Result<()> {
        let migration = self
            .get(version)
            .ok_or_else(|| refused(version, "it is not in this list of migrations"))?;
        let sql = self.sql_for(conn);
        let history = protocol::read(conn, &sql, Read::Upgrade).await?;
        let row = history
            .iter()
            .find(|row| row.version == version)
            .ok_or_else(|| refused(version, "it is not applied"))?;
        if row.checksum == migration.checksum() {
            return Err(refused(
                version,
                "its checksum already matches the file: nothing to accept",
            ));
        }
        ensure_admin_columns(conn, &sql).await?;
        let q = sql.quoted();
        let mut statements = vec![format!(
            "UPDATE {q} SET previous_checksum = CASE WHEN previous_checksum IS NULL THEN checksum \
             ELSE {} END, checksum = {}, name = {}, down_sql = {} \
             WHERE version = {version} AND checksum = {}",
            sql.concat(&["previous_checksum", "' '", "checksum"]),
            sql.literal(migration.checksum()),
            sql.literal(migration.name()),
            migration
                .down()
                .map_or_else(|| "down_sql".to_string(), |d| sql.literal(d)),
            sql.literal(&row.checksum),
        )];
        statements.extend(self.rechain(&sql, &history, version, migration.checksum()));
        in_transaction(conn, statements).await
    }

    /// The chain values of the rows from `from` up, once `from`'s checksum is `checksum`:
    /// the list's own prefix digests when the history is then exactly a prefix of the list
    /// (the start-up probe vouches again), else NULL (the rows stop vouching; runs read the
    /// history, as they do for any history that is not a prefix).
    fn rechain(
        &self,
        sql: &HistorySql,
        history: &[AppliedMigration],
        from: i64,
        checksum: &str,
    ) -> Vec<String> {
        let q = sql.quoted();
        let list = self.as_slice();
        let prefix = history.len() <= list.len()
            && history.iter().zip(list).all(|(row, m)| {
                let recorded = if row.version == from {
                    checksum
                } else {
                    row.checksum.as_str()
                };
                row.version == m.version() && recorded == m.checksum()
            });
        if !prefix {
            return vec![format!(
                "UPDATE {q} SET chain = NULL WHERE version >= {from}"
            )];
        }
        history
            .iter()
            .zip(list)
            .filter(|(row, _)| row.version >= from)
            .map(|(row, m)| {
                let chain = m
                    .prefix_digest()
                    .map_or_else(|| "NULL".to_string(), |d| sql.literal(d));
                format!(
                    "UPDATE {q} SET chain = {chain} WHERE version = {}",
                    row.version
                )
            })
            .collect()
    }

    /// Records `version` as applied without running it, marked `marked applied by repair`:
    /// after a `no-transaction` migration failed part-way and the rest was finished by hand.
    /// Refused when it is applied, or when a migration below it is still pending (apply that
    /// first). Settles its failure record.
    pub async fn mark_applied<D: Driver>(&self, conn: &mut D, version: i64) -> Result<Report> {
        if self.get(version).is_none() {
            return Err(refused(version, "it is not in this list of migrations"));
        }
        let sql = self.sql_for(conn);
        let history = protocol::read(conn, &sql, Read::Look).await?;
        if history.iter().any(|row| row.version == version) {
            return Err(refused(version, "it is already applied"));
        }
        let below: Vec<String> = self
            .iter()
            .filter(|m| {
                m.version() < version && !history.iter().any(|row| row.version == m.version())
            })
            .map(|m| m.version().to_string())
            .collect();
        if !below.is_empty() {
            return Err(refused(
                version,
                format!(
                    "migrations below it are pending ({}): apply them first (`strata up --to {}`)",
                    below.join(", "),
                    below.last().map(String::as_str).unwrap_or_default()
                ),
            ));
        }
        let report = self
            .record(conn, "marked applied by repair", version)
            .await?;
        self.forget_failure(conn, version).await?;
        Ok(report)
    }

    /// Deletes the failure record of `version`: the partial changes were undone by hand and
    /// the migration stays pending, to run again.
    pub async fn forget_failure<D: Driver>(&self, conn: &mut D, version: i64) -> Result<()> {
        let sql = self.sql_for(conn);
        match conn.run_batch(&[&failure::delete(&sql, version)]).await {
            Ok(_) => Ok(()),
            Err(error) if error.kind == crate::DbErrorKind::UndefinedTable => Ok(()),
            Err(error) => Err(Error::Database(error)),
        }
    }
}
