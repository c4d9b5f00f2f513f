//! Functions, procedures and triggers.

use std::collections::BTreeSet;

use super::definitions::{is_open, matching};
use super::model::{Kind, Relation};
use super::names::qualified_at;
use super::replay::Replay;
use super::tables::{identifier_at, target_key};
use crate::lint_registry::Lint;
use crate::lints::safety_scope::Statement;

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
    replay.note(statement, Kind::Function, key.clone(), "created");
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

pub(crate) fn drop_trigger(
    replay: &mut Replay,
    statement: &Statement<'_>,
    at: usize,
    if_exists: bool,
) {
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
        replay.note(
            statement,
            Kind::Trigger,
            (key.0.clone(), format!("{}.{trigger}", key.1)),
            "dropped",
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

pub(crate) fn drop_functions(
    replay: &mut Replay,
    statement: &Statement<'_>,
    mut at: usize,
    if_exists: bool,
) {
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
                    replay.note(statement, Kind::Function, key, "dropped");
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
