//! The one model type shared by the macro, the runtime and the CLI.
//!
//! Every field is `Cow<'static, _>` so the macro can build a `const` list with no
//! allocation, while the CLI builds the same values, owned, at run time.

use std::borrow::Cow;

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Section {
    sql: Cow<'static, str>,
    path: Cow<'static, str>,
    line: u32,
    statements: Cow<'static, [Statement]>,
}

impl Section {
    #[doc(hidden)]
    pub const fn from_static(
        sql: &'static str,
        path: &'static str,
        line: u32,
        statements: &'static [Statement],
    ) -> Self {
        Section {
            sql: Cow::Borrowed(sql),
            path: Cow::Borrowed(path),
            line,
            statements: Cow::Borrowed(statements),
        }
    }

    pub(crate) fn new(sql: String, path: String, line: u32, statements: Vec<Statement>) -> Self {
        Section {
            sql: Cow::Owned(sql),
            path: Cow::Owned(path),
            line,
            statements: Cow::Owned(statements),
        }
    }

    /// The SQL text of the section, comments included, byte for byte as in the file.
    pub fn sql(&self) -> &str {
        &self.sql
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
        self.statements.iter().map(|s| (s, &self.sql[s.range()]))
    }

    /// Maps a byte offset inside [`Section::sql`] to a 1-based `(line, column)` of the file,
    /// the column counted in characters.
    pub fn file_position(&self, offset: usize) -> (u32, u32) {
        let offset = crate::diagnostic::floor_char_boundary(&self.sql, offset);
        let before = &self.sql[..offset];
        let newlines = before.bytes().filter(|b| *b == b'\n').count() as u32;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() as u32 + 1;
        (self.line + newlines, column)
    }
}

/// A migration: version, name, UP and optional DOWN SQL, checksum, and whether it
/// runs inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Migration {
    version: i64,
    name: Cow<'static, str>,
    up: Section,
    down: Option<Section>,
    checksum: Cow<'static, str>,
    transactional: bool,
}

impl Migration {
    #[doc(hidden)]
    pub const fn from_static(
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
        }
    }

    pub(crate) fn new(
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

    /// Statement boundaries of the UP section.
    pub fn statements(&self) -> &[Statement] {
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
