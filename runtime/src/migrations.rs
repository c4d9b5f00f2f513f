//! `Migrations`: the list `embed_migrations!` expands to (or the CLI loads), sorted by version.

use std::borrow::Cow;

use strata_core::model::Migration;

/// An ordered list of migrations. `embed_migrations!` builds one as a `const`, with no
/// parsing, hashing or allocation at run time.
#[derive(Debug, Clone)]
pub struct Migrations {
    list: Cow<'static, [Migration]>,
}

impl Migrations {
    #[doc(hidden)]
    pub const fn from_static(list: &'static [Migration]) -> Self {
        Migrations { list: Cow::Borrowed(list) }
    }

    /// Builds a list from migrations loaded at run time (the CLI does this). They are sorted
    /// by version; callers are expected to have rejected duplicates through the lints.
    pub fn from_vec(mut list: Vec<Migration>) -> Self {
        list.sort_by_key(Migration::version);
        Migrations { list: Cow::Owned(list) }
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
