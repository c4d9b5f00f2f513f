//! What the safety lints need to know about tables that earlier migrations made: each
//! column's type, and the `CHECK (c IS NOT NULL)` constraints with whether they are
//! validated. Built by reading every UP statement in version order (migrations below
//! `safety-since` included: they made the tables), from the statements that define them:
//! `CREATE TABLE (...)`, `ALTER TABLE` (ADD / DROP / ALTER TYPE / RENAME COLUMN, ADD / DROP /
//! VALIDATE CONSTRAINT, RENAME TO), `DROP TABLE`.
//!
//! It knows when it does not know: a table made another way (`CREATE TABLE ... AS`, `LIKE`,
//! `PARTITION OF`, `INHERITS`), two tables of one name, or any statement it does not model
//! that mentions the table (a `DO` block, a function call such as `create_hypertable('t')`)
//! makes the table unknown, and the lints say nothing about an unknown table.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::safety_scope::{
    Statement, actions, altered_table, has_words, new_type_tokens, split_commas,
};

/// One table as far as the migrations show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Table {
    Known {
        /// Column name -> type, normalized ([`normal_type`]).
        columns: BTreeMap<String, String>,
        /// `CHECK (c IS NOT NULL)` constraints: (name if known, column, validated).
        not_null_checks: Vec<(Option<String>, String, bool)>,
        /// Columns known to be NOT NULL already (declared so, a primary key, an identity).
        not_null: BTreeSet<String>,
    },
    Unknown,
}

/// Every table the migrations made, by name (the last part, as PostgreSQL stores it).
#[derive(Debug, Default)]
pub(crate) struct ColumnFacts {
    tables: BTreeMap<String, Table>,
    /// The names in `tables` that are not one lowercase word (quoted mixed case, spaces):
    /// a statement is searched for these by scanning; every other name by its words.
    unusual: BTreeSet<String>,
}

/// Whether `name` is one word as a statement's words are split: lowercase ASCII letters,
/// digits, `_` and `$`.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'$')
}

impl ColumnFacts {
    /// Records `table` under `name`, replacing what was known.
    fn set(&mut self, name: String, table: Table) {
        if !is_plain(&name) {
            self.unusual.insert(name.clone());
        }
        self.tables.insert(name, table);
    }

    /// Forgets `name`; what it was, if known.
    fn forget(&mut self, name: &str) -> Option<Table> {
        self.unusual.remove(name);
        self.tables.remove(name)
    }

    /// The type of `table.column`, when the migrations show it for certain.
    pub(crate) fn column_type(&self, table: &str, column: &str) -> Option<&str> {
        match self.tables.get(table)? {
            Table::Known { columns, .. } => columns.get(column).map(String::as_str),
            Table::Unknown => None,
        }
    }

    /// Whether `table.column` is NOT NULL already: `None` when the table is not known for
    /// certain.
    pub(crate) fn is_not_null(&self, table: &str, column: &str) -> Option<bool> {
        match self.tables.get(table)? {
            Table::Known { not_null, .. } => Some(not_null.contains(column)),
            Table::Unknown => None,
        }
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` is on `table`: `None` when the table
    /// is not known for certain.
    pub(crate) fn has_validated_not_null_check(&self, table: &str, column: &str) -> Option<bool> {
        match self.tables.get(table)? {
            Table::Known {
                not_null_checks, ..
            } => Some(
                not_null_checks
                    .iter()
                    .any(|(_, c, validated)| c == column && *validated),
            ),
            Table::Unknown => None,
        }
    }

    /// Reads one statement.
    pub(crate) fn record(&mut self, statement: &Statement<'_>) {
        if statement.word(0) == Some("CREATE") && self.create_table(statement) {
            return;
        }
        if let Some((table, first)) = altered_table(statement) {
            self.alter_table(statement, table, first);
            return;
        }
        if statement.words_at(0, &["DROP", "TABLE"]) {
            let i = statement.skip(2, &[&["IF", "EXISTS"]]);
            for name in statement.names_at(i) {
                self.forget(&name);
            }
            return;
        }
        // Statements that cannot change a table's columns or constraints.
        let harmless = [
            "INSERT", "UPDATE", "DELETE", "COMMENT", "GRANT", "REVOKE", "ANALYZE", "VACUUM",
            "REFRESH", "SET", "RESET", "LOCK", "COPY", "CLUSTER", "REINDEX", "TRUNCATE", "NOTIFY",
            "DISCARD",
        ];
        // Objects built on a table (indexes, triggers, policies, views, rules) leave its
        // columns as they are. A function body may do anything, so it is not among them.
        let on_a_table = ["INDEX", "TRIGGER", "POLICY", "VIEW", "RULE", "STATISTICS"];
        let i = statement.skip(
            1,
            &[
                &["OR", "REPLACE"],
                &["UNIQUE"],
                &["CONSTRAINT"],
                &["MATERIALIZED"],
                &["RECURSIVE"],
            ],
        );
        let builds_on_a_table = matches!(statement.word(0), Some("CREATE" | "DROP" | "ALTER"))
            && statement.word(i).is_some_and(|w| on_a_table.contains(&w));
        if statement.word(0).is_some_and(|w| harmless.contains(&w)) || builds_on_a_table {
            return;
        }
        // Anything else that mentions a table may change it in ways this does not follow:
        // looked up by the statement's words (a scan of every known table per statement was
        // most of a 10 MB lint), the unusual names by search. Case is ignored both ways, so
        // more tables become unknown, never fewer.
        let text = statement.text().to_ascii_lowercase();
        let words: BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty())
            .collect();
        for word in words {
            if let Some(table) = self.tables.get_mut(word) {
                *table = Table::Unknown;
            }
        }
        for name in &self.unusual {
            if mentions(&text, &name.to_ascii_lowercase())
                && let Some(table) = self.tables.get_mut(name)
            {
                *table = Table::Unknown;
            }
        }
    }

    /// `CREATE [UNLOGGED|TEMP] TABLE [IF NOT EXISTS] name (...)`; false for other statements.
    fn create_table(&mut self, statement: &Statement<'_>) -> bool {
        let mut i = statement.skip(1, &[&["OR", "REPLACE"]]);
        i = statement.skip(
            i,
            &[
                &["TEMP"],
                &["TEMPORARY"],
                &["UNLOGGED"],
                &["GLOBAL"],
                &["LOCAL"],
            ],
        );
        if statement.word(i) != Some("TABLE") {
            return false;
        }
        let if_not_exists = statement.words_at(i + 1, &["IF", "NOT", "EXISTS"]);
        let i = statement.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]);
        let Some((name, open)) = statement.name_at(i) else {
            return true;
        };
        if self.tables.contains_key(&name) {
            // Created again: IF NOT EXISTS keeps the old one; otherwise another schema's
            // table of the same name, or a drop this did not see.
            if !if_not_exists {
                self.set(name, Table::Unknown);
            }
        } else {
            let table = parse_definition(statement, open).unwrap_or(Table::Unknown);
            self.set(name, table);
        }
        true
    }

    fn alter_table(&mut self, statement: &Statement<'_>, table: String, first: usize) {
        if statement.words_at(first, &["RENAME", "TO"]) {
            if let Some((new, _)) = statement.name_at(first + 2) {
                let facts = self.forget(&table).unwrap_or(Table::Unknown);
                self.set(new, facts);
            }
            return;
        }
        let Some(Table::Known {
            columns,
            not_null_checks,
            not_null,
        }) = self.tables.get_mut(&table)
        else {
            return;
        };
        let mut certain = true;
        for action in actions(statement, first) {
            let s = action.start;
            let word = |k: usize| statement.word(s + k);
            match word(0) {
                Some("ADD") => {
                    let j = statement.skip(s + 1, &[&["COLUMN"]]);
                    let constraint = matches!(
                        statement.word(j),
                        Some("CONSTRAINT" | "CHECK" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "EXCLUDE")
                    );
                    if constraint {
                        let (name, at) = if statement.word(j) == Some("CONSTRAINT") {
                            match statement.name_at(j + 1) {
                                Some((name, at)) => (Some(name), at),
                                None => (None, j),
                            }
                        } else {
                            (None, j)
                        };
                        if statement.word(at) == Some("CHECK")
                            && let Some(column) = not_null_check(statement, at + 1, action.end)
                        {
                            let validated = !has_words(statement, &action, &["NOT", "VALID"]);
                            not_null_checks.push((name, column, validated));
                        }
                        if statement.words_at(at, &["PRIMARY", "KEY"]) {
                            not_null.extend(key_columns(statement, at + 2, action.end));
                        }
                    } else {
                        let j = statement.skip(j, &[&["IF", "NOT", "EXISTS"]]);
                        match column_definition(statement, j..action.end) {
                            Some(definition) => {
                                for _ in 0..definition.checks {
                                    not_null_checks.push((None, definition.name.clone(), true));
                                }
                                if definition.not_null {
                                    not_null.insert(definition.name.clone());
                                }
                                columns.insert(definition.name, definition.ty);
                            }
                            None => certain = false,
                        }
                    }
                }
                Some("DROP") => {
                    if word(1) == Some("CONSTRAINT") {
                        let j = statement.skip(s + 2, &[&["IF", "EXISTS"]]);
                        if let Some((name, _)) = statement.name_at(j) {
                            not_null_checks.retain(|(n, _, _)| n.as_deref() != Some(name.as_str()));
                        }
                    } else {
                        let j = statement.skip(s + 1, &[&["COLUMN"], &["IF", "EXISTS"]]);
                        if let Some((column, _)) = statement.name_at(j) {
                            columns.remove(&column);
                            not_null.remove(&column);
                            not_null_checks.retain(|(_, c, _)| *c != column);
                        }
                    }
                }
                Some("ALTER") => {
                    let j = statement.skip(s + 1, &[&["COLUMN"]]);
                    if let Some((column, k)) = statement.name_at(j) {
                        if statement.words_at(k, &["SET", "NOT", "NULL"]) {
                            not_null.insert(column.clone());
                        } else if statement.words_at(k, &["DROP", "NOT", "NULL"]) {
                            not_null.remove(&column);
                        }
                        if let Some(tokens) = new_type_tokens(statement, k, action.end) {
                            match type_text(statement, tokens) {
                                Some(ty) if columns.contains_key(&column) => {
                                    columns.insert(column, ty);
                                }
                                _ => certain = false,
                            }
                        }
                    }
                }
                Some("VALIDATE") if word(1) == Some("CONSTRAINT") => {
                    if let Some((name, _)) = statement.name_at(s + 2) {
                        for check in not_null_checks.iter_mut() {
                            if check.0.as_deref() == Some(name.as_str()) {
                                check.2 = true;
                            }
                        }
                    }
                }
                Some("RENAME") => {
                    if word(1) == Some("CONSTRAINT") {
                        if let Some((old, k)) = statement.name_at(s + 2)
                            && let Some((new, _)) = statement.name_at(k + 1)
                        {
                            for check in not_null_checks.iter_mut() {
                                if check.0.as_deref() == Some(old.as_str()) {
                                    check.0 = Some(new.clone());
                                }
                            }
                        }
                    } else {
                        let j = statement.skip(s + 1, &[&["COLUMN"]]);
                        match statement.name_at(j) {
                            Some((old, k)) if statement.word(k) == Some("TO") => {
                                match (statement.name_at(k + 1), columns.remove(&old)) {
                                    (Some((new, _)), Some(ty)) => {
                                        columns.insert(new.clone(), ty);
                                        if not_null.remove(&old) {
                                            not_null.insert(new.clone());
                                        }
                                        for check in not_null_checks.iter_mut() {
                                            if check.1 == old {
                                                check.1 = new.clone();
                                            }
                                        }
                                    }
                                    _ => certain = false,
                                }
                            }
                            _ => certain = false,
                        }
                    }
                }
                // SET / DROP NOT NULL, defaults, storage, owners, triggers, RLS: neither
                // types nor CHECK constraints change.
                _ => {}
            }
        }
        if !certain {
            self.set(table, Table::Unknown);
        }
    }
}

/// The `( ... )` of a CREATE TABLE starting at token `open`: its columns and checks, or
/// `None` when the table is made some other way.
fn parse_definition(statement: &Statement<'_>, open: usize) -> Option<Table> {
    if statement.tokens.get(open)?.text != "(" {
        return None; // AS SELECT, PARTITION OF, OF type
    }
    let close = matching(statement, open)?;
    // INHERITS / PARTITION OF after the list bring columns from elsewhere.
    if (close + 1..statement.tokens.len()).any(|t| matches!(statement.word(t), Some("INHERITS"))) {
        return None;
    }
    let mut columns = BTreeMap::new();
    let mut not_null_checks = Vec::new();
    let mut not_null = BTreeSet::new();
    for element in split_commas(statement, open + 1..close) {
        let first = statement.word(element.start);
        match first {
            Some("LIKE") => return None,
            Some("CONSTRAINT" | "CHECK" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "EXCLUDE") => {
                let (name, at) = if first == Some("CONSTRAINT") {
                    let (name, at) = statement.name_at(element.start + 1)?;
                    (Some(name), at)
                } else {
                    (None, element.start)
                };
                if statement.word(at) == Some("CHECK")
                    && let Some(column) = not_null_check(statement, at + 1, element.end)
                {
                    let validated = !has_words(statement, &element, &["NOT", "VALID"]);
                    not_null_checks.push((name, column, validated));
                }
                if statement.words_at(at, &["PRIMARY", "KEY"]) {
                    not_null.extend(key_columns(statement, at + 2, element.end));
                }
            }
            _ => {
                let definition = column_definition(statement, element)?;
                for _ in 0..definition.checks {
                    not_null_checks.push((None, definition.name.clone(), true));
                }
                if definition.not_null {
                    not_null.insert(definition.name.clone());
                }
                columns.insert(definition.name, definition.ty);
            }
        }
    }
    Some(Table::Known {
        columns,
        not_null_checks,
        not_null,
    })
}

/// A column definition as the facts keep it.
struct ColumnDefinition {
    name: String,
    ty: String,
    /// Declared NOT NULL, a primary key, an identity or a serial column.
    not_null: bool,
    /// How many column-level `CHECK (name IS NOT NULL)` it carries.
    checks: usize,
}

/// A column definition `name type [constraints]`.
fn column_definition(statement: &Statement<'_>, range: Range<usize>) -> Option<ColumnDefinition> {
    let (name, start) = statement.name_at(range.start)?;
    let stops = [
        "NOT",
        "NULL",
        "DEFAULT",
        "PRIMARY",
        "UNIQUE",
        "CHECK",
        "REFERENCES",
        "CONSTRAINT",
        "COLLATE",
        "GENERATED",
        "COMPRESSION",
        "STORAGE",
    ];
    let end = (start..range.end)
        .find(|&t| {
            statement.word(t).is_some_and(|w| stops.contains(&w))
                && depth_at(statement, start, t) == 0
        })
        .unwrap_or(range.end);
    let ty = type_text(statement, start..end)?;
    let constraints = end..range.end;
    let serial = (start..end).any(|t| {
        matches!(
            statement.word(t),
            Some("SERIAL" | "SERIAL4" | "BIGSERIAL" | "SERIAL8" | "SMALLSERIAL" | "SERIAL2")
        )
    });
    let not_null = serial
        || has_words(statement, &constraints, &["NOT", "NULL"])
        || has_words(statement, &constraints, &["PRIMARY", "KEY"])
        || has_words(statement, &constraints, &["AS", "IDENTITY"]);
    let mut checks = 0;
    for t in constraints {
        if statement.word(t) == Some("CHECK")
            && not_null_check(statement, t + 1, range.end).as_deref() == Some(name.as_str())
        {
            checks += 1;
        }
    }
    Some(ColumnDefinition {
        name,
        ty,
        not_null,
        checks,
    })
}

/// The columns of `( a, b )` at `open` (a key's column list).
fn key_columns(statement: &Statement<'_>, open: usize, end: usize) -> Vec<String> {
    let Some(close) = (statement.tokens.get(open).map(|t| t.text) == Some("("))
        .then(|| matching(statement, open))
        .flatten()
        .filter(|close| *close <= end)
    else {
        return Vec::new();
    };
    split_commas(statement, open + 1..close)
        .into_iter()
        .filter_map(|part| statement.name_at(part.start).map(|(name, _)| name))
        .collect()
}

/// `( column IS NOT NULL )` at `open`: the column.
fn not_null_check(statement: &Statement<'_>, open: usize, end: usize) -> Option<String> {
    if statement.tokens.get(open)?.text != "(" {
        return None;
    }
    let close = matching(statement, open)?;
    if close > end || close != open + 5 {
        return None;
    }
    let (column, after) = statement.name_at(open + 1)?;
    (after == open + 2 && statement.words_at(after, &["IS", "NOT", "NULL"])).then_some(column)
}

/// The type written in `range`, normalized; `None` when there is none.
pub(crate) fn type_text(statement: &Statement<'_>, range: Range<usize>) -> Option<String> {
    if range.is_empty() {
        return None;
    }
    let mut text = String::new();
    for token in &statement.tokens[range] {
        let piece = token.text.to_ascii_lowercase();
        let glue = matches!(piece.as_str(), "(" | ")" | "," | "[" | "]")
            || text.ends_with('(')
            || text.ends_with('[')
            || text.ends_with(',')
            || text.is_empty();
        if !glue {
            text.push(' ');
        }
        text.push_str(&piece);
    }
    Some(normal_type(&text))
}

/// One spelling per type: `character varying(20)` is `varchar(20)`, `int4` is `integer`,
/// `timestamp with time zone` is `timestamptz`, `decimal` is `numeric`.
pub fn normal_type(text: &str) -> String {
    let text = text.trim().to_ascii_lowercase();
    let (base, rest) = match text.find(['(', '[']) {
        Some(at) => (text[..at].trim(), &text[at..]),
        None => (text.as_str(), ""),
    };
    let base = match base {
        "character varying" => "varchar",
        "character" | "bpchar" => "char",
        "decimal" => "numeric",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        // serial types are integers with a default; the default is not the type.
        "serial" | "serial4" => "integer",
        "bigserial" | "serial8" => "bigint",
        "smallserial" | "serial2" => "smallint",
        "float8" | "double precision" => "double precision",
        "float4" => "real",
        "bool" => "boolean",
        "bit varying" => "varbit",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "time with time zone" => "timetz",
        "time without time zone" => "time",
        other => other,
    };
    // `timestamp(3) with time zone` keeps its suffix after the parentheses.
    let zoned = rest.contains(" with time zone");
    let rest = rest
        .replace(" with time zone", "")
        .replace(" without time zone", "");
    let base = match base {
        "timestamp" if zoned => "timestamptz",
        "time" if zoned => "timetz",
        other => other,
    };
    format!("{base}{rest}")
}

/// PostgreSQL's built-in types this knows the rewrite rules between; anything else (a
/// domain, an extension's type) is left alone.
fn builtin(ty: &str) -> bool {
    let base = ty.split(['(', '[']).next().unwrap_or_default();
    [
        "smallint",
        "integer",
        "bigint",
        "numeric",
        "real",
        "double precision",
        "text",
        "varchar",
        "char",
        "boolean",
        "date",
        "timestamp",
        "timestamptz",
        "time",
        "timetz",
        "interval",
        "uuid",
        "json",
        "jsonb",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "bit",
        "varbit",
        "money",
    ]
    .contains(&base)
}

/// Whether changing a column from `old` to `new` rewrites the table: `Some(false)` for the
/// binary-coercible changes PostgreSQL does without a rewrite (or a scan), `Some(true)` for a
/// rewrite between built-in types, `None` when it cannot be told.
pub(crate) fn rewrites(old: &str, new: &str) -> Option<bool> {
    if old == new {
        return Some(false);
    }
    if !builtin(old) || !builtin(new) || old.contains('[') || new.contains('[') {
        return None;
    }
    let (old_base, old_args) = split_type(old);
    let (new_base, new_args) = split_type(new);
    let safe = match (old_base, new_base) {
        ("varchar", "varchar") | ("varbit", "varbit") => {
            match (old_args.as_slice(), new_args.as_slice()) {
                (_, []) => true,
                ([n], [m]) => m >= n,
                _ => false,
            }
        }
        ("varchar", "text") | ("text", "varchar") if new_args.is_empty() => true,
        ("varchar", "text") => true,
        ("numeric", "numeric") => match (old_args.as_slice(), new_args.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p], [q, 0]) | ([p, 0], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        ("cidr", "inet") => true,
        // Whether this rewrites depends on the session's TimeZone (none when it is UTC).
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") => return None,
        _ => false,
    };
    Some(!safe)
}

fn split_type(ty: &str) -> (&str, Vec<u32>) {
    match ty.split_once('(') {
        Some((base, args)) => (
            base,
            args.trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
        ),
        None => (ty, Vec::new()),
    }
}

/// The token closing the parenthesis at `open`.
fn matching(statement: &Statement<'_>, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in statement.tokens.iter().enumerate().skip(open) {
        match token.text {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parenthesis depth of token `at`, counted from `from`.
fn depth_at(statement: &Statement<'_>, from: usize, at: usize) -> usize {
    statement.tokens[from..at]
        .iter()
        .fold(0usize, |depth, t| match t.text {
            "(" => depth + 1,
            ")" => depth.saturating_sub(1),
            _ => depth,
        })
}

/// Whether `text` (lower case) holds `name` as a whole word.
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_spelled_one_way() {
        assert_eq!(normal_type("character varying(20)"), "varchar(20)");
        assert_eq!(normal_type("INT4"), "integer");
        assert_eq!(normal_type("timestamp with time zone"), "timestamptz");
        assert_eq!(normal_type("decimal(10,2)"), "numeric(10,2)");
        assert_eq!(normal_type("serial"), "integer");
        assert_eq!(normal_type("timestamp(3) with time zone"), "timestamptz(3)");
        assert_eq!(
            normal_type("timestamp(3) without time zone"),
            "timestamp(3)"
        );
    }

    #[test]
    fn proven_safe_type_changes_do_not_rewrite() {
        assert_eq!(rewrites("varchar(20)", "varchar(40)"), Some(false));
        assert_eq!(rewrites("varchar(20)", "text"), Some(false));
        assert_eq!(rewrites("varchar(20)", "varchar"), Some(false));
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,2)"), Some(false));
        assert_eq!(rewrites("numeric(10,2)", "numeric"), Some(false));
        assert_eq!(rewrites("cidr", "inet"), Some(false));
        assert_eq!(rewrites("text", "text"), Some(false));
    }

    #[test]
    fn other_changes_rewrite_or_are_left_alone() {
        assert_eq!(rewrites("varchar(40)", "varchar(20)"), Some(true));
        assert_eq!(rewrites("integer", "bigint"), Some(true));
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,3)"), Some(true));
        assert_eq!(rewrites("text", "integer"), Some(true));
        // The session's TimeZone decides; a domain could be anything.
        assert_eq!(rewrites("timestamp", "timestamptz"), None);
        assert_eq!(rewrites("text", "email_address"), None);
    }

    #[test]
    fn mentions_are_whole_words() {
        assert!(mentions(
            "select create_hypertable('events', 'at')",
            "events"
        ));
        assert!(!mentions("select * from user_events", "events"));
    }
}
