//! Compile-time cost of each tool's macro: a crate embedding 700 generated migrations
//! (~1 MB, no two files alike) against the same crate without the macro, default dev profile.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::stats::{Samples, median_ms};

const FILES: usize = 700;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/compile")
}

fn sql(i: usize) -> String {
    let mut columns = String::new();
    for c in 0..(30 + i % 25) {
        let ty = ["text", "bigint", "boolean", "timestamptz"][(i + c) % 4];
        columns.push_str(&format!(",\n    c{c} {ty}{}", if c % 3 == 0 { " NOT NULL" } else { "" }));
    }
    format!(
        "-- migration {i}\nCREATE TABLE t{i} (\n    id bigint PRIMARY KEY{columns}\n);\nCREATE INDEX t{i}_c1_idx ON t{i} (c1);\n\
         INSERT INTO t{i} (id) VALUES ({i});\nCOMMENT ON TABLE t{i} IS 'generated table number {i} for the compile benchmark';\n"
    )
}

const CRATES: [(&str, &str, &str); 4] = [
    ("none", "", "fn main() { println!(\"{}\", 700); }\n"),
    (
        "strata",
        "strata = { path = \"../../../..\", default-features = false }\n",
        "static M: strata::Migrations = strata::embed_migrations!(\"migrations\");\nfn main() { println!(\"{}\", M.len()); }\n",
    ),
    (
        "refinery",
        "refinery = { version = \"=0.10.0\", features = [\"tokio-postgres\"] }\n",
        "mod embedded { refinery::embed_migrations!(\"migrations\"); }\nfn main() { println!(\"{}\", embedded::migrations::runner().get_migrations().len()); }\n",
    ),
    (
        "sqlx",
        "sqlx = { version = \"=0.8.6\", default-features = false, features = [\"postgres\", \"runtime-tokio\", \"migrate\", \"macros\"] }\n",
        "static M: sqlx::migrate::Migrator = sqlx::migrate!(\"migrations\");\nfn main() { println!(\"{}\", M.migrations.len()); }\n",
    ),
];

fn generate() -> usize {
    let root = root();
    let _ = fs::remove_dir_all(&root);
    let mut bytes = 0;
    let members: Vec<String> = CRATES.iter().map(|(name, _, _)| format!("\"{name}\"")).collect();
    fs::create_dir_all(&root).expect("compile root");
    fs::write(root.join("Cargo.toml"), format!("[workspace]\nmembers = [{}]\nresolver = \"3\"\n", members.join(", "))).expect("workspace");
    // The same versions as the bench itself.
    let _ = fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"), root.join("Cargo.lock"));
    for (name, dependency, main) in CRATES {
        let dir = root.join(name);
        fs::create_dir_all(dir.join("src")).expect("crate dir");
        fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"compile-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependency}"),
        )
        .expect("manifest");
        fs::write(dir.join("src/main.rs"), main).expect("main");
        if name == "none" {
            continue;
        }
        let migrations = dir.join("migrations");
        fs::create_dir_all(&migrations).expect("migrations");
        for i in 1..=FILES {
            let file = match name {
                "strata" => format!("{i:04}_table_{i}.sql"),
                "refinery" => format!("V{i}__table_{i}.sql"),
                _ => format!("{i}_table_{i}.sql"),
            };
            let text = sql(i);
            bytes += text.len();
            fs::write(migrations.join(file), text).expect("migration");
        }
        if name == "strata" {
            fs::write(migrations.join("strata.toml"), "down = \"optional\"\n[lints]\nuntracked-directory = \"allow\"\n").expect("toml");
        }
    }
    bytes / 3
}

fn build(name: &str, no_cache: bool) -> Duration {
    let started = Instant::now();
    let mut command = Command::new("cargo");
    command.args(["build", "-q", "-p", &format!("compile-{name}")]).current_dir(root());
    command.env("CARGO_TARGET_DIR", root().join("target"));
    if no_cache {
        command.env("STRATA_NO_CACHE", "1");
    }
    let status = command.status().expect("cargo build");
    assert!(status.success(), "building compile-{name} failed");
    started.elapsed()
}

fn touch(name: &str) {
    let main = root().join(name).join("src/main.rs");
    let text = fs::read_to_string(&main).expect("main.rs");
    fs::write(&main, text).expect("touch main.rs");
}

fn clean(name: &str) {
    let status = Command::new("cargo")
        .args(["clean", "-q", "-p", &format!("compile-{name}")])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", root().join("target"))
        .status()
        .expect("cargo clean");
    assert!(status.success());
}

pub fn run(csv: &mut Samples) {
    let bytes = generate();
    println!("\n## Compile time: {FILES} migrations, {} KB per tool, default dev profile\n", bytes / 1024);
    for (name, _, _) in CRATES {
        build(name, false); // dependencies, once
    }
    let rounds = 5;
    let cases: [(&str, &str, bool); 5] =
        [("none", "none", false), ("strata", "strata", false), ("strata", "strata (no cache)", true), ("refinery", "refinery", false), ("sqlx", "sqlx", false)];
    for round in 0..rounds {
        for (name, label, no_cache) in cases {
            touch(name);
            csv.push(label, "compile", "touch", round, build(name, no_cache));
        }
    }
    for round in 0..3 {
        for (name, label, no_cache) in cases {
            clean(name);
            csv.push(label, "compile", "clean", round, build(name, no_cache));
        }
    }
    let base_touch = median_ms(&csv.of("none", "compile", "touch"));
    let base_clean = median_ms(&csv.of("none", "compile", "clean"));
    println!("| crate | touch → rebuild ms | macro cost ms | clean build ms | macro cost ms |");
    println!("|---|---:|---:|---:|---:|");
    for (_, label, _) in cases {
        let t = median_ms(&csv.of(label, "compile", "touch"));
        let c = median_ms(&csv.of(label, "compile", "clean"));
        println!("| {label} | {t:.0} | {:.0} | {c:.0} | {:.0} |", t - base_touch, c - base_clean);
    }
}
