//! `CREATE TABLE` and `ALTER TABLE` over the model.

use std::collections::BTreeSet;

use super::definitions::{
    ColumnDraft, ConstraintDraft, check_columns, column_definition, constraint, expression_end,
    is_open, matching, table_constraint, text_of,
};
use super::model::{ConstraintKind, Key, Kind, Relation, Table};
use super::names::{
    Name, choose_constraint_name, choose_relation_name, columns_part, qualified_at,
};
use super::replay::{Lookup, Replay};
use crate::lints::pg_types::type_text;
use crate::lints::safety_scope::{Statement, identifier, new_type_tokens, split_commas};

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
    let event = Replay::event(statement, "created");
    replay.note(Kind::Relation, key.clone(), event);
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

/// Adds a column (not there yet) to the known table `key`, with its serial or identity
/// sequence; its constraints are the caller's.
fn add_column(replay: &mut Replay, statement: &Statement<'_>, key: &Key, draft: &ColumnDraft) {
    let _ = statement;
    let mut column = draft.column.clone();
    if draft.serial || column.generated == Some("identity") {
        let sequence = choose_relation_name(
            &replay.model,
            &key.0,
            &key.1,
            Some(&column.name),
            "seq",
            false,
            &BTreeSet::new(),
        );
        match sequence {
            Some(sequence) => {
                if draft.serial {
                    let shown = if key.0 == "public" {
                        sequence.clone()
                    } else {
                        format!("{}.{sequence}", key.0)
                    };
                    column.default = Some(format!("nextval('{shown}'::regclass)"));
                }
                replay.model.relations.insert(
                    (key.0.clone(), sequence),
                    Relation::Sequence {
                        owned_by: Some((key.1.clone(), column.name.clone())),
                    },
                );
            }
            None => replay.forget(&key.1),
        }
    }
    if let Some(table) = replay.model.table_mut(key) {
        table.columns.push(column);
    }
}

/// Adds a constraint to the known table `key`: checks what it names, chooses its name when
/// it has none, makes the index of a key.
fn add_constraint(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    draft: &ConstraintDraft,
) {
    // What the table says, read before anything changes.
    let (missing, primary, check_read, name_taken) = {
        let Some(Relation::Table(Some(table))) = replay.model.relations.get(key) else {
            return;
        };
        let missing = draft
            .columns
            .iter()
            .zip(&draft.column_tokens)
            .find(|(column, _)| table.column(column).is_none())
            .map(|(column, token)| (column.clone(), *token));
        let primary = table
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.name.clone())
            .filter(|_| draft.kind == ConstraintKind::PrimaryKey);
        let check_read = draft
            .expression
            .as_ref()
            .map(|expression| check_columns(statement, expression, &table.columns));
        let name_taken = draft
            .name
            .as_ref()
            .is_some_and(|name| table.constraint(name).is_some());
        (missing, primary, check_read, name_taken)
    };
    // What it constrains must be columns of the table.
    if let Some((column, token)) = missing {
        replay.missing_column(statement, key, &column, token);
        return;
    }
    if let Some(primary) = primary {
        let message = format!("primary key of table `{}` (`{primary}`)", key.1);
        replay.duplicate(statement, draft.token, message, None);
        return;
    }
    // A foreign key's table and columns.
    let mut references = None;
    if let Some(target) = &draft.references {
        let own = target.name == key.1 && target.schema.as_ref().is_none_or(|s| *s == key.0);
        let found = if own {
            Lookup::Found(key.clone())
        } else {
            replay.find_relation(target)
        };
        match found {
            Lookup::Found(target_key) => {
                if let ConstraintKind::ForeignKey { columns, .. } = &draft.kind
                    && replay.model.table_is_known(&target_key)
                {
                    for (column, token) in columns.iter().zip(&draft.referenced_column_tokens) {
                        let present = match replay.model.relations.get(&target_key) {
                            Some(Relation::Table(Some(t))) => t.column(column).is_some(),
                            _ => true,
                        };
                        if !present {
                            replay.missing_column(statement, &target_key, column, *token);
                            return;
                        }
                    }
                }
                references = Some(target_key);
            }
            Lookup::Missing => {
                replay.missing_relation(statement, target, "table");
                return;
            }
            Lookup::Unsure => references = Some(("".into(), target.name.clone())),
        }
    }
    // A key taking over an existing index (`USING INDEX i`): the index is renamed.
    let mut columns = draft.columns.clone();
    if let Some(index) = &draft.using_index {
        match replay.find_relation(index) {
            Lookup::Found(index_key) => match replay.model.relations.get(&index_key) {
                Some(Relation::Index {
                    columns: Some(indexed),
                    ..
                }) => {
                    columns = indexed.clone();
                    replay.model.relations.remove(&index_key);
                }
                _ => {
                    replay.forget(&key.1);
                    return;
                }
            },
            Lookup::Missing => {
                replay.missing_relation(statement, index, "index");
                return;
            }
            Lookup::Unsure => {
                replay.forget(&key.1);
                return;
            }
        }
    }
    let name = match &draft.name {
        Some(name) => {
            if name_taken {
                let what = format!("constraint `{name}` of table `{}`", key.1);
                replay.duplicate(statement, draft.token, what, None);
                return;
            }
            if draft.kind.has_index()
                && replay
                    .model
                    .relations
                    .contains_key(&(key.0.clone(), name.clone()))
            {
                let what = format!("relation `{name}`");
                let origin = Some((Kind::Relation, (key.0.clone(), name.clone())));
                replay.duplicate(statement, draft.token, what, origin);
                return;
            }
            Some(name.clone())
        }
        None => {
            let none = BTreeSet::new();
            let model = &replay.model;
            match &draft.kind {
                ConstraintKind::PrimaryKey => {
                    choose_relation_name(model, &key.0, &key.1, None, "pkey", true, &none)
                }
                ConstraintKind::Unique => {
                    let part = columns_part(&columns);
                    choose_relation_name(model, &key.0, &key.1, part.as_deref(), "key", true, &none)
                }
                ConstraintKind::Exclude => {
                    let part = columns_part(&columns);
                    choose_relation_name(
                        model,
                        &key.0,
                        &key.1,
                        part.as_deref(),
                        "excl",
                        true,
                        &none,
                    )
                }
                ConstraintKind::ForeignKey { .. } => {
                    let part = columns_part(&columns);
                    choose_constraint_name(model, &key.0, &key.1, part.as_deref(), "fkey", &none)
                }
                ConstraintKind::Check => {
                    let read = check_read.clone().unwrap_or_default();
                    let column = (read.len() == 1).then(|| read[0].clone());
                    choose_constraint_name(model, &key.0, &key.1, column.as_deref(), "check", &none)
                }
            }
        }
    };
    let Some(name) = name else {
        replay.forget(&key.1);
        return;
    };
    let mut made = constraint(draft, name.clone(), references);
    made.expression = draft
        .expression
        .as_ref()
        .map(|expression| text_of(statement, expression.clone()));
    made.columns = match check_read {
        Some(read) => read,
        None => columns.clone(),
    };
    let is_primary = made.kind == ConstraintKind::PrimaryKey;
    let indexed = made.kind.has_index();
    if let Some(table) = replay.model.table_mut(key) {
        if is_primary {
            for column in table.columns.iter_mut() {
                if columns.contains(&column.name) {
                    column.not_null = true;
                }
            }
        }
        table.constraints.push(made);
        replay.model.constraint_names_seen.insert(name.clone());
    }
    if indexed {
        let event = Replay::event(statement, "created");
        replay.note(Kind::Relation, (key.0.clone(), name.clone()), event);
        replay.model.relations.insert(
            (key.0.clone(), name),
            Relation::Index {
                table: key.1.clone(),
                reads: Some(columns.clone()),
                columns: Some(columns),
                unique: true,
            },
        );
    }
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

fn has_column(replay: &Replay, key: &Key, column: &str) -> bool {
    matches!(
        replay.model.relations.get(key),
        Some(Relation::Table(Some(t))) if t.column(column).is_some()
    )
}

/// `ALTER COLUMN c ...` on a column that exists; false when not followed.
fn alter_column(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    column: &str,
    rest: std::ops::Range<usize>,
) -> bool {
    let k = rest.start;
    let new_type =
        new_type_tokens(statement, k, rest.end).and_then(|tokens| type_text(statement, tokens));
    let typed = statement.word(statement.skip(k, &[&["SET", "DATA"]])) == Some("TYPE");
    let Some(table) = replay.model.table_mut(key) else {
        return false;
    };
    let Some(target) = table.column_mut(column) else {
        return false;
    };
    if typed {
        match new_type {
            Some(ty) => target.ty = ty,
            None => return false,
        }
        return true;
    }
    if statement.words_at(k, &["SET", "NOT", "NULL"]) {
        target.not_null = true;
    } else if statement.words_at(k, &["DROP", "NOT", "NULL"]) {
        target.not_null = false;
    } else if statement.words_at(k, &["SET", "DEFAULT"]) {
        target.default = Some(text_of(
            statement,
            k + 2..expression_end(statement, k + 2, rest.end),
        ));
    } else if statement.words_at(k, &["DROP", "DEFAULT"]) {
        target.default = None;
    } else if statement.words_at(k, &["DROP", "EXPRESSION"]) {
        target.generated = None;
    } else if statement.words_at(k, &["ADD", "GENERATED"])
        || statement.words_at(k, &["DROP", "IDENTITY"])
    {
        // The identity's sequence comes or goes: its name is PostgreSQL's choice.
        replay.forget(&key.1);
    } else if !matches!(statement.word(k), Some("SET" | "RESET" | "RESTART")) {
        return false;
    }
    true
}

/// Drops a column that exists, with the indexes and constraints on it.
fn drop_column(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    column: &str,
    cascade: bool,
) {
    let event = Replay::event(statement, "dropped");
    replay.note(
        Kind::Column,
        (key.0.clone(), format!("{}.{column}", key.1)),
        event,
    );
    let mut dropped_constraints = Vec::new();
    if let Some(table) = replay.model.table_mut(key) {
        table.columns.retain(|c| c.name != column);
        table.constraints.retain(|c| {
            let on_it = c.columns.iter().any(|c| c == column);
            if on_it {
                dropped_constraints.push(c.name.clone());
            }
            !on_it
        });
    }
    let schema = key.0.clone();
    let table_name = key.1.clone();
    let mut forgotten = Vec::new();
    replay.model.relations.retain(|(s, name), relation| {
        if *s != schema {
            return true;
        }
        match relation {
            Relation::Index { table, reads, .. } if *table == table_name => match reads {
                Some(reads) => !reads.iter().any(|c| c == column),
                // An expression may read the column: the index may be gone.
                None => {
                    forgotten.push(name.clone());
                    true
                }
            },
            Relation::Sequence {
                owned_by: Some((table, owner)),
            } => !(*table == table_name && owner == column),
            _ => true,
        }
    });
    for name in forgotten {
        replay.forget(&name);
    }
    // Other tables' foreign keys to it go with CASCADE (without, PostgreSQL refuses).
    if cascade {
        for relation in replay.model.relations.values_mut() {
            if let Relation::Table(Some(table)) = relation {
                table.constraints.retain(|c| {
                    !matches!(&c.kind, ConstraintKind::ForeignKey { table, columns }
                        if table == key && columns.iter().any(|c| c == column))
                });
            }
        }
        replay.model.forget_views();
    }
    for name in dropped_constraints {
        replay
            .model
            .relations
            .remove(&(key.0.clone(), name.clone()));
    }
}

/// `DROP CONSTRAINT name` on the known table `key`.
fn drop_constraint(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    name: &str,
    token: usize,
    if_exists: bool,
) {
    let Some(table) = replay.model.table_mut(key) else {
        return;
    };
    let Some(at) = table.constraints.iter().position(|c| c.name == name) else {
        if !if_exists {
            missing_constraint(replay, statement, key, name, token);
        }
        return;
    };
    let dropped = table.constraints.remove(at);
    if dropped.kind.has_index() {
        replay
            .model
            .relations
            .remove(&(key.0.clone(), name.to_string()));
    }
    let event = Replay::event(statement, "dropped");
    replay.note(
        Kind::Constraint,
        (key.0.clone(), format!("{}.{name}", key.1)),
        event,
    );
}

/// Reports a constraint `name` the known table `key` does not have, saying what the name is
/// instead.
fn missing_constraint(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    name: &str,
    token: usize,
) {
    let index = replay
        .model
        .relations
        .get(&(key.0.clone(), name.to_string()))
        .cloned();
    let detail = match index {
        Some(Relation::Index { table, .. }) => {
            format!(": `{name}` is an index (on `{table}`), not a constraint; DROP INDEX drops it")
        }
        _ => {
            let event_key = (key.0.clone(), format!("{}.{name}", key.1));
            match replay.model.events.get(&(Kind::Constraint, event_key)) {
                Some(event) => format!(": it was {}", event.describe()),
                None => {
                    let names: Vec<String> = match replay.model.relations.get(key) {
                        Some(Relation::Table(Some(t))) => {
                            t.constraints.iter().map(|c| c.name.clone()).collect()
                        }
                        _ => Vec::new(),
                    };
                    match crate::lints::replay::closest(name, &names) {
                        Some(near) => format!(" (did you mean `{near}`?)"),
                        None if names.is_empty() => " (it has none)".to_string(),
                        None => format!(" (its constraints: {})", names.join(", ")),
                    }
                }
            }
        }
    };
    replay.report(
        statement,
        token,
        crate::lint_registry::Lint::UndefinedObject,
        format!(
            "constraint `{name}` of table `{}` does not exist{detail}",
            key.1
        ),
        false,
    );
}

fn rename_constraint(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    (old, token): (&str, usize),
    (new, new_token): (&str, usize),
) {
    let Some(table) = replay.model.table_mut(key) else {
        return;
    };
    if table.constraint(new).is_some() {
        let what = format!("constraint `{new}` of table `{}`", key.1);
        replay.duplicate(statement, new_token, what, None);
        return;
    }
    let Some(found) = table.constraints.iter_mut().find(|c| c.name == old) else {
        missing_constraint(replay, statement, key, old, token);
        return;
    };
    found.name = new.to_string();
    let indexed = found.kind.has_index();
    replay.model.constraint_names_seen.insert(new.to_string());
    if indexed
        && let Some(index) = replay
            .model
            .relations
            .remove(&(key.0.clone(), old.to_string()))
    {
        replay
            .model
            .relations
            .insert((key.0.clone(), new.to_string()), index);
    }
    let event = Replay::event(statement, format!("renamed to `{new}`"));
    replay.note(
        Kind::Constraint,
        (key.0.clone(), format!("{}.{old}", key.1)),
        event,
    );
}

fn rename_column(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    (old, token): (&str, usize),
    (new, new_token): (&str, usize),
) {
    if !has_column(replay, key, old) {
        replay.missing_column(statement, key, old, token);
        return;
    }
    if has_column(replay, key, new) {
        let what = format!("column `{new}` of table `{}`", key.1);
        replay.duplicate(statement, new_token, what, None);
        return;
    }
    let rename = |names: &mut Vec<String>| {
        for name in names.iter_mut() {
            if name == old {
                *name = new.to_string();
            }
        }
    };
    if let Some(table) = replay.model.table_mut(key) {
        if let Some(column) = table.column_mut(old) {
            column.name = new.to_string();
        }
        for constraint in table.constraints.iter_mut() {
            rename(&mut constraint.columns);
        }
    }
    for ((schema, _), relation) in replay.model.relations.iter_mut() {
        match relation {
            Relation::Index {
                table,
                columns,
                reads,
                ..
            } if *schema == key.0 && *table == key.1 => {
                for list in [columns, reads].into_iter().flatten() {
                    rename(list);
                }
            }
            Relation::Sequence {
                owned_by: Some((table, column)),
            } if *schema == key.0 && *table == key.1 && column == old => *column = new.to_string(),
            Relation::Table(Some(other)) => {
                for constraint in other.constraints.iter_mut() {
                    if let ConstraintKind::ForeignKey { table, columns } = &mut constraint.kind
                        && table == key
                    {
                        rename(columns);
                    }
                }
            }
            _ => {}
        }
    }
    let event = Replay::event(statement, format!("renamed to `{new}`"));
    replay.note(
        Kind::Column,
        (key.0.clone(), format!("{}.{old}", key.1)),
        event,
    );
}

/// `RENAME TO new` (token `at`) of any relation.
pub(crate) fn rename_relation(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    at: usize,
) {
    let Some((new, token)) = identifier_at(statement, at) else {
        replay.opaque(statement);
        return;
    };
    let new_key = (key.0.clone(), new.clone());
    if replay.model.is_unknown(&new) {
        replay.forget(&key.1);
        return;
    }
    if let Some(existing) = replay.model.relations.get(&new_key) {
        let what = format!("{} `{new}`", existing.kind());
        replay.duplicate(statement, token, what, Some((Kind::Relation, new_key)));
        return;
    }
    let Some(relation) = replay.model.relations.remove(key) else {
        return;
    };
    let is_table = matches!(relation, Relation::Table(_) | Relation::View { .. });
    // A key's index and its constraint share a name: renaming one renames the other.
    let owner = match &relation {
        Relation::Index { table, .. } => Some((key.0.clone(), table.clone())),
        _ => None,
    };
    replay.model.relations.insert(new_key.clone(), relation);
    if is_table {
        retarget(replay, key, &new_key);
    }
    if let Some(owner) = owner
        && let Some(table) = replay.model.table_mut(&owner)
        && let Some(constraint) = table.constraints.iter_mut().find(|c| c.name == key.1)
    {
        constraint.name = new.clone();
        replay.model.constraint_names_seen.insert(new.clone());
    }
    let renamed = Replay::event(statement, format!("renamed to `{new}`"));
    replay.note(Kind::Relation, key.clone(), renamed);
    let created = Replay::event(statement, "created");
    replay.note(Kind::Relation, new_key, created);
}

/// Points what belonged to table `old` (its indexes, sequences, other tables' foreign keys)
/// at `new`.
fn retarget(replay: &mut Replay, old: &Key, new: &Key) {
    let mut moved = Vec::new();
    for ((schema, name), relation) in replay.model.relations.iter_mut() {
        match relation {
            Relation::Index { table, .. } if *schema == old.0 && *table == old.1 => {
                *table = new.1.clone();
                if schema != &new.0 {
                    moved.push((schema.clone(), name.clone()));
                }
            }
            Relation::Sequence {
                owned_by: Some((table, _)),
            } if *schema == old.0 && *table == old.1 => {
                *table = new.1.clone();
                if schema != &new.0 {
                    moved.push((schema.clone(), name.clone()));
                }
            }
            Relation::Table(Some(other)) => {
                for constraint in other.constraints.iter_mut() {
                    if let ConstraintKind::ForeignKey { table, .. } = &mut constraint.kind
                        && table == old
                    {
                        *table = new.clone();
                    }
                }
            }
            _ => {}
        }
    }
    // SET SCHEMA moves a table's indexes and owned sequences with it.
    for key in moved {
        if let Some(relation) = replay.model.relations.remove(&key) {
            replay
                .model
                .relations
                .insert((new.0.clone(), key.1), relation);
        }
    }
}

/// `SET SCHEMA s` (token `at`) of any relation.
fn move_relation(replay: &mut Replay, statement: &Statement<'_>, key: &Key, at: usize) {
    let Some((schema, token)) = identifier_at(statement, at) else {
        replay.opaque(statement);
        return;
    };
    if !replay.model.schemas.contains(&schema) || replay.model.is_unknown(&schema) {
        replay.forget(&key.1);
        return;
    }
    let new_key = (schema, key.1.clone());
    if let Some(existing) = replay.model.relations.get(&new_key) {
        let what = format!("{} `{}.{}`", existing.kind(), new_key.0, new_key.1);
        replay.duplicate(statement, token, what, Some((Kind::Relation, new_key)));
        return;
    }
    let Some(relation) = replay.model.relations.remove(key) else {
        return;
    };
    let is_table = matches!(relation, Relation::Table(_) | Relation::View { .. });
    replay.model.relations.insert(new_key.clone(), relation);
    if is_table {
        retarget(replay, key, &new_key);
    }
    let moved = Replay::event(statement, format!("moved to schema `{}`", new_key.0));
    replay.note(Kind::Relation, key.clone(), moved);
}
