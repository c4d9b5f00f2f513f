//! `Migrations`: the list `embed_migrations!` expands to (or the CLI loads), sorted by version.

use std::sync::OnceLock;

use strata_model::embedded::Embedded;
use strata_model::migration::Migration;

use crate::driver::Driver;
use strata_model::history_table::{DEFAULT_HISTORY_TABLE, LockStrategy};

use crate::history::HistoryTable;

/// An ordered list of migrations. `embed_migrations!` builds one as a `const`, with no
/// parsing, hashing or allocation at run time until a migration is needed.
#[derive(Debug, Clone)]
pub struct Migrations {
    list: List,
    history: HistoryTable,
    lock: LockStrategy,
}

#[derive(Debug, Clone)]
enum List {
    Owned(Vec<Migration>),
    /// The macro's compact form, decoded on first use: a no-op start-up reads only the
    /// length and one entry's version and digest ([`Migrations::tip`]).
    Embedded(&'static [Embedded], OnceLock<Vec<Migration>>),
}

impl Migrations {
    /// No migrations, and the default history table: for code that only reads a history
    /// ([`Runner::applied`](crate::Runner::applied)), and for examples.
    pub const fn empty() -> Self {
        Self::with_list(List::Owned(Vec::new()), None, DEFAULT_HISTORY_TABLE)
    }

    /// What `embed_migrations!` expands to: `list` sorted by version without duplicates
    /// (the macro's lints guarantee both), and the history table from `strata.toml`.
    #[doc(hidden)]
    pub const fn from_embedded(
        list: &'static [Embedded],
        history_schema: Option<&'static str>,
        history_table: &'static str,
    ) -> Self {
        Self::with_list(
            List::Embedded(list, OnceLock::new()),
            history_schema,
            history_table,
        )
    }

    const fn with_list(
        list: List,
        history_schema: Option<&'static str>,
        history_table: &'static str,
    ) -> Self {
        Migrations {
            list,
            history: HistoryTable::from_validated(history_schema, history_table),
            lock: LockStrategy::Advisory,
        }
    }

    /// How runners exclude each other unless a [`Runner`](crate::Runner) says otherwise
    /// (`lock = "table"` in `strata.toml` makes the macro call this).
    pub const fn with_lock(mut self, lock: LockStrategy) -> Self {
        self.lock = lock;
        self
    }

    /// The lock strategy runs use by default ([`LockStrategy::Advisory`] unless set).
    pub fn lock_strategy(&self) -> LockStrategy {
        self.lock
    }

    /// Builds a list from migrations loaded at run time (the CLI does this), with the history
    /// table (from `strata.toml`: `HistoryTable::try_from(&config.history)`). They are sorted
    /// by version; callers are expected to have rejected duplicates through the lints.
    pub fn from_vec(mut list: Vec<Migration>, history: HistoryTable) -> Self {
        list.sort_by_key(Migration::version);
        // Digests copied from another list (a filtered clone, say) would vouch for it.
        strata_model::prefix_digest::set_prefix_digests(&mut list);
        Migrations {
            list: List::Owned(list),
            history,
            lock: LockStrategy::Advisory,
        }
    }

    /// The history table from `strata.toml` (default `strata_migrations`, no schema).
    pub fn history(&self) -> &HistoryTable {
        &self.history
    }

    /// How many migrations the list holds.
    pub fn len(&self) -> usize {
        match &self.list {
            List::Owned(list) => list.len(),
            List::Embedded(list, _) => list.len(),
        }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// In ascending version order.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.as_slice().iter()
    }

    /// The migration with this version, if embedded.
    pub fn get(&self, version: i64) -> Option<&Migration> {
        let list = self.as_slice();
        list.binary_search_by_key(&version, Migration::version)
            .ok()
            .map(|i| &list[i])
    }

    /// The migrations, in ascending version order.
    pub fn as_slice(&self) -> &[Migration] {
        match &self.list {
            List::Owned(list) => list,
            List::Embedded(list, decoded) => {
                decoded.get_or_init(|| list.iter().map(Embedded::decode).collect())
            }
        }
    }

    /// How many migrations have a version up to `target` (all of them for `None`), and the
    /// version and prefix digest of the last of those: what a no-op start-up compares with
    /// the database, read without decoding the list.
    pub(crate) fn tip(&self, target: Option<i64>) -> (usize, Option<(i64, Option<&str>)>) {
        let count = match &self.list {
            List::Embedded(list, _) => count_upto(list, target, Embedded::version),
            _ => count_upto(self.as_slice(), target, Migration::version),
        };
        (count, count.checked_sub(1).and_then(|i| self.entry(i)))
    }

    /// The version and prefix digest of the migration at `index`, without decoding the list.
    pub(crate) fn entry(&self, index: usize) -> Option<(i64, Option<&str>)> {
        match &self.list {
            List::Embedded(list, _) => list.get(index).map(|m| (m.version(), m.prefix_digest())),
            _ => self
                .as_slice()
                .get(index)
                .map(|m| (m.version(), m.prefix_digest())),
        }
    }
}

/// How many of `list` (sorted by version) have a version up to `target`.
fn count_upto<T>(list: &[T], target: Option<i64>, version: impl Fn(&T) -> i64) -> usize {
    target.map_or(list.len(), |t| list.partition_point(|m| version(m) <= t))
}

/// Running them. Each method takes the database connection itself: a
/// `tokio_postgres::Client` (feature `postgres`) or a `rusqlite::Connection` (feature
/// `sqlite`), through the [`Driver`](crate::driver::Driver) trait, which callers never import.
///
/// The examples use an empty list (`Migrations::empty()`) so that they compile inside this
/// crate; an application writes `static MIGRATIONS: strata::Migrations =
/// strata::embed_migrations!("migrations");` and calls the same methods.
impl Migrations {
    /// A builder for a run with options: target version, check opt-outs, lock timeout,
    /// history table. See [`Runner`](crate::Runner).
    pub fn runner(&self) -> crate::Runner<'_> {
        crate::Runner::new(self)
    }

    /// Applies every pending migration; see [`Runner::run`](crate::Runner::run) for the
    /// protocol, the checks made first, and the lock.
    ///
    /// ```no_run
    /// # use strata_runtime as strata;
    /// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
    /// # async fn example(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let report = MIGRATIONS.run(&mut client).await?;
    /// for step in &report.applied {
    ///     tracing::info!(step.version, step.name, ms = step.execution.as_millis() as u64, "applied");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// If the returned future is dropped while a migration runs, the PostgreSQL session still
    /// holds the migration lock and may be inside a transaction: drop the client too, which
    /// closes the session and releases both.
    pub async fn run<D: Driver>(&self, conn: &mut D) -> crate::Result<crate::Report> {
        self.runner().run(conn).await
    }

    /// Rolls back to `target`: [`Target::Steps(n)`](crate::Target::Steps) undoes the n most
    /// recently applied, [`Target::Version(v)`](crate::Target::Version) every applied one
    /// above v, newest first, each DOWN in a transaction with its history delete.
    ///
    /// ```no_run
    /// # use strata_runtime as strata;
    /// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
    /// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
    /// let report = MIGRATIONS.rollback(client, strata::Target::Steps(1)).await?;
    /// let report = MIGRATIONS.rollback(client, strata::Target::Version(3)).await?; // undo all above 3
    /// # Ok(()) }
    /// ```
    pub async fn rollback<D: Driver>(
        &self,
        conn: &mut D,
        target: crate::Target,
    ) -> crate::Result<crate::Report> {
        self.runner().rollback(conn, target).await
    }

    /// Every embedded and applied migration with its state (applied, pending, divergent,
    /// missing), applied_at and execution time, by version.
    ///
    /// ```no_run
    /// # use strata_runtime as strata;
    /// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
    /// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
    /// for row in MIGRATIONS.status(client).await? {
    ///     tracing::info!(row.version, row.name, state = row.state.as_str(), applied = row.applied_at.is_some());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn status<D: Driver>(&self, conn: &mut D) -> crate::Result<Vec<crate::StatusRow>> {
        self.runner().status(conn).await
    }

    /// What [`Migrations::run`] would apply, with the SQL, after the same checks; changes
    /// nothing. Same as `runner().dry_run(conn)`.
    ///
    /// ```no_run
    /// # use strata_runtime as strata;
    /// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
    /// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
    /// let plan = MIGRATIONS.runner().target(20250210120000).dry_run(client).await?;
    /// for step in &plan.steps {
    ///     tracing::info!(step.version, step.name, sql = step.sql, "would apply");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn dry_run<D: Driver>(&self, conn: &mut D) -> crate::Result<crate::Plan> {
        self.runner().dry_run(conn).await
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    const FILE: &str = "CREATE TABLE t (id int);\n";

    fn leak<T: ?Sized>(value: Box<T>) -> &'static T {
        Box::leak(value)
    }

    /// The same three migrations as a decoded list and in the macro's embedded form.
    fn both() -> (Migrations, Migrations) {
        let mut list: Vec<Migration> = [1, 5, 9]
            .iter()
            .map(|v| {
                let path = leak(format!("m/{v}_t.sql").into_boxed_str());
                let up =
                    strata_model::test_support::section(FILE, 0, FILE.len() as u32, path, 1, &[]);
                strata_model::test_support::migration(
                    *v,
                    "t",
                    up,
                    None,
                    leak(format!("c{v}").into_boxed_str()),
                    true,
                )
            })
            .collect();
        strata_model::prefix_digest::set_prefix_digests(&mut list);
        let embedded: Vec<Embedded> = list
            .iter()
            .map(|m| {
                let encoded = strata_model::embedded::encode(m, &[(m.path(), FILE.len() as u64)]);
                Embedded(leak(Box::new([FILE])), leak(encoded.into_boxed_str()))
            })
            .collect();
        let embedded =
            Migrations::from_embedded(leak(embedded.into_boxed_slice()), None, "strata_migrations");
        (
            Migrations::from_vec(list, HistoryTable::default()),
            embedded,
        )
    }

    #[test]
    fn the_tip_is_the_same_read_from_either_form_without_decoding() {
        let (decoded, embedded) = both();
        for target in [None, Some(0), Some(1), Some(4), Some(5), Some(100)] {
            assert_eq!(
                decoded.tip(target),
                embedded.tip(target),
                "target {target:?}"
            );
        }
        assert_eq!(decoded.tip(Some(5)).0, 2);
        assert_eq!(decoded.tip(Some(0)), (0, None));
        assert!(
            matches!(&embedded.list, List::Embedded(_, decoded) if decoded.get().is_none()),
            "tip decodes nothing"
        );
        assert_eq!(embedded.as_slice(), decoded.as_slice());
    }
}
