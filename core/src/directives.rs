//! `-- strata:...` comments (and goose's `-- +goose NO TRANSACTION`).

use crate::lint_registry::{Group, Lint};
use strata_model::position::Span;

/// What the directives of one file say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    pub no_transaction: bool,
    pub allowed: Vec<Lint>,
    /// Directives that were not understood, with what to say about them.
    pub unknown: Vec<(Span, String)>,
}

const PREFIX: &str = "strata:";

impl Directives {
    /// Reads one line comment body (without `--`). Comments that are not directives are ignored.
    pub fn read(&mut self, body: &str, span: Span) {
        if body.eq_ignore_ascii_case("+goose no transaction") {
            self.no_transaction = true;
            return;
        }
        let Some(directive) = body.strip_prefix(PREFIX) else {
            return;
        };
        let directive = directive.trim();
        if directive == "no-transaction" {
            self.no_transaction = true;
        } else if let Some(list) = directive
            .strip_prefix("allow(")
            .and_then(|l| l.strip_suffix(')'))
        {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if name == Group::Safety.name() {
                    self.allowed.extend(Group::Safety.lints());
                    continue;
                }
                match Lint::from_name(name) {
                    Some(lint) if lint.is_configurable() => self.allowed.push(lint),
                    Some(lint) => self
                        .unknown
                        .push((span.clone(), format!("lint `{lint}` cannot be allowed"))),
                    None => self.unknown.push((
                        span.clone(),
                        format!("unknown lint `{name}` in `strata:allow(...)`"),
                    )),
                }
            }
        } else {
            self.unknown
                .push((span, format!("unknown directive `strata:{directive}`")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span() -> Span {
        Span {
            line: 1,
            column: 1,
            start: 0,
            end: 1,
        }
    }

    #[test]
    fn reads_known_directives() {
        let mut d = Directives::default();
        d.read("strata:no-transaction", span());
        d.read("strata:allow(version-gap, missing-down)", span());
        d.read("just a comment", span());
        assert!(d.no_transaction);
        assert_eq!(d.allowed, vec![Lint::VersionGap, Lint::MissingDown]);
        assert!(d.unknown.is_empty());
        let mut goose = Directives::default();
        goose.read("+goose NO TRANSACTION", span());
        assert!(goose.no_transaction);
    }

    #[test]
    fn reports_unknown_directives_and_lints() {
        let mut d = Directives::default();
        d.read("strata:no-transactions", span());
        d.read("strata:allow(version-gaps)", span());
        d.read("strata:allow(unreadable-file)", span());
        let messages: Vec<&str> = d.unknown.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages.len(), 3);
        assert!(messages[0].contains("no-transactions"));
        assert!(messages[1].contains("version-gaps"));
        assert!(messages[2].contains("cannot be allowed"));
    }
}
