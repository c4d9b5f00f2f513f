//! docs/safety-lints.md has a section for every safety lint (and `concurrently-in-transaction`)
//! with the default level the registry gives it, and nothing for lints that do not exist.

use strata_core::Lint;
use strata_core::lint_registry::{Group, REGISTRY};

#[test]
fn the_reference_page_covers_the_safety_group() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/safety-lints.md"),
    )
    .expect("docs/safety-lints.md");
    let covered: Vec<Lint> = Group::Safety
        .lints()
        .chain([Lint::ConcurrentlyInTransaction])
        .collect();
    for lint in &covered {
        let info = REGISTRY
            .iter()
            .find(|i| i.lint == *lint)
            .expect("registered");
        let heading = format!("## `{}`", info.name);
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading}"));
        let body = &page[at..];
        let level = format!("Default: {}.", info.default_level.as_str());
        assert!(
            body.contains(&level),
            "{heading}: expected `{level}` in its section"
        );
    }
    let sections = page.matches("\n## `").count();
    assert_eq!(
        sections,
        covered.len(),
        "a section for a lint that is not in the group"
    );
}
