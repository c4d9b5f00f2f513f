//! Statements that only name objects: INSERT, UPDATE, DELETE, TRUNCATE and COMMENT ON.
//! Each name must exist; nothing changes.

use super::definitions::{is_open, matching};
use super::model::{Key, Relation};
use super::names::{Name, qualified_at, qualified_list};
use super::replay::{Lookup, Replay};
use crate::lints::safety_scope::{Statement, identifier, split_commas};

/// The table `name`, reported when missing; `None` unless it exists.
fn table(replay: &mut Replay, statement: &Statement<'_>, name: &Name) -> Option<Key> {
    replay.existing_relation(statement, name, "table", false)
}

/// Checks that each (column, token) is a column of `key` when its columns are known.
fn columns(replay: &mut Replay, statement: &Statement<'_>, key: &Key, names: &[(String, usize)]) {
    if !replay.model.table_is_known(key) {
        return;
    }
    for (column, token) in names {
        let present = matches!(
            replay.model.relations.get(key),
            Some(Relation::Table(Some(t))) if t.column(column).is_some()
        );
        if !present {
            replay.missing_column(statement, key, column, *token);
            return;
        }
    }
}

/// `INSERT INTO name [AS alias] [(columns)] ...`.
pub(crate) fn insert(replay: &mut Replay, statement: &Statement<'_>) {
    if statement.word(1) != Some("INTO") {
        return;
    }
    let Some((name, mut next)) = qualified_at(statement, 2) else {
        return;
    };
    let Some(key) = table(replay, statement, &name) else {
        return;
    };
    if statement.word(next) == Some("AS") {
        next += 2;
    }
    if !is_open(statement, next)
        || matches!(
            statement.word(next + 1),
            Some("SELECT" | "WITH" | "VALUES" | "TABLE")
        )
    {
        return;
    }
    let Some(close) = matching(statement, next) else {
        return;
    };
    let mut listed = Vec::new();
    for part in split_commas(statement, next + 1..close) {
        match statement.tokens.get(part.start).and_then(identifier) {
            Some(column) => listed.push((column, part.start)),
            None => return,
        }
    }
    columns(replay, statement, &key, &listed);
}

/// `UPDATE [ONLY] name [*] [[AS] alias] SET column = ..., (a, b) = ... [FROM | WHERE ...]`.
pub(crate) fn update(replay: &mut Replay, statement: &Statement<'_>) {
    let at = statement.skip(1, &[&["ONLY"]]);
    let Some((name, _)) = qualified_at(statement, at) else {
        return;
    };
    let Some(key) = table(replay, statement, &name) else {
        return;
    };
    // SET at depth 0 after the name (and an alias).
    let mut depth = 0usize;
    let mut set = None;
    for t in name.token + 1..statement.tokens.len() {
        match statement.tokens[t].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0 && statement.word(t) == Some("SET") => {
                set = Some(t);
                break;
            }
            _ => {}
        }
    }
    let Some(set) = set else {
        return;
    };
    let mut end = statement.tokens.len();
    let mut depth = 0usize;
    for t in set + 1..statement.tokens.len() {
        match statement.tokens[t].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0
                && matches!(statement.word(t), Some("FROM" | "WHERE" | "RETURNING")) =>
            {
                end = t;
                break;
            }
            _ => {}
        }
    }
    let mut targets = Vec::new();
    for assignment in split_commas(statement, set + 1..end) {
        let first = assignment.start;
        if is_open(statement, first) {
            // (a, b) = (...)
            let Some(close) = matching(statement, first) else {
                return;
            };
            for part in split_commas(statement, first + 1..close) {
                match statement.tokens.get(part.start).and_then(identifier) {
                    Some(column) => targets.push((column, part.start)),
                    None => return,
                }
            }
        } else {
            // `col = ...`, `col[1] = ...`; `col.field = ...` names a composite's field.
            match statement.tokens.get(first).and_then(identifier) {
                Some(column) => targets.push((column, first)),
                None => return,
            }
        }
    }
    columns(replay, statement, &key, &targets);
}

/// `DELETE FROM [ONLY] name ...`.
pub(crate) fn delete(replay: &mut Replay, statement: &Statement<'_>) {
    if statement.word(1) != Some("FROM") {
        return;
    }
    let at = statement.skip(2, &[&["ONLY"]]);
    if let Some((name, _)) = qualified_at(statement, at) {
        table(replay, statement, &name);
    }
}

/// `TRUNCATE [TABLE] [ONLY] names ...`.
pub(crate) fn truncate(replay: &mut Replay, statement: &Statement<'_>) {
    let at = statement.skip(1, &[&["TABLE"], &["ONLY"]]);
    let (names, _) = qualified_list(statement, at);
    for name in names {
        if table(replay, statement, &name).is_none() && replay.failed_statement {
            return;
        }
    }
}

/// `COMMENT ON TABLE | VIEW | INDEX | SEQUENCE | COLUMN name IS ...`.
pub(crate) fn comment(replay: &mut Replay, statement: &Statement<'_>) {
    let (kind, at) = match (statement.word(2), statement.word(3)) {
        (Some("MATERIALIZED"), Some("VIEW")) => ("materialized view", 4),
        (Some("TABLE"), _) => ("table", 3),
        (Some("VIEW"), _) => ("view", 3),
        (Some("INDEX"), _) => ("index", 3),
        (Some("SEQUENCE"), _) => ("sequence", 3),
        (Some("COLUMN"), _) => ("column", 3),
        _ => return,
    };
    let Some((name, _)) = qualified_at(statement, at) else {
        return;
    };
    if kind != "column" {
        if let Lookup::Missing = replay.find_relation(&name) {
            replay.missing_relation(statement, &name, kind);
        }
        return;
    }
    // `t.c` or `s.t.c`: the last part is the column.
    let Some(table_name) = name.schema.clone() else {
        return;
    };
    let schema = (name.token >= at + 4)
        .then(|| statement.tokens.get(name.token - 4).and_then(identifier))
        .flatten();
    let table_ref = Name {
        schema,
        name: table_name,
        token: name.token.saturating_sub(2),
    };
    if let Some(key) = table(replay, statement, &table_ref) {
        columns(replay, statement, &key, &[(name.name.clone(), name.token)]);
    }
}
