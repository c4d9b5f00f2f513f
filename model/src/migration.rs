//! The one model type shared by the macro, the runtime and the CLI.
//!
//! Every field is `Cow<'static, _>` so the macro can build a `const` list with no
//! allocation, while the CLI builds the same values, owned, at run time.

use std::borrow::Cow;

use crate::position::line_column;

/// A statement inside a [`Section`]: a byte range into the section's SQL and the
/// 1-based line of the migration file on which it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Statement {
    start: u32,
    end: u32,
    line: u32,
}

impl Statement {
    #[doc(hidden)]
    pub const fn new(start: u32, end: u32, line: u32) -> Self {
        Statement { start, end, line }
    }

    /// Byte range of the statement (without its terminating `;`) inside the section's SQL.
    pub const fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// 1-based line in the migration file where the statement starts.
    pub const fn line(&self) -> u32 {
        self.line
    }
}

/// One direction (UP or DOWN) of a migration: the SQL exactly as written in the file,
/// where it starts in that file, and its statement boundaries.
///
/// Embedded sections point into the whole file's text (`include_str!`), so the SQL is in the
/// binary once and the compiler handles no large literals; sections loaded at run time own
/// just their SQL. Either way [`Section::sql`] is a slice, never an allocation.
#[derive(Debug, Clone)]
pub struct Section {
    text: Cow<'static, str>,
    start: u32,
    end: u32,
    /// Where the section starts in the file's raw bytes (a BOM included).
    raw_offset: u32,
    path: Cow<'static, str>,
    line: u32,
    statements: Cow<'static, [Statement]>,
}

impl PartialEq for Section {
    fn eq(&self, other: &Self) -> bool {
        self.sql() == other.sql()
            && self.path == other.path
            && self.line == other.line
            && self.statements == other.statements
    }
}

impl Eq for Section {}

impl Section {
    /// A section of an embedded file, decoded at run time from the macro's compact form.
    #[doc(hidden)]
    pub fn embedded(
        file: &'static str,
        start: u32,
        end: u32,
        path: &'static str,
        line: u32,
        statements: Vec<Statement>,
    ) -> Self {
        Self::in_file(file, start, end, path, line, Cow::Owned(statements))
    }

    #[doc(hidden)]
    pub const fn in_file(
        file: &'static str,
        start: u32,
        end: u32,
        path: &'static str,
        line: u32,
        statements: Cow<'static, [Statement]>,
    ) -> Self {
        Section {
            text: Cow::Borrowed(file),
            start,
            end,
            raw_offset: start,
            path: Cow::Borrowed(path),
            line,
            statements,
        }
    }

    #[doc(hidden)]
    pub fn new(
        sql: String,
        path: String,
        line: u32,
        statements: Vec<Statement>,
        raw_offset: u32,
    ) -> Self {
        Section {
            end: sql.len() as u32,
            text: Cow::Owned(sql),
            start: 0,
            raw_offset,
            path: Cow::Owned(path),
            line,
            statements: Cow::Owned(statements),
        }
    }

    /// The SQL text of the section, comments included, byte for byte as in the file.
    pub fn sql(&self) -> &str {
        // The range is checked when the section is built; `get` keeps a corrupt value from
        // panicking.
        self.text
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// Byte offset of the section in the file as stored on disk (a BOM included), for
    /// the embedded form.
    #[doc(hidden)]
    pub const fn raw_offset(&self) -> u32 {
        self.raw_offset
    }

    /// The file this section comes from, relative to the crate's manifest directory.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// 1-based line of the file on which [`Section::sql`] begins (always at column 1).
    pub const fn line(&self) -> u32 {
        self.line
    }

    /// Statement boundaries, in order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The text of each statement, in order, without terminating `;`.
    pub fn statement_texts(&self) -> impl Iterator<Item = (&Statement, &str)> {
        let sql = self.sql();
        self.statements
            .iter()
            .map(move |s| (s, sql.get(s.range()).unwrap_or_default()))
    }

    /// Maps a byte offset inside [`Section::sql`] to a 1-based `(line, column)` of the file,
    /// the column counted in characters.
    pub fn file_position(&self, offset: usize) -> (u32, u32) {
        // The section starts at column 1 of `self.line`, so only the line needs shifting.
        let (line, column) = line_column(self.sql(), offset);
        (self.line.saturating_add(line - 1), column)
    }
}

/// A migration: version, name, UP and optional DOWN SQL, checksum, and whether it
/// runs inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    version: i64,
    name: Cow<'static, str>,
    up: Section,
    down: Option<Section>,
    checksum: Cow<'static, str>,
    transactional: bool,
    /// Hex SHA-256 of `"v1:c1,v2:c2,...,v:c"` over this migration and every one before it in
    /// its list (versions and checksums). Computed when the list is built and stored with the
    /// history row, so start-up compares the top row's against it instead of reading every row.
    prefix_digest: Option<Cow<'static, str>>,
}

impl Migration {
    #[doc(hidden)]
    pub const fn from_parts(
        version: i64,
        name: &'static str,
        up: Section,
        down: Option<Section>,
        checksum: &'static str,
        transactional: bool,
    ) -> Self {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up,
            down,
            checksum: Cow::Borrowed(checksum),
            transactional,
            prefix_digest: None,
        }
    }

    /// The digest of this migration's list up to and including it (see the field's doc), when
    /// the list was built by strata (the macro or `strata_core::load`).
    pub fn prefix_digest(&self) -> Option<&str> {
        self.prefix_digest.as_deref()
    }

    #[doc(hidden)]
    pub fn set_prefix_digest(&mut self, digest: Cow<'static, str>) {
        self.prefix_digest = Some(digest);
    }

    #[doc(hidden)]
    pub fn new(
        version: i64,
        name: String,
        up: Section,
        down: Option<Section>,
        checksum: String,
        transactional: bool,
    ) -> Self {
        Migration {
            version,
            name: Cow::Owned(name),
            up,
            down,
            checksum: Cow::Owned(checksum),
            transactional,
            prefix_digest: None,
        }
    }

    /// The version, compared numerically.
    pub const fn version(&self) -> i64 {
        self.version
    }

    /// The descriptive part of the file name (`add_users` in `001_add_users.sql`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UP SQL.
    pub fn up(&self) -> &str {
        self.up.sql()
    }

    /// The DOWN SQL, if the migration has one.
    pub fn down(&self) -> Option<&str> {
        self.down.as_ref().map(Section::sql)
    }

    /// The UP section with its statement boundaries and file position.
    pub const fn up_section(&self) -> &Section {
        &self.up
    }

    /// The DOWN section, if any.
    pub const fn down_section(&self) -> Option<&Section> {
        self.down.as_ref()
    }

    /// Statement boundaries of the UP section (the DOWN's: `down_section()`).
    pub fn up_statements(&self) -> &[Statement] {
        self.up.statements()
    }

    /// Hex SHA-256 over the UP and DOWN token streams (comments and layout excluded).
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// `false` for `-- strata:no-transaction` migrations.
    pub const fn transactional(&self) -> bool {
        self.transactional
    }

    /// The file holding the UP SQL, relative to the crate's manifest directory.
    pub fn path(&self) -> &str {
        self.up.path()
    }
}
