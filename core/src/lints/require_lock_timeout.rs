//! `require-lock-timeout` (opt-in): a statement that takes an ACCESS EXCLUSIVE lock on a
//! table the migration did not create, with no `SET lock_timeout` earlier in the migration.
//! Waiting for that lock behind one long query makes every other query on the table queue
//! behind the migration: the outage is the wait, not the statement.

use super::Shared;
use super::safety_scope::{Statement, actions, altered_existing_table, each_statement};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    let mut current: Option<i64> = None;
    let mut settled = false;
    each_statement(shared, |_, statement, created| {
        if current != Some(statement.version) {
            current = Some(statement.version);
            settled = false;
        }
        if settled {
            return;
        }
        if sets_lock_timeout(statement) {
            settled = true;
            return;
        }
        let table = match statement.word(0) {
            Some("ALTER") => altered_existing_table(statement, created)
                .filter(|(_, first)| takes_access_exclusive(statement, *first))
                .map(|(table, _)| table),
            Some("DROP") if statement.words_at(1, &["TABLE"]) => {
                let i = statement.skip(2, &[&["IF", "EXISTS"]]);
                statement.existing_at(i, &created.tables).into_iter().next()
            }
            Some("TRUNCATE") => {
                let i = statement.skip(1, &[&["TABLE"], &["ONLY"]]);
                statement.existing_at(i, &created.tables).into_iter().next()
            }
            Some("LOCK") => {
                let i = statement.skip(1, &[&["TABLE"], &["ONLY"]]);
                let explicit_mode = statement.tokens.iter().any(|t| t.word == Some("MODE"));
                let exclusive = !explicit_mode
                    || statement
                        .tokens
                        .windows(2)
                        .any(|w| w[0].word == Some("ACCESS") && w[1].word == Some("EXCLUSIVE"));
                let existing = statement.existing_at(i, &created.tables);
                existing.into_iter().next().filter(|_| exclusive)
            }
            _ => None,
        };
        let Some(table) = table else {
            return;
        };
        settled = true;
        out.push(statement.finding(
            Lint::RequireLockTimeout,
            format!(
                "migration {} takes an ACCESS EXCLUSIVE lock on `{table}` with no `SET \
                 lock_timeout` before it: while it waits for one long query on `{table}`, every \
                 other query on the table queues behind it",
                statement.version
            ),
            "start the migration with `SET LOCAL lock_timeout = '5s';` (in a no-transaction \
             migration, `SET lock_timeout = '5s';`) and retry the deploy when it times out",
        ));
    });
}

/// `SET [LOCAL | SESSION] lock_timeout ...`.
fn sets_lock_timeout(statement: &Statement<'_>) -> bool {
    statement.word(0) == Some("SET")
        && statement.word(statement.skip(1, &[&["LOCAL"], &["SESSION"]])) == Some("LOCK_TIMEOUT")
}

/// Whether an `ALTER TABLE` takes ACCESS EXCLUSIVE: every form does except the few with a
/// weaker lock (`VALIDATE CONSTRAINT`, a `NOT VALID` foreign key, statistics and attribute
/// options, `CLUSTER ON`, triggers); one strong action is enough.
fn takes_access_exclusive(statement: &Statement<'_>, first: usize) -> bool {
    actions(statement, first).into_iter().any(|action| {
        let s = action.start;
        let weaker = statement.words_at(s, &["VALIDATE", "CONSTRAINT"])
            || statement.words_at(s, &["CLUSTER", "ON"])
            || statement.words_at(s, &["SET", "WITHOUT", "CLUSTER"])
            || matches!(statement.word(s), Some("ENABLE" | "DISABLE"))
                && action.clone().any(|t| statement.word(t) == Some("TRIGGER"))
            || (statement.word(s) == Some("ADD")
                && action.clone().any(|t| statement.word(t) == Some("FOREIGN"))
                && super::safety_scope::has_words(statement, &action, &["NOT", "VALID"]))
            || (statement.word(s) == Some("ALTER")
                && action
                    .clone()
                    .any(|t| matches!(statement.word(t), Some("STATISTICS")))
                && !action.clone().any(|t| statement.word(t) == Some("TYPE")));
        !weaker
    })
}
