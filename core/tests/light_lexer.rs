//! The runtime splits a DOWN read back from the history table with strata-model's light
//! lexer; the build split the same text with the parsers' lexers. Both must find the same
//! statements, in every dialect: checked here on every SQL file of the repository and the
//! fuzz seeds, and on generated texts built from the constructs where lexers disagree most
//! (quotes, escapes, comments, dollar bodies, trigger bodies).
//!
//! Text the build-time lexer rejects is skipped: it never compiles, so it is never stored.

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use strata_core::Dialect;
use strata_core::lexer;
use strata_core::statements::split;
use strata_model::light_lexer;

/// The dialects that have a backend, so the runtime may split stored SQL in them.
const BACKENDS: [Dialect; 3] = [Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql];

/// `Some(disagreement)` when the two lexers split `text` differently.
fn disagreement(dialect: Dialect, text: &str) -> Option<String> {
    let (precise, error) = lexer::lex(dialect, text);
    if error.is_some() {
        return None;
    }
    let light = light_lexer::lex(dialect, text);
    let whole = 0..text.len();
    let ranges = |tokens| {
        split(text, tokens, &whole, dialect)
            .into_iter()
            .map(|s| s.range)
            .collect::<Vec<_>>()
    };
    let (expected, got) = (ranges(&precise), ranges(&light));
    (expected != got).then(|| {
        format!(
            "{}: build-time lexer {:?}, light lexer {:?}",
            dialect.name(),
            expected
                .iter()
                .map(|r| &text[r.clone()])
                .collect::<Vec<_>>(),
            got.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(),
        )
    })
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "generated") {
                files(&path, out);
            }
        } else if name.ends_with(".sql") || path.parent().is_some_and(|p| p.ends_with("statements"))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_sql_file_of_the_repository_splits_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    assert!(paths.len() > 250, "found only {} files", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for dialect in BACKENDS {
            if let Some(d) = disagreement(dialect, &text) {
                failures.push(format!("{}: {d}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn known_hard_cases_split_alike() {
    let cases = [
        "SELECT 'a;b', \"c;d\", `e;f`; SELECT 2",
        "SELECT E'\\';'; SELECT 'x\\'; SELECT 3",
        "SELECT $$;$$; SELECT $t$ ; $$ ; $t$; SELECT $1;",
        "/* a /* ; */ ; */ SELECT 1; -- ;\nSELECT 2",
        "# x;\nSELECT 1 --x;\n; SELECT 2",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN 1 THEN 2 END; END; SELECT 1",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; BEGIN; COMMIT;",
        "CREATE TABLE [a;b] (x int); SELECT [c]",
        "SELECT a$b$ ; SELECT 1",
        "INSERT INTO t VALUES ('it''s; fine'); SELECT \"q\"\"x;\"",
    ];
    for text in cases {
        for dialect in BACKENDS {
            assert_eq!(disagreement(dialect, text), None, "{text}");
        }
    }
}

/// Pieces that change what a `;` means, and plain SQL between them. They are joined with
/// spaces: glued junk such as `$$$$$1$$` is lexed differently by every lexer and appears in
/// no migration, while each piece that is glued in real SQL (`E'..'`, `$f$..$f$`) is one.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        " ",
        "\n",
        ";",
        "(",
        ")",
        "SELECT 1",
        "x",
        "a$b",
        "$1",
        "'a;b'",
        "'it''s'",
        "'\\'",
        "E'\\';'",
        "\"q;\"",
        "\"a\"\"b\"",
        "`t;`",
        "[x;]",
        "$$",
        "$$ ; $$",
        "$f$;$f$",
        "-- c;\n",
        "--x",
        "# h;\n",
        "/* ; */",
        "/* /* ; */ */",
        "*/",
        "BEGIN",
        "END",
        "CASE",
        "CREATE",
        "TRIGGER",
        "FUNCTION",
        "PROCEDURE",
        "ATOMIC",
        "é",
        "\\",
        "'",
        "\"",
        "-",
        "#",
        "/",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn generated_texts_split_alike(parts in prop::collection::vec(fragment(), 0..24)) {
        let text = parts.join(" ");
        for dialect in BACKENDS {
            prop_assert_eq!(disagreement(dialect, &text), None, "{:?}", text);
        }
    }
}
