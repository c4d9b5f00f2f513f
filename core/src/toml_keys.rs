//! Reading `strata.toml` and `metadata.toml` key by key from toml's spanned document, with
//! no serde: every problem is a message at the byte range of the key or value concerned, in
//! the words serde would have used (`unknown field `x`, expected one of ...`).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A problem in a TOML file: where, and what.
pub type Problem = (Range<usize>, String);

/// Parses a whole document.
pub fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, Problem> {
    DeTable::parse(text).map_err(|e| (e.span().unwrap_or(0..0), e.message().to_string()))
}

/// The table's entries whose key is one of `known`, in the file's order; one problem per
/// other key.
pub fn entries<'t, 'i>(
    table: &'t DeTable<'i>,
    known: &[&str],
    problems: &mut Vec<Problem>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut found: Vec<_> = table.iter().collect();
    found.sort_by_key(|(key, _)| key.span().start);
    found.retain(|(key, _)| {
        let ok = known.contains(&key.get_ref().as_ref());
        if !ok {
            let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            problems.push((
                key.span(),
                format!(
                    "unknown field `{}`, expected one of {}",
                    key.get_ref(),
                    expected.join(", ")
                ),
            ));
        }
        ok
    });
    found
}

fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn invalid_type(value: &Spanned<DeValue<'_>>, expected: &str) -> Problem {
    (
        value.span(),
        format!(
            "invalid type: {}, expected {expected}",
            kind(value.get_ref())
        ),
    )
}

/// The value as a string with its span.
pub fn string(value: &Spanned<DeValue<'_>>) -> Result<Spanned<String>, Problem> {
    match value.get_ref() {
        DeValue::String(text) => Ok(Spanned::new(value.span(), text.to_string())),
        _ => Err(invalid_type(value, "a string")),
    }
}

pub fn integer(value: &Spanned<DeValue<'_>>) -> Result<i64, Problem> {
    match value.get_ref() {
        DeValue::Integer(n) => i64::from_str_radix(&n.as_str().replace('_', ""), n.radix())
            .map_err(|_| (value.span(), "integer out of range".to_string())),
        _ => Err(invalid_type(value, "an integer")),
    }
}

pub fn boolean(value: &Spanned<DeValue<'_>>) -> Result<bool, Problem> {
    match value.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err(invalid_type(value, "a boolean")),
    }
}

pub fn table<'t, 'i>(value: &'t Spanned<DeValue<'i>>) -> Result<&'t DeTable<'i>, Problem> {
    match value.get_ref() {
        DeValue::Table(table) => Ok(table),
        _ => Err(invalid_type(value, "a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_wrong_types_are_named_at_their_span() {
        let text = "a = 1\nb = \"x\"\nzzz = true\n";
        let doc = parse(text).expect("valid TOML");
        let mut problems = Vec::new();
        let found = entries(doc.get_ref(), &["a", "b"], &mut problems);
        assert_eq!(found.len(), 2);
        assert_eq!(problems.len(), 1);
        assert_eq!(&text[problems[0].0.clone()], "zzz");
        assert_eq!(
            problems[0].1,
            "unknown field `zzz`, expected one of `a`, `b`"
        );
        let (_, a) = found[0];
        let error = string(a).expect_err("an integer");
        assert_eq!(error.1, "invalid type: an integer, expected a string");
        assert_eq!(&text[error.0], "1");
        assert_eq!(string(found[1].1).expect("a string").into_inner(), "x");
    }

    #[test]
    fn syntax_errors_have_a_span() {
        let (range, message) = parse("a = \n").expect_err("invalid");
        assert!(!message.is_empty());
        assert!(range.start <= 5);
    }
}
