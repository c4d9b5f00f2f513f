//! Everything but tables: indexes, sequences, views, types, functions, triggers,
//! extensions and schemas, and the DROP of each.

use std::collections::BTreeSet;

use super::definitions::{is_open, matching};
use super::model::{Key, Kind, Relation, TypeDef};
use super::names::{Name, choose_relation_name, columns_part, qualified_at, qualified_list};
use super::replay::{Lookup, Replay, shown_name};
use super::tables::{identifier_at, relation_exists, rename_relation, target_key};
use crate::lint_registry::Lint;
use crate::lints::safety_scope::{Statement, identifier, split_commas};

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table ...`;
/// `i` is the token after INDEX.
pub(crate) fn create_index(replay: &mut Replay, statement: &Statement<'_>, unique: bool, i: usize) {
    let i = statement.skip(i, &[&["CONCURRENTLY"]]);
    let if_not_exists = statement.words_at(i, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(i, &[&["IF", "NOT", "EXISTS"]]);
    let (index_name, on) = if statement.word(i) == Some("ON") {
        (None, i)
    } else {
        match identifier_at(statement, i) {
            Some((name, token)) => (Some((name, token)), i + 1),
            None => {
                replay.opaque(statement);
                return;
            }
        }
    };
    if statement.word(on) != Some("ON") {
        replay.opaque(statement);
        return;
    }
    let at = statement.skip(on + 1, &[&["ONLY"]]);
    let Some((table, next)) = qualified_at(statement, at) else {
        replay.opaque(statement);
        return;
    };
    let key = match replay.find_relation(&table) {
        Lookup::Found(key) => key,
        Lookup::Missing => {
            replay.missing_relation(statement, &table, "table");
            return;
        }
        Lookup::Unsure => {
            if let Some((name, _)) = index_name {
                replay.forget(&name);
            }
            replay.inexact += 1;
            return;
        }
    };
    // The key columns: `( a, lower(b), c DESC )` after an optional USING method.
    let open = statement.skip(next, &[]);
    let open = if statement.word(open) == Some("USING") {
        open + 2
    } else {
        open
    };
    let mut columns: Option<Vec<String>> = Some(Vec::new());
    if is_open(statement, open)
        && let Some(close) = matching(statement, open)
    {
        for part in split_commas(statement, open + 1..close) {
            let name = statement.tokens.get(part.start).and_then(identifier);
            let plain = name.is_some()
                && (part.start + 1..part.end).all(|t| {
                    statement.tokens[t].word.is_some() || statement.tokens[t].text.starts_with('"')
                });
            match (name, plain, columns.as_mut()) {
                (Some(name), true, Some(list)) => {
                    if replay.model.table_is_known(&key) {
                        let present = matches!(
                            replay.model.relations.get(&key),
                            Some(Relation::Table(Some(t))) if t.column(&name).is_some()
                        );
                        if !present {
                            replay.missing_column(statement, &key, &name, part.start);
                            return;
                        }
                    }
                    list.push(name);
                }
                _ => columns = None,
            }
        }
    } else {
        columns = None;
    }
    let name = match index_name {
        Some((name, token)) => {
            let index_key = (key.0.clone(), name);
            if relation_exists(replay, statement, &index_key, token, if_not_exists) {
                return;
            }
            index_key.1
        }
        None => {
            // PostgreSQL names it after the columns; an expression's part is its own
            // choice (a function's name, `expr`), not followed.
            let chosen = columns.as_ref().and_then(|columns| {
                choose_relation_name(
                    &replay.model,
                    &key.0,
                    &key.1,
                    columns_part(columns).as_deref(),
                    "idx",
                    false,
                    &BTreeSet::new(),
                )
            });
            match chosen {
                Some(name) => name,
                None => {
                    replay.forget(&key.1);
                    return;
                }
            }
        }
    };
    // Every column it reads (keys, expressions, a partial index's WHERE): dropping one of
    // them drops the index.
    let reads = match replay.model.relations.get(&key) {
        Some(Relation::Table(Some(table))) if replay.model.table_is_known(&key) => Some(
            (open..statement.tokens.len())
                .filter_map(|t| identifier(&statement.tokens[t]))
                .filter(|name| table.column(name).is_some())
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect(),
        ),
        _ => None,
    };
    let index_key = (key.0.clone(), name);
    let event = Replay::event(statement, "created");
    replay.note(Kind::Relation, index_key.clone(), event);
    replay.model.relations.insert(
        index_key,
        Relation::Index {
            table: key.1.clone(),
            columns,
            reads,
            unique,
        },
    );
}

/// `CREATE SEQUENCE [IF NOT EXISTS] name ...`; `i`: the token after SEQUENCE.
pub(crate) fn create_sequence(replay: &mut Replay, statement: &Statement<'_>, i: usize) {
    let if_not_exists = statement.words_at(i, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(i, &[&["IF", "NOT", "EXISTS"]]);
    let Some((name, _)) = qualified_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = target_key(replay, &name) else {
        return;
    };
    if relation_exists(replay, statement, &key, name.token, if_not_exists) {
        return;
    }
    // OWNED BY t.c ties it to a column: followed by name only.
    let owned_by = (i..statement.tokens.len())
        .find(|&t| statement.words_at(t, &["OWNED", "BY"]))
        .and_then(|t| {
            let (owner, _) = qualified_at(statement, t + 2)?;
            let table = owner.schema?;
            Some((table, owner.name))
        });
    let event = Replay::event(statement, "created");
    replay.note(Kind::Relation, key.clone(), event);
    replay
        .model
        .relations
        .insert(key, Relation::Sequence { owned_by });
}

/// `CREATE [OR REPLACE] [MATERIALIZED] VIEW [IF NOT EXISTS] name ...`.
pub(crate) fn create_view(
    replay: &mut Replay,
    statement: &Statement<'_>,
    i: usize,
    materialized: bool,
    or_replace: bool,
) {
    let if_not_exists = statement.words_at(i, &["IF", "NOT", "EXISTS"]);
    let i = statement.skip(i, &[&["IF", "NOT", "EXISTS"]]);
    let Some((name, _)) = qualified_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = target_key(replay, &name) else {
        return;
    };
    if or_replace && let Some(Relation::View { .. }) = replay.model.relations.get(&key) {
        return;
    }
    if relation_exists(replay, statement, &key, name.token, if_not_exists) {
        return;
    }
    let event = Replay::event(statement, "created");
    replay.note(Kind::Relation, key.clone(), event);
    replay
        .model
        .relations
        .insert(key, Relation::View { materialized });
}

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
    let event = Replay::event(statement, "created");
    replay.note(Kind::Type, key.clone(), event);
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
        let event = Replay::event(statement, format!("renamed to `{new}`"));
        replay.note(Kind::Type, key.clone(), event);
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
fn rename_column_types(replay: &mut Replay, old: &Key, new: &Key) {
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

/// `CREATE [OR REPLACE] FUNCTION | PROCEDURE name (args) ...`; `i`: the token of the name.
pub(crate) fn create_function(replay: &mut Replay, statement: &Statement<'_>, i: usize) {
    let Some((name, next)) = qualified_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = target_key(replay, &name) else {
        return;
    };
    let signature = match is_open(statement, next)
        .then(|| matching(statement, next))
        .flatten()
    {
        Some(close) => statement.tokens[next + 1..close]
            .iter()
            .map(|t| t.text.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
        None => String::new(),
    };
    let event = Replay::event(statement, "created");
    replay.note(Kind::Function, key.clone(), event);
    replay
        .bodies
        .insert(key.1.clone(), statement.text().to_ascii_lowercase());
    // Overloads known: one more. Not known: still not.
    if let Some(signatures) = replay
        .model
        .functions
        .entry(key)
        .or_insert_with(|| Some(BTreeSet::new()))
    {
        signatures.insert(signature);
    }
}

/// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name ... ON table ... EXECUTE FUNCTION f()`.
pub(crate) fn create_trigger(
    replay: &mut Replay,
    statement: &Statement<'_>,
    i: usize,
    or_replace: bool,
) {
    let Some((trigger, token)) = identifier_at(statement, i) else {
        replay.opaque(statement);
        return;
    };
    let Some(on) = (i..statement.tokens.len()).find(|&t| statement.word(t) == Some("ON")) else {
        replay.opaque(statement);
        return;
    };
    let Some((table, _)) = qualified_at(statement, on + 1) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = replay.existing_relation(statement, &table, "table", false) else {
        return;
    };
    // The function it runs.
    if let Some(execute) =
        (on..statement.tokens.len()).find(|&t| statement.word(t) == Some("EXECUTE"))
        && let Some((function, _)) = qualified_at(statement, execute + 2)
        && !replay.model.is_unknown(&function.name)
    {
        let exists = replay
            .model
            .search_schemas()
            .into_iter()
            .chain(function.schema.clone())
            .any(|schema| {
                replay
                    .model
                    .functions
                    .contains_key(&(schema, function.name.clone()))
            });
        if !exists {
            replay.missing_other(statement, Kind::Function, &function, "function");
            if replay.failed_statement {
                return;
            }
        }
    }
    let Some(Relation::Table(Some(found))) = replay.model.relations.get_mut(&key) else {
        return;
    };
    if found.triggers.contains(&trigger) {
        if !or_replace {
            let what = format!("trigger `{trigger}` on table `{}`", key.1);
            replay.duplicate(statement, token, what, None);
        }
        return;
    }
    found.triggers.insert(trigger);
}

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
fn create_named(
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
    let event = Replay::event(statement, "created");
    replay.note(kind, key, event);
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

/// `DROP kind [IF EXISTS] names [CASCADE | RESTRICT]` for every kind the model follows;
/// false for other kinds.
pub(crate) fn drop(replay: &mut Replay, statement: &Statement<'_>) -> bool {
    let (kind, at) = match (statement.word(1), statement.word(2)) {
        (Some("MATERIALIZED"), Some("VIEW")) => ("materialized view", 3),
        (Some("TABLE"), _) => ("table", 2),
        (Some("VIEW"), _) => ("view", 2),
        (Some("INDEX"), _) => ("index", 2),
        (Some("SEQUENCE"), _) => ("sequence", 2),
        (Some("TYPE" | "DOMAIN"), _) => ("type", 2),
        (Some("FUNCTION" | "PROCEDURE" | "ROUTINE"), _) => ("function", 2),
        (Some("TRIGGER"), _) => ("trigger", 2),
        (Some("EXTENSION"), _) => ("extension", 2),
        (Some("SCHEMA"), _) => ("schema", 2),
        _ => return false,
    };
    let at = statement.skip(at, &[&["CONCURRENTLY"]]);
    let if_exists = statement.words_at(at, &["IF", "EXISTS"]);
    let at = statement.skip(at, &[&["IF", "EXISTS"]]);
    let cascade = (at..statement.tokens.len()).any(|t| statement.word(t) == Some("CASCADE"));
    match kind {
        "trigger" => drop_trigger(replay, statement, at, if_exists),
        "function" => drop_functions(replay, statement, at, if_exists),
        "extension" | "schema" => drop_named(replay, statement, kind, at, if_exists),
        "type" => {
            let (names, _) = qualified_list(statement, at);
            for name in names {
                match replay.find_type(&name) {
                    Lookup::Found(key) => {
                        replay.model.types.remove(&key);
                        let event = Replay::event(statement, "dropped");
                        replay.note(Kind::Type, key.clone(), event);
                        if cascade {
                            forget_tables_using(replay, &key);
                        }
                    }
                    Lookup::Missing if !if_exists => {
                        replay.missing_other(statement, Kind::Type, &name, "type")
                    }
                    _ => {}
                }
                if replay.failed_statement {
                    break;
                }
            }
        }
        _ => {
            let (names, _) = qualified_list(statement, at);
            for name in names {
                drop_relation(replay, statement, &name, kind, if_exists, cascade);
                if replay.failed_statement {
                    break;
                }
            }
        }
    }
    true
}

/// Drops one relation of `kind`.
fn drop_relation(
    replay: &mut Replay,
    statement: &Statement<'_>,
    name: &Name,
    kind: &str,
    if_exists: bool,
    cascade: bool,
) {
    let Some(key) = replay.existing_relation(statement, name, kind, if_exists) else {
        return;
    };
    let Some(existing) = replay.model.relations.get(&key).cloned() else {
        return;
    };
    if existing.kind() != kind {
        let message = format!(
            "`{}` is a {}, not a {kind}: DROP {} drops it",
            shown_name(name),
            existing.kind(),
            existing.kind().to_ascii_uppercase()
        );
        replay.report(statement, name.token, Lint::UndefinedObject, message, false);
        return;
    }
    if let Relation::Index { table, .. } = &existing {
        let owner = (key.0.clone(), table.clone());
        let constraint = match replay.model.relations.get(&owner) {
            Some(Relation::Table(Some(t))) => t.constraint(&key.1).is_some(),
            Some(Relation::Table(None)) => true,
            _ => false,
        };
        if constraint {
            // PostgreSQL refuses to drop a key's index; the model leaves it to the server.
            replay.forget(&key.1);
            return;
        }
    }
    let removed = replay.model.drop_relation(&key, cascade);
    let event = Replay::event(statement, "dropped");
    for (dropped, _) in removed {
        replay.note(Kind::Relation, dropped, event.clone());
    }
}

/// Tables with a column of the dropped type `key` lose it (CASCADE): they become unknown.
fn forget_tables_using(replay: &mut Replay, key: &Key) {
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

fn drop_trigger(replay: &mut Replay, statement: &Statement<'_>, at: usize, if_exists: bool) {
    let Some((trigger, token)) = identifier_at(statement, at) else {
        return;
    };
    if statement.word(at + 1) != Some("ON") {
        return;
    }
    let Some((table, _)) = qualified_at(statement, at + 2) else {
        return;
    };
    let Some(key) = replay.existing_relation(statement, &table, "table", if_exists) else {
        return;
    };
    if !replay.model.table_is_known(&key) {
        return;
    }
    let Some(Relation::Table(Some(found))) = replay.model.relations.get_mut(&key) else {
        return;
    };
    if found.triggers.remove(&trigger) {
        let event = Replay::event(statement, "dropped");
        replay.note(
            Kind::Trigger,
            (key.0.clone(), format!("{}.{trigger}", key.1)),
            event,
        );
    } else if !if_exists {
        let event_key = (key.0.clone(), format!("{}.{trigger}", key.1));
        let detail = match replay.model.events.get(&(Kind::Trigger, event_key)) {
            Some(event) => format!(": it was {}", event.describe()),
            None => String::new(),
        };
        let message = format!(
            "trigger `{trigger}` on table `{}` does not exist{detail}",
            key.1
        );
        replay.report(statement, token, Lint::UndefinedObject, message, false);
    }
}

fn drop_functions(replay: &mut Replay, statement: &Statement<'_>, mut at: usize, if_exists: bool) {
    loop {
        let Some((name, next)) = qualified_at(statement, at) else {
            return;
        };
        let after = if is_open(statement, next) {
            matching(statement, next).map_or(next, |close| close + 1)
        } else {
            next
        };
        let found = replay
            .model
            .search_schemas()
            .into_iter()
            .map(|schema| (name.schema.clone().unwrap_or(schema), name.name.clone()))
            .find(|key| replay.model.functions.contains_key(key));
        match found {
            Some(key) => {
                // One overload known: it is the one dropped. Several: which is not followed.
                let single =
                    matches!(replay.model.functions.get(&key), Some(Some(s)) if s.len() == 1);
                if single || !is_open(statement, next) {
                    replay.model.functions.remove(&key);
                    let event = Replay::event(statement, "dropped");
                    replay.note(Kind::Function, key, event);
                } else {
                    replay.model.functions.insert(key, None);
                }
            }
            None if !if_exists && !replay.model.is_unknown(&name.name) => {
                replay.missing_other(statement, Kind::Function, &name, "function");
                if replay.failed_statement {
                    return;
                }
            }
            None => {}
        }
        if statement.tokens.get(after).map(|t| t.text) != Some(",") {
            return;
        }
        at = after + 1;
    }
}

fn drop_named(
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
            let event = Replay::event(statement, "dropped");
            replay.note(event_kind, event_key, event);
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
fn drop_schema_objects(replay: &mut Replay, schema: &str) {
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

/// `ALTER INDEX | SEQUENCE | VIEW | MATERIALIZED VIEW [IF EXISTS] name RENAME TO new`;
/// other changes keep the name.
pub(crate) fn alter_relation(
    replay: &mut Replay,
    statement: &Statement<'_>,
    at: usize,
    kind: &str,
) {
    let if_exists = statement.words_at(at, &["IF", "EXISTS"]);
    let at = statement.skip(at, &[&["IF", "EXISTS"]]);
    let Some((name, next)) = qualified_at(statement, at) else {
        replay.opaque(statement);
        return;
    };
    let Some(key) = replay.existing_relation(statement, &name, kind, if_exists) else {
        return;
    };
    if statement.words_at(next, &["RENAME", "TO"]) {
        rename_relation(replay, statement, &key, next + 2);
    } else if statement.words_at(next, &["OWNED", "BY"]) {
        let owner = qualified_at(statement, next + 2)
            .and_then(|(owner, _)| Some((owner.schema?, owner.name)));
        if let Some(Relation::Sequence { owned_by }) = replay.model.relations.get_mut(&key) {
            *owned_by = owner;
        }
    } else if matches!(
        statement.word(next),
        Some("RENAME" | "SET" | "ATTACH" | "DEPENDS" | "NO")
    ) && !statement.words_at(next, &["SET", "TABLESPACE"])
        && !statement.words_at(next, &["SET", "STATISTICS"])
        && !is_open(statement, next + 1)
    {
        replay.opaque(statement);
    }
}

/// `ALTER FUNCTION | PROCEDURE name [(args)] RENAME TO new`; other changes keep the name.
pub(crate) fn alter_function(replay: &mut Replay, statement: &Statement<'_>) {
    let Some((name, next)) = qualified_at(statement, 2) else {
        return;
    };
    let after = if is_open(statement, next) {
        matching(statement, next).map_or(next, |close| close + 1)
    } else {
        next
    };
    if statement.words_at(after, &["RENAME", "TO"]) || statement.words_at(after, &["SET", "SCHEMA"])
    {
        replay.forget(&name.name);
        if let Some((new, _)) = identifier_at(statement, after + 2) {
            replay.forget(&new);
        }
        replay.inexact += 1;
    }
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
