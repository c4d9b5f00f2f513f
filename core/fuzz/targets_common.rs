//! The checks behind each fuzz target, one function per target, each taking the raw input.
//!
//! Shared by the cargo-fuzz binaries (`fuzz_targets/*.rs`, through `#[path]`) and by the plain
//! test `core/tests/fuzz_corpus.rs`, which replays every seed of `corpus/<target>/` in the
//! normal suite. Only std, `strata_core` and `tempfile` are used, so the test needs nothing
//! beyond strata-core's own dev-dependencies.
//!
//! Every function must not panic on any input; beyond that each asserts cheap invariants
//! (positions inside the text, ranges ordered, results deterministic). A broken invariant is
//! an `assert!` failure, which the fuzzer reports like a crash.
#![allow(dead_code)]

use std::borrow::Cow;
use std::ops::Range;

use strata_core::checksum::{ChecksumInput, checksum};
use strata_core::diagnostic::LineIndex;
use strata_core::lexer::{self, Token};
use strata_core::naming::{self, ParsedName, Role, Scheme};
use strata_core::statements::{self, StatementRange};
use strata_core::{Diagnostic, Dialect, Lint, config, render, sections, syntax};

const DIALECTS: [Dialect; 4] = [
    Dialect::Postgres,
    Dialect::Sqlite,
    Dialect::Mysql,
    Dialect::Generic,
];

/// Text as discovery would see it: a UTF-8 BOM dropped. Invalid UTF-8 is read lossily so the
/// bytes around it are still exercised (discovery itself rejects such files).
fn text_of(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data))
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------------------------
// names: a file or directory name -> naming scheme
// ---------------------------------------------------------------------------------------------

/// Digits of a version as written (dashes of directory versions dropped).
fn digits(version_text: &str) -> String {
    version_text.chars().filter(char::is_ascii_digit).collect()
}

fn check_parsed(input: &str, parsed: &ParsedName, directory: bool) {
    assert!(!parsed.version_text.is_empty(), "{input:?}: empty version");
    assert!(
        parsed.version >= 0,
        "{input:?}: negative version {}",
        parsed.version
    );
    assert_eq!(
        digits(&parsed.version_text).parse::<i64>().ok(),
        Some(parsed.version),
        "{input:?}"
    );
    let _ = parsed.is_counted();
    let _ = parsed.scheme.describe();
    // The parts put back together give the input again.
    let name_part = |sep: &str| {
        if parsed.name.is_empty() {
            String::new()
        } else {
            format!("{sep}{}", parsed.name)
        }
    };
    if directory {
        assert_eq!(parsed.scheme, Scheme::DirectoryPerMigration, "{input:?}");
        assert_eq!(format!("{}_{}", parsed.version_text, parsed.name), input);
        assert!(
            parsed
                .version_text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-'),
            "{input:?}"
        );
        return;
    }
    assert!(
        parsed.version_text.bytes().all(|b| b.is_ascii_digit()),
        "{input:?}"
    );
    let rebuilt: Vec<String> = match (parsed.scheme, parsed.role) {
        (Scheme::Flyway, Role::Sections) => {
            vec![format!("V{}__{}.sql", parsed.version_text, parsed.name)]
        }
        (Scheme::Flyway, Role::Down) => {
            vec![format!("U{}__{}.sql", parsed.version_text, parsed.name)]
        }
        (Scheme::Paired, Role::Up | Role::Down) => {
            let suffix = if parsed.role == Role::Up {
                "up"
            } else {
                "down"
            };
            // `7_.up.sql` and `7.up.sql` both give an empty name; dbmate separates with `-`.
            vec![
                format!("{}{}.{suffix}.sql", parsed.version_text, name_part("_")),
                format!("{}_.{suffix}.sql", parsed.version_text),
                format!("{}-{}.{suffix}.sql", parsed.version_text, parsed.name),
            ]
        }
        (Scheme::Sequential | Scheme::Timestamp, Role::Sections) => {
            assert_eq!(
                parsed.scheme == Scheme::Timestamp,
                parsed.version_text.len() == 14,
                "{input:?}"
            );
            vec![
                format!("{}{}.sql", parsed.version_text, name_part("_")),
                format!("{}_.sql", parsed.version_text),
                format!("{}-{}.sql", parsed.version_text, parsed.name),
            ]
        }
        other => panic!("{input:?}: impossible scheme and role {other:?}"),
    };
    assert!(
        rebuilt.iter().any(|r| r == input),
        "{input:?} parsed as {parsed:?}"
    );
}

/// `names`: the input (lossily UTF-8) as a file name and as a directory name.
pub fn names(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let input = input.as_ref();
    let first = naming::parse_file_name(input);
    assert_eq!(
        first,
        naming::parse_file_name(input),
        "parse_file_name is not deterministic"
    );
    match &first {
        Ok(parsed) => {
            assert!(input.ends_with(".sql"), "{input:?}");
            check_parsed(input, parsed, false);
        }
        Err(bad) => assert!(!bad.message.is_empty() && !bad.help.is_empty(), "{input:?}"),
    }
    match naming::parse_dir_name(input) {
        Some(Ok(parsed)) => check_parsed(input, &parsed, true),
        Some(Err(bad)) => assert!(!bad.message.is_empty() && !bad.help.is_empty(), "{input:?}"),
        None => {}
    }
}

// ---------------------------------------------------------------------------------------------
// shared checks on tokens, spans and statement ranges
// ---------------------------------------------------------------------------------------------

fn check_range(text: &str, range: &Range<usize>, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: {range:?} outside 0..{}",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: {range:?} splits a character"
    );
}

/// Tokens lie inside the text, on character boundaries, in order and without overlap. The
/// PostgreSQL lexer must also cover the text exactly.
fn check_tokens(dialect: Dialect, text: &str, tokens: &[Token]) {
    let mut previous_end = 0;
    for token in tokens {
        check_range(text, &(token.start..token.end), "token");
        assert!(
            token.start < token.end,
            "{dialect:?}: empty token {token:?}"
        );
        assert!(
            token.start >= previous_end,
            "{dialect:?}: token {token:?} overlaps the previous one (ends {previous_end})"
        );
        if dialect == Dialect::Postgres {
            assert_eq!(
                token.start, previous_end,
                "postgres tokens leave a gap before {token:?}"
            );
        }
        previous_end = token.end;
    }
    if dialect == Dialect::Postgres {
        assert_eq!(
            previous_end,
            text.len(),
            "postgres tokens do not reach the end of the text"
        );
    }
}

/// A span's line and column are those of its start offset, and it lies inside the text.
fn check_span(text: &str, span: &strata_core::Span, what: &str) {
    check_range(text, &(span.start..span.end), what);
    let before = &text[..span.start];
    let line = before.bytes().filter(|b| *b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    assert_eq!(
        (span.line, span.column),
        (line, column),
        "{what}: span {span:?} has the wrong line/column"
    );
}

/// Statement ranges: inside the section, in order, disjoint, non-empty, starting and ending on
/// a token that is not trivia.
fn check_statements(
    text: &str,
    tokens: &[Token],
    section: &Range<usize>,
    found: &[StatementRange],
) {
    let mut previous_end = section.start;
    for statement in found {
        let range = &statement.range;
        check_range(text, range, "statement");
        assert!(range.start < range.end, "empty statement {range:?}");
        assert!(
            range.start >= previous_end && range.end <= section.end,
            "statement {range:?} outside {section:?} or overlapping"
        );
        // A statement begins and ends on a token, or inside a word the mysql client's
        // delimiter cuts (`END$$`).
        let starts = tokens
            .iter()
            .find(|t| t.start <= range.start && range.start < t.end)
            .expect("statement starts in a token");
        let ends = tokens
            .iter()
            .find(|t| t.start < range.end && range.end <= t.end)
            .expect("statement ends in a token");
        assert!(
            !starts.kind.is_trivia() && !ends.kind.is_trivia(),
            "statement {range:?} starts or ends on trivia"
        );
        assert!(
            !text[range.clone()].trim().is_empty(),
            "blank statement {range:?}"
        );
        previous_end = range.end;
    }
}

fn check_render(d: &Diagnostic, source: Option<&str>) {
    let plain = render::human(d, source, false);
    assert!(
        plain.contains(d.lint.name()),
        "rendering lacks the lint name:\n{plain}"
    );
    assert_eq!(
        plain,
        render::human(d, source, false),
        "rendering is not deterministic"
    );
    let _ = render::human(d, source, true);
    let _ = render::body(d, source);
    let _ = d.location();
}

fn sum(
    text: &str,
    tokens: &[Token],
    up: Option<&Range<usize>>,
    down: Option<&Range<usize>>,
) -> String {
    let sum = checksum(
        ChecksumInput {
            text,
            tokens,
            section: up,
        },
        ChecksumInput {
            text,
            tokens,
            section: down,
        },
    );
    assert!(is_hex64(&sum), "checksum {sum:?}");
    sum
}

// ---------------------------------------------------------------------------------------------
// sections: file text -> tokens -> UP/DOWN sections and directives
// ---------------------------------------------------------------------------------------------

fn check_section_start(text: &str, range: &Range<usize>) {
    let start = range.start;
    assert!(
        start == 0 || start == text.len() || text.as_bytes()[start - 1] == b'\n',
        "section {range:?} does not start a line"
    );
}

/// `sections`: the input as a migration file, lexed as PostgreSQL and MySQL (whose `#`
/// comments are also line comments), split in each role a file can have.
pub fn sections(data: &[u8]) {
    let text = text_of(data);
    let text = text.as_ref();
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let (tokens, error) = lexer::lex(dialect, text);
        check_tokens(dialect, text, &tokens);
        if let Some(error) = &error {
            assert!(
                error.offset <= text.len(),
                "lex error offset {} past {}",
                error.offset,
                text.len()
            );
        }
        for role in [Role::Sections, Role::Up, Role::Down] {
            let split = sections::split("m/1_x.sql", text, &tokens, role);
            let again = sections::split("m/1_x.sql", text, &tokens, role);
            assert_eq!(
                (&split.up, &split.down, &split.directives),
                (&again.up, &again.down, &again.directives)
            );
            assert_eq!(split.problems, again.problems);
            match role {
                Role::Up => assert_eq!(
                    (split.up.clone(), split.down.clone()),
                    (Some(0..text.len()), None)
                ),
                Role::Down => assert_eq!(
                    (split.up.clone(), split.down.clone()),
                    (None, Some(0..text.len()))
                ),
                Role::Sections => assert!(
                    split.up.is_some() || split.down.is_some() || !split.problems.is_empty(),
                    "{text:?}: no section and no problem"
                ),
            }
            for range in split.up.iter().chain(&split.down) {
                check_range(text, range, "section");
                check_section_start(text, range);
                let found = statements::split(text, &tokens, range, dialect);
                check_statements(text, &tokens, range, &found);
            }
            if let (Some(up), Some(down)) = (&split.up, &split.down)
                && role == Role::Sections
            {
                assert!(
                    up.end <= down.start || down.end <= up.start,
                    "UP {up:?} and DOWN {down:?} overlap"
                );
            }
            for problem in &split.problems {
                assert_eq!(problem.lint, Lint::BadSection);
                check_span(
                    text,
                    problem
                        .span
                        .as_ref()
                        .expect("bad-section findings have a span"),
                    "bad-section",
                );
                check_render(problem, Some(text));
            }
            for (span, message) in &split.directives.unknown {
                check_span(text, span, "directive");
                assert!(!message.is_empty());
            }
            for lint in &split.directives.allowed {
                assert!(
                    lint.is_configurable(),
                    "{lint} allowed but not configurable"
                );
            }
            sum(text, &tokens, split.up.as_ref(), split.down.as_ref());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// config: strata.toml text -> Config
// ---------------------------------------------------------------------------------------------

/// `config`: the input as `strata.toml`.
pub fn config(data: &[u8]) {
    let text = text_of(data);
    let text = text.as_ref();
    let (parsed, diagnostics) = config::parse("migrations/strata.toml", text);
    let (again, diagnostics_again) = config::parse("migrations/strata.toml", text);
    assert_eq!(
        (&parsed, &diagnostics),
        (&again, &diagnostics_again),
        "config parsing is not deterministic"
    );
    assert!(
        config::is_valid_identifier(&parsed.history.table),
        "history table {:?}",
        parsed.history.table
    );
    if let Some(schema) = &parsed.history.schema {
        assert!(
            config::is_valid_identifier(schema),
            "history schema {schema:?}"
        );
    }
    for lint in parsed.lints.keys() {
        assert!(lint.is_configurable(), "{lint} configured");
    }
    for lint in Lint::ALL {
        let _ = parsed.level(lint);
    }
    let _ = parsed.dialect.name();
    for d in &diagnostics {
        assert_eq!(
            (d.lint, d.file.as_str()),
            (Lint::InvalidConfig, "migrations/strata.toml")
        );
        check_span(
            text,
            d.span.as_ref().expect("config findings have a span"),
            "config",
        );
        check_render(d, Some(text));
    }
}

// ---------------------------------------------------------------------------------------------
// statements: SQL text -> tokens -> statements -> syntax check
// ---------------------------------------------------------------------------------------------

/// `statements`: the input as one section of SQL, in every dialect: lexing, statement splitting,
/// the syntax check (squawk for PostgreSQL, sqlparser for the others) and the checksum.
pub fn statements(data: &[u8]) {
    let text = text_of(data);
    let text = text.as_ref();
    let whole = 0..text.len();
    for dialect in DIALECTS {
        let (tokens, error) = lexer::lex(dialect, text);
        check_tokens(dialect, text, &tokens);
        if let Some(error) = &error {
            assert!(
                error.offset <= text.len(),
                "lex error offset {} past {}",
                error.offset,
                text.len()
            );
        }
        let found = statements::split(text, &tokens, &whole, dialect);
        check_statements(text, &tokens, &whole, &found);
        for error in syntax::check(dialect, text, &tokens, &whole, &found) {
            assert!(
                error.range.start <= error.range.end && error.range.end <= text.len(),
                "syntax error range {:?}",
                error.range
            );
            assert!(!error.message.is_empty());
        }
        // A second section starting mid-text (at the second line) must work the same way.
        if let Some(newline) = text.find('\n') {
            let rest = newline + 1..text.len();
            let found = statements::split(text, &tokens, &rest, dialect);
            check_statements(text, &tokens, &rest, &found);
            let _ = syntax::check(dialect, text, &tokens, &rest, &found);
        }
        // Checksums ignore CRLF line endings (a CRLF checkout keeps them): lex the text again
        // with every LF turned into CRLF.
        if dialect == Dialect::Postgres && !text.contains('\r') {
            let crlf = text.replace('\n', "\r\n");
            let (crlf_tokens, _) = lexer::lex(dialect, &crlf);
            let a = sum(text, &tokens, Some(&whole), None);
            let b = sum(&crlf, &crlf_tokens, Some(&(0..crlf.len())), None);
            assert_eq!(a, b, "a CRLF copy has another checksum");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pipeline: bytes -> a directory of migration files -> strata_core::load -> rendering
// ---------------------------------------------------------------------------------------------

/// Separates the files in a `pipeline` input.
pub const FILE_SEPARATOR: u8 = 0x1E;
const MAX_FILES: usize = 12;

/// Splits a `pipeline` input into `(relative name, contents)`: files are separated by byte
/// 0x1E; in each, the name runs to the first `\n` and the contents follow (any bytes,
/// including invalid UTF-8 and NUL). Names may hold one `/` (directory-per-migration) and
/// any bytes except NUL; unusable names are skipped.
pub fn pipeline_files(data: &[u8]) -> Vec<(Vec<u8>, &[u8])> {
    let mut files = Vec::new();
    for record in data.split(|b| *b == FILE_SEPARATOR).take(MAX_FILES) {
        let (name, contents) = match record.iter().position(|b| *b == b'\n') {
            Some(i) => (&record[..i], &record[i + 1..]),
            None => (record, &record[record.len()..]),
        };
        let components: Vec<&[u8]> = name.split(|b| *b == b'/').collect();
        let usable = components.len() <= 2
            && !name.contains(&0)
            && components
                .iter()
                .all(|c| !c.is_empty() && c.len() <= 200 && *c != b"." && *c != b"..");
        if usable {
            files.push((name.to_vec(), contents));
        }
    }
    files
}

#[cfg(unix)]
fn os_path(name: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(name))
}

#[cfg(not(unix))]
fn os_path(name: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(name).into_owned())
}

/// Everything a load produced that users see, rendered.
fn rendered(loaded: &strata_core::Loaded) -> Vec<String> {
    let mut out: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| render::human(d, loaded.source(&d.file), false))
        .collect();
    out.extend(loaded.migrations.iter().map(|m| {
        format!(
            "{} {} {} {:?}",
            m.version(),
            m.name(),
            m.checksum(),
            m.prefix_digest()
        )
    }));
    out
}

/// `pipeline`: writes the files of the input into `migrations/` of a temporary directory, loads
/// it twice with `strata_core::load` and renders every finding.
pub fn pipeline(data: &[u8]) {
    let base = tempfile::tempdir().expect("temp dir");
    let root = base.path().join("migrations");
    std::fs::create_dir(&root).expect("migrations dir");
    for (name, contents) in pipeline_files(data) {
        let path = root.join(os_path(&name));
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        // A name may already be a directory, or its parent a file: then the file is skipped.
        let _ = std::fs::write(&path, contents);
    }
    let loaded = strata_core::load(base.path(), "migrations");
    let again = strata_core::load(base.path(), "migrations");
    assert_eq!(
        loaded.diagnostics, again.diagnostics,
        "two loads disagree on findings"
    );
    assert_eq!(
        loaded.migrations, again.migrations,
        "two loads disagree on migrations"
    );
    assert_eq!(
        (&loaded.config, loaded.scheme, &loaded.sources),
        (&again.config, again.scheme, &again.sources)
    );
    assert_eq!(
        rendered(&loaded),
        rendered(&again),
        "two loads render differently"
    );

    let mut previous: Option<(&str, u32, u32)> = None;
    for d in &loaded.diagnostics {
        assert!(d.file.starts_with("migrations"), "{}", d.file);
        assert_ne!(d.level, strata_core::Level::Allow, "allowed finding kept");
        let position = (
            d.file.as_str(),
            d.span.as_ref().map_or(0, |s| s.line),
            d.span.as_ref().map_or(0, |s| s.column),
        );
        assert!(
            previous.is_none_or(|p| p <= position),
            "findings out of order: {previous:?} then {position:?}"
        );
        previous = Some(position);
        let source = loaded.source(&d.file);
        if let Some(span) = &d.span {
            let source =
                source.unwrap_or_else(|| panic!("finding on {} has a span but no source", d.file));
            check_span(source, span, d.lint.name());
        }
        check_render(d, source);
    }
    assert_eq!(
        loaded.has_errors(),
        loaded.diagnostics.iter().any(Diagnostic::is_error)
    );

    let mut previous_version = i64::MIN;
    for m in &loaded.migrations {
        assert!(m.version() >= previous_version, "migrations out of order");
        previous_version = m.version();
        assert!(is_hex64(m.checksum()), "checksum {:?}", m.checksum());
        assert!(
            m.prefix_digest().is_some_and(is_hex64),
            "prefix digest {:?}",
            m.prefix_digest()
        );
        assert_eq!(m.up(), m.up_section().sql());
        for section in std::iter::once(m.up_section()).chain(m.down_section()) {
            assert!(
                section.path().starts_with("migrations/"),
                "{}",
                section.path()
            );
            assert!(section.line() >= 1);
            let sql = section.sql();
            if !sql.is_empty() {
                // The section is the file's text from the start of its line.
                let source = loaded
                    .source(section.path())
                    .expect("section of a file that was read");
                let start = LineIndex::new(source).line_start(section.line());
                assert_eq!(
                    source.get(start..start + sql.len()),
                    Some(sql),
                    "section of {} at line {}",
                    section.path(),
                    section.line()
                );
                let raw = section.raw_offset() as usize;
                assert!(
                    raw == start || raw == start + 3,
                    "raw offset {raw} for a section at byte {start}"
                );
            }
            let mut previous_end = 0;
            for (statement, text) in section.statement_texts() {
                let range = statement.range();
                assert!(
                    range.start >= previous_end && range.end <= sql.len(),
                    "statement {range:?} in a section of {} bytes",
                    sql.len()
                );
                previous_end = range.end;
                assert!(!text.is_empty() && text == &sql[range.clone()]);
                let (line, column) = section.file_position(range.start);
                assert!(line >= section.line() && column >= 1);
                assert_eq!(
                    statement.line(),
                    line,
                    "statement {range:?} of {}",
                    section.path()
                );
            }
        }
    }
}
