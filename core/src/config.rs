//! `strata.toml`, read identically by the macro and the CLI. Unknown keys and values are
//! errors that name the key: a typo must never silently pass.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::diagnostic::Diagnostic;
// Re-exported from their former home here, so `strata_core::config::...` still works.
use crate::level::Level;
use crate::lint_registry::{Group, Lint};
use crate::toml_keys;
pub use strata_model::dialect::Dialect;
pub use strata_model::history_table::{
    DEFAULT_HISTORY_TABLE, History, LockStrategy, is_valid_identifier,
};
use strata_model::position::LineIndex;

pub const FILE_NAME: &str = "strata.toml";

/// Whether migrations must, may, or must not have a DOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownPolicy {
    #[default]
    Required,
    Optional,
    Forbidden,
}

impl DownPolicy {
    pub const ALL: [DownPolicy; 3] = [
        DownPolicy::Required,
        DownPolicy::Optional,
        DownPolicy::Forbidden,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DownPolicy::Required => "required",
            DownPolicy::Optional => "optional",
            DownPolicy::Forbidden => "forbidden",
        }
    }

    pub fn from_name(name: &str) -> Option<DownPolicy> {
        DownPolicy::ALL.into_iter().find(|d| d.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub dialect: Dialect,
    pub down: DownPolicy,
    pub lints: BTreeMap<Lint, Level>,
    pub history: History,
    pub lock: LockStrategy,
    /// `safety-since`: safety lints check only migrations above this version.
    pub safety_since: Option<i64>,
    /// `postgres-version`: the oldest major version the migrations run on; the safety
    /// lints' rules depend on it. Default [`DEFAULT_POSTGRES_VERSION`].
    pub postgres_version: i64,
}

/// What `postgres-version` is when strata.toml does not say: the oldest major version the
/// PostgreSQL project still supports in 2026.
pub const DEFAULT_POSTGRES_VERSION: i64 = 14;

impl Default for Config {
    fn default() -> Self {
        Config {
            dialect: Dialect::default(),
            down: DownPolicy::default(),
            lints: BTreeMap::new(),
            history: History::default(),
            lock: LockStrategy::default(),
            safety_since: None,
            postgres_version: DEFAULT_POSTGRES_VERSION,
        }
    }
}

impl Config {
    pub fn level(&self, lint: Lint) -> Level {
        self.lints
            .get(&lint)
            .copied()
            .unwrap_or_else(|| lint.default_level())
    }
}

const KEYS: [&str; 7] = [
    "dialect",
    "down",
    "lock",
    "safety-since",
    "postgres-version",
    "lints",
    "history",
];
const HISTORY_KEYS: [&str; 2] = ["schema", "table"];

/// Parses `strata.toml`. Every problem becomes an `invalid-config` diagnostic at its key;
/// what can be understood is still returned so other lints keep running.
pub fn parse(path: &str, text: &str) -> (Config, Vec<Diagnostic>) {
    let index = LineIndex::new(text);
    let error = |range: std::ops::Range<usize>, message: String| {
        Diagnostic::new(Lint::InvalidConfig, path, message).at(index.span(range.start, range.end))
    };
    let mut config = Config::default();
    let document = match toml_keys::parse(text) {
        Ok(document) => document,
        Err((range, message)) => {
            let message = format!("invalid {FILE_NAME}: {message}");
            return (config, vec![error(range, message)]);
        }
    };
    let mut problems = Vec::new();
    let mut diagnostics = Vec::new();
    let named = |diagnostics: &mut Vec<Diagnostic>,
                 what: &str,
                 value: Spanned<String>,
                 known: &[&'static str]| {
        if known.contains(&value.get_ref().as_str()) {
            return Some(value.into_inner());
        }
        diagnostics.push(
            error(
                value.span(),
                format!("unknown {what} `{}`", value.get_ref()),
            )
            .help(format!("known values: {}", known.join(", "))),
        );
        None
    };
    for (key, value) in toml_keys::entries(document.get_ref(), &KEYS, &mut problems) {
        match key.get_ref().as_ref() {
            "dialect" | "down" | "lock" => {
                let text = match toml_keys::string(value) {
                    Ok(text) => text,
                    Err(problem) => {
                        problems.push(problem);
                        continue;
                    }
                };
                match key.get_ref().as_ref() {
                    "dialect" => {
                        let known = Dialect::ALL.map(Dialect::name);
                        if let Some(name) = named(&mut diagnostics, "dialect", text, &known) {
                            config.dialect = Dialect::from_name(&name).unwrap_or_default();
                        }
                    }
                    "down" => {
                        let known = DownPolicy::ALL.map(DownPolicy::name);
                        if let Some(name) = named(&mut diagnostics, "down policy", text, &known) {
                            config.down = DownPolicy::from_name(&name).unwrap_or_default();
                        }
                    }
                    _ => {
                        let known = LockStrategy::ALL.map(LockStrategy::name);
                        if let Some(name) = named(&mut diagnostics, "lock", text, &known) {
                            config.lock = LockStrategy::from_name(&name).unwrap_or_default();
                        }
                    }
                }
            }
            "safety-since" => match toml_keys::integer(value) {
                Ok(version) => config.safety_since = Some(version),
                Err(problem) => problems.push(problem),
            },
            "postgres-version" => match toml_keys::integer(value) {
                Ok(major) if (9..=40).contains(&major) => config.postgres_version = major,
                Ok(major) => problems.push((
                    value.span(),
                    format!("postgres-version {major} is not a PostgreSQL major version (9 to 40)"),
                )),
                Err(problem) => problems.push(problem),
            },
            "lints" => match toml_keys::table(value) {
                Ok(lints) => {
                    for (key, value) in lints {
                        match toml_keys::string(value) {
                            Ok(level) => {
                                lint_level(&mut config, &mut diagnostics, &error, key, level)
                            }
                            Err(problem) => problems.push(problem),
                        }
                    }
                }
                Err(problem) => problems.push(problem),
            },
            _ => {
                match toml_keys::table(value) {
                    Ok(history) => {
                        for (key, value) in
                            toml_keys::entries(history, &HISTORY_KEYS, &mut problems)
                        {
                            let name = match toml_keys::string(value) {
                                Ok(name) => name,
                                Err(problem) => {
                                    problems.push(problem);
                                    continue;
                                }
                            };
                            if !is_valid_identifier(name.get_ref()) {
                                diagnostics.push(
                                error(
                                    name.span(),
                                    format!("invalid history {} name `{}`", key.get_ref(), name.get_ref()),
                                )
                                .help("history identifiers must match [A-Za-z_][A-Za-z0-9_]{0,62}"),
                            );
                            } else if key.get_ref() == "schema" {
                                config.history.schema = Some(name.into_inner());
                            } else {
                                config.history.table = name.into_inner();
                            }
                        }
                    }
                    Err(problem) => problems.push(problem),
                }
            }
        }
    }
    for (range, message) in problems {
        diagnostics.push(error(range, format!("invalid {FILE_NAME}: {message}")));
    }
    (config, diagnostics)
}

/// One `[lints]` entry: a configurable lint and a level, else a diagnostic at the culprit.
fn lint_level(
    config: &mut Config,
    diagnostics: &mut Vec<Diagnostic>,
    error: &impl Fn(std::ops::Range<usize>, String) -> Diagnostic,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: Spanned<String>,
) {
    if key.get_ref() == Group::Safety.name() {
        match Level::parse(value.get_ref()) {
            // The group sets the lints that are on by default; an opt-in lint
            // (`require-lock-timeout`) is switched on by its own name only.
            Some(level) => config.lints.extend(
                Group::Safety
                    .lints()
                    .filter(|lint| lint.default_level() != Level::Allow)
                    .map(|lint| (lint, level)),
            ),
            None => diagnostics.push(
                error(
                    value.span(),
                    format!("invalid level `{}` for group `safety`", value.get_ref()),
                )
                .help("use \"deny\", \"warn\" or \"allow\""),
            ),
        }
        return;
    }
    let Some(lint) = Lint::from_name(key.get_ref()) else {
        let known: Vec<&str> = Lint::ALL
            .iter()
            .filter(|l| l.is_configurable())
            .map(|l| l.name())
            .collect();
        diagnostics.push(
            error(
                key.span(),
                format!("unknown lint `{}` in [lints]", key.get_ref()),
            )
            .help(format!("known lints: {}", known.join(", "))),
        );
        return;
    };
    if !lint.is_configurable() {
        diagnostics.push(error(
            key.span(),
            format!("lint `{lint}` cannot be configured"),
        ));
        return;
    }
    match Level::parse(value.get_ref()) {
        Some(level) => {
            config.lints.insert(lint, level);
        }
        None => diagnostics.push(
            error(
                value.span(),
                format!("invalid level `{}` for lint `{lint}`", value.get_ref()),
            )
            .help("use \"deny\", \"warn\" or \"allow\""),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_keys() {
        let (config, diags) = parse("m/strata.toml", "");
        assert!(diags.is_empty());
        assert_eq!(config, Config::default());
        assert_eq!(config.history.table, "strata_migrations");
    }

    #[test]
    fn reads_every_key() {
        let text = "dialect = \"sqlite\"\ndown = \"optional\"\n[lints]\nversion-gap = \"warn\"\n[history]\nschema = \"ops\"\ntable = \"schema_history\"\n";
        let (config, diags) = parse("m/strata.toml", text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.dialect, Dialect::Sqlite);
        assert_eq!(config.down, DownPolicy::Optional);
        assert_eq!(config.level(Lint::VersionGap), Level::Warn);
        assert_eq!(config.level(Lint::SqlSyntax), Level::Deny);
        assert_eq!(config.history.schema.as_deref(), Some("ops"));
        assert_eq!(config.history.table, "schema_history");
    }

    #[test]
    fn unknown_key_is_named_with_its_position() {
        let (_, diags) = parse(
            "m/strata.toml",
            "dialect = \"postgres\"\ndwon = \"optional\"\n",
        );
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("dwon"), "{}", diags[0].message);
        assert_eq!(diags[0].span.as_ref().map(|s| s.line), Some(2));
    }

    #[test]
    fn unknown_values_lints_and_levels_are_errors() {
        let (_, diags) = parse("s.toml", "dialect = \"oracle\"\nlock = \"file\"");
        assert!(diags[0].message.contains("oracle"), "{}", diags[0].message);
        assert!(
            diags[1].message.contains("lock `file`"),
            "{}",
            diags[1].message
        );
        let (config, _) = parse("s.toml", "lock = \"table\"");
        assert_eq!(config.lock, LockStrategy::Table);
        let (_, diags) = parse(
            "s.toml",
            "[lints]\nversion-gaps = \"warn\"\nsql-syntax = \"loud\"\n",
        );
        assert_eq!(diags.len(), 2);
        let unknown = diags
            .iter()
            .find(|d| d.message.contains("version-gaps"))
            .expect("unknown lint named");
        assert_eq!(unknown.span.as_ref().map(|s| s.line), Some(2));
        let level = diags
            .iter()
            .find(|d| d.message.contains("loud"))
            .expect("bad level named");
        assert_eq!(level.span.as_ref().map(|s| s.line), Some(3));
    }

    #[test]
    fn history_identifiers_are_validated() {
        let (config, diags) = parse("s.toml", "[history]\ntable = \"x; DROP TABLE users\"\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(config.history.table, DEFAULT_HISTORY_TABLE);
        assert!(is_valid_identifier("_a1"));
        assert!(!is_valid_identifier("1a"));
        assert!(!is_valid_identifier(&"a".repeat(64)));
    }
}
