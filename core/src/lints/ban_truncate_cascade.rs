//! `ban-truncate-cascade`: `TRUNCATE ... CASCADE` empties every table with a foreign key to
//! the named ones, and theirs in turn: more than the statement names.

use super::Shared;
use super::safety_scope::each_statement;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, _| {
        let last = statement.tokens.len().saturating_sub(1);
        if statement.word(0) != Some("TRUNCATE") || statement.word(last) != Some("CASCADE") {
            return;
        }
        out.push(statement.finding(
            Lint::BanTruncateCascade,
            format!(
                "migration {} truncates with CASCADE: every table that references these, and \
                 those that reference them, is emptied too, under an ACCESS EXCLUSIVE lock",
                statement.version
            ),
            "name every table to empty explicitly, without CASCADE: PostgreSQL then refuses \
             instead of emptying a table you did not name",
        ));
    });
}
