//! Every lint strata knows, in one table: the rows of `lint_registry!` below.
//!
//! The rows expand twice: here into [`Lint`] and [`REGISTRY`] (what any module may ask about
//! a lint: name, level, group, summary), and in `lints/mod.rs` into the lint modules and
//! their `check` functions. A macro rather than a `const` with function pointers because the
//! checks take the discovered `Directory`, which sits layers above this leaf module; this way
//! nothing here imports upward, and adding a lint is still one file plus one row.
//!
//! A row: `Variant { name, detected, default, configurable, group, summary }`.
//! - `detected: Check(module)`: `lints/<module>.rs`'s `check` over the directory; skipped
//!   when strata.toml sets the lint to `allow`. `Discovery`, `Config`, `Macro`: reported
//!   while reading the directory, while parsing strata.toml / metadata.toml, or by the macro.
//! - `configurable: false`: broken input that makes the migration list itself unknowable;
//!   neither strata.toml nor a directive may change its level.
//! - `summary`: one line, the README's "what it finds" (the table there is rendered from it).

use crate::level::Level;

/// The registry's rows, handed to the macro named `$then` (see the module docs).
macro_rules! lint_registry {
    ($then:ident) => {
        $then! {
            BadName {
                name: "bad-name", detected: Check(bad_name),
                default: Deny, configurable: true, group: Directory,
                summary: "a `.sql` file (or a directory holding SQL) that matches no naming scheme",
            }
            DuplicateVersion {
                name: "duplicate-version", detected: Check(duplicate_version),
                default: Deny, configurable: true, group: Directory,
                summary: "two migrations with one version; names both files",
            }
            VersionGap {
                name: "version-gap", detected: Check(version_gap),
                default: Deny, configurable: true, group: Directory,
                summary: "a skipped sequential / Flyway version; names every missing version (timestamps are exempt)",
            }
            MixedSchemes {
                name: "mixed-schemes", detected: Check(mixed_schemes),
                default: Deny, configurable: true, group: Directory,
                summary: "entries in another scheme than the directory's most common one",
            }
            MissingDown {
                name: "missing-down", detected: Check(missing_down),
                default: Deny, configurable: true, group: Sections,
                summary: "no DOWN (or an empty one) under `down = \"required\"`",
            }
            ForbiddenDown {
                name: "forbidden-down", detected: Check(forbidden_down),
                default: Deny, configurable: true, group: Sections,
                summary: "a DOWN under `down = \"forbidden\"`",
            }
            OrphanDown {
                name: "orphan-down", detected: Check(orphan_down),
                default: Deny, configurable: true, group: Directory,
                summary: "a DOWN file with no matching UP",
            }
            EmptyUp {
                name: "empty-up", detected: Check(empty_up),
                default: Deny, configurable: true, group: Sections,
                summary: "an UP with no statement",
            }
            BadSection {
                name: "bad-section", detected: Check(bad_section),
                default: Deny, configurable: true, group: Sections,
                summary: "SQL outside any section, a repeated or misplaced marker",
            }
            UnknownDirective {
                name: "unknown-directive", detected: Check(unknown_directive),
                default: Warn, configurable: true, group: Sections,
                summary: "a misspelled `strata:` directive or an unknown lint in `allow(...)`",
            }
            SqlSyntax {
                name: "sql-syntax", detected: Check(sql_syntax),
                default: Deny, configurable: true, group: Statements,
                summary: "SQL the dialect's parser rejects",
            }
            TransactionNesting {
                name: "transaction-nesting", detected: Check(transaction_nesting),
                default: Deny, configurable: true, group: Statements,
                summary: "`BEGIN` / `COMMIT` / `ROLLBACK` in a migration strata already runs in a transaction (PostgreSQL, SQLite)",
            }
            ConcurrentlyInTransaction {
                name: "concurrently-in-transaction", detected: Check(concurrently_in_transaction),
                default: Deny, configurable: true, group: Statements,
                summary: "`CREATE/DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` or `DETACH PARTITION ... CONCURRENTLY` in a migration that runs in a transaction (PostgreSQL rejects it: 25001)",
            }
            UndefinedObject {
                name: "undefined-object", detected: Replay,
                default: Deny, configurable: true, group: Schema,
                summary: "a statement names a table, column, index, constraint, type label, view or trigger that is not there: dropped or renamed by an earlier migration, misspelled, or a column its table does not have (SQLite: replayed in SQLite; PostgreSQL: the schema model; both at build time)",
            }
            DuplicateObject {
                name: "duplicate-object", detected: Replay,
                default: Deny, configurable: true, group: Schema,
                summary: "a statement creates a table, column, index, constraint, type, schema, view or trigger an earlier statement already made, without IF NOT EXISTS (SQLite, PostgreSQL)",
            }
            DownNotInverse {
                name: "down-not-inverse", detected: Replay,
                default: Warn, configurable: true, group: Schema,
                summary: "a DOWN that, run right after its UP, does not bring the schema back to what the UP found (SQLite, PostgreSQL)",
            }
            RenamingColumn {
                name: "renaming-column", detected: Check(renaming_column),
                default: Warn, configurable: true, group: Safety,
                summary: "`ALTER TABLE ... RENAME COLUMN` on an existing table: the running version of the app still uses the old name",
            }
            RenamingTable {
                name: "renaming-table", detected: Check(renaming_table),
                default: Warn, configurable: true, group: Safety,
                summary: "`ALTER TABLE ... RENAME TO` on an existing table: the running version of the app still uses the old name",
            }
            BanDropColumn {
                name: "ban-drop-column", detected: Check(ban_drop_column),
                default: Warn, configurable: true, group: Safety,
                summary: "`ALTER TABLE ... DROP COLUMN` on an existing table: destroys data the running app may still read",
            }
            BanDropTable {
                name: "ban-drop-table", detected: Check(ban_drop_table),
                default: Warn, configurable: true, group: Safety,
                summary: "`DROP TABLE` of an existing table: destroys its data",
            }
            BanTruncateCascade {
                name: "ban-truncate-cascade", detected: Check(ban_truncate_cascade),
                default: Warn, configurable: true, group: Safety,
                summary: "`TRUNCATE ... CASCADE`: also empties every table that references it",
            }
            RequireConcurrentIndexCreation {
                name: "require-concurrent-index-creation", detected: Check(require_concurrent_index_creation),
                default: Warn, configurable: true, group: Safety,
                summary: "`CREATE INDEX` without `CONCURRENTLY` on an existing table: writes wait until the index is built",
            }
            ConstraintMissingNotValid {
                name: "constraint-missing-not-valid", detected: Check(constraint_missing_not_valid),
                default: Warn, configurable: true, group: Safety,
                summary: "`ADD CONSTRAINT ... FOREIGN KEY / CHECK` without `NOT VALID` on an existing table, or `VALIDATE` in the migration that added it",
            }
            DisallowedUniqueConstraint {
                name: "disallowed-unique-constraint", detected: Check(disallowed_unique_constraint),
                default: Warn, configurable: true, group: Safety,
                summary: "`ADD UNIQUE` / `ADD PRIMARY KEY` without `USING INDEX` on an existing table: reads and writes wait for the index build",
            }
            RequireConcurrentIndexDeletion {
                name: "require-concurrent-index-deletion", detected: Check(require_concurrent_index_deletion),
                default: Warn, configurable: true, group: Safety,
                summary: "`DROP INDEX` without `CONCURRENTLY`: locks the table against reads and writes while it runs",
            }
            AddingRequiredField {
                name: "adding-required-field", detected: Check(adding_required_field),
                default: Warn, configurable: true, group: Safety,
                summary: "`ADD COLUMN ... NOT NULL` without a default on an existing table: refused once the table has a row",
            }
            AddingFieldWithDefault {
                name: "adding-field-with-default", detected: Check(adding_field_with_default),
                default: Warn, configurable: true, group: Safety,
                summary: "`ADD COLUMN ... DEFAULT` with a volatile default (`gen_random_uuid()`, `clock_timestamp()`, ...) on an existing table: rewrites it under an ACCESS EXCLUSIVE lock",
            }
            AddingNotNullableField {
                name: "adding-not-nullable-field", detected: Replay,
                default: Warn, configurable: true, group: Safety,
                summary: "`ALTER COLUMN ... SET NOT NULL` on an existing table: a full scan under an ACCESS EXCLUSIVE lock (exempt on PostgreSQL 12+ with a validated `CHECK (c IS NOT NULL)`)",
            }
            ChangingColumnType {
                name: "changing-column-type", detected: Replay,
                default: Warn, configurable: true, group: Safety,
                summary: "`ALTER COLUMN ... TYPE` that rewrites an existing table under an ACCESS EXCLUSIVE lock (changes PostgreSQL makes without a rewrite are exempt)",
            }
            RequireLockTimeout {
                name: "require-lock-timeout", detected: Check(require_lock_timeout),
                default: Allow, configurable: true, group: Safety,
                summary: "an ACCESS EXCLUSIVE lock on an existing table with no `SET lock_timeout` earlier in the migration (opt-in)",
            }
            PreferRobustStmts {
                name: "prefer-robust-stmts", detected: Check(prefer_robust_stmts),
                default: Warn, configurable: true, group: Safety,
                summary: "a no-transaction migration's `CREATE`/`DROP`/`ADD COLUMN` without `IF [NOT] EXISTS`: a retry after a partial run fails",
            }
            BanVacuumFull {
                name: "ban-vacuum-full", detected: Check(ban_vacuum_full),
                default: Warn, configurable: true, group: Safety,
                summary: "`VACUUM FULL` or `CLUSTER`: rewrites the table under an ACCESS EXCLUSIVE lock",
            }
            UntrackedDirectory {
                name: "untracked-directory", detected: Macro,
                default: Warn, configurable: true, group: Setup,
                summary: "no build script tracks the directory (the macro only)",
            }
            InvalidConfig {
                name: "invalid-config", detected: Config,
                default: Deny, configurable: false, group: Setup,
                summary: "a malformed `strata.toml` or `metadata.toml`",
            }
            UnreadableFile {
                name: "unreadable-file", detected: Discovery,
                default: Deny, configurable: false, group: Setup,
                summary: "a file that cannot be read or is not UTF-8, a broken symlink",
            }
        }
    };
}
pub(crate) use lint_registry;

/// Expands the rows into the `Lint` enum and the metadata table.
macro_rules! define_lints {
    ($(
        $id:ident {
            name: $name:literal, detected: $detected:ident $(($module:ident))?,
            default: $default:ident, configurable: $configurable:literal, group: $group:ident,
            summary: $summary:literal $(,)?
        }
    )*) => {
        /// Every lint strata knows, with a stable kebab-case name ([`Lint::name`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Lint {
            $(#[doc = $summary] $id,)*
        }

        /// One row per lint, in [`Lint`]'s order.
        pub const REGISTRY: &[LintInfo] = &[$(
            LintInfo {
                lint: Lint::$id,
                name: $name,
                detected: Detected::$detected,
                default_level: Level::$default,
                configurable: $configurable,
                group: Group::$group,
                summary: $summary,
            },
        )*];

        impl Lint {
            pub const ALL: [Lint; REGISTRY.len()] = [$(Lint::$id),*];
        }
    };
}
lint_registry!(define_lints);

/// A lint's family. `safety` is also a name in `[lints]` and `strata:allow(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Group {
    /// Names, versions and pairing of the directory's entries.
    Directory,
    /// UP/DOWN sections and directives inside a file.
    Sections,
    /// The SQL statements themselves.
    Statements,
    /// The inputs around the migrations: config, readable files, build-script tracking.
    Setup,
    /// The sequence: what each migration finds in the database the earlier ones built.
    Schema,
    /// PostgreSQL statements that succeed but hurt production: long locks, rewrites,
    /// destroyed data, a running app broken during a rolling deploy. Only UP sections of
    /// migrations above `safety-since` are checked.
    Safety,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Directory => "directory",
            Group::Sections => "sections",
            Group::Statements => "statements",
            Group::Setup => "setup",
            Group::Schema => "schema",
            Group::Safety => "safety",
        }
    }

    /// The lints of this group.
    pub fn lints(self) -> impl Iterator<Item = Lint> {
        REGISTRY
            .iter()
            .filter(move |info| info.group == self)
            .map(|info| info.lint)
    }
}

/// Where a lint's findings come from (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detected {
    /// A `check` in `lints/` over the discovered directory.
    Check,
    /// Reading the directory (`discover.rs`).
    Discovery,
    /// Parsing `strata.toml` or a `metadata.toml`.
    Config,
    /// The `embed_migrations!` macro: only it knows whether a build script tracks the directory.
    Macro,
    /// The schema replay (`replay/`): every migration applied in order at build time, once
    /// for all the lints that read it (the safety lints that need a column's type or
    /// nullability are called from it, statement by statement).
    Replay,
}

/// One registry row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintInfo {
    pub lint: Lint,
    pub name: &'static str,
    pub detected: Detected,
    pub default_level: Level,
    /// Whether `strata.toml` or a directive may change the level.
    pub configurable: bool,
    pub group: Group,
    /// One line, as in the README's table.
    pub summary: &'static str,
}

impl Lint {
    /// This lint's registry row.
    pub fn info(self) -> &'static LintInfo {
        // The table is generated from the same rows as the enum, in the same order.
        &REGISTRY[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(name: &str) -> Option<Lint> {
        REGISTRY
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.lint)
    }

    pub fn default_level(self) -> Level {
        self.info().default_level
    }

    /// Whether `strata.toml` or a directive may change the level. Broken input that makes
    /// the migration list itself unknowable can never be silenced.
    pub fn is_configurable(self) -> bool {
        self.info().configurable
    }

    pub fn group(self) -> Group {
        self.info().group
    }

    /// The one-line summary (the README's "what it finds").
    pub fn summary(self) -> &'static str {
        self.info().summary
    }

    /// The same text as [`Lint::summary`]; the older name.
    pub fn description(self) -> &'static str {
        self.summary()
    }
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order_and_names_round_trip() {
        for (i, row) in REGISTRY.iter().enumerate() {
            assert_eq!(row.lint as usize, i, "{}", row.name);
            assert_eq!(Lint::ALL[i], row.lint);
            assert_eq!(Lint::from_name(row.name), Some(row.lint));
        }
        assert_eq!(Lint::from_name("no-such-lint"), None);
    }

    #[test]
    fn rows_are_well_formed() {
        for row in REGISTRY {
            let kebab = row.name.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            assert!(kebab && !row.name.is_empty(), "{}", row.name);
            // The summary is a cell of the README's markdown table.
            assert!(
                !row.summary.is_empty() && !row.summary.contains(['\n', '|']),
                "{}",
                row.name
            );
            // What cannot be configured must stop the build.
            assert!(row.configurable || row.default_level == Level::Deny);
        }
    }
}
