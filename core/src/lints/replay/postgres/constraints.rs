//! Constraints of a known table: added (checked, named as PostgreSQL names them, with a
//! key's index), dropped, renamed; and what to say when one is not there.

use std::collections::BTreeSet;

use super::definitions::{ConstraintDraft, check_columns, constraint, text_of};
use super::model::{ConstraintKind, Key, Kind, Relation};
use super::names::{choose_constraint_name, choose_relation_name, columns_part};
use super::replay::{Lookup, Replay};
use crate::lints::safety_scope::Statement;

/// Adds a constraint to the known table `key`: checks what it names, chooses its name when
/// it has none, makes the index of a key.
pub(crate) fn add_constraint(
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
        replay.add_relation(
            statement,
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

/// `DROP CONSTRAINT name` on the known table `key`.
pub(crate) fn drop_constraint(
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
    replay.note(
        statement,
        Kind::Constraint,
        (key.0.clone(), format!("{}.{name}", key.1)),
        "dropped",
    );
}

/// Reports a constraint `name` the known table `key` does not have, saying what the name is
/// instead.
pub(crate) fn missing_constraint(
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
            let names: Vec<String> = match replay.model.relations.get(key) {
                Some(Relation::Table(Some(t))) => {
                    t.constraints.iter().map(|c| c.name.clone()).collect()
                }
                _ => Vec::new(),
            };
            let wording = ("it has none", "its constraints");
            replay.absent_detail(Kind::Constraint, key, name, &names, wording)
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

pub(crate) fn rename_constraint(
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
    replay.note(
        statement,
        Kind::Constraint,
        (key.0.clone(), format!("{}.{old}", key.1)),
        format!("renamed to `{new}`"),
    );
}
