//! The PostgreSQL schema the migrations build, as far as they show it for certain: what a
//! replay holds after each statement, what `strata schema` prints, and what the catalog test
//! compares with a real server.

use std::collections::{BTreeMap, BTreeSet};

/// An object's schema and name, as PostgreSQL stores them (bare words folded to lower case).
pub type Key = (String, String);

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type, one spelling per type (`varchar(20)`, `integer`, `timestamptz`).
    pub ty: String,
    pub not_null: bool,
    /// The default as written, if any.
    pub default: Option<String>,
    /// `identity` or `stored` (a generated column), if either.
    pub generated: Option<&'static str>,
}

/// What a constraint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    /// The referenced table and its columns (empty: its primary key).
    ForeignKey {
        table: Key,
        columns: Vec<String>,
    },
    Exclude,
}

impl ConstraintKind {
    /// The catalog's one-letter `contype`.
    pub fn code(&self) -> char {
        match self {
            ConstraintKind::PrimaryKey => 'p',
            ConstraintKind::Unique => 'u',
            ConstraintKind::Check => 'c',
            ConstraintKind::ForeignKey { .. } => 'f',
            ConstraintKind::Exclude => 'x',
        }
    }

    /// Whether PostgreSQL makes an index of the constraint's name for it.
    pub fn has_index(&self) -> bool {
        matches!(
            self,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclude
        )
    }
}

/// One constraint of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// The constrained columns (empty for a CHECK: its expression may read any).
    pub columns: Vec<String>,
    /// False for `NOT VALID` until `VALIDATE CONSTRAINT`.
    pub validated: bool,
    /// A CHECK's expression as written (tokens joined by single spaces).
    pub expression: Option<String>,
}

/// A table whose columns and constraints the migrations show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    /// Trigger names.
    pub triggers: BTreeSet<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub(crate) fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }
}

/// What PostgreSQL keeps in `pg_class`: one namespace per schema for all of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// A table; `None` when it exists but its columns are not known (made `AS SELECT`,
    /// `LIKE`, `PARTITION OF`, or changed in a way the model does not follow).
    Table(Option<Table>),
    View {
        materialized: bool,
    },
    Index {
        /// The table's name (same schema).
        table: String,
        /// The indexed columns; `None` when one is an expression.
        columns: Option<Vec<String>>,
        /// Every column its keys, expressions and predicate read; `None` when not known.
        reads: Option<Vec<String>>,
        unique: bool,
    },
    Sequence {
        /// The column it belongs to (serial, identity, OWNED BY), as (table, column).
        owned_by: Option<(String, String)>,
    },
}

impl Relation {
    /// What a user calls it.
    pub fn kind(&self) -> &'static str {
        match self {
            Relation::Table(_) => "table",
            Relation::View {
                materialized: false,
            } => "view",
            Relation::View { materialized: true } => "materialized view",
            Relation::Index { .. } => "index",
            Relation::Sequence { .. } => "sequence",
        }
    }
}

/// A type the migrations made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDef {
    Enum(Vec<String>),
    Composite,
    /// A domain over the base type.
    Domain(String),
    /// A range or base type: only its name is followed.
    Other,
}

/// Where an object was last created, dropped or renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `created`, `dropped`, `renamed to "x"`.
    pub what: String,
    pub version: i64,
    pub path: String,
    pub line: u32,
}

impl Event {
    pub fn describe(&self) -> String {
        format!(
            "{} by migration {} ({}:{})",
            self.what, self.version, self.path, self.line
        )
    }
}

/// The kinds of things events are kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Schema,
    Relation,
    Type,
    Function,
    Extension,
    /// A column, keyed `(schema, "table.column")`.
    Column,
    /// A constraint, keyed `(schema, "table.constraint")`.
    Constraint,
    /// A trigger, keyed `(schema, "table.trigger")`.
    Trigger,
}

/// The schema after some statements.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub schemas: BTreeSet<String>,
    pub relations: BTreeMap<Key, Relation>,
    pub types: BTreeMap<Key, TypeDef>,
    /// Functions and procedures by name: their argument lists as written (normalized), or
    /// `None` when which overloads exist is not known.
    pub functions: BTreeMap<Key, Option<BTreeSet<String>>>,
    pub extensions: BTreeSet<String>,
    /// Names (lower case, any schema, any kind) a statement the model does not follow may
    /// have made, changed or dropped: nothing is said about them.
    pub unknown: BTreeSet<String>,
    /// Prefixes (lower case) of names PostgreSQL may have derived from an unknown name: a
    /// table's `t_` for its keys', indexes' and sequences' chosen names.
    pub unknown_prefixes: BTreeSet<String>,
    /// Every constraint name any table had: a name not in it is free (the common case of
    /// choosing one, without a scan of every table).
    pub constraint_names_seen: BTreeSet<String>,
    /// What last happened to each object.
    pub events: BTreeMap<(Kind, Key), Event>,
    /// Where unqualified names go: the file's `search_path` (schemas in order).
    pub search_path: Vec<String>,
    /// False once a `search_path` or role change may reach later migrations (a session
    /// setting outlives the migration that made it when several run on one connection).
    pub path_certain: bool,
    /// Set when a statement may have made objects whose names it does not spell out
    /// (dynamic SQL): names never seen made are then never reported.
    pub dynamic: bool,
}

impl Model {
    /// The state before any migration: an empty database with schema `public`.
    pub fn empty() -> Self {
        Model {
            schemas: BTreeSet::from(["public".to_string()]),
            search_path: vec!["public".to_string()],
            path_certain: true,
            ..Model::default()
        }
    }

    /// Whether `name` may have been touched by something the model does not follow.
    pub fn is_unknown(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.unknown.contains(&name)
            || name
                .char_indices()
                .map(|(at, c)| at + c.len_utf8())
                .take(30)
                .any(|end| self.unknown_prefixes.contains(&name[..end]))
    }

    /// Marks `name` unknown, with the names PostgreSQL may derive from it.
    pub fn forget(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        // A long name is cut before PostgreSQL adds `_`: its first 28 characters then.
        let prefix = if name.chars().count() > 28 {
            name.chars().take(28).collect()
        } else {
            format!("{name}_")
        };
        self.unknown_prefixes.insert(prefix);
        self.unknown.insert(name);
    }

    /// The schemas an unqualified name may be in, in search order: the path, or every
    /// schema the model knows when the path is not certain.
    pub fn search_schemas(&self) -> Vec<String> {
        if self.path_certain {
            self.search_path.clone()
        } else {
            let mut all = self.search_path.clone();
            all.extend(self.schemas.iter().cloned());
            all.dedup();
            all
        }
    }

    /// Where an unqualified object is created: the first schema of the path.
    pub fn creation_schema(&self) -> String {
        self.search_path
            .first()
            .cloned()
            .unwrap_or_else(|| "public".to_string())
    }

    /// The relation `schema.name` (or the first of `name` along the search path).
    pub fn relation(&self, schema: Option<&str>, name: &str) -> Option<(Key, &Relation)> {
        self.find(&self.relations, schema, name)
    }

    pub fn type_def(&self, schema: Option<&str>, name: &str) -> Option<(Key, &TypeDef)> {
        self.find(&self.types, schema, name)
    }

    fn find<'m, V>(
        &self,
        map: &'m BTreeMap<Key, V>,
        schema: Option<&str>,
        name: &str,
    ) -> Option<(Key, &'m V)> {
        let schemas = match schema {
            Some(schema) => vec![schema.to_string()],
            None => self.search_schemas(),
        };
        schemas.into_iter().find_map(|schema| {
            let key = (schema, name.to_string());
            map.get(&key).map(|value| (key, value))
        })
    }

    /// The known table `key`, if its columns are known.
    pub fn table_mut(&mut self, key: &Key) -> Option<&mut Table> {
        match self.relations.get_mut(key) {
            Some(Relation::Table(Some(table))) => Some(table),
            _ => None,
        }
    }

    /// Drops relation `key` with what PostgreSQL drops along with it: a table's indexes,
    /// its owned sequences, and the foreign keys of other tables pointing at it (CASCADE;
    /// without it PostgreSQL refuses, and the migration never ran). Views that may depend on
    /// it become unknown when `cascade`. Returns every relation dropped, `key` first.
    pub fn drop_relation(&mut self, key: &Key, cascade: bool) -> Vec<(Key, Relation)> {
        let Some(dropped) = self.relations.remove(key) else {
            return Vec::new();
        };
        let mut removed = vec![(key.clone(), dropped.clone())];
        if let Relation::Table(_) | Relation::View { .. } = dropped {
            let (schema, name) = key;
            let dependents: Vec<Key> = self
                .relations
                .iter()
                .filter(|(k, relation)| {
                    &k.0 == schema
                        && match relation {
                            Relation::Index { table, .. } => table == name,
                            Relation::Sequence {
                                owned_by: Some((table, _)),
                            } => table == name,
                            _ => false,
                        }
                })
                .map(|(k, _)| k.clone())
                .collect();
            for dependent in dependents {
                if let Some(relation) = self.relations.remove(&dependent) {
                    removed.push((dependent, relation));
                }
            }
            for relation in self.relations.values_mut() {
                if let Relation::Table(Some(table)) = relation {
                    table.constraints.retain(|c| {
                        !matches!(&c.kind, ConstraintKind::ForeignKey { table, .. } if table == key)
                    });
                }
            }
            if cascade {
                self.forget_views();
            }
        }
        removed
    }

    /// Every view may depend on what a CASCADE dropped: each becomes unknown.
    pub fn forget_views(&mut self) {
        let views: Vec<String> = self
            .relations
            .iter()
            .filter(|(_, relation)| matches!(relation, Relation::View { .. }))
            .map(|((_, name), _)| name.clone())
            .collect();
        for view in views {
            self.forget(&view);
        }
    }

    /// The known table named `name` in whatever schema, when it is the only relation of that
    /// name and nothing about it is unknown: what the safety lints, which read tables by
    /// their bare names, may rely on.
    pub(crate) fn table_named(&self, name: &str) -> Option<&Table> {
        if self.is_unknown(name) {
            return None;
        }
        let mut found = self.relations.iter().filter(|((_, n), _)| n == name);
        match (found.next(), found.next()) {
            (Some((_, Relation::Table(Some(table)))), None) => Some(table),
            _ => None,
        }
    }

    /// The type of `table.column`, when the migrations show it for certain.
    pub(crate) fn column_type(&self, table: &str, column: &str) -> Option<&str> {
        self.table_named(table)?
            .column(column)
            .map(|c| c.ty.as_str())
    }

    /// Whether `table.column` is NOT NULL already: `None` when not known for certain.
    pub(crate) fn is_not_null(&self, table: &str, column: &str) -> Option<bool> {
        Some(self.table_named(table)?.column(column)?.not_null)
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` is on `table`: `None` when the table
    /// is not known for certain.
    pub(crate) fn has_validated_not_null_check(&self, table: &str, column: &str) -> Option<bool> {
        let table = self.table_named(table)?;
        Some(table.constraints.iter().any(|c| {
            c.kind == ConstraintKind::Check
                && c.validated
                && c.expression
                    .as_deref()
                    .is_some_and(|e| is_not_null_test(e, column))
        }))
    }

    /// Whether anything about `key`'s table is unknown.
    pub fn table_is_known(&self, key: &Key) -> bool {
        !self.is_unknown(&key.1)
            && matches!(self.relations.get(key), Some(Relation::Table(Some(_))))
    }

    /// What differs between `self` (before an UP) and `after` (after its DOWN), as
    /// "x is still there" / "x is missing"; only what the model follows.
    pub fn differences(&self, after: &Model) -> Vec<String> {
        let mut out = Vec::new();
        let describe = |key: &Key| {
            if key.0 == "public" {
                key.1.clone()
            } else {
                format!("{}.{}", key.0, key.1)
            }
        };
        // A table's indexes and sequences are said with it, not each.
        let belongs_to_new_table = |key: &Key, relation: &Relation| {
            let table = match relation {
                Relation::Index { table, .. } => table,
                Relation::Sequence {
                    owned_by: Some((table, _)),
                } => table,
                _ => return false,
            };
            let table = (key.0.clone(), table.clone());
            !self.relations.contains_key(&table) && after.relations.contains_key(&table)
        };
        for (key, relation) in &after.relations {
            match self.relations.get(key) {
                None if belongs_to_new_table(key, relation) => {}
                None => out.push(format!(
                    "{} `{}` is still there",
                    relation.kind(),
                    describe(key)
                )),
                Some(Relation::Table(Some(before))) => {
                    if let Relation::Table(Some(now)) = relation {
                        table_differences(&describe(key), before, now, &mut out);
                    }
                }
                Some(_) => {}
            }
        }
        for (key, relation) in &self.relations {
            if !after.relations.contains_key(key) {
                out.push(format!(
                    "{} `{}` is missing",
                    relation.kind(),
                    describe(key)
                ));
            }
        }
        for (key, _) in after
            .types
            .iter()
            .filter(|(k, _)| !self.types.contains_key(*k))
        {
            out.push(format!("type `{}` is still there", describe(key)));
        }
        for (key, _) in self
            .types
            .iter()
            .filter(|(k, _)| !after.types.contains_key(*k))
        {
            out.push(format!("type `{}` is missing", describe(key)));
        }
        for schema in after.schemas.difference(&self.schemas) {
            out.push(format!("schema `{schema}` is still there"));
        }
        for schema in self.schemas.difference(&after.schemas) {
            out.push(format!("schema `{schema}` is missing"));
        }
        out
    }
}

/// The column and constraint differences of one table between `before` and `now`.
fn table_differences(name: &str, before: &Table, now: &Table, out: &mut Vec<String>) {
    for column in &now.columns {
        match before.column(&column.name) {
            None => out.push(format!("column `{name}.{}` is still there", column.name)),
            Some(old) if old.ty != column.ty => out.push(format!(
                "column `{name}.{}` is {}, was {}",
                column.name, column.ty, old.ty
            )),
            Some(old) if old.not_null != column.not_null => out.push(format!(
                "column `{name}.{}` is {}, was {}",
                column.name,
                if column.not_null {
                    "NOT NULL"
                } else {
                    "nullable"
                },
                if old.not_null { "NOT NULL" } else { "nullable" },
            )),
            Some(_) => {}
        }
    }
    for column in &before.columns {
        if now.column(&column.name).is_none() {
            out.push(format!("column `{name}.{}` is missing", column.name));
        }
    }
    for constraint in &now.constraints {
        if before.constraint(&constraint.name).is_none() {
            out.push(format!("constraint `{}` is still there", constraint.name));
        }
    }
    for constraint in &before.constraints {
        if now.constraint(&constraint.name).is_none() {
            out.push(format!("constraint `{}` is missing", constraint.name));
        }
    }
    for trigger in now.triggers.difference(&before.triggers) {
        out.push(format!("trigger `{trigger}` on `{name}` is still there"));
    }
    for trigger in before.triggers.difference(&now.triggers) {
        out.push(format!("trigger `{trigger}` on `{name}` is missing"));
    }
}

/// Whether a CHECK's expression is exactly `column IS NOT NULL` (case, spacing and quotes
/// aside).
fn is_not_null_test(expression: &str, column: &str) -> bool {
    let words: Vec<String> = expression
        .split_whitespace()
        .map(|w| w.trim_matches('"').to_string())
        .collect();
    words.len() == 4
        && words[0] == column
        && words[1].eq_ignore_ascii_case("is")
        && words[2].eq_ignore_ascii_case("not")
        && words[3].eq_ignore_ascii_case("null")
}
