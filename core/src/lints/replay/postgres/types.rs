//! Types: enums (with their labels), composites, domains; ALTER TYPE; what a dropped
//! type takes with it.

use super::definitions::{is_open, matching};
use super::model::{Key, Kind, Relation, TypeDef};
use super::names::qualified_at;
use super::replay::{Lookup, Replay};
use super::tables::{identifier_at, target_key};
use crate::lint_registry::Lint;
use crate::lints::safety_scope::{Statement, split_commas};

/// `CREATE TYPE name AS ENUM (...) | AS (...) | AS RANGE (...) | (...)` and `CREATE
/// DOMAIN name [AS] type`.
pub(crate) fn create_type(replay: &mut Replay, statement: &Statement<'_>, domain: bool) {
    let Some((name, next)) = qualified_at(statement, 2) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = target_key(replay, &name) else {
        return;
    };
    if replay.model.is_unknown(&key.1) || !replay.model.schemas.contains(&key.0) {
        replay.forget(&key.1);
        return;
    }
    let row_type = matches!(
        replay.model.relations.get(&key),
        Some(Relation::Table(_) | Relation::View { .. })
    );
    if replay.model.types.contains_key(&key) || row_type {
        let origin = if row_type {
            (Kind::Relation, key.clone())
        } else {
            (Kind::Type, key.clone())
        };
        replay.duplicate(
            statement,
            name.token,
            format!("type `{}`", key.1),
            Some(origin),
        );
        return;
    }
    let definition = if domain {
        let at = statement.skip(next, &[&["AS"]]);
        TypeDef::Domain(
            statement
                .tokens
                .get(at)
                .map(|t| t.text.to_ascii_lowercase())
                .unwrap_or_default(),
        )
    } else if statement.words_at(next, &["AS", "ENUM"]) {
        let open = next + 2;
        let Some(close) = is_open(statement, open)
            .then(|| matching(statement, open))
            .flatten()
        else {
            replay.opaque(statement);
            return;
        };
        let labels = split_commas(statement, open + 1..close)
            .into_iter()
            .filter_map(|part| string_value(statement.tokens.get(part.start)?.text))
            .collect();
        TypeDef::Enum(labels)
    } else if statement.word(next) == Some("AS") && is_open(statement, next + 1) {
        TypeDef::Composite
    } else {
        TypeDef::Other
    };
    replay.note(statement, Kind::Type, key.clone(), "created");
    replay.model.types.insert(key, definition);
}

/// A string literal's value (`'a''b'` is `a'b`); `None` for anything else.
pub(crate) fn string_value(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// `ALTER TYPE name ADD VALUE | RENAME VALUE | RENAME TO | ...`.
pub(crate) fn alter_type(replay: &mut Replay, statement: &Statement<'_>) {
    let Some((name, next)) = qualified_at(statement, 2) else {
        replay.opaque(statement);
        return;
    };
    let key = match replay.find_type(&name) {
        Lookup::Found(key) => key,
        Lookup::Missing => {
            replay.missing_other(statement, Kind::Type, &name, "type");
            return;
        }
        Lookup::Unsure => {
            replay.opaque(statement);
            return;
        }
    };
    if statement.words_at(next, &["ADD", "VALUE"]) {
        let if_not_exists = statement.words_at(next + 2, &["IF", "NOT", "EXISTS"]);
        let at = statement.skip(next + 2, &[&["IF", "NOT", "EXISTS"]]);
        let Some(label) = statement.tokens.get(at).and_then(|t| string_value(t.text)) else {
            return;
        };
        let neighbour = matches!(statement.word(at + 1), Some("BEFORE" | "AFTER"))
            .then(|| {
                statement
                    .tokens
                    .get(at + 2)
                    .and_then(|t| string_value(t.text))
            })
            .flatten();
        let Some(TypeDef::Enum(labels)) = replay.model.types.get(&key).cloned() else {
            return;
        };
        if labels.contains(&label) {
            if !if_not_exists {
                let what = format!("label '{label}' of enum `{}`", key.1);
                replay.duplicate(statement, at, what, None);
            }
            return;
        }
        let position = match &neighbour {
            Some(other) => match labels.iter().position(|l| l == other) {
                Some(p) if statement.word(at + 1) == Some("BEFORE") => p,
                Some(p) => p + 1,
                None => {
                    let message = format!(
                        "'{other}' is not a label of enum `{}` (its labels: {})",
                        key.1,
                        labels.join(", ")
                    );
                    replay.report(statement, at + 2, Lint::UndefinedObject, message, false);
                    return;
                }
            },
            None => labels.len(),
        };
        if let Some(TypeDef::Enum(labels)) = replay.model.types.get_mut(&key) {
            labels.insert(position, label);
        }
    } else if statement.words_at(next, &["RENAME", "VALUE"]) {
        let (Some(old), Some(new)) = (
            statement
                .tokens
                .get(next + 2)
                .and_then(|t| string_value(t.text)),
            statement
                .tokens
                .get(next + 4)
                .and_then(|t| string_value(t.text)),
        ) else {
            return;
        };
        if let Some(TypeDef::Enum(labels)) = replay.model.types.get_mut(&key) {
            match labels.iter().position(|l| *l == old) {
                Some(p) => labels[p] = new,
                None => {
                    let message = format!("'{old}' is not a label of enum `{}`", key.1);
                    replay.report(statement, next + 2, Lint::UndefinedObject, message, false);
                }
            }
        }
    } else if statement.words_at(next, &["RENAME", "TO"]) {
        let Some((new, token)) = identifier_at(statement, next + 2) else {
            return;
        };
        let new_key = (key.0.clone(), new.clone());
        if replay.model.types.contains_key(&new_key) {
            replay.duplicate(
                statement,
                token,
                format!("type `{new}`"),
                Some((Kind::Type, new_key)),
            );
            return;
        }
        if let Some(definition) = replay.model.types.remove(&key) {
            replay.model.types.insert(new_key.clone(), definition);
        }
        replay.note(
            statement,
            Kind::Type,
            key.clone(),
            format!("renamed to `{new}`"),
        );
        rename_column_types(replay, &key, &new_key);
    } else if matches!(
        statement.word(next),
        Some("OWNER" | "ADD" | "DROP" | "ALTER" | "RENAME" | "SET")
    ) {
        // Attributes of a composite type, owners, schemas: the type's name stays, or the
        // model stops following it.
        if !matches!(statement.word(next), Some("OWNER")) {
            replay.opaque(statement);
        }
    } else {
        replay.opaque(statement);
    }
}

/// Columns typed `old` are typed `new` after a type's rename.
pub(crate) fn rename_column_types(replay: &mut Replay, old: &Key, new: &Key) {
    for relation in replay.model.relations.values_mut() {
        if let Relation::Table(Some(table)) = relation {
            for column in table.columns.iter_mut() {
                let plain = column.ty.trim_end_matches("[]");
                let qualified = format!("{}.{}", old.0, old.1);
                if plain == old.1 || plain == qualified {
                    let suffix = &column.ty[plain.len()..];
                    column.ty = format!("{}{suffix}", new.1);
                }
            }
        }
    }
}

/// Tables with a column of the dropped type `key` lose it (CASCADE): they become unknown.
pub(crate) fn forget_tables_using(replay: &mut Replay, key: &Key) {
    let using: Vec<Key> = replay
        .model
        .relations
        .iter()
        .filter(|(_, relation)| {
            matches!(relation, Relation::Table(Some(t))
                if t.columns.iter().any(|c| c.ty.trim_end_matches("[]") == key.1))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for table in using {
        replay.forget(&table.1);
        replay.model.relations.insert(table, Relation::Table(None));
    }
}
