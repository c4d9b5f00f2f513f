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

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
