//! The README's lint table is rendered from the lint registry; this fails when they differ.

use strata_core::lint_registry::REGISTRY;

const HEADER: &str = "| lint | default | what it finds |";

fn rendered() -> Vec<String> {
    let mut lines = vec![HEADER.to_string(), "|---|---|---|".to_string()];
    for row in REGISTRY {
        let always = if row.configurable { "" } else { ", always" };
        lines.push(format!(
            "| `{}` | {}{always} | {} |",
            row.name,
            row.default_level.as_str(),
            row.summary
        ));
    }
    lines
}

#[test]
fn readme_lint_table_matches_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md next to core/");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| line.trim_end() != HEADER)
        .take_while(|line| line.starts_with('|'))
        .collect();
    let expected = rendered();
    if table != expected {
        let differences: Vec<String> = (0..table.len().max(expected.len()))
            .filter(|&i| table.get(i).copied() != expected.get(i).map(String::as_str))
            .map(|i| {
                format!(
                    "  line {}:\n    README:   {}\n    registry: {}",
                    i + 1,
                    table.get(i).copied().unwrap_or("<missing>"),
                    expected.get(i).map_or("<missing>", String::as_str)
                )
            })
            .collect();
        panic!(
            "README.md's lint table differs from the registry (core/src/lint_registry.rs):\n{}\n\n\
             Replace the table in README.md with:\n\n{}\n",
            differences.join("\n"),
            expected.join("\n")
        );
    }
}
