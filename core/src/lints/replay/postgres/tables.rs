//! `CREATE TABLE` and `ALTER TABLE` over the model.

use super::columns::{add_column, alter_column, drop_column, has_column, rename_column};
use super::constraints::{add_constraint, drop_constraint, missing_constraint, rename_constraint};
use super::definitions::{
    ColumnDraft, ConstraintDraft, column_definition, is_open, matching, table_constraint,
};
use super::model::{ConstraintKind, Key, Kind, Relation, Table};
use super::names::{Name, qualified_at};
use super::relations::{move_relation, rename_relation};
use super::replay::{Lookup, Replay};
use crate::lints::safety_scope::{Statement, identifier, split_commas};

/// Where an unqualified name is created, or `None` when that is not certain (the name is
/// then forgotten).
pub(crate) fn target_key(replay: &mut Replay, name: &Name) -> Option<Key> {
    match &name.schema {
        Some(schema) => Some((schema.clone(), name.name.clone())),
        None if replay.model.path_certain => {
            Some((replay.model.creation_schema(), name.name.clone()))
        }
        None => {
            replay.forget(&name.name);
            None
        }
    }
}

/// Whether a new relation `key` (token `token`) collides with one that exists: reported
/// unless `if_not_exists`. True when the statement does nothing more.
pub(crate) fn relation_exists(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    token: usize,
    if_not_exists: bool,
) -> bool {
    if replay.model.is_unknown(&key.1) || replay.model.is_unknown(&key.0) {
        replay.forget(&key.1);
        return true;
    }
    if !replay.model.schemas.contains(&key.0) {
        // A schema no migration made (or one dropped: the statement fails either way).
        replay.forget(&key.1);
        return true;
    }
    if let Some(existing) = replay.model.relations.get(key) {
        if !if_not_exists {
            let what = format!("{} `{}`", existing.kind(), key.1);
            replay.duplicate(statement, token, what, Some((Kind::Relation, key.clone())));
        }
        return true;
    }
    // Tables and views have a row type of their name: a type of that name is in the way.
    if replay.model.types.contains_key(key) && !if_not_exists {
        replay.duplicate(
            statement,
            token,
            format!("type `{}`", key.1),
            Some((Kind::Type, key.clone())),
        );
        return true;
    }
    false
}

/// `CREATE [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] name ...`.
pub(crate) fn create_table(replay: &mut Replay, statement: &Statement<'_>) {
    let mut i = statement.skip(1, &[&["GLOBAL"], &["LOCAL"]]);
    let temporary = matches!(statement.word(i), Some("TEMP" | "TEMPORARY"));
    i = statement.skip(i, &[&["TEMP"], &["TEMPORARY"], &["UNLOGGED"]]);
    let if_not_exists = statement.words_at(i + 1, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]);
    let Some((name, next)) = qualified_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    if temporary {
        // In the session's own schema, gone when it ends.
        replay.forget(&name.name);
        return;
    }
    let Some(key) = target_key(replay, &name) else {
        return;
    };
    if relation_exists(replay, statement, &key, name.token, if_not_exists) {
        return;
    }
    replay.note(statement, Kind::Relation, key.clone(), "created");
    // Columns from elsewhere (AS, OF type, PARTITION OF, INHERITS, LIKE): the table exists,
    // its columns are not known.
    let close = is_open(statement, next)
        .then(|| matching(statement, next))
        .flatten();
    let inherits = close.is_some_and(|close| {
        (close + 1..statement.tokens.len()).any(|t| statement.word(t) == Some("INHERITS"))
    });
    let (Some(close), false) = (close, inherits) else {
        unknown_table(replay, key);
        return;
    };
    let mut columns: Vec<ColumnDraft> = Vec::new();
    let mut constraints: Vec<ConstraintDraft> = Vec::new();
    for element in split_commas(statement, next + 1..close) {
        let first = statement.word(element.start);
        if first == Some("LIKE") {
            unknown_table(replay, key);
            return;
        }
        if matches!(
            first,
            Some("CONSTRAINT" | "CHECK" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "EXCLUDE")
        ) {
            match table_constraint(statement, element) {
                Some(draft) => constraints.push(draft),
                None => {
                    unknown_table(replay, key);
                    return;
                }
            }
            continue;
        }
        match column_definition(statement, element) {
            Some(column) => {
                if columns.iter().any(|c| c.column.name == column.column.name) {
                    let what = format!("column `{}` of table `{}`", column.column.name, key.1);
                    replay.duplicate(statement, column.token, what, None);
                    unknown_table(replay, key);
                    return;
                }
                columns.push(column);
            }
            None => {
                unknown_table(replay, key);
                return;
            }
        }
    }
    replay
        .model
        .relations
        .insert(key.clone(), Relation::Table(Some(Table::default())));
    for column in &columns {
        add_column(replay, statement, &key, column);
    }
    // PostgreSQL names checks first, then the primary key's index, then the other keys'.
    let mut all: Vec<ConstraintDraft> = columns
        .iter()
        .flat_map(|c| c.constraints.iter().cloned())
        .chain(constraints)
        .collect();
    all.sort_by_key(|draft| match draft.kind {
        ConstraintKind::Check => 0,
        ConstraintKind::PrimaryKey => 1,
        ConstraintKind::Unique | ConstraintKind::Exclude => 2,
        ConstraintKind::ForeignKey { .. } => 3,
    });
    // PostgreSQL keeps one index for keys of the same columns (`PRIMARY KEY UNIQUE`): the
    // first, with the later one's name if it had none.
    let mut kept: Vec<ConstraintDraft> = Vec::new();
    for draft in all {
        let keyed = matches!(
            draft.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique
        ) && draft.using_index.is_none();
        let prior = kept.iter_mut().find(|prior| {
            keyed
                && matches!(
                    prior.kind,
                    ConstraintKind::PrimaryKey | ConstraintKind::Unique
                )
                && prior.using_index.is_none()
                && prior.columns == draft.columns
        });
        match prior {
            Some(prior) => {
                if prior.name.is_none() {
                    prior.name = draft.name;
                }
            }
            None => kept.push(draft),
        }
    }
    for draft in &kept {
        add_constraint(replay, statement, &key, draft);
    }
}

/// The table `key` exists, its columns unknown; names derived from it may be anything.
fn unknown_table(replay: &mut Replay, key: Key) {
    replay.forget(&key.1);
    replay.model.relations.insert(key, Relation::Table(None));
    replay.inexact += 1;
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name action, ...`.
pub(crate) fn alter_table(replay: &mut Replay, statement: &Statement<'_>) {
    let if_exists = statement.words_at(2, &["IF", "EXISTS"]);
    let i = statement.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
    let Some((name, mut next)) = qualified_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    if statement.tokens.get(next).map(|t| t.text) == Some("*") {
        next += 1;
    }
    let key = match replay.find_relation(&name) {
        Lookup::Found(key) => key,
        Lookup::Missing => {
            if !if_exists {
                replay.missing_relation(statement, &name, "table");
            }
            return;
        }
        Lookup::Unsure => {
            replay.opaque(statement);
            return;
        }
    };
    if !replay.model.table_is_known(&key) {
        // A view, an index, a sequence, or a table whose columns are not known: only its
        // name is followed.
        if statement.words_at(next, &["RENAME", "TO"]) {
            rename_relation(replay, statement, &key, next + 2);
        } else if statement.words_at(next, &["SET", "SCHEMA"]) {
            move_relation(replay, statement, &key, next + 2);
        } else {
            replay.opaque(statement);
        }
        return;
    }
    for action in split_commas(statement, next..statement.tokens.len()) {
        if !alter_action(replay, statement, &key, action.clone()) {
            // Not followed: the table's columns are no longer known.
            replay.opaque(statement);
            if replay.model.relations.contains_key(&key) {
                replay
                    .model
                    .relations
                    .insert(key.clone(), Relation::Table(None));
            }
            return;
        }
        if replay.failed_statement {
            return;
        }
    }
}

/// One action of an ALTER TABLE on the known table `key`; false when it is not followed.
fn alter_action(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    action: std::ops::Range<usize>,
) -> bool {
    let s = action.start;
    let word = |k: usize| statement.word(s + k);
    match word(0) {
        Some("ADD") => {
            let j = statement.skip(s + 1, &[&["COLUMN"]]);
            let constraint_words = matches!(
                statement.word(j),
                Some("CONSTRAINT" | "CHECK" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "EXCLUDE")
            );
            if constraint_words && word(1) != Some("COLUMN") {
                let Some(draft) = table_constraint(statement, j..action.end) else {
                    return false;
                };
                add_constraint(replay, statement, key, &draft);
                return true;
            }
            let if_not_exists = statement.words_at(j, &["IF", "NOT", "EXISTS"]);
            let j = statement.skip(j, &[&["IF", "NOT", "EXISTS"]]);
            let Some(draft) = column_definition(statement, j..action.end) else {
                return false;
            };
            let exists = matches!(
                replay.model.relations.get(key),
                Some(Relation::Table(Some(t))) if t.column(&draft.column.name).is_some()
            );
            if exists {
                if !if_not_exists {
                    let what = format!("column `{}` of table `{}`", draft.column.name, key.1);
                    replay.duplicate(statement, draft.token, what, None);
                }
                return true;
            }
            add_column(replay, statement, key, &draft);
            for constraint in &draft.constraints {
                add_constraint(replay, statement, key, constraint);
            }
            true
        }
        Some("DROP") if word(1) == Some("CONSTRAINT") => {
            let if_exists = statement.words_at(s + 2, &["IF", "EXISTS"]);
            let j = statement.skip(s + 2, &[&["IF", "EXISTS"]]);
            let Some((name, token)) = identifier_at(statement, j) else {
                return false;
            };
            drop_constraint(replay, statement, key, &name, token, if_exists);
            true
        }
        Some("DROP") => {
            let j = statement.skip(s + 1, &[&["COLUMN"]]);
            let if_exists = statement.words_at(j, &["IF", "EXISTS"]);
            let j = statement.skip(j, &[&["IF", "EXISTS"]]);
            let Some((column, token)) = identifier_at(statement, j) else {
                return false;
            };
            let cascade = statement.word(j + 1) == Some("CASCADE");
            if !has_column(replay, key, &column) {
                if !if_exists {
                    replay.missing_column(statement, key, &column, token);
                }
                return true;
            }
            drop_column(replay, statement, key, &column, cascade);
            true
        }
        // Deferrability only.
        Some("ALTER") if word(1) == Some("CONSTRAINT") => true,
        Some("ALTER") => {
            let j = statement.skip(s + 1, &[&["COLUMN"]]);
            let Some((column, token)) = identifier_at(statement, j) else {
                return false;
            };
            if !has_column(replay, key, &column) {
                replay.missing_column(statement, key, &column, token);
                return true;
            }
            alter_column(replay, statement, key, &column, j + 1..action.end)
        }
        Some("VALIDATE") if word(1) == Some("CONSTRAINT") => {
            let Some((name, token)) = identifier_at(statement, s + 2) else {
                return false;
            };
            let Some(table) = replay.model.table_mut(key) else {
                return false;
            };
            match table.constraints.iter_mut().find(|c| c.name == name) {
                Some(found) => found.validated = true,
                None => missing_constraint(replay, statement, key, &name, token),
            }
            true
        }
        Some("RENAME") if word(1) == Some("TO") => {
            rename_relation(replay, statement, key, s + 2);
            true
        }
        Some("RENAME") if word(1) == Some("CONSTRAINT") => {
            let (Some((old, token)), Some((new, new_token))) = (
                identifier_at(statement, s + 2),
                identifier_at(statement, s + 4),
            ) else {
                return false;
            };
            rename_constraint(replay, statement, key, (&old, token), (&new, new_token));
            true
        }
        Some("RENAME") => {
            let j = statement.skip(s + 1, &[&["COLUMN"]]);
            let (Some((old, token)), true, Some((new, new_token))) = (
                identifier_at(statement, j),
                statement.word(j + 1) == Some("TO"),
                identifier_at(statement, j + 2),
            ) else {
                return false;
            };
            rename_column(replay, statement, key, (&old, token), (&new, new_token));
            true
        }
        Some("SET") if word(1) == Some("SCHEMA") => {
            move_relation(replay, statement, key, s + 2);
            true
        }
        // Owners, storage, row security, replica identity, clustering, triggers' states,
        // constraint deferrability: no column, constraint or name changes.
        Some("OWNER" | "CLUSTER" | "REPLICA" | "ENABLE" | "DISABLE" | "FORCE") => true,
        Some("NO") if word(1) == Some("FORCE") => true,
        Some("SET")
            if matches!(
                word(1),
                Some("TABLESPACE" | "LOGGED" | "UNLOGGED" | "WITHOUT" | "ACCESS")
            ) || is_open(statement, s + 1) =>
        {
            true
        }
        Some("RESET") => true,
        _ => false,
    }
}

/// The identifier at `i`, with its token.
pub(crate) fn identifier_at(statement: &Statement<'_>, i: usize) -> Option<(String, usize)> {
    identifier(statement.tokens.get(i)?).map(|name| (name, i))
}
