//! One statement at a time over the [`Model`]: what it creates, changes and drops, and what
//! PostgreSQL would certainly refuse. Findings are kept with whether the missing name was
//! ever made (see [`Finding::never_created`]).

use super::model::{Event, Key, Kind, Model, Relation};
use super::names::Name;
use crate::diagnostic::Diagnostic;
use crate::lint_registry::Lint;
use crate::lints::replay::closest;
use crate::lints::safety_scope::Statement;
use strata_model::position::LineIndex;

/// A finding, before the set as a whole decides whether it stands.
pub(crate) struct Finding {
    pub(crate) diagnostic: Diagnostic,
    /// About a name no statement made: reported only when the set relies on nothing from
    /// outside (every such name is a near miss of one it made).
    pub(crate) never_created: bool,
}

/// The replay's state: the model and what it found.
pub(crate) struct Replay {
    pub(crate) model: Model,
    pub(crate) findings: Vec<Finding>,
    /// Counts what the model could not follow; a DOWN is compared only when this did not
    /// move across its UP and itself.
    pub(crate) inexact: u64,
    /// A name no statement made, with no near miss among those made: the migrations rely on
    /// objects from elsewhere (a database older than them, an extension, a platform's
    /// schema), so never-made names prove nothing.
    pub(crate) open: bool,
    /// A statement undid what came before it (ROLLBACK): nothing after is followed.
    pub(crate) stopped: bool,
    /// The statement being replayed has a finding: PostgreSQL stops there.
    pub(crate) failed_statement: bool,
    /// The migration being replayed ran a session-wide `SET search_path`.
    pub(crate) session_path_set: bool,
    /// Each function's or procedure's text (lower case) by name: what a statement calling
    /// it may do.
    pub(crate) bodies: std::collections::BTreeMap<String, String>,
}

/// How a name looks up.
pub(crate) enum Lookup {
    Found(Key),
    Missing,
    /// Something the model does not follow may have made it.
    Unsure,
}

impl Replay {
    pub(crate) fn new() -> Self {
        Replay {
            model: Model::empty(),
            findings: Vec::new(),
            inexact: 0,
            open: false,
            stopped: false,
            failed_statement: false,
            session_path_set: false,
            bodies: std::collections::BTreeMap::new(),
        }
    }

    /// A certain finding at token `token` of `statement`.
    pub(crate) fn report(
        &mut self,
        statement: &Statement<'_>,
        token: usize,
        lint: Lint,
        message: String,
        never_created: bool,
    ) {
        let file = statement.file;
        let (start, end) = match statement.tokens.get(token) {
            Some(tok) => (tok.start, tok.start + tok.text.len()),
            None => (statement.range.start, statement.range.start),
        };
        let span = LineIndex::new(&file.text).span(start, end.max(start + 1).min(file.text.len()));
        let help = match lint {
            Lint::DuplicateObject => {
                "strata replayed every earlier migration at build time: PostgreSQL would refuse \
                 this statement (`IF NOT EXISTS` makes it a no-op where that is what is meant)"
            }
            _ => {
                "strata replayed every earlier migration at build time: PostgreSQL would refuse \
                 this statement (`IF EXISTS` makes a DROP a no-op where that is what is meant)"
            }
        };
        let diagnostic = Diagnostic::new(
            lint,
            &file.path,
            format!("migration {}: {message}", statement.version),
        )
        .at(span)
        .help(help);
        self.findings.push(Finding {
            diagnostic,
            never_created,
        });
        // PostgreSQL would stop here; what this statement would have made is not known.
        self.inexact += 1;
        self.failed_statement = true;
    }

    /// Marks `name` unknown (see [`Model::forget`]): the model no longer follows it exactly.
    pub(crate) fn forget(&mut self, name: &str) {
        self.model.forget(name);
        self.inexact += 1;
    }

    /// Records what `statement` did to `key` (`what`: `created`, `dropped`, `renamed to
    /// \`x\``), for findings that say where an object went.
    pub(crate) fn note(
        &mut self,
        statement: &Statement<'_>,
        kind: Kind,
        key: Key,
        what: impl Into<String>,
    ) {
        let event = Event {
            what: what.into(),
            version: statement.version,
            path: statement.file.path.clone(),
            line: strata_model::position::line_column(&statement.file.text, statement.range.start)
                .0,
        };
        self.model.events.insert((kind, key), event);
    }

    /// Records a relation `statement` made.
    pub(crate) fn add_relation(&mut self, statement: &Statement<'_>, key: Key, relation: Relation) {
        self.note(statement, Kind::Relation, key.clone(), "created");
        self.model.relations.insert(key, relation);
    }

    /// Whether nothing can be said about `name`; notes when that is because the migrations
    /// rely on a schema they did not make.
    fn unsure(&mut self, name: &Name) -> bool {
        if self.model.is_unknown(&name.name) || name.name.starts_with("pg_") {
            return true;
        }
        match name.schema.as_deref() {
            Some("pg_catalog" | "information_schema" | "pg_temp") => true,
            Some(schema) if self.model.is_unknown(schema) => true,
            Some(schema) if !self.model.schemas.contains(schema) => {
                // Dropped by a migration: certain. Never made: the database had it.
                let dropped = self
                    .model
                    .events
                    .contains_key(&(Kind::Schema, (String::new(), schema.to_string())));
                if !dropped {
                    self.open = true;
                }
                true
            }
            _ => false,
        }
    }

    /// Looks up a relation.
    pub(crate) fn find_relation(&mut self, name: &Name) -> Lookup {
        if self.unsure(name) {
            return Lookup::Unsure;
        }
        match self.model.relation(name.schema.as_deref(), &name.name) {
            Some((key, _)) => Lookup::Found(key),
            None => Lookup::Missing,
        }
    }

    /// The relation `name` when it exists. A missing one is reported as a missing `what`
    /// unless the statement said IF EXISTS; `None` then, and when the model is unsure.
    pub(crate) fn existing_relation(
        &mut self,
        statement: &Statement<'_>,
        name: &Name,
        what: &str,
        if_exists: bool,
    ) -> Option<Key> {
        match self.find_relation(name) {
            Lookup::Found(key) => Some(key),
            Lookup::Missing => {
                if !if_exists {
                    self.missing_relation(statement, name, what);
                }
                None
            }
            Lookup::Unsure => None,
        }
    }

    /// Looks up a type.
    pub(crate) fn find_type(&mut self, name: &Name) -> Lookup {
        if self.unsure(name) {
            return Lookup::Unsure;
        }
        match self.model.type_def(name.schema.as_deref(), &name.name) {
            Some((key, _)) => Lookup::Found(key),
            None => Lookup::Missing,
        }
    }

    /// The schemas `name` may be in.
    fn schemas_of(&self, name: &Name) -> Vec<String> {
        match &name.schema {
            Some(schema) => vec![schema.clone()],
            None => self.model.search_schemas(),
        }
    }

    /// The last event of `kind` for `name` in the schemas it may be in.
    fn last_event(&self, kind: Kind, name: &Name) -> Option<Event> {
        self.schemas_of(name).into_iter().find_map(|schema| {
            self.model
                .events
                .get(&(kind, (schema, name.name.clone())))
                .cloned()
        })
    }

    /// Reports a relation `name` that is not there (`what`: the kind expected, e.g. "table").
    pub(crate) fn missing_relation(&mut self, statement: &Statement<'_>, name: &Name, what: &str) {
        let shown = shown_name(name);
        if let Some(event) = self.last_event(Kind::Relation, name) {
            // Made, then dropped or renamed away by a migration: certain.
            if event.what != "created" {
                self.report(
                    statement,
                    name.token,
                    Lint::UndefinedObject,
                    format!(
                        "{what} `{shown}` does not exist: it was {}",
                        event.describe()
                    ),
                    false,
                );
            }
            return;
        }
        // Named before any migration made a relation: the migrations start from a database
        // that had it.
        if !self
            .model
            .events
            .keys()
            .any(|(kind, _)| *kind == Kind::Relation)
        {
            self.open = true;
            return;
        }
        let schemas = self.schemas_of(name);
        let near: Vec<String> = self
            .model
            .relations
            .iter()
            .filter(|((schema, _), relation)| {
                schemas.contains(schema) && kind_matches(what, relation)
            })
            .map(|((_, n), _)| n.clone())
            .collect();
        match closest(&name.name, &near) {
            Some(suggestion) => {
                let message = format!(
                    "{what} `{shown}` does not exist: no earlier migration creates it (did you \
                     mean `{suggestion}`?)"
                );
                self.report(statement, name.token, Lint::UndefinedObject, message, true);
            }
            None => self.open = true,
        }
    }

    /// Reports an object other than a relation that is not there, when a migration made and
    /// then dropped it (a name never made may be a built-in or an extension's).
    pub(crate) fn missing_other(
        &mut self,
        statement: &Statement<'_>,
        kind: Kind,
        name: &Name,
        what: &str,
    ) {
        if let Some(event) = self.last_event(kind, name)
            && event.what != "created"
        {
            self.report(
                statement,
                name.token,
                Lint::UndefinedObject,
                format!(
                    "{what} `{}` does not exist: it was {}",
                    shown_name(name),
                    event.describe()
                ),
                false,
            );
        }
    }

    /// Reports that `column` (token `token`) is not a column of the known table `key`.
    pub(crate) fn missing_column(
        &mut self,
        statement: &Statement<'_>,
        key: &Key,
        column: &str,
        token: usize,
    ) {
        let columns: Vec<String> = match self.model.relations.get(key) {
            Some(Relation::Table(Some(table))) => {
                table.columns.iter().map(|c| c.name.clone()).collect()
            }
            _ => Vec::new(),
        };
        let detail = self.absent_detail(
            Kind::Column,
            key,
            column,
            &columns,
            ("it has no columns", "its columns"),
        );
        self.report(
            statement,
            token,
            Lint::UndefinedObject,
            format!(
                "column `{column}` of table `{}` does not exist{detail}",
                key.1
            ),
            false,
        );
    }

    /// What follows "`name` of table `key` does not exist": where it went (the last `kind`
    /// event of `table.name`), else the nearest of the table's `present` names, else those
    /// names (`none` and `listed` say it).
    pub(crate) fn absent_detail(
        &self,
        kind: Kind,
        key: &Key,
        name: &str,
        present: &[String],
        (none, listed): (&str, &str),
    ) -> String {
        let event_key = (key.0.clone(), format!("{}.{name}", key.1));
        if let Some(event) = self.model.events.get(&(kind, event_key)) {
            return format!(": it was {}", event.describe());
        }
        match closest(name, present) {
            Some(near) => format!(" (did you mean `{near}`?)"),
            None if present.is_empty() => format!(" ({none})"),
            None => format!(" ({listed}: {})", present.join(", ")),
        }
    }

    /// Reports that `what` already exists.
    pub(crate) fn duplicate(
        &mut self,
        statement: &Statement<'_>,
        token: usize,
        what: String,
        event: Option<(Kind, Key)>,
    ) {
        let origin = event
            .and_then(|key| self.model.events.get(&key))
            .map(|event| format!(": {}", event.describe()))
            .unwrap_or_default();
        self.report(
            statement,
            token,
            Lint::DuplicateObject,
            format!("{what} already exists{origin}"),
            false,
        );
    }

    /// A statement the model does not follow: every name it mentions (in its text, string
    /// and function bodies included) may now be anything.
    pub(crate) fn opaque(&mut self, statement: &Statement<'_>) {
        let text = statement.text().to_ascii_lowercase();
        self.forget_text(&text);
        self.inexact += 1;
    }

    /// Every name `text` (lower case) mentions becomes unknown, and so does every name in the
    /// body of a function it may call: a function made earlier may create anything.
    fn forget_text(&mut self, text: &str) {
        let mut pending = vec![text.to_string()];
        let mut called = std::collections::BTreeSet::new();
        while let Some(text) = pending.pop() {
            for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
                if word.is_empty() {
                    continue;
                }
                self.model.forget(word);
                if let Some(body) = self.bodies.get(word)
                    && called.insert(word.to_string())
                {
                    pending.push(body.clone());
                }
            }
            // Dynamic SQL builds names the text does not spell out.
            if text.contains("execute") || text.contains("format(") {
                self.model.dynamic = true;
            }
            if text.contains("search_path") {
                self.model.path_certain = false;
            }
        }
    }
}

/// `schema.name` as written, or `name`.
pub(crate) fn shown_name(name: &Name) -> String {
    match &name.schema {
        Some(schema) => format!("{schema}.{}", name.name),
        None => name.name.clone(),
    }
}

/// Whether `relation` is a near miss worth suggesting for a missing `what`.
fn kind_matches(what: &str, relation: &Relation) -> bool {
    match what {
        "index" => matches!(relation, Relation::Index { .. }),
        "sequence" => matches!(relation, Relation::Sequence { .. }),
        "view" | "materialized view" => matches!(relation, Relation::View { .. }),
        // A table, or anything a table's name may stand for (a view in INSERT, a COMMENT).
        _ => matches!(relation, Relation::Table(_) | Relation::View { .. }),
    }
}
