//! Schemas and extensions.

use std::collections::BTreeSet;

use super::model::{Kind, Relation};
use super::names::Name;
use super::replay::Replay;
use super::tables::identifier_at;
use crate::lint_registry::Lint;
use crate::lints::safety_scope::Statement;

/// `CREATE EXTENSION [IF NOT EXISTS] name ...`.
pub(crate) fn create_extension(replay: &mut Replay, statement: &Statement<'_>) {
    let if_not_exists = statement.words_at(2, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(2, &[&["IF", "NOT", "EXISTS"]]);
    let Some((name, token)) = identifier_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    let named = (name, token, if_not_exists);
    create_named(replay, statement, Kind::Extension, named, |m| {
        &mut m.extensions
    });
}

/// A schema or an extension (`set` holds those that exist) named at `token`: reported when
/// it exists (unless IF NOT EXISTS), else recorded. Whether it was made.
pub(crate) fn create_named(
    replay: &mut Replay,
    statement: &Statement<'_>,
    kind: Kind,
    (name, token, if_not_exists): (String, usize, bool),
    set: fn(&mut super::model::Model) -> &mut BTreeSet<String>,
) -> bool {
    let key = (String::new(), name.clone());
    if set(&mut replay.model).contains(&name) {
        if !if_not_exists {
            let what = match kind {
                Kind::Schema => format!("schema `{name}`"),
                _ => format!("extension `{name}`"),
            };
            replay.duplicate(statement, token, what, Some((kind, key)));
        }
        return false;
    }
    replay.note(statement, kind, key, "created");
    set(&mut replay.model).insert(name);
    true
}

/// `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role] [elements]`.
pub(crate) fn create_schema(replay: &mut Replay, statement: &Statement<'_>) {
    let if_not_exists = statement.words_at(2, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(2, &[&["IF", "NOT", "EXISTS"]]);
    let (name, token) = if statement.word(i) == Some("AUTHORIZATION") {
        match identifier_at(statement, i + 1) {
            Some(found) => found,
            None => return replay.opaque(statement),
        }
    } else {
        match identifier_at(statement, i) {
            Some(found) => found,
            None => return replay.opaque(statement),
        }
    };
    // Elements after the name (CREATE TABLE ... inside): not followed.
    let elements = (token + 1..statement.tokens.len())
        .any(|t| matches!(statement.word(t), Some("CREATE" | "GRANT")));
    if replay.model.is_unknown(&name) {
        return;
    }
    let named = (name, token, if_not_exists);
    if create_named(replay, statement, Kind::Schema, named, |m| &mut m.schemas) && elements {
        replay.opaque(statement);
    }
}

pub(crate) fn drop_named(
    replay: &mut Replay,
    statement: &Statement<'_>,
    kind: &str,
    mut at: usize,
    if_exists: bool,
) {
    while let Some((name, token)) = identifier_at(statement, at) {
        let event_key = (String::new(), name.clone());
        let present = if kind == "schema" {
            replay.model.schemas.contains(&name)
        } else {
            replay.model.extensions.contains(&name)
        };
        let event_kind = if kind == "schema" {
            Kind::Schema
        } else {
            Kind::Extension
        };
        if present {
            if kind == "schema" {
                replay.model.schemas.remove(&name);
                drop_schema_objects(replay, &name);
            } else {
                replay.model.extensions.remove(&name);
            }
            replay.note(statement, event_kind, event_key, "dropped");
        } else if !if_exists && !replay.model.is_unknown(&name) {
            let missing = Name {
                schema: None,
                name: name.clone(),
                token,
            };
            if let Some(event) = replay.model.events.get(&(event_kind, event_key)).cloned()
                && event.what != "created"
            {
                let message = format!(
                    "{kind} `{}` does not exist: it was {}",
                    missing.name,
                    event.describe()
                );
                replay.report(statement, token, Lint::UndefinedObject, message, false);
                return;
            }
        }
        if statement.tokens.get(token + 1).map(|t| t.text) != Some(",") {
            return;
        }
        at = token + 2;
    }
}

/// Everything in schema `schema` goes with it.
pub(crate) fn drop_schema_objects(replay: &mut Replay, schema: &str) {
    replay.model.relations.retain(|(s, _), _| s != schema);
    replay.model.types.retain(|(s, _), _| s != schema);
    replay.model.functions.retain(|(s, _), _| s != schema);
    // Foreign keys of other schemas' tables into it went with CASCADE.
    for relation in replay.model.relations.values_mut() {
        if let Relation::Table(Some(table)) = relation {
            table.constraints.retain(|c| {
                !matches!(&c.kind, super::model::ConstraintKind::ForeignKey { table, .. } if table.0 == schema)
            });
        }
    }
    replay.model.forget_views();
}

/// `ALTER SCHEMA name RENAME TO new`.
pub(crate) fn alter_schema(replay: &mut Replay, statement: &Statement<'_>) {
    let Some((name, _)) = identifier_at(statement, 2) else {
        return;
    };
    if statement.words_at(3, &["RENAME", "TO"]) {
        // Everything in it moves; followed as unknown.
        replay.forget(&name);
        if let Some((new, _)) = identifier_at(statement, 5) {
            replay.forget(&new);
            replay.model.schemas.insert(new);
        }
        replay.inexact += 1;
    }
}
