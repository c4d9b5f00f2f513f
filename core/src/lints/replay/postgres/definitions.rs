//! Column and constraint definitions, as `CREATE TABLE (...)` and `ALTER TABLE ADD` write
//! them: read into the model's [`Column`] and [`Constraint`]s with PostgreSQL's names for
//! what the statement leaves unnamed.

use std::collections::BTreeSet;
use std::ops::Range;

use super::model::{Column, Constraint, ConstraintKind, Key};
use super::names::{Name, qualified_at};
use crate::lints::pg_types::type_text;
use crate::lints::safety_scope::{Statement, identifier, split_commas};

/// Words that end a column's type and start its constraints.
const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "UNIQUE",
    "CHECK",
    "REFERENCES",
    "CONSTRAINT",
    "COLLATE",
    "GENERATED",
    "COMPRESSION",
    "STORAGE",
    "DEFERRABLE",
    "INITIALLY",
];

/// A constraint as written, before it has a name.
#[derive(Debug, Clone)]
pub(crate) struct ConstraintDraft {
    pub(crate) name: Option<String>,
    pub(crate) kind: ConstraintKind,
    pub(crate) columns: Vec<String>,
    /// Tokens of the constrained columns or of the referenced table, for findings.
    pub(crate) column_tokens: Vec<usize>,
    /// A foreign key's referenced table as written.
    pub(crate) references: Option<Name>,
    pub(crate) referenced_column_tokens: Vec<usize>,
    pub(crate) validated: bool,
    /// `USING INDEX name`: the existing index it takes over.
    pub(crate) using_index: Option<Name>,
    /// A CHECK's expression, for the column it reads.
    pub(crate) expression: Option<Range<usize>>,
    /// The token the constraint starts at.
    pub(crate) token: usize,
}

/// A column as written.
pub(crate) struct ColumnDraft {
    pub(crate) column: Column,
    pub(crate) token: usize,
    /// serial / bigserial / smallserial: a sequence is made for it.
    pub(crate) serial: bool,
    pub(crate) constraints: Vec<ConstraintDraft>,
}

/// The index of the token closing the parenthesis at `open`.
pub(crate) fn matching(statement: &Statement<'_>, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in statement.tokens.iter().enumerate().skip(open) {
        match token.text {
            "(" => depth += 1,
            ")" => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether token `i` opens a parenthesis.
pub(crate) fn is_open(statement: &Statement<'_>, i: usize) -> bool {
    statement.tokens.get(i).map(|t| t.text) == Some("(")
}

/// The plain column names of `( a, b )` at `open`, with their tokens; `None` when one is
/// not a plain name (an expression, `a DESC` is fine).
pub(crate) fn column_list(
    statement: &Statement<'_>,
    open: usize,
) -> Option<(Vec<(String, usize)>, usize)> {
    if !is_open(statement, open) {
        return None;
    }
    let close = matching(statement, open)?;
    let mut columns = Vec::new();
    for part in split_commas(statement, open + 1..close) {
        let name = identifier(statement.tokens.get(part.start)?)?;
        // `a`, `a DESC`, `a text_pattern_ops`: a name, then words; `a(...)`, `a || b`: not.
        let plain = (part.start + 1..part.end).all(|t| {
            let token = &statement.tokens[t];
            token.word.is_some() || token.text.starts_with('"')
        });
        if !plain {
            return None;
        }
        columns.push((name, part.start));
    }
    Some((columns, close))
}

/// A column definition `name type [constraints]` in `range`.
pub(crate) fn column_definition(
    statement: &Statement<'_>,
    range: Range<usize>,
) -> Option<ColumnDraft> {
    let token = range.start;
    let name = identifier(statement.tokens.get(token)?)?;
    let start = token + 1;
    let mut depth = 0usize;
    let mut end = range.end;
    for t in start..range.end {
        match statement.tokens[t].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0
                && statement
                    .word(t)
                    .is_some_and(|w| COLUMN_CONSTRAINT_WORDS.contains(&w)) =>
            {
                end = t;
                break;
            }
            _ => {}
        }
    }
    let ty = type_text(statement, start..end)?;
    let serial = (start..end).any(|t| {
        matches!(
            statement.word(t),
            Some("SERIAL" | "SERIAL4" | "BIGSERIAL" | "SERIAL8" | "SMALLSERIAL" | "SERIAL2")
        )
    }) && end == start + 1;
    let mut column = Column {
        name: name.clone(),
        ty,
        not_null: serial,
        default: None,
        generated: None,
    };
    let mut constraints = Vec::new();
    let mut pending_name: Option<String> = None;
    let mut t = end;
    while t < range.end {
        let word = statement.word(t);
        match word {
            Some("CONSTRAINT") => {
                pending_name = identifier(statement.tokens.get(t + 1)?);
                t += 2;
                continue;
            }
            Some("NOT") if statement.word(t + 1) == Some("NULL") => {
                column.not_null = true;
                t += 2;
            }
            Some("NULL") => t += 1,
            Some("DEFAULT") => {
                let from = t + 1;
                let to = expression_end(statement, from, range.end);
                column.default = Some(text_of(statement, from..to));
                t = to;
            }
            Some("PRIMARY") if statement.word(t + 1) == Some("KEY") => {
                column.not_null = true;
                constraints.push(draft(
                    pending_name.take(),
                    ConstraintKind::PrimaryKey,
                    vec![(name.clone(), token)],
                    t,
                ));
                t += 2;
            }
            Some("UNIQUE") => {
                constraints.push(draft(
                    pending_name.take(),
                    ConstraintKind::Unique,
                    vec![(name.clone(), token)],
                    t,
                ));
                t += 1;
            }
            Some("CHECK") if is_open(statement, t + 1) => {
                let close = matching(statement, t + 1)?;
                let mut check = draft(pending_name.take(), ConstraintKind::Check, Vec::new(), t);
                check.expression = Some(t + 2..close);
                constraints.push(check);
                t = close + 1;
            }
            Some("REFERENCES") => {
                let (table, next) = qualified_at(statement, t + 1)?;
                let (columns, next) = match column_list(statement, next) {
                    Some((columns, close)) => (columns, close + 1),
                    None => (Vec::new(), next),
                };
                let mut fk = draft(
                    pending_name.take(),
                    ConstraintKind::ForeignKey {
                        table: (String::new(), String::new()),
                        columns: columns.iter().map(|(c, _)| c.clone()).collect(),
                    },
                    vec![(name.clone(), token)],
                    t,
                );
                fk.references = Some(table);
                fk.referenced_column_tokens = columns.iter().map(|(_, t)| *t).collect();
                constraints.push(fk);
                t = next;
            }
            Some("GENERATED") => {
                let identity = (t..range.end)
                    .take(6)
                    .any(|k| statement.word(k) == Some("IDENTITY"));
                if identity {
                    column.generated = Some("identity");
                    column.not_null = true;
                } else {
                    column.generated = Some("stored");
                }
                t += 1;
            }
            // COLLATE x, ON DELETE ..., DEFERRABLE, STORAGE ...: nothing the model keeps.
            _ => t += 1,
        }
    }
    Some(ColumnDraft {
        column,
        token,
        serial,
        constraints,
    })
}

/// Where a DEFAULT's expression ends: the next constraint word outside parentheses.
pub(crate) fn expression_end(statement: &Statement<'_>, from: usize, end: usize) -> usize {
    let mut depth = 0usize;
    for t in from..end {
        match statement.tokens[t].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0 && t > from => {
                let stop = matches!(
                    statement.word(t),
                    Some(
                        "CONSTRAINT"
                            | "NOT"
                            | "NULL"
                            | "PRIMARY"
                            | "UNIQUE"
                            | "CHECK"
                            | "REFERENCES"
                            | "GENERATED"
                            | "COLLATE"
                    )
                );
                if stop {
                    return t;
                }
            }
            _ => {}
        }
    }
    end
}

/// The text of tokens `range` as written (comments inside included).
pub(crate) fn text_of(statement: &Statement<'_>, range: Range<usize>) -> String {
    match (
        statement.tokens.get(range.start),
        range
            .end
            .checked_sub(1)
            .and_then(|last| statement.tokens.get(last)),
    ) {
        (Some(first), Some(last)) if range.start < range.end => statement
            .file
            .text
            .get(first.start..last.start + last.text.len())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

fn draft(
    name: Option<String>,
    kind: ConstraintKind,
    columns: Vec<(String, usize)>,
    token: usize,
) -> ConstraintDraft {
    ConstraintDraft {
        name,
        kind,
        column_tokens: columns.iter().map(|(_, t)| *t).collect(),
        columns: columns.into_iter().map(|(c, _)| c).collect(),
        references: None,
        referenced_column_tokens: Vec::new(),
        validated: true,
        using_index: None,
        expression: None,
        token,
    }
}

/// A table constraint (`[CONSTRAINT name] PRIMARY KEY (...)`, `UNIQUE`, `CHECK`, `FOREIGN
/// KEY`, `EXCLUDE`) in `range`; `None` when it is something else or not understood.
pub(crate) fn table_constraint(
    statement: &Statement<'_>,
    range: Range<usize>,
) -> Option<ConstraintDraft> {
    let (name, at) = if statement.word(range.start) == Some("CONSTRAINT") {
        (
            Some(identifier(statement.tokens.get(range.start + 1)?)?),
            range.start + 2,
        )
    } else {
        (None, range.start)
    };
    let not_valid = (at..range.end).any(|t| statement.words_at(t, &["NOT", "VALID"]));
    let mut found = match statement.word(at) {
        Some("PRIMARY") if statement.word(at + 1) == Some("KEY") => {
            keyed(statement, name, ConstraintKind::PrimaryKey, at, at + 2)?
        }
        Some("UNIQUE") => {
            let open = statement.skip(
                at + 1,
                &[&["NULLS", "NOT", "DISTINCT"], &["NULLS", "DISTINCT"]],
            );
            keyed(statement, name, ConstraintKind::Unique, at, open)?
        }
        Some("CHECK") if is_open(statement, at + 1) => {
            let close = matching(statement, at + 1)?;
            let mut check = draft(name, ConstraintKind::Check, Vec::new(), at);
            check.expression = Some(at + 2..close);
            check
        }
        Some("FOREIGN") if statement.word(at + 1) == Some("KEY") => {
            let (columns, close) = column_list(statement, at + 2)?;
            if statement.word(close + 1) != Some("REFERENCES") {
                return None;
            }
            let (table, next) = qualified_at(statement, close + 2)?;
            let referenced = match column_list(statement, next) {
                Some((referenced, _)) => referenced,
                None => Vec::new(),
            };
            let mut fk = draft(
                name,
                ConstraintKind::ForeignKey {
                    table: (String::new(), String::new()),
                    columns: referenced.iter().map(|(c, _)| c.clone()).collect(),
                },
                columns,
                at,
            );
            fk.references = Some(table);
            fk.referenced_column_tokens = referenced.iter().map(|(_, t)| *t).collect();
            fk
        }
        Some("EXCLUDE") => {
            // The excluded columns: `(a WITH =, b WITH &&)`; expressions are not followed.
            let open = (at..range.end).find(|&t| is_open(statement, t))?;
            let close = matching(statement, open)?;
            let mut columns = Vec::new();
            for part in split_commas(statement, open + 1..close) {
                let plain = statement.word(part.start + 1) == Some("WITH");
                columns.push((identifier(statement.tokens.get(part.start)?)?, part.start));
                if !plain {
                    return None;
                }
            }
            draft(name, ConstraintKind::Exclude, columns, at)
        }
        _ => return None,
    };
    found.validated = !not_valid;
    Some(found)
}

/// `PRIMARY KEY (cols)` / `UNIQUE (cols)` / `... USING INDEX name` with the list at `open`.
fn keyed(
    statement: &Statement<'_>,
    name: Option<String>,
    kind: ConstraintKind,
    at: usize,
    open: usize,
) -> Option<ConstraintDraft> {
    if statement.words_at(open, &["USING", "INDEX"]) {
        let (index, _) = qualified_at(statement, open + 2)?;
        let mut found = draft(name, kind, Vec::new(), at);
        found.using_index = Some(index);
        return Some(found);
    }
    let (columns, _) = column_list(statement, open)?;
    Some(draft(name, kind, columns, at))
}

/// The columns of `table` a CHECK's expression reads: its names that are columns and not
/// function calls (PostgreSQL names an unnamed check after its column when it reads one).
pub(crate) fn check_columns(
    statement: &Statement<'_>,
    expression: &Range<usize>,
    columns: &[Column],
) -> Vec<String> {
    let mut read = BTreeSet::new();
    for t in expression.clone() {
        let Some(name) = identifier(&statement.tokens[t]) else {
            continue;
        };
        let call = is_open(statement, t + 1);
        let qualified = statement.tokens.get(t + 1).map(|t| t.text) == Some(".");
        if !call && !qualified && columns.iter().any(|c| c.name == name) {
            read.insert(name);
        }
    }
    let mut ordered: Vec<String> = Vec::new();
    for column in columns {
        if read.contains(&column.name) {
            ordered.push(column.name.clone());
        }
    }
    ordered
}

/// The constraint a draft becomes, named.
pub(crate) fn constraint(
    draft: &ConstraintDraft,
    name: String,
    references: Option<Key>,
) -> Constraint {
    let kind = match (&draft.kind, references) {
        (ConstraintKind::ForeignKey { columns, .. }, Some(table)) => ConstraintKind::ForeignKey {
            table,
            columns: columns.clone(),
        },
        (kind, _) => kind.clone(),
    };
    Constraint {
        name,
        kind,
        columns: draft.columns.clone(),
        validated: draft.validated,
        expression: None,
    }
}
