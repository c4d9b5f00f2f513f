//! core's top-level modules form layers: no module imports one that (transitively) imports it.
//!
//! Reads `src/**/*.rs` as text and takes every `crate::<module>` and `super::` path (in code,
//! doc links and comments alike: a doc link names a dependency too) as an edge from the
//! file's top-level module to the module named. A `crate::` path must name a module, not a
//! root re-export, so no edge hides behind `lib.rs`. Then looks for a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Edges between top-level modules, each with the first `file:line` that makes it.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ident(text: &str) -> &str {
    let end = text.find(|c| !is_ident_char(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first identifier of each item in `{a, b::c, d::{e, f}}` (`text` starts after the `{`).
fn group_heads(text: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 0 => {
                heads.push(ident(&text[i..]));
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// Modules named by `crate::` / `super::` paths in one file, as (line, top-level module,
/// whether the path is `crate::`). `module_path` is the file's own (`["lints", "version_gap"]`).
/// A `super::` chain that reaches the root may be `super::x` in a top-level file's inline
/// `mod tests`, meaning the file itself: the caller ignores it unless it names a module.
fn references(text: &str, module_path: &[&str]) -> Vec<(usize, String, bool)> {
    let mut found = Vec::new();
    for (line_number, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest
            .find("crate::")
            .into_iter()
            .chain(rest.find("super::"))
            .min()
        {
            let before = line[..line.len() - rest.len() + at].chars().next_back();
            let mut tail = &rest[at..];
            rest = &rest[at + 1..];
            if before.is_some_and(is_ident_char) {
                continue; // `my_crate::`, `strata_core::`
            }
            let via_crate = tail.starts_with("crate::");
            let base: Vec<&str> = if let Some(after) = tail.strip_prefix("crate::") {
                tail = after;
                Vec::new()
            } else {
                let mut depth = 0;
                while let Some(after) = tail.strip_prefix("super::") {
                    tail = after;
                    depth += 1;
                }
                module_path[..module_path.len().saturating_sub(depth)].to_vec()
            };
            rest = tail; // a `super::super::` chain is one path
            let targets = match (base.first(), tail.strip_prefix('{')) {
                (Some(top), _) => vec![*top],
                (None, Some(group)) => group_heads(group),
                (None, None) => vec![ident(tail)],
            };
            found.extend(
                targets
                    .into_iter()
                    .map(|t| (line_number + 1, t.to_string(), via_crate)),
            );
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module graph of `src`, and every `crate::<name>` whose name is not a module.
fn module_graph(src: &Path) -> (BTreeSet<String>, Graph, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let module_path = |file: &Path| -> Vec<String> {
        let relative = file
            .strip_prefix(src)
            .expect("under src")
            .with_extension("");
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        parts
    };
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(f).first().cloned())
        .filter(|m| m != "lib")
        .collect();
    let mut graph = Graph::new();
    let mut not_modules = Vec::new();
    for file in &files {
        let path = module_path(file);
        let Some(from) = path.first().filter(|m| *m != "lib") else {
            continue;
        };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = fs::read_to_string(file).expect("read file");
        let shown = file.strip_prefix(src).expect("under src").display();
        graph.entry(from.clone()).or_default();
        for (line, to, via_crate) in references(&text, &path) {
            if to == *from {
                continue;
            }
            if !modules.contains(&to) {
                if via_crate {
                    not_modules.push(format!("src/{shown}:{line}: `crate::{to}`"));
                }
                continue;
            }
            graph
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_insert_with(|| format!("src/{shown}:{line}"));
        }
    }
    (modules, graph, not_modules)
}

/// A cycle as `a -> b -> ... -> a`, with where each edge comes from, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
        .map(|cycle| {
            cycle
                .windows(2)
                .map(|pair| {
                    format!(
                        "{} -> {}  ({})",
                        pair[0], pair[1], graph[&pair[0]][&pair[1]]
                    )
                })
                .collect()
        })
}

#[test]
fn core_modules_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (modules, graph, not_modules) = module_graph(&src);
    assert!(
        not_modules.is_empty(),
        "use the defining module's path, not a crate-root re-export:\n{}",
        not_modules.join("\n")
    );
    // Guards against a reader that silently finds nothing.
    for (from, to) in [
        ("lints", "discover"),
        ("discover", "lexer"),
        ("load", "lints"),
    ] {
        assert!(
            graph.get(from).is_some_and(|edges| edges.contains_key(to)),
            "expected edge {from} -> {to} not found; modules: {modules:?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between core's modules:\n{}", cycle.join("\n"));
    }
}

#[test]
fn the_reader_and_the_cycle_finder_work() {
    let text = "use crate::{config::{self, Config}, lexer};\nuse crate::naming::Scheme;\n\
                // see [`crate::embedded`]\nuse strata_core::diagnostic;\nuse super::helper;\n\
                mod tests { use super::*; }\n";
    let found: Vec<String> = references(text, &["lints", "bad_name"])
        .into_iter()
        .map(|(line, to, _)| format!("{line}:{to}"))
        .collect();
    assert_eq!(
        found,
        [
            "1:config",
            "1:lexer",
            "2:naming",
            "3:embedded",
            "5:lints",
            "6:lints"
        ]
    );
    let found: Vec<(String, bool)> = references("mod tests { use super::*; }", &["config"])
        .into_iter()
        .map(|(_, to, via_crate)| (to, via_crate))
        .collect();
    assert_eq!(
        found,
        [(String::new(), false)],
        "`super::*` names no module"
    );

    let edge = |from: &str, to: &str| (from.to_string(), to.to_string());
    let mut graph = Graph::new();
    for (from, to) in [edge("a", "b"), edge("b", "c"), edge("a", "c")] {
        graph.entry(from).or_default().insert(to, "x.rs:1".into());
    }
    assert_eq!(find_cycle(&graph), None);
    graph
        .entry("c".into())
        .or_default()
        .insert("a".into(), "c.rs:9".into());
    let cycle = find_cycle(&graph).expect("a cycle");
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    assert!(cycle[2].contains("c -> a  (c.rs:9)"), "{cycle:?}");
}
