//! Relations other than tables (indexes, sequences, views) and DROP of every kind the
//! model follows.

use std::collections::BTreeSet;

use super::definitions::{is_open, matching};
use super::model::{Kind, Relation};
use super::names::{Name, choose_relation_name, columns_part, qualified_at, qualified_list};
use super::namespaces::drop_named;
use super::relations::rename_relation;
use super::replay::{Lookup, Replay, shown_name};
use super::routines::{drop_functions, drop_trigger};
use super::tables::{identifier_at, relation_exists, target_key};
use super::types::forget_tables_using;
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
    replay.add_relation(
        statement,
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
    replay.add_relation(statement, key, Relation::Sequence { owned_by });
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
    replay.add_relation(statement, key, Relation::View { materialized });
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
                        replay.note(statement, Kind::Type, key.clone(), "dropped");
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
    for (dropped, _) in removed {
        replay.note(statement, Kind::Relation, dropped, "dropped");
    }
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
