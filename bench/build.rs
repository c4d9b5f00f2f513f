// Generates the migration directories the runners embed, before the crate compiles (the
// macros read them at compile time): the same SQL, byte for byte, in each tool's naming
// scheme, under generated/<set>/<tool>. Files already right are not rewritten, so their
// mtimes (cargo's and strata's freshness test) stay.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let root =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("generated");
    for (set, migrations) in strata_bench_gen::runtime_sets() {
        strata_bench_gen::write_set(&root.join(set), &migrations)
            .expect("write generated migrations");
        strata::build::track(&format!("generated/{set}/strata"));
        println!("cargo:rerun-if-changed=generated/{set}");
    }
    // The `mysql` subcommand's sets: strata's directories say `dialect = "mysql"`.
    for (set, migrations) in strata_bench_gen::mysql_sets() {
        strata_bench_gen::write_mysql_set(&root.join(set), &migrations)
            .expect("write generated migrations");
        strata::build::track(&format!("generated/{set}/strata"));
        println!("cargo:rerun-if-changed=generated/{set}");
    }
}
