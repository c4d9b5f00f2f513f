//! Columns of a known table: added (with a serial's or identity's sequence), altered,
//! dropped (with the indexes and constraints on them), renamed.

use std::collections::BTreeSet;

use super::definitions::{ColumnDraft, expression_end, text_of};
use super::model::{ConstraintKind, Key, Kind, Relation};
use super::names::choose_relation_name;
use super::replay::Replay;
use crate::lints::pg_types::type_text;
use crate::lints::safety_scope::{Statement, new_type_tokens};

/// Adds a column (not there yet) to the known table `key`, with its serial or identity
/// sequence; its constraints are the caller's.
pub(crate) fn add_column(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    draft: &ColumnDraft,
) {
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

pub(crate) fn has_column(replay: &Replay, key: &Key, column: &str) -> bool {
    matches!(
        replay.model.relations.get(key),
        Some(Relation::Table(Some(t))) if t.column(column).is_some()
    )
}

/// `ALTER COLUMN c ...` on a column that exists; false when not followed.
pub(crate) fn alter_column(
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
pub(crate) fn drop_column(
    replay: &mut Replay,
    statement: &Statement<'_>,
    key: &Key,
    column: &str,
    cascade: bool,
) {
    replay.note(
        statement,
        Kind::Column,
        (key.0.clone(), format!("{}.{column}", key.1)),
        "dropped",
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

pub(crate) fn rename_column(
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
    replay.note(
        statement,
        Kind::Column,
        (key.0.clone(), format!("{}.{old}", key.1)),
        format!("renamed to `{new}`"),
    );
}
