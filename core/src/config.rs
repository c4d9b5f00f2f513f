//! `strata.toml`, read identically by the macro and the CLI. Unknown keys and values are
//! errors that name the key: a typo must never silently pass.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;
// Re-exported from their former home here, so `strata_core::config::...` still works.
use crate::level::Level;
use crate::lint_registry::Lint;
pub use strata_model::dialect::Dialect;
pub use strata_model::history_table::{
    DEFAULT_HISTORY_TABLE, History, LockStrategy, is_valid_identifier,
};
use strata_model::position::LineIndex;

pub const FILE_NAME: &str = "strata.toml";

/// Whether migrations must, may, or must not have a DOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownPolicy {
    #[default]
    Required,
    Optional,
    Forbidden,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub dialect: Dialect,
    pub down: DownPolicy,
    pub lints: BTreeMap<Lint, Level>,
    pub history: History,
    pub lock: LockStrategy,
}

impl Config {
    pub fn level(&self, lint: Lint) -> Level {
        self.lints
            .get(&lint)
            .copied()
            .unwrap_or_else(|| lint.default_level())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    dialect: Option<Spanned<String>>,
    down: Option<DownPolicy>,
    lock: Option<Spanned<String>>,
    #[serde(default)]
    lints: BTreeMap<Spanned<String>, Spanned<String>>,
    history: Option<RawHistory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    schema: Option<Spanned<String>>,
    table: Option<Spanned<String>>,
}

/// Parses `strata.toml`. Every problem becomes an `invalid-config` diagnostic at its key;
/// what can be understood is still returned so other lints keep running.
pub fn parse(path: &str, text: &str) -> (Config, Vec<Diagnostic>) {
    let index = LineIndex::new(text);
    let error = |range: std::ops::Range<usize>, message: String| {
        Diagnostic::new(Lint::InvalidConfig, path, message).at(index.span(range.start, range.end))
    };
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let range = e.span().unwrap_or(0..0);
            let message = format!("invalid {FILE_NAME}: {}", e.message());
            return (Config::default(), vec![error(range, message)]);
        }
    };
    let mut config = Config {
        down: raw.down.unwrap_or_default(),
        ..Config::default()
    };
    let mut diagnostics = Vec::new();
    let mut named = |what: &str, value: Spanned<String>, known: &[&'static str]| {
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
    let dialects = Dialect::ALL.map(Dialect::name);
    if let Some(name) = raw.dialect.and_then(|v| named("dialect", v, &dialects)) {
        config.dialect = Dialect::from_name(&name).unwrap_or_default();
    }
    let locks = LockStrategy::ALL.map(LockStrategy::name);
    if let Some(name) = raw.lock.and_then(|v| named("lock", v, &locks)) {
        config.lock = LockStrategy::from_name(&name).unwrap_or_default();
    }
    for (key, value) in &raw.lints {
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
            continue;
        };
        if !lint.is_configurable() {
            diagnostics.push(error(
                key.span(),
                format!("lint `{lint}` cannot be configured"),
            ));
            continue;
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
    if let Some(history) = raw.history {
        let mut identifier = |key: &str, value: Option<Spanned<String>>| {
            let value = value?;
            if is_valid_identifier(value.get_ref()) {
                return Some(value.into_inner());
            }
            diagnostics.push(
                error(
                    value.span(),
                    format!("invalid history {key} name `{}`", value.get_ref()),
                )
                .help("history identifiers must match [A-Za-z_][A-Za-z0-9_]{0,62}"),
            );
            None
        };
        config.history.schema = identifier("schema", history.schema);
        if let Some(table) = identifier("table", history.table) {
            config.history.table = table;
        }
    }
    (config, diagnostics)
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
