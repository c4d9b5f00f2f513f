//! Names as PostgreSQL reads and chooses them: qualified names in a statement, and the names
//! it gives constraints, indexes and sequences the statement leaves unnamed.

use std::collections::BTreeSet;

use super::model::{Model, Relation};
use crate::lints::safety_scope::{Statement, identifier};

/// PostgreSQL's longest name, in bytes (NAMEDATALEN - 1).
const MAX_NAME: usize = 63;

/// A name as written: `[schema.]name`, and the token it starts at.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
    /// The token of the last part (where a finding points).
    pub(crate) token: usize,
}

/// The (possibly qualified) name at token `i`, and the index after it. Three parts
/// (`db.schema.name`) keep the last two.
pub(crate) fn qualified_at(statement: &Statement<'_>, i: usize) -> Option<(Name, usize)> {
    let mut parts = vec![(identifier(statement.tokens.get(i)?)?, i)];
    let mut next = i + 1;
    while statement.tokens.get(next).map(|t| t.text) == Some(".") {
        let part = identifier(statement.tokens.get(next + 1)?)?;
        parts.push((part, next + 1));
        next += 2;
    }
    let (name, token) = parts.pop()?;
    let schema = parts.pop().map(|(schema, _)| schema);
    Some((
        Name {
            schema,
            name,
            token,
        },
        next,
    ))
}

/// A comma-separated list of names at `i` (`DROP TABLE a, s.b`).
pub(crate) fn qualified_list(statement: &Statement<'_>, mut i: usize) -> (Vec<Name>, usize) {
    let mut names = Vec::new();
    while let Some((name, next)) = qualified_at(statement, i) {
        names.push(name);
        i = next;
        if statement.tokens.get(next).map(|t| t.text) != Some(",") {
            break;
        }
        i = next + 1;
    }
    (names, i)
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, the longer of the two names cut until
/// the whole fits in 63 bytes. `None` when a cut would split a character.
fn object_name(name1: &str, name2: Option<&str>, label: &str) -> Option<String> {
    let overhead = name2.map_or(0, |_| 1) + label.len() + 1;
    let available = MAX_NAME.checked_sub(overhead)?;
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > available {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let first = name1.get(..n1)?;
    let name = match name2 {
        Some(name2) => format!("{first}_{}_{label}", name2.get(..n2)?),
        None => format!("{first}_{label}"),
    };
    Some(name)
}

/// The columns' part of a chosen name: joined by `_`, as PostgreSQL's
/// `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition` do.
pub(crate) fn columns_part(columns: &[String]) -> Option<String> {
    if columns.is_empty() {
        return None;
    }
    let mut out = String::new();
    for column in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(column);
        if out.len() >= MAX_NAME {
            break;
        }
    }
    Some(out)
}

/// The name PostgreSQL gives a new relation (an index, a key's index, a serial's sequence)
/// in `schema`: `table_columns_label`, then `label1`, `label2`... until it is free among the
/// relations (and, for a constraint's index, the constraints) of the schema.
pub(crate) fn choose_relation_name(
    model: &Model,
    schema: &str,
    table: &str,
    columns: Option<&str>,
    label: &str,
    constraint: bool,
    taken: &BTreeSet<String>,
) -> Option<String> {
    choose(table, columns, label, |name| {
        model
            .relations
            .contains_key(&(schema.to_string(), name.to_string()))
            || taken.contains(name)
            || (constraint && constraint_name_used(model, schema, name))
    })
}

/// The name PostgreSQL gives a new constraint without its own index (check, foreign key):
/// the same scheme, free among the schema's constraints.
pub(crate) fn choose_constraint_name(
    model: &Model,
    schema: &str,
    table: &str,
    columns: Option<&str>,
    label: &str,
    taken: &BTreeSet<String>,
) -> Option<String> {
    choose(table, columns, label, |name| {
        taken.contains(name) || constraint_name_used(model, schema, name)
    })
}

/// PostgreSQL's `ChooseRelationName` loop: `label`, `label1`, `label2`... until `used` says no.
fn choose(
    table: &str,
    columns: Option<&str>,
    label: &str,
    used: impl Fn(&str) -> bool,
) -> Option<String> {
    (0..1000).find_map(|pass| {
        let label = if pass == 0 {
            label.to_string()
        } else {
            format!("{label}{pass}")
        };
        let name = object_name(table, columns, &label)?;
        (!used(&name)).then_some(name)
    })
}

/// Whether a constraint of any table of `schema` has `name`.
fn constraint_name_used(model: &Model, schema: &str, name: &str) -> bool {
    model.constraint_names_seen.contains(name)
        && model.relations.iter().any(|((s, _), relation)| {
        s == schema
            && matches!(relation, Relation::Table(Some(table)) if table.constraint(name).is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_as_postgres_cuts_them() {
        assert_eq!(
            object_name("users", Some("email"), "key").as_deref(),
            Some("users_email_key")
        );
        let long = "a".repeat(40);
        let name = object_name(&long, Some(&"b".repeat(40)), "fkey").unwrap_or_default();
        assert_eq!(name.len(), 63);
        assert!(name.starts_with(&"a".repeat(29)) && name.ends_with("_fkey"));
    }

    #[test]
    fn chosen_names_skip_taken_ones() {
        let mut model = Model::empty();
        model.relations.insert(
            ("public".into(), "t_a_idx".into()),
            Relation::Index {
                table: "t".into(),
                columns: None,
                reads: None,
                unique: false,
            },
        );
        let name = choose_relation_name(
            &model,
            "public",
            "t",
            Some("a"),
            "idx",
            false,
            &BTreeSet::new(),
        );
        assert_eq!(name.as_deref(), Some("t_a_idx1"));
    }
}
