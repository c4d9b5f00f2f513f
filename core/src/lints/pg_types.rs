//! PostgreSQL's column types as the lints compare them: one spelling per type, and which
//! type changes rewrite a table.

use std::ops::Range;

use super::safety_scope::Statement;

/// The type written in `range`, normalized; `None` when there is none.
pub(crate) fn type_text(statement: &Statement<'_>, range: Range<usize>) -> Option<String> {
    if range.is_empty() {
        return None;
    }
    let mut text = String::new();
    for token in &statement.tokens[range] {
        let piece = token.text.to_ascii_lowercase();
        let glue = matches!(piece.as_str(), "(" | ")" | "," | "[" | "]")
            || text.ends_with('(')
            || text.ends_with('[')
            || text.ends_with(',')
            || text.is_empty();
        if !glue {
            text.push(' ');
        }
        text.push_str(&piece);
    }
    Some(normal_type(&text))
}

/// One spelling per type: `character varying(20)` is `varchar(20)`, `int4` is `integer`,
/// `timestamp with time zone` is `timestamptz`, `decimal` is `numeric`.
pub fn normal_type(text: &str) -> String {
    let text = text.trim().to_ascii_lowercase();
    let (base, rest) = match text.find(['(', '[']) {
        Some(at) => (text[..at].trim(), &text[at..]),
        None => (text.as_str(), ""),
    };
    let base = match base {
        "character varying" => "varchar",
        "character" | "bpchar" => "char",
        "decimal" => "numeric",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        // serial types are integers with a default; the default is not the type.
        "serial" | "serial4" => "integer",
        "bigserial" | "serial8" => "bigint",
        "smallserial" | "serial2" => "smallint",
        "float8" | "double precision" => "double precision",
        "float4" => "real",
        "bool" => "boolean",
        "bit varying" => "varbit",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "time with time zone" => "timetz",
        "time without time zone" => "time",
        other => other,
    };
    // `timestamp(3) with time zone` keeps its suffix after the parentheses.
    let zoned = rest.contains(" with time zone");
    let rest = rest
        .replace(" with time zone", "")
        .replace(" without time zone", "");
    let base = match base {
        "timestamp" if zoned => "timestamptz",
        "time" if zoned => "timetz",
        other => other,
    };
    format!("{base}{rest}")
}

/// PostgreSQL's built-in types this knows the rewrite rules between; anything else (a
/// domain, an extension's type) is left alone.
fn builtin(ty: &str) -> bool {
    let base = ty.split(['(', '[']).next().unwrap_or_default();
    [
        "smallint",
        "integer",
        "bigint",
        "numeric",
        "real",
        "double precision",
        "text",
        "varchar",
        "char",
        "boolean",
        "date",
        "timestamp",
        "timestamptz",
        "time",
        "timetz",
        "interval",
        "uuid",
        "json",
        "jsonb",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "bit",
        "varbit",
        "money",
    ]
    .contains(&base)
}

/// Whether changing a column from `old` to `new` rewrites the table: `Some(false)` for the
/// binary-coercible changes PostgreSQL does without a rewrite (or a scan), `Some(true)` for a
/// rewrite between built-in types, `None` when it cannot be told.
pub(crate) fn rewrites(old: &str, new: &str) -> Option<bool> {
    if old == new {
        return Some(false);
    }
    if !builtin(old) || !builtin(new) || old.contains('[') || new.contains('[') {
        return None;
    }
    let (old_base, old_args) = split_type(old);
    let (new_base, new_args) = split_type(new);
    let safe = match (old_base, new_base) {
        ("varchar", "varchar") | ("varbit", "varbit") => {
            match (old_args.as_slice(), new_args.as_slice()) {
                (_, []) => true,
                ([n], [m]) => m >= n,
                _ => false,
            }
        }
        ("varchar", "text") | ("text", "varchar") if new_args.is_empty() => true,
        ("varchar", "text") => true,
        ("numeric", "numeric") => match (old_args.as_slice(), new_args.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p], [q, 0]) | ([p, 0], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        ("cidr", "inet") => true,
        // Whether this rewrites depends on the session's TimeZone (none when it is UTC).
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") => return None,
        _ => false,
    };
    Some(!safe)
}

fn split_type(ty: &str) -> (&str, Vec<u32>) {
    match ty.split_once('(') {
        Some((base, args)) => (
            base,
            args.trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
        ),
        None => (ty, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_spelled_one_way() {
        assert_eq!(normal_type("character varying(20)"), "varchar(20)");
        assert_eq!(normal_type("INT4"), "integer");
        assert_eq!(normal_type("timestamp with time zone"), "timestamptz");
        assert_eq!(normal_type("decimal(10,2)"), "numeric(10,2)");
        assert_eq!(normal_type("serial"), "integer");
        assert_eq!(normal_type("timestamp(3) with time zone"), "timestamptz(3)");
        assert_eq!(
            normal_type("timestamp(3) without time zone"),
            "timestamp(3)"
        );
    }

    #[test]
    fn proven_safe_type_changes_do_not_rewrite() {
        assert_eq!(rewrites("varchar(20)", "varchar(40)"), Some(false));
        assert_eq!(rewrites("varchar(20)", "text"), Some(false));
        assert_eq!(rewrites("varchar(20)", "varchar"), Some(false));
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,2)"), Some(false));
        assert_eq!(rewrites("numeric(10,2)", "numeric"), Some(false));
        assert_eq!(rewrites("cidr", "inet"), Some(false));
        assert_eq!(rewrites("text", "text"), Some(false));
    }

    #[test]
    fn other_changes_rewrite_or_are_left_alone() {
        assert_eq!(rewrites("varchar(40)", "varchar(20)"), Some(true));
        assert_eq!(rewrites("integer", "bigint"), Some(true));
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,3)"), Some(true));
        assert_eq!(rewrites("text", "integer"), Some(true));
        // The session's TimeZone decides; a domain could be anything.
        assert_eq!(rewrites("timestamp", "timestamptz"), None);
        assert_eq!(rewrites("text", "email_address"), None);
    }
}
