//! The PostgreSQL schema model: every migration replayed in version order over the
//! statements' tokens, no database involved. What it follows is in `model.rs`; what each
//! statement does, in `tables.rs` (with `columns.rs`, `constraints.rs`, `relations.rs`),
//! `objects.rs` (other relations, DROP), `types.rs`, `routines.rs`, `namespaces.rs` and
//! `references.rs`.
//!
//! It knows when it does not know. A statement it does not follow (a DO block, a function
//! call, dynamic SQL, a kind it does not handle) makes every name it mentions unknown, and
//! the names PostgreSQL would derive from them; nothing unknown is reported. A name no
//! migration made is reported only when the set relies on nothing from outside: when every
//! such name in the whole set is a near miss of one it made (a typo), never when one is not
//! (a database older than the migrations, an extension's table, a platform's schema).

mod columns;
mod constraints;
mod definitions;
pub mod model;
mod names;
mod namespaces;
mod objects;
mod references;
mod relations;
mod replay;
mod routines;
mod tables;
mod types;

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::level::Level;
use crate::lint_registry::Lint;
use crate::lints::safety_scope::{self, Created, Prepared, Statement};
use crate::lints::{adding_not_nullable_field, changing_column_type};
use model::Model;
use replay::Replay;

/// The safety lints that read the model, as enabled for this directory.
struct SafetyChecks<'d> {
    directory: &'d Directory,
    changing_column_type: bool,
    adding_not_nullable_field: bool,
}

impl SafetyChecks<'_> {
    /// Checks `statement` (above `safety-since`) against the schema before it.
    fn check(
        &self,
        statement: &Statement<'_>,
        created: &Created,
        model: &Model,
    ) -> Vec<Diagnostic> {
        let mut found = Vec::new();
        if self.changing_column_type {
            changing_column_type::check_statement(statement, created, model, &mut found);
        }
        if self.adding_not_nullable_field {
            adding_not_nullable_field::check_statement(
                self.directory,
                statement,
                created,
                model,
                &mut found,
            );
        }
        found
    }
}

/// The findings of the replay over `directory` (`prepared`: its UP statements, as
/// [`safety_scope::prepare`] makes them), the safety lints that read the model included.
pub(crate) fn replay(directory: &Directory, prepared: &[Prepared<'_>]) -> Vec<Diagnostic> {
    let enabled = |lint: Lint| directory.config.level(lint) != Level::Allow;
    let safety = SafetyChecks {
        directory,
        changing_column_type: enabled(Lint::ChangingColumnType),
        adding_not_nullable_field: enabled(Lint::AddingNotNullableField),
    };
    let mut replay = Replay::new();
    walk(
        directory,
        prepared,
        &mut replay,
        None,
        Some(&safety),
        |_, _| {},
    );
    let keep_never_created = !replay.open && !replay.model.dynamic;
    replay
        .findings
        .into_iter()
        .filter(|finding| keep_never_created || !finding.never_created)
        .map(|finding| finding.diagnostic)
        .collect()
}

/// The model after each migration up to `at` (all when `None`), in version order: what
/// `strata schema` prints and what the catalog test compares with a server.
pub fn models(directory: &Directory, at: Option<i64>) -> Vec<(i64, Model)> {
    let prepared = safety_scope::prepare(directory);
    let mut replay = Replay::new();
    let mut out = Vec::new();
    walk(
        directory,
        &prepared,
        &mut replay,
        at,
        None,
        |version, model| {
            out.push((version, model.clone()));
        },
    );
    out
}

/// The model after the migrations up to `at` (all when `None`), with the last version
/// replayed: what `strata schema` prints, without a copy of the model per migration.
pub fn model_at(directory: &Directory, at: Option<i64>) -> (Option<i64>, Model) {
    let prepared = safety_scope::prepare(directory);
    let mut replay = Replay::new();
    let mut through = None;
    walk(directory, &prepared, &mut replay, at, None, |version, _| {
        through = Some(version);
    });
    (through, replay.model)
}

/// Replays the migrations in version order (UP; each DOWN checked right after its UP),
/// running the safety checks before each UP statement they lint and calling `after` with
/// the model after each UP.
fn walk(
    directory: &Directory,
    prepared: &[Prepared<'_>],
    replay: &mut Replay,
    at: Option<i64>,
    safety: Option<&SafetyChecks<'_>>,
    mut after: impl FnMut(i64, &Model),
) {
    let Some(candidates) = super::in_version_order(directory) else {
        return;
    };
    // After a ROLLBACK nothing is known: the safety checks read an empty model then.
    let nothing_known = Model::default();
    let mut next = 0;
    for candidate in candidates {
        let version = candidate.name.version;
        if at.is_some_and(|at| version > at) {
            return;
        }
        // The prepared UP statements are in version order, a migration's together.
        let count = prepared[next..]
            .iter()
            .take_while(|p| std::ptr::eq(p.candidate, candidate))
            .count();
        let ups = &prepared[next..next + count];
        next += count;
        let downs: Vec<Statement<'_>> = candidate
            .files()
            .map(|i| directory.file(i))
            .flat_map(|file| {
                let words = file.upper_words();
                file.down_statements
                    .iter()
                    .map(move |range| Statement::new(file, words, range.range.clone(), version))
            })
            .collect();
        // Each migration starts on a fresh search_path (`public`), as a run's first does.
        replay.model.search_path = vec!["public".to_string()];
        let before =
            (!downs.is_empty() && !replay.stopped).then(|| (replay.model.clone(), replay.inexact));
        let mut created = Created::default();
        for up in ups {
            if let Some(safety) = safety
                && up.linted
            {
                let model = if replay.stopped {
                    &nothing_known
                } else {
                    &replay.model
                };
                let found = safety.check(&up.statement, &created, model);
                replay
                    .findings
                    .extend(found.into_iter().map(|diagnostic| replay::Finding {
                        diagnostic,
                        never_created: false,
                    }));
            }
            created.record(&up.statement);
            if !replay.stopped {
                apply(replay, &up.statement);
            }
        }
        let path_changed = std::mem::take(&mut replay.session_path_set);
        after(version, &replay.model);
        if let Some((before, inexact)) = before {
            check_down(replay, &downs, &before, inexact);
        }
        // A session's search_path outlives its migration when several run on one connection.
        if path_changed {
            replay.model.path_certain = false;
        }
    }
}

/// Runs the DOWN on a copy of the model after its UP and compares the result with the model
/// before the UP, when every step was followed.
fn check_down(replay: &mut Replay, downs: &[Statement<'_>], before: &Model, inexact: u64) {
    let after_up = replay.model.clone();
    replay.model.search_path = vec!["public".to_string()];
    let findings = replay.findings.len();
    for statement in downs {
        apply(replay, statement);
        if replay.stopped || replay.failed_statement {
            break;
        }
    }
    let followed =
        replay.inexact == inexact && replay.findings.len() == findings && !replay.stopped;
    if followed {
        let differences = before.differences(&replay.model);
        if let (false, Some(first)) = (differences.is_empty(), downs.first()) {
            let diagnostic = super::down_not_inverse(
                first.file,
                &first.range,
                first.version,
                &differences,
                "strata replayed the UP, then this DOWN, in its schema model at build time",
            );
            replay.findings.push(replay::Finding {
                diagnostic,
                never_created: false,
            });
        }
    }
    replay.stopped = false;
    replay.model = after_up;
}

/// One statement.
fn apply(replay: &mut Replay, statement: &Statement<'_>) {
    replay.failed_statement = false;
    let word = |i: usize| statement.word(i);
    match word(0) {
        Some("CREATE") => create(replay, statement),
        Some("ALTER") => alter(replay, statement),
        Some("DROP") => {
            if !objects::drop(replay, statement) && !harmless_drop(statement) {
                replay.opaque(statement);
            }
        }
        Some("INSERT") => references::insert(replay, statement),
        Some("UPDATE") => references::update(replay, statement),
        Some("DELETE") => references::delete(replay, statement),
        Some("TRUNCATE") => references::truncate(replay, statement),
        Some("COMMENT") => references::comment(replay, statement),
        Some("SET") => set(replay, statement),
        Some("RESET") => {
            if matches!(word(1), Some("SEARCH_PATH" | "ALL")) {
                replay.model.search_path = vec!["public".to_string()];
            } else if matches!(word(1), Some("ROLE" | "SESSION")) {
                replay.model.path_certain = false;
            }
        }
        // A SELECT that calls nothing and makes no table (`SELECT ... INTO t` does).
        Some("SELECT")
            if !statement
                .tokens
                .iter()
                .any(|t| t.text == "(" || t.word == Some("INTO")) => {}
        // Transaction control, privileges, maintenance, notifications: no schema change.
        Some(
            "BEGIN" | "COMMIT" | "END" | "START" | "SAVEPOINT" | "RELEASE" | "GRANT" | "REVOKE"
            | "ANALYZE" | "ANALYSE" | "VACUUM" | "REFRESH" | "LOCK" | "NOTIFY" | "LISTEN"
            | "UNLISTEN" | "DISCARD" | "CLUSTER" | "REINDEX" | "CHECKPOINT" | "COPY" | "SHOW"
            | "VALUES" | "SECURITY",
        ) => {}
        Some("ROLLBACK" | "ABORT") => replay.stopped = true,
        _ => replay.opaque(statement),
    }
}

/// `DROP` of something the model does not keep (a policy, a role, a rule...).
fn harmless_drop(statement: &Statement<'_>) -> bool {
    matches!(
        statement.word(1),
        Some("POLICY" | "ROLE" | "USER" | "GROUP" | "RULE" | "PUBLICATION" | "STATISTICS")
    )
}

fn create(replay: &mut Replay, statement: &Statement<'_>) {
    let or_replace = statement.words_at(1, &["OR", "REPLACE"]);
    let i = statement.skip(1, &[&["OR", "REPLACE"]]);
    match statement.word(i) {
        Some("TABLE" | "TEMP" | "TEMPORARY" | "UNLOGGED" | "GLOBAL" | "LOCAL")
            if (i..i + 4).any(|k| statement.word(k) == Some("TABLE")) =>
        {
            tables::create_table(replay, statement)
        }
        Some("UNIQUE") if statement.word(i + 1) == Some("INDEX") => {
            objects::create_index(replay, statement, true, i + 2)
        }
        Some("INDEX") => objects::create_index(replay, statement, false, i + 1),
        Some("SEQUENCE") => objects::create_sequence(replay, statement, i + 1),
        Some("TEMP" | "TEMPORARY") => {
            // A temporary view or sequence: gone with the session.
            replay.opaque(statement);
        }
        Some("VIEW") => objects::create_view(replay, statement, i + 1, false, or_replace),
        Some("RECURSIVE") if statement.word(i + 1) == Some("VIEW") => {
            objects::create_view(replay, statement, i + 2, false, or_replace)
        }
        Some("MATERIALIZED") if statement.word(i + 1) == Some("VIEW") => {
            objects::create_view(replay, statement, i + 2, true, or_replace)
        }
        Some("TYPE") if i == 1 => types::create_type(replay, statement, false),
        Some("DOMAIN") if i == 1 => types::create_type(replay, statement, true),
        Some("FUNCTION" | "PROCEDURE") => routines::create_function(replay, statement, i + 1),
        Some("TRIGGER") => routines::create_trigger(replay, statement, i + 1, or_replace),
        Some("CONSTRAINT") if statement.word(i + 1) == Some("TRIGGER") => {
            routines::create_trigger(replay, statement, i + 2, or_replace)
        }
        Some("EXTENSION") => namespaces::create_extension(replay, statement),
        Some("SCHEMA") => namespaces::create_schema(replay, statement),
        // Objects outside the namespaces the model follows.
        Some(
            "POLICY" | "ROLE" | "USER" | "GROUP" | "PUBLICATION" | "STATISTICS" | "RULE"
            | "TABLESPACE" | "LANGUAGE" | "TRUSTED" | "PROCEDURAL",
        ) => {}
        _ => replay.opaque(statement),
    }
}

fn alter(replay: &mut Replay, statement: &Statement<'_>) {
    if statement
        .text()
        .to_ascii_lowercase()
        .contains("search_path")
    {
        // ALTER ROLE / DATABASE ... SET search_path: later sessions' paths.
        replay.model.path_certain = false;
    }
    match (statement.word(1), statement.word(2)) {
        (Some("TABLE"), _) => tables::alter_table(replay, statement),
        (Some("INDEX"), _) => objects::alter_relation(replay, statement, 2, "index"),
        (Some("SEQUENCE"), _) => objects::alter_relation(replay, statement, 2, "sequence"),
        (Some("VIEW"), _) => objects::alter_relation(replay, statement, 2, "view"),
        (Some("MATERIALIZED"), Some("VIEW")) => {
            objects::alter_relation(replay, statement, 3, "materialized view")
        }
        (Some("TYPE"), _) => types::alter_type(replay, statement),
        (Some("FUNCTION" | "PROCEDURE" | "ROUTINE"), _) => {
            routines::alter_function(replay, statement)
        }
        (Some("SCHEMA"), _) => namespaces::alter_schema(replay, statement),
        (Some("DOMAIN"), _) if !statement.words_at(3, &["RENAME", "TO"]) => {}
        (
            Some(
                "ROLE" | "USER" | "GROUP" | "DATABASE" | "DEFAULT" | "POLICY" | "PUBLICATION"
                | "SYSTEM",
            ),
            _,
        ) => {}
        (Some("EXTENSION"), _) if !statement.words_at(3, &["UPDATE"]) => {}
        _ => replay.opaque(statement),
    }
}

/// `SET [SESSION | LOCAL] search_path { TO | = } a, b`; SET ROLE; other settings.
fn set(replay: &mut Replay, statement: &Statement<'_>) {
    let local = statement.word(1) == Some("LOCAL");
    let i = statement.skip(1, &[&["SESSION"], &["LOCAL"]]);
    match statement.word(i) {
        Some("SEARCH_PATH") => {
            // SET LOCAL ends with the migration's transaction; SET outlives it.
            if !local {
                replay.session_path_set = true;
            }
            let mut path = Vec::new();
            let mut certain = true;
            for t in i + 2..statement.tokens.len() {
                let token = &statement.tokens[t];
                if token.text == "," {
                    continue;
                }
                let schema = match token.word {
                    Some("DEFAULT") => Some("public".to_string()),
                    _ => types::string_value(token.text)
                        .or_else(|| crate::lints::safety_scope::identifier(token)),
                };
                match schema {
                    Some(schema) if schema == "$user" || schema.contains(',') => certain = false,
                    Some(schema) => path.push(schema),
                    None => certain = false,
                }
            }
            // Only schemas a migration made are certain to exist; a path through others
            // (the database's own) is not followed.
            if !certain
                || path.is_empty()
                || path
                    .iter()
                    .any(|schema| !replay.model.schemas.contains(schema))
            {
                replay.model.path_certain = false;
                replay.inexact += 1;
            }
            replay.model.search_path = path;
            if replay.model.search_path.is_empty() {
                replay.model.search_path = vec!["public".to_string()];
            }
        }
        Some("ROLE" | "SESSION") => {
            replay.model.path_certain = false;
        }
        _ => {}
    }
}
