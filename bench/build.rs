// Generates the migration directories the runners embed, before the crate compiles (the
// macros read them at compile time). Same SQL, byte for byte, in each tool's naming scheme.
use std::fs;
use std::path::Path;

fn write_set(root: &Path, set: &str, n: usize, sql: impl Fn(usize) -> String) {
    let schemes: [(&str, fn(usize, &str) -> String); 3] = [
        ("strata", |i, set| format!("{i:04}_{set}_{i}.sql")),
        ("refinery", |i, set| format!("V{i}__{set}_{i}.sql")),
        ("sqlx", |i, set| format!("{i}_{set}_{i}.sql")),
    ];
    for (tool, name) in schemes {
        let dir = root.join(tool).join(set);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create generated dir");
        for i in 1..=n {
            fs::write(dir.join(name(i, set)), sql(i)).expect("write migration");
        }
        if tool == "strata" {
            // Forward-only like the peers' files; the gap-free sequence needs no other config.
            fs::write(dir.join("strata.toml"), "down = \"optional\"\n[lints]\nuntracked-directory = \"allow\"\n").expect("toml");
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BENCH_N");
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("generated");
    write_set(&root, "table", n, |i| format!("CREATE TABLE t{i} (id bigint primary key, v text);\nINSERT INTO t{i} VALUES (1, 'x');\n"));
    write_set(&root, "tiny", n, |i| format!("SELECT {i};\n"));
    println!("cargo:rustc-env=BENCH_N={n}");
}
