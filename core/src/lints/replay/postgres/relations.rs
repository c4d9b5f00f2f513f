//! Renaming a relation and moving it to another schema, with what belongs to it.

use super::model::{ConstraintKind, Key, Kind, Relation};
use super::replay::Replay;
use super::tables::identifier_at;
use crate::lints::safety_scope::Statement;

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
    replay.note(
        statement,
        Kind::Relation,
        key.clone(),
        format!("renamed to `{new}`"),
    );
    replay.note(statement, Kind::Relation, new_key, "created");
}

/// Points what belonged to table `old` (its indexes, sequences, other tables' foreign keys)
/// at `new`.
pub(crate) fn retarget(replay: &mut Replay, old: &Key, new: &Key) {
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
pub(crate) fn move_relation(replay: &mut Replay, statement: &Statement<'_>, key: &Key, at: usize) {
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
    replay.note(
        statement,
        Kind::Relation,
        key.clone(),
        format!("moved to schema `{}`", new_key.0),
    );
}
