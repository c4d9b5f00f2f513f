//! `Migrations`: the list `embed_migrations!` expands to (or the CLI loads), sorted by version.

use std::borrow::Cow;

use strata_core::model::Migration;

/// An ordered list of migrations. `embed_migrations!` builds one as a `const`, with no
/// parsing, hashing or allocation at run time.
#[derive(Debug, Clone)]
pub struct Migrations {
    list: Cow<'static, [Migration]>,
    history_schema: Option<Cow<'static, str>>,
    history_table: Cow<'static, str>,
}

impl Migrations {
    #[doc(hidden)]
    pub const fn from_static(
        list: &'static [Migration],
        history_schema: Option<&'static str>,
        history_table: &'static str,
    ) -> Self {
        let history_schema = match history_schema {
            Some(schema) => Some(Cow::Borrowed(schema)),
            None => None,
        };
        Migrations { list: Cow::Borrowed(list), history_schema, history_table: Cow::Borrowed(history_table) }
    }

    /// Builds a list from migrations loaded at run time (the CLI does this), with the history
    /// table from `strata.toml`. They are sorted by version; callers are expected to have
    /// rejected duplicates through the lints.
    pub fn from_vec(mut list: Vec<Migration>, history: &strata_core::config::History) -> Self {
        list.sort_by_key(Migration::version);
        Migrations {
            list: Cow::Owned(list),
            history_schema: history.schema.clone().map(Cow::Owned),
            history_table: Cow::Owned(history.table.clone()),
        }
    }

    /// The history table's schema from `strata.toml` (`None`: the connection's default).
    pub fn history_schema(&self) -> Option<&str> {
        self.history_schema.as_deref()
    }

    /// The history table's name from `strata.toml` (default `strata_migrations`).
    pub fn history_table(&self) -> &str {
        &self.history_table
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// In ascending version order.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.list.iter()
    }

    /// The migration with this version, if embedded.
    pub fn get(&self, version: i64) -> Option<&Migration> {
        self.list.binary_search_by_key(&version, Migration::version).ok().map(|i| &self.list[i])
    }

    pub fn as_slice(&self) -> &[Migration] {
        &self.list
    }
}

/// Running them. Each takes a database connection directly: a `tokio_postgres::Client`
/// (feature `postgres`) or a `rusqlite::Connection` (feature `sqlite`).
impl Migrations {
    /// A builder for a run with options (target, check opt-outs, lock timeout, history table).
    pub fn runner(&self) -> crate::Runner<'_> {
        crate::Runner::new(self)
    }

    /// Applies every pending migration; see [`crate::Runner::run`].
    ///
    /// ```ignore
    /// # async fn example(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
    /// let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// let report = MIGRATIONS.run(&mut client).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// If the returned future is dropped while a migration runs, the PostgreSQL session still
    /// holds the migration lock and may be inside a transaction: drop the client too, which
    /// closes the session and releases both.
    pub async fn run<D: crate::Driver>(&self, conn: &mut D) -> crate::Result<crate::Report> {
        self.runner().run(conn).await
    }

    /// Rolls back to `target` (see [`crate::Target`]), running each DOWN in a transaction.
    ///
    /// ```ignore
    /// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
    /// static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
    /// MIGRATIONS.rollback(client, strata::Target::Steps(1)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn rollback<D: crate::Driver>(&self, conn: &mut D, target: crate::Target) -> crate::Result<crate::Report> {
        self.runner().rollback(conn, target).await
    }

    /// Every embedded and applied migration with its state.
    pub async fn status<D: crate::Driver>(&self, conn: &mut D) -> crate::Result<Vec<crate::StatusRow>> {
        self.runner().status(conn).await
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
