//! What every safety lint reads: the UP statements of PostgreSQL migrations above
//! `safety-since`, one at a time, as a list of tokens, with the tables and indexes created
//! earlier in the same migration (new, so nobody uses them yet and their locks hurt no one).
//! DOWN sections are left alone: undoing a migration is destructive by design.

use std::collections::BTreeSet;
use std::ops::Range;

use super::Shared;
use crate::diagnostic::Diagnostic;
use crate::discover::{Candidate, Directory, SourceFile};
use crate::lint_registry::Lint;
use strata_model::dialect::Dialect;

/// One token of a statement, trivia skipped.
#[derive(Debug, Clone)]
pub(crate) struct Tok<'t> {
    pub(crate) text: &'t str,
    /// The word, uppercased; `None` for anything that is not a bare word.
    pub(crate) word: Option<&'t str>,
    /// Byte offset in the file.
    pub(crate) start: usize,
}

/// A statement: its tokens and where it is.
pub(crate) struct Statement<'t> {
    pub(crate) file: &'t SourceFile,
    pub(crate) range: Range<usize>,
    pub(crate) tokens: Vec<Tok<'t>>,
    pub(crate) version: i64,
}

impl<'t> Statement<'t> {
    /// The statement of `file` at `range`, its trivia skipped (`words`: the file's
    /// [`SourceFile::upper_words`]).
    pub(crate) fn new(
        file: &'t SourceFile,
        words: &'t [Option<Box<str>>],
        range: Range<usize>,
        version: i64,
    ) -> Self {
        let first = file.tokens.partition_point(|t| t.start < range.start);
        let tokens = file.tokens[first..]
            .iter()
            .zip(&words[first..])
            .take_while(|(t, _)| t.end <= range.end)
            .filter(|(t, _)| !t.kind.is_trivia())
            .map(|(t, word)| Tok {
                text: &file.text[t.start..t.end],
                word: word.as_deref(),
                start: t.start,
            })
            .collect();
        Statement {
            file,
            range,
            tokens,
            version,
        }
    }

    /// The statement's text as written.
    pub(crate) fn text(&self) -> &str {
        self.file.text.get(self.range.clone()).unwrap_or_default()
    }

    pub(crate) fn word(&self, i: usize) -> Option<&str> {
        self.tokens.get(i).and_then(|t| t.word)
    }

    /// Whether words `i..` begin with `words`.
    pub(crate) fn words_at(&self, i: usize, words: &[&str]) -> bool {
        words
            .iter()
            .enumerate()
            .all(|(k, w)| self.word(i + k) == Some(*w))
    }

    /// The index after optional words at `i` (e.g. `IF EXISTS`, `ONLY`).
    pub(crate) fn skip(&self, mut i: usize, optional: &[&[&str]]) -> usize {
        for words in optional {
            if self.words_at(i, words) {
                i += words.len();
            }
        }
        i
    }

    /// The object name at `i` (`a`, `"A"`, `s.a`): its last part as PostgreSQL stores it
    /// (bare words folded to lower case), and the index after it.
    pub(crate) fn name_at(&self, i: usize) -> Option<(String, usize)> {
        let mut i = i;
        let mut last;
        loop {
            last = identifier(self.tokens.get(i)?)?;
            i += 1;
            if self.tokens.get(i).map(|t| t.text) != Some(".") {
                return Some((last, i));
            }
            i += 1;
        }
    }

    /// A finding at the statement's first word.
    pub(crate) fn finding(&self, lint: Lint, message: String, help: &str) -> Diagnostic {
        Diagnostic::new(lint, &self.file.path, message)
            .at(super::first_word_span(self.file, &self.range))
            .help(help.to_string())
    }

    /// [`names_at`](Self::names_at), less those in `created` (made earlier in this
    /// migration): the existing objects a `DROP TABLE` / `DROP INDEX` / `TRUNCATE` names.
    pub(crate) fn existing_at(&self, i: usize, created: &BTreeSet<String>) -> Vec<String> {
        let mut names = self.names_at(i);
        names.retain(|name| !created.contains(name));
        names
    }

    /// A comma-separated list of object names at `i` (`DROP TABLE a, s.b`), each as
    /// [`name_at`](Self::name_at) reads it.
    pub(crate) fn names_at(&self, mut i: usize) -> Vec<String> {
        let mut names = Vec::new();
        while let Some((name, next)) = self.name_at(i) {
            names.push(name);
            if self.tokens.get(next).map(|t| t.text) != Some(",") {
                break;
            }
            i = next + 1;
        }
        names
    }
}

/// A bare word (folded) or a double-quoted identifier (unquoted).
pub(crate) fn identifier(token: &Tok<'_>) -> Option<String> {
    if token.word.is_some() {
        return Some(token.text.to_ascii_lowercase());
    }
    let inner = token.text.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\"\"", "\""))
}

/// Tables and indexes created earlier in the migration being read.
#[derive(Debug, Default)]
pub(crate) struct Created {
    pub(crate) tables: BTreeSet<String>,
    pub(crate) indexes: BTreeSet<String>,
}

impl Created {
    pub(crate) fn record(&mut self, statement: &Statement<'_>) {
        if statement.word(0) != Some("CREATE") {
            return;
        }
        let mut i = statement.skip(1, &[&["OR", "REPLACE"], &["UNIQUE"]]);
        i = statement.skip(i, &[&["TEMP"], &["TEMPORARY"], &["UNLOGGED"]]);
        if statement.word(i) == Some("TABLE") {
            let i = statement.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]);
            if let Some((name, _)) = statement.name_at(i) {
                self.tables.insert(name);
            }
        } else if statement.word(i) == Some("INDEX") {
            let i = statement.skip(i + 1, &[&["CONCURRENTLY"], &["IF", "NOT", "EXISTS"]]);
            if statement.word(i) != Some("ON")
                && let Some((name, _)) = statement.name_at(i)
            {
                self.indexes.insert(name);
            }
        }
    }
}

/// One UP statement a safety lint may read, prepared once per run (see [`Shared`]).
pub(crate) struct Prepared<'d> {
    pub(crate) candidate: &'d Candidate,
    pub(crate) statement: Statement<'d>,
    /// Above `safety-since`: checked; below it only read (created objects, the schema model).
    pub(crate) linted: bool,
    /// The first statement of its migration: what "created earlier" holds starts again.
    pub(crate) starts_migration: bool,
}

/// The UP statements of a PostgreSQL directory in version order, with their tokens and
/// words (none for other dialects: the safety lints are PostgreSQL's).
pub(crate) fn prepare(directory: &Directory) -> Vec<Prepared<'_>> {
    if directory.config.dialect != Dialect::Postgres {
        return Vec::new();
    }
    // Version order: the facts are the state each migration finds.
    let mut candidates: Vec<&Candidate> = directory.candidates.iter().collect();
    candidates.sort_by_key(|candidate| candidate.name.version);
    let mut prepared = Vec::new();
    for candidate in candidates {
        let version = candidate.name.version;
        let linted = directory
            .config
            .safety_since
            .is_none_or(|since| version > since);
        let mut starts_migration = true;
        for file in candidate.files().map(|i| directory.file(i)) {
            let words = file.upper_words();
            for range in &file.up_statements {
                prepared.push(Prepared {
                    candidate,
                    statement: Statement::new(file, words, range.range.clone(), version),
                    linted,
                    starts_migration,
                });
                starts_migration = false;
            }
        }
    }
    prepared
}

/// Calls `check` for every UP statement a safety lint reads, with what the migration created
/// before it.
pub(crate) fn each_statement(
    shared: &Shared<'_>,
    check: impl FnMut(&Candidate, &Statement<'_>, &Created),
) {
    walk(shared, check);
}

/// The prepared statements in order, with what the migration created before each.
fn walk(shared: &Shared<'_>, mut check: impl FnMut(&Candidate, &Statement<'_>, &Created)) {
    let mut created = Created::default();
    for prepared in shared.safety_statements() {
        if prepared.starts_migration {
            created = Created::default();
        }
        if prepared.linted {
            check(prepared.candidate, &prepared.statement, &created);
        }
        created.record(&prepared.statement);
    }
}

/// The actions of an `ALTER TABLE` from token `start`: token ranges split at commas outside
/// parentheses.
pub(crate) fn actions(statement: &Statement<'_>, start: usize) -> Vec<Range<usize>> {
    split_commas(statement, start..statement.tokens.len())
}

/// `range` split at commas outside parentheses.
pub(crate) fn split_commas(statement: &Statement<'_>, range: Range<usize>) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0usize, range.start);
    for i in range.clone() {
        match statement.tokens[i].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                parts.push(from..i);
                from = i + 1;
            }
            _ => {}
        }
    }
    if from < range.end {
        parts.push(from..range.end);
    }
    parts
}

/// An `ALTER [COLUMN] c [SET DATA] TYPE t [USING ...] [COLLATE ...]` action's new type: its
/// tokens, from the one after `k` (the index after the column's name) to the end of the type.
/// `None` when the action does not change the type.
pub(crate) fn new_type_tokens(
    statement: &Statement<'_>,
    k: usize,
    end: usize,
) -> Option<Range<usize>> {
    let k = statement.skip(k, &[&["SET", "DATA"]]);
    if statement.word(k) != Some("TYPE") {
        return None;
    }
    let stop = (k + 1..end)
        .find(|&t| matches!(statement.word(t), Some("USING" | "COLLATE")))
        .unwrap_or(end);
    Some(k + 1..stop)
}

/// Whether the words of `range` hold `words` in a row, outside parentheses.
pub(crate) fn has_words(statement: &Statement<'_>, range: &Range<usize>, words: &[&str]) -> bool {
    let mut depth = 0usize;
    for i in range.clone() {
        match statement.tokens[i].text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0 && i + words.len() <= range.end && statement.words_at(i, words) => {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// An `ALTER [COLUMN] c ...` action at `start`: the column and the index after its name.
pub(crate) fn altered_column(statement: &Statement<'_>, start: usize) -> Option<(String, usize)> {
    if statement.word(start) != Some("ALTER") {
        return None;
    }
    statement.name_at(statement.skip(start + 1, &[&["COLUMN"]]))
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name`: the table and the index of its first action.
pub(crate) fn altered_table(statement: &Statement<'_>) -> Option<(String, usize)> {
    if !statement.words_at(0, &["ALTER", "TABLE"]) {
        return None;
    }
    let i = statement.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
    statement.name_at(i)
}

/// [`altered_table`], when the migration did not create the table earlier (so others use it).
pub(crate) fn altered_existing_table(
    statement: &Statement<'_>,
    created: &Created,
) -> Option<(String, usize)> {
    altered_table(statement).filter(|(table, _)| !created.tables.contains(table))
}
