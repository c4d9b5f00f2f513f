//! The SQLite replay: every UP in version order on an in-memory database, each DOWN right
//! after its UP inside a savepoint rolled back afterwards, the schema compared through the
//! catalog query `strata verify` uses.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use strata_model::position::{LineIndex, line_column};
use strata_model::schema_snapshot::{SQLITE_CATALOG, Snapshot};
use strata_model::statements::StatementRange;

use super::{Verdict, closest};
use crate::diagnostic::Diagnostic;
use crate::discover::{Directory, SourceFile};
use crate::lint_registry::Lint;

/// One statement may run this long; past it the replay gives up (a recursive CTE seeding
/// millions of rows must not hang the build).
const STATEMENT_BUDGET: Duration = Duration::from_secs(2);

/// Where an object was last created or dropped.
#[derive(Debug, Clone)]
struct Event {
    /// `created`, `dropped`, `renamed to x`.
    what: String,
    version: i64,
    path: String,
    line: u32,
}

impl Event {
    fn describe(&self) -> String {
        format!(
            "{} by migration {} ({}:{})",
            self.what, self.version, self.path, self.line
        )
    }
}

/// A statement to run, and where it is.
struct Located<'f> {
    file: &'f SourceFile,
    range: &'f StatementRange,
    version: i64,
}

impl Located<'_> {
    fn sql(&self) -> &str {
        self.file
            .text
            .get(self.range.range.clone())
            .unwrap_or_default()
    }

    fn line(&self) -> u32 {
        line_column(&self.file.text, self.range.range.start).0
    }
}

struct Replay {
    conn: Connection,
    /// Objects in the database now: (type, name), names lowercased.
    objects: BTreeSet<(String, String)>,
    /// By lowercased name: what last happened to it.
    events: BTreeMap<String, Event>,
}

/// How a statement ended.
enum Outcome {
    Ran,
    /// A certain failure, reported.
    Reported(Diagnostic),
    /// The replay cannot judge what follows.
    Unknown,
}

pub(super) fn replay(directory: &Directory) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    replay_into(directory, &mut out, &mut |_, _| {});
    out
}

/// One object of SQLite's catalog: (type, name, table), and a table's columns as
/// `pragma table_info` gives them: (name, declared type, NOT NULL, default, primary key
/// position).
pub type CatalogObject = (
    (String, String, String),
    Vec<(String, String, bool, Option<String>, i64)>,
);

/// The schema after each migration's UP in the build-time replay, in version order, read
/// from the replay's own database: what the catalog test compares with a database the
/// runtime migrated. The replay stops where it stops for the lints.
pub fn schemas(directory: &Directory) -> Vec<(i64, Vec<CatalogObject>)> {
    let mut steps = Vec::new();
    replay_into(directory, &mut Vec::new(), &mut |version, conn| {
        steps.push((version, catalog(conn).unwrap_or_default()));
    });
    steps
}

fn catalog(conn: &Connection) -> rusqlite::Result<Vec<CatalogObject>> {
    let mut objects = conn.prepare(
        "SELECT type, name, tbl_name FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
    )?;
    let objects: Vec<(String, String, String)> = objects
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut columns = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
    )?;
    objects
        .into_iter()
        .map(|object| {
            let list = if object.0 == "table" {
                columns
                    .query_map([&object.1], |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                Vec::new()
            };
            Ok((object, list))
        })
        .collect()
}

fn replay_into(
    directory: &Directory,
    out: &mut Vec<Diagnostic>,
    after: &mut dyn FnMut(i64, &Connection),
) {
    let Ok(conn) = Connection::open_in_memory() else {
        return;
    };
    // SQLite's own default (the bundled build turns them on): with foreign keys enforced, a
    // DROP TABLE fails over a dangling reference in another table, which a project whose
    // connections leave them off never sees. What they would refuse is data, not schema.
    if conn.execute_batch("PRAGMA foreign_keys = OFF").is_err() {
        return;
    }
    let mut replay = Replay {
        conn,
        objects: BTreeSet::new(),
        events: BTreeMap::new(),
    };
    let Some(candidates) = super::in_version_order(directory) else {
        return;
    };
    for candidate in candidates {
        let version = candidate.name.version;
        let files: Vec<&SourceFile> = candidate.files().map(|i| directory.file(i)).collect();
        let ups: Vec<Located<'_>> = files
            .iter()
            .flat_map(|file| {
                file.up_statements.iter().map(move |range| Located {
                    file,
                    range,
                    version,
                })
            })
            .collect();
        let downs: Vec<Located<'_>> = files
            .iter()
            .flat_map(|file| {
                file.down_statements.iter().map(move |range| Located {
                    file,
                    range,
                    version,
                })
            })
            .collect();
        let before = if downs.is_empty() {
            None
        } else {
            replay.snapshot()
        };
        for statement in &ups {
            match replay.run(statement, true) {
                Outcome::Ran => {}
                Outcome::Reported(finding) => {
                    out.push(finding);
                    return;
                }
                Outcome::Unknown => return,
            }
        }
        after(version, &replay.conn);
        if let Some(before) = before {
            replay.check_down(&downs, &before, out);
        }
    }
}

impl Replay {
    /// Runs one statement to its end; on success notes what it created and dropped
    /// (`record`: an UP, which stays).
    fn run(&mut self, statement: &Located<'_>, record: bool) -> Outcome {
        let sql = statement.sql();
        if controls_transaction(sql) {
            return Outcome::Unknown;
        }
        match self.execute(sql) {
            Ok(()) => {
                if record {
                    self.note_changes(statement);
                }
                Outcome::Ran
            }
            Err(error) => match self.judge(&error, sql) {
                (Verdict::Undefined(message), offset) => Outcome::Reported(self.finding(
                    statement,
                    Lint::UndefinedObject,
                    &message,
                    offset,
                )),
                (Verdict::Duplicate(message), offset) => Outcome::Reported(self.finding(
                    statement,
                    Lint::DuplicateObject,
                    &message,
                    offset,
                )),
                (Verdict::Unknown, _) => Outcome::Unknown,
            },
        }
    }

    /// Prepares and steps `sql` to its end, within the time budget.
    fn execute(&self, sql: &str) -> rusqlite::Result<()> {
        let deadline = Instant::now() + STATEMENT_BUDGET;
        self.conn
            .progress_handler(10_000, Some(move || Instant::now() > deadline));
        let outcome = (|| {
            let mut prepared = self.conn.prepare(sql)?;
            let mut rows = prepared.raw_query();
            while rows.next()?.is_some() {}
            Ok(())
        })();
        self.conn.progress_handler(0, None::<fn() -> bool>);
        outcome
    }

    /// The objects now, by type and lowercased name.
    fn objects(&self) -> BTreeSet<(String, String)> {
        let read = || -> rusqlite::Result<BTreeSet<(String, String)>> {
            let mut statement = self.conn.prepare(
                "SELECT type, lower(name) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            )?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        read().unwrap_or_default()
    }

    /// Records what `statement` created, dropped or renamed.
    fn note_changes(&mut self, statement: &Located<'_>) {
        let now = self.objects();
        let added: Vec<&(String, String)> = now.difference(&self.objects).collect();
        let removed: Vec<&(String, String)> = self.objects.difference(&now).collect();
        let event = |what: String| Event {
            what,
            version: statement.version,
            path: statement.file.path.clone(),
            line: statement.line(),
        };
        let renamed = match (added.as_slice(), removed.as_slice()) {
            ([new], [old]) if new.0 == old.0 => Some((old.1.clone(), new.1.clone())),
            _ => None,
        };
        let mut events = Vec::new();
        if let Some((old, new)) = renamed {
            events.push((old, event(format!("renamed to `{new}`"))));
            events.push((new, event("created (by a rename)".to_string())));
        } else {
            events.extend(
                removed
                    .iter()
                    .map(|o| (o.1.clone(), event("dropped".into()))),
            );
            events.extend(added.iter().map(|o| (o.1.clone(), event("created".into()))));
        }
        self.events.extend(events);
        self.objects = now;
    }

    /// What SQLite's error means, and where in the statement (a byte offset).
    fn judge(&self, error: &rusqlite::Error, sql: &str) -> (Verdict, Option<usize>) {
        let (message, offset) = match error {
            rusqlite::Error::SqlInputError { msg, offset, .. } => {
                (msg.as_str(), usize::try_from(*offset).ok())
            }
            rusqlite::Error::SqliteFailure(_, Some(msg)) => (msg.as_str(), None),
            _ => return (Verdict::Unknown, None),
        };
        (
            self.verdict(message, sql),
            offset.filter(|o| *o < sql.len()),
        )
    }

    fn verdict(&self, message: &str, sql: &str) -> Verdict {
        let missing = ["table", "index", "view", "trigger"]
            .iter()
            .find_map(|kind| Some((*kind, message.strip_prefix(&format!("no such {kind}: "))?)));
        if let Some((kind, name)) = missing {
            let name = name.strip_prefix("main.").unwrap_or(name);
            // Only what a migration made and then dropped or renamed is certainly gone: a
            // name no migration made may be in the database from before strata. And only
            // when the statement names it: SQLite also says this of a table reached
            // through another (a trigger, a foreign key).
            if !names_word(sql, name) {
                return Verdict::Unknown;
            }
            return match self.events.get(&name.to_ascii_lowercase()) {
                Some(event) => Verdict::Undefined(format!(
                    "{kind} `{name}` does not exist here: it was {}",
                    event.describe()
                )),
                None => Verdict::Unknown,
            };
        }
        if let Some(column) = message.strip_prefix("no such column: ") {
            // SQLite resolved every table first, so they are the migrations' own; unless the
            // name is double-quoted, which SQLite may read as a string elsewhere.
            let bare = column.rsplit('.').next().unwrap_or(column);
            if sql.contains(&format!("\"{bare}\"")) {
                return Verdict::Unknown;
            }
            let hint = self
                .columns_like(bare)
                .map(|near| format!(" (did you mean `{near}`?)"))
                .unwrap_or_default();
            return Verdict::Undefined(format!(
                "no such column `{column}` in the tables this statement names{hint}"
            ));
        }
        if let Some(column) = message.strip_prefix("duplicate column name: ") {
            return Verdict::Duplicate(format!("column `{column}` already exists"));
        }
        for kind in ["table", "index", "view", "trigger"] {
            if let Some(name) = message
                .strip_prefix(&format!("{kind} "))
                .and_then(|rest| rest.strip_suffix(" already exists"))
            {
                let name = name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
                let origin = self
                    .events
                    .get(&name.to_ascii_lowercase())
                    .map(|event| format!(": {}", event.describe()))
                    .unwrap_or_default();
                return Verdict::Duplicate(format!(
                    "{kind} `{name}` already exists{origin}; \
                     `CREATE {} IF NOT EXISTS` if that is expected",
                    kind.to_ascii_uppercase()
                ));
            }
        }
        Verdict::Unknown
    }

    /// A column of any table near `name`, for "did you mean".
    fn columns_like(&self, name: &str) -> Option<String> {
        let read = || -> rusqlite::Result<Vec<String>> {
            let mut statement = self.conn.prepare(
                "SELECT DISTINCT c.name FROM sqlite_schema t, pragma_table_info(t.name) c \
                 WHERE t.type = 'table'",
            )?;
            let rows = statement.query_map([], |row| row.get(0))?;
            rows.collect()
        };
        let columns = read().unwrap_or_default();
        closest(name, &columns).cloned()
    }

    fn finding(
        &self,
        statement: &Located<'_>,
        lint: Lint,
        message: &str,
        offset: Option<usize>,
    ) -> Diagnostic {
        let file = statement.file;
        let index = LineIndex::new(&file.text);
        let start = statement.range.range.start + offset.unwrap_or(0);
        let span = match offset {
            Some(_) => {
                let end = file.text[start..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(file.text.len(), |i| start + i)
                    .max(start + 1)
                    .min(file.text.len());
                index.span(start, end)
            }
            None => crate::lints::first_word_span(file, &statement.range.range),
        };
        let hint = match lint {
            Lint::UndefinedObject => self.table_hint(statement.sql()),
            _ => None,
        };
        let mut finding = Diagnostic::new(
            lint,
            &file.path,
            format!("migration {}: {message}", statement.version),
        )
        .at(span);
        finding.help = hint.or_else(|| {
            Some(
                "strata applied every earlier migration to an empty SQLite database at build \
                 time, and SQLite refused this statement there"
                    .to_string(),
            )
        });
        finding
    }

    /// "did you mean" for a table the statement names that does not exist.
    fn table_hint(&self, sql: &str) -> Option<String> {
        let tables: Vec<String> = self
            .objects
            .iter()
            .filter(|(kind, _)| kind == "table" || kind == "view")
            .map(|(_, name)| name.clone())
            .collect();
        sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .filter(|word| !tables.iter().any(|t| t.eq_ignore_ascii_case(word)))
            .find_map(|word| closest(word, &tables).map(|t| format!("did you mean `{t}`?")))
    }

    /// The schema now, descriptions normalised so that a DOWN which re-creates an object in
    /// other words (spacing, case) is not a difference.
    fn snapshot(&self) -> Option<Snapshot> {
        let query = SQLITE_CATALOG
            .replace("{history}", "''")
            .replace("{lease}", "''");
        let read = || -> rusqlite::Result<Vec<(String, String, String)>> {
            let mut statement = self.conn.prepare(&query)?;
            let rows = statement.query_map([], |row| {
                let kind: String = row.get(0)?;
                let detail: Option<String> = row.get(2)?;
                let detail = detail.unwrap_or_default();
                let detail = if matches!(kind.as_str(), "index" | "view" | "trigger") {
                    normalised(&detail)
                } else {
                    detail
                };
                Ok((kind, row.get(1)?, detail))
            })?;
            rows.collect()
        };
        read().ok().map(Snapshot::from_rows)
    }

    /// Runs the DOWN right after its UP in a savepoint, compares the schema with `before`,
    /// and rolls the DOWN back, so the replay goes on from the UP's state.
    fn check_down(&mut self, downs: &[Located<'_>], before: &Snapshot, out: &mut Vec<Diagnostic>) {
        if self.conn.execute_batch("SAVEPOINT strata_down").is_err() {
            return;
        }
        let mut complete = true;
        for statement in downs {
            match self.run(statement, false) {
                Outcome::Ran => {}
                Outcome::Reported(finding) => {
                    out.push(finding);
                    complete = false;
                    break;
                }
                Outcome::Unknown => {
                    complete = false;
                    break;
                }
            }
        }
        if complete && let Some(after) = self.snapshot() {
            let differences = before.differences(&after);
            if let (false, Some(first)) = (differences.is_empty(), downs.first()) {
                let differences: Vec<String> = differences
                    .iter()
                    .map(|d| d.describe("is still there", "is missing"))
                    .collect();
                out.push(super::down_not_inverse(
                    first.file,
                    &first.range.range,
                    first.version,
                    &differences,
                    "replayed at build time: the UP, then this DOWN, on an in-memory SQLite",
                ));
            }
        }
        let _ = self
            .conn
            .execute_batch("ROLLBACK TO strata_down; RELEASE strata_down");
    }
}

/// Whether `sql` holds `name` as a word (case-insensitive, quoted or not).
fn names_word(sql: &str, name: &str) -> bool {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|word| word.eq_ignore_ascii_case(name))
}

/// An index's, view's or trigger's SQL, which SQLite keeps as written, without what does
/// not change its meaning: case, identifier quotes (SQLite adds them to the references it
/// rewrites when a table is renamed), and spacing (one space between words, none next to
/// punctuation).
fn normalised(sql: &str) -> String {
    let lower: String = sql
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '"' | '`' | '[' | ']'))
        .collect();
    let mut out = String::with_capacity(lower.len());
    let mut space = false;
    for c in lower.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        let punctuation = |c: char| "(),;".contains(c);
        if space && !out.is_empty() && !punctuation(c) && !out.ends_with(punctuation) {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Whether a statement begins or ends a transaction, which the replay's own savepoints
/// cannot hold.
fn controls_transaction(sql: &str) -> bool {
    let first = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "ATTACH" | "DETACH"
    )
}
