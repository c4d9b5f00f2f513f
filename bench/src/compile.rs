//! Compile-time cost of each tool's macro: a crate embedding 700 generated migrations (~1 MB,
//! no two files alike) against the same crate without the macro call, default dev profile.
//! Measured: `cargo build` after touching only `main.rs` (the edit-rebuild loop) and after
//! `cargo clean -p <crate>` (that crate only). strata is measured with its expansion cache
//! (the normal case) and with `STRATA_NO_CACHE=1`; without a build script (the macro then
//! warns `untracked-directory`) and with a lint warning in the directory, both of which
//! must replay from the cache like a clean directory.
//!
//! `app` measures what the application pays for each tool: a clean build of its whole
//! dependency graph (dev and release, a fresh target directory each time) and the size of
//! the release binary.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use strata_bench_gen::{Scheme, realistic_set, write_set};

use crate::stats::Samples;

pub const FILES: usize = 700;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/compile")
}

/// (crate, dependency lines, build.rs, main.rs)
fn crates(strata: &str) -> Vec<(String, String, Option<String>, String)> {
    let strata_dep = format!(
        "strata = {{ path = \"{strata}\", default-features = false, features = [\"postgres\"] }}\n"
    );
    // The README's set-up: the build script depends on strata-build alone.
    let strata_build =
        format!("[build-dependencies]\nstrata-build = {{ path = \"{strata}/buildscript\" }}\n");
    let track = "fn main() {\n    strata_build::track(\"../migrations/strata\");\n}\n".to_string();
    let refinery_dep =
        "refinery = { version = \"=0.10.0\", features = [\"tokio-postgres\"] }\n".to_string();
    let sqlx_dep =
        "sqlx = { version = \"=0.8.6\", default-features = false, features = [\"postgres\", \"runtime-tokio\", \"migrate\", \"macros\"] }\n"
            .to_string();
    let embed = |dir: &str| {
        format!(
            "static M: strata::Migrations = strata::embed_migrations!(\"../migrations/{dir}\");\n\
             fn main() {{\n    println!(\"{{}}\", M.len());\n}}\n"
        )
    };
    vec![
        (
            "strata-nobuild".into(),
            strata_dep.clone(),
            None,
            embed("strata"),
        ),
        (
            "strata-warn".into(),
            format!("{strata_dep}\n{strata_build}"),
            Some(track.replace("migrations/strata", "migrations/strata-warn")),
            embed("strata-warn"),
        ),
        (
            "strata-with".into(),
            format!("{strata_dep}\n{strata_build}"),
            Some(track.clone()),
            "static M: strata::Migrations = strata::embed_migrations!(\"../migrations/strata\");\n\
             fn main() {\n    println!(\"{}\", M.len());\n}\n"
                .into(),
        ),
        (
            "strata-without".into(),
            format!("{strata_dep}\n{strata_build}"),
            Some(track),
            "static M: strata::Migrations = strata::Migrations::empty();\n\
             fn main() {\n    println!(\"{}\", M.len());\n}\n"
                .into(),
        ),
        (
            "refinery-with".into(),
            refinery_dep.clone(),
            None,
            "mod embedded {\n    refinery::embed_migrations!(\"../migrations/refinery\");\n}\n\
             fn main() {\n    println!(\"{}\", embedded::migrations::runner().get_migrations().len());\n}\n"
                .into(),
        ),
        (
            "refinery-without".into(),
            refinery_dep,
            None,
            "fn main() {\n    println!(\"{}\", refinery::Runner::new(&[]).get_migrations().len());\n}\n".into(),
        ),
        (
            "sqlx-with".into(),
            sqlx_dep.clone(),
            None,
            "static M: sqlx::migrate::Migrator = sqlx::migrate!(\"../migrations/sqlx\");\n\
             fn main() {\n    println!(\"{}\", M.iter().count());\n}\n"
                .into(),
        ),
        (
            "sqlx-without".into(),
            sqlx_dep,
            None,
            "static M: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;\n\
             fn main() {\n    println!(\"{}\", M.iter().count());\n}\n"
                .into(),
        ),
    ]
}

/// Writes the workspace (unchanged files keep their mtimes). Returns bytes of SQL per tool.
fn generate() -> usize {
    let root = root();
    let strata = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("strata path");
    let crates = crates(&strata.display().to_string());
    let write = |path: PathBuf, text: &str| {
        strata_bench_gen::write_if_changed(&path, text.as_bytes()).expect("write")
    };
    let members: Vec<String> = crates
        .iter()
        .map(|(name, ..)| format!("\"{name}\""))
        .collect();
    write(
        root.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [{}]\nresolver = \"3\"\n",
            members.join(", ")
        ),
    );
    if !root.join("Cargo.lock").exists() {
        // The same dependency versions as the bench itself.
        let _ = fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
            root.join("Cargo.lock"),
        );
    }
    for (name, dependencies, build, main) in &crates {
        let dir = root.join(name);
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependencies}"
        );
        write(dir.join("Cargo.toml"), &manifest);
        write(dir.join("src/main.rs"), main);
        if let Some(build) = build {
            write(dir.join("build.rs"), build);
        }
    }
    let set = realistic_set(FILES);
    write_set(&root.join("migrations"), &set).expect("write migrations");
    write_warning_set(&root.join("migrations"));
    debug_assert_eq!(Scheme::ALL.len(), 3);
    set.iter().map(|m| m.sql.len()).sum()
}

/// `strata-warn`: strata's files with a misspelled directive in the first one, so every
/// expansion carries one `unknown-directive` warning (as a directory with a lint at `warn`).
fn write_warning_set(migrations: &Path) {
    let (from, to) = (migrations.join("strata"), migrations.join("strata-warn"));
    fs::create_dir_all(&to).expect("mkdir strata-warn");
    let mut names: Vec<_> = fs::read_dir(&from)
        .expect("read strata set")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    let first_sql = names
        .iter()
        .position(|n| n.to_string_lossy().ends_with(".sql"))
        .expect("a migration");
    for (i, name) in names.iter().enumerate() {
        let mut text = fs::read(from.join(name)).expect("read");
        if i == first_sql {
            text.splice(0..0, b"-- strata:no-transactoin\n".iter().copied());
        }
        strata_bench_gen::write_if_changed(&to.join(name), &text).expect("write");
    }
}

fn cargo(args: &[&str], no_cache: bool) -> Duration {
    cargo_in(&root().join("target"), args, no_cache)
}

fn cargo_in(target: &Path, args: &[&str], no_cache: bool) -> Duration {
    let mut command = Command::new("cargo");
    command.args(args).current_dir(root());
    command
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env("CARGO_TARGET_DIR", target);
    if no_cache {
        command.env("STRATA_NO_CACHE", "1");
    } else {
        command.env_remove("STRATA_NO_CACHE");
    }
    let started = Instant::now();
    let status = command.status().expect("run cargo");
    let elapsed = started.elapsed();
    assert!(status.success(), "cargo {args:?} failed");
    elapsed
}

fn build(name: &str, no_cache: bool) -> Duration {
    cargo(&["build", "-q", "--offline", "-p", name], no_cache)
}

/// Marks only `main.rs` as edited.
fn touch(name: &str) {
    let file = fs::File::options()
        .append(true)
        .open(root().join(name).join("src/main.rs"))
        .expect("open main.rs");
    file.set_modified(SystemTime::now()).expect("touch main.rs");
}

/// (label in the CSV, crate, STRATA_NO_CACHE)
const CASES: [(&str, &str, bool); 9] = [
    ("strata-without", "strata-without", false),
    ("strata", "strata-with", false),
    ("strata-no-build-script", "strata-nobuild", false),
    ("strata-with-a-warning", "strata-warn", false),
    ("strata-uncached", "strata-with", true),
    ("refinery-without", "refinery-without", false),
    ("refinery", "refinery-with", false),
    ("sqlx-without", "sqlx-without", false),
    ("sqlx", "sqlx-with", false),
];

/// (label in the CSV, crate, the tool's migrations directory): editing one migration of 700
/// and rebuilding, the loop of someone writing a migration. strata's expansion cache misses
/// (the content changed); its per-file syntax cache keeps the other 699 files' parses.
const EDITS: [(&str, &str, &str); 3] = [
    ("strata", "strata-with", "strata"),
    ("refinery", "refinery-with", "refinery"),
    ("sqlx", "sqlx-with", "sqlx"),
];

/// Appends a comment to the middle migration of `dir` (the file sorted at 350): its text,
/// checksum and the tool's expansion change; the other files do not.
fn edit_one(dir: &str, sample: usize) {
    let dir = root().join("migrations").join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("migrations")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let file = &files[files.len() / 2];
    let mut text = fs::read_to_string(file).expect("read migration");
    text.push_str(&format!("\n-- edited (sample {sample})\n"));
    fs::write(file, text).expect("edit migration");
}

pub fn run(samples: usize, csv: &mut Samples) {
    let bytes = generate();
    eprintln!(
        "compile: {FILES} migrations, {} KB per tool; building dependencies once ...",
        bytes / 1000
    );
    cargo(&["build", "-q", "--workspace"], false);
    for (_, name, no_cache) in CASES {
        build(name, no_cache);
    }
    for sample in 0..samples {
        for (label, name, no_cache) in CASES {
            touch(name);
            csv.push(label, "compile700", "touch", sample, build(name, no_cache));
        }
    }
    for sample in 0..samples {
        for (label, name, dir) in EDITS {
            edit_one(dir, sample);
            csv.push(label, "compile700", "edit", sample, build(name, false));
        }
    }
    for sample in 0..samples.min(3) {
        for (label, name, no_cache) in CASES {
            cargo(&["clean", "-q", "--offline", "-p", name], false);
            csv.push(label, "compile700", "clean", sample, build(name, no_cache));
        }
    }
    csv.value("all", "compile700", "sql-bytes", bytes as f64, "bytes");
}

pub fn render(out: &mut String, csv: &Samples) {
    let of = |label: &str, kind: &str| csv.median(label, "compile700", kind);
    if of("strata", "touch").is_nan() {
        return;
    }
    let kb = csv.median("all", "compile700", "sql-bytes") / 1000.0;
    let _ = writeln!(
        out,
        "\n### Compile time: {FILES} migrations, {kb:.0} KB of SQL, default dev profile (median wall ms of `cargo build`)\n"
    );
    let _ = writeln!(
        out,
        "| crate | touch main.rs → rebuild | macro cost | clean build of the crate | macro cost |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (label, _, _) in CASES {
        let without = format!("{}-without", label.split('-').next().unwrap_or(label));
        let (touch, clean) = (of(label, "touch"), of(label, "clean"));
        if label.ends_with("-without") {
            let _ = writeln!(out, "| {label} | {touch:.0} | – | {clean:.0} | – |");
        } else {
            let _ = writeln!(
                out,
                "| {label} | {touch:.0} | **{:.0}** | {clean:.0} | **{:.0}** |",
                touch - of(&without, "touch"),
                clean - of(&without, "clean")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n| crate | edit one migration of {FILES} → rebuild | macro cost (− its `-without`'s touch) |"
    );
    let _ = writeln!(out, "|---|---:|---:|");
    for (label, _, _) in EDITS {
        let edit = of(label, "edit");
        let without = of(&format!("{label}-without"), "touch");
        let _ = writeln!(out, "| {label} | {edit:.0} | **{:.0}** |", edit - without);
    }
}

/// (label, crate): an application embedding the same 700 migrations with each tool.
const APPS: [(&str, &str); 3] = [
    ("strata", "strata-with"),
    ("refinery", "refinery-with"),
    ("sqlx", "sqlx-with"),
];

/// Clean builds of each application's whole dependency graph, dev and release, each in a
/// fresh target directory (nothing shared between tools or samples), and the release
/// binary's size.
pub fn run_app(samples: usize, csv: &mut Samples) {
    generate();
    let fetch = Command::new("cargo")
        .args(["fetch", "-q"])
        .current_dir(root())
        .status()
        .expect("cargo fetch");
    assert!(fetch.success(), "cargo fetch failed");
    let target = root().join("target-app");
    for sample in 0..samples {
        for (label, name) in APPS {
            for (kind, profile) in [("graph-dev", None), ("graph-release", Some("--release"))] {
                let _ = fs::remove_dir_all(&target);
                let mut args = vec!["build", "-q", "--offline", "-p", name];
                args.extend(profile);
                eprintln!("app: {label} {kind} sample {sample}");
                csv.push(label, "app", kind, sample, cargo_in(&target, &args, false));
            }
            let binary = target.join("release").join(name);
            let bytes = fs::metadata(&binary).expect("release binary").len();
            csv.value(label, "app", "release-bytes", bytes as f64, "bytes");
        }
    }
    let _ = fs::remove_dir_all(&target);
}

pub fn render_app(out: &mut String, csv: &Samples) {
    let of = |label: &str, kind: &str| csv.median(label, "app", kind);
    if of("strata", "graph-dev").is_nan() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### The application's cost: clean build of its whole dependency graph (median wall s, fresh target directory) and release binary\n"
    );
    let _ = writeln!(
        out,
        "| tool | clean graph, dev | clean graph, release | release binary |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for (label, _) in APPS {
        let _ = writeln!(
            out,
            "| {label} | {:.1} | {:.1} | {:.2} MB |",
            of(label, "graph-dev") / 1000.0,
            of(label, "graph-release") / 1000.0,
            of(label, "release-bytes") / 1e6,
        );
    }
}
