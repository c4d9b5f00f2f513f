// The examples embed ./migrations and the end-to-end tests embed fixture directories; track
// them so adding a file rebuilds. Only directories that exist: in a published copy of this
// crate they do not, and tracking a missing path would re-run this script on every build.
const TRACKED: &[&str] = &[
    "migrations",
    "tests/fixtures/pg/sequential",
    "tests/fixtures/pg/flyway",
    "tests/fixtures/pg/timestamp",
    "tests/fixtures/pg/paired",
    "tests/fixtures/pg/directory",
    "tests/fixtures/pg/failing",
    "tests/fixtures/pg/positions",
    "tests/fixtures/pg/no-transaction",
    "tests/fixtures/pg/no-transaction-partial",
    "tests/fixtures/pg/slow",
    "tests/fixtures/pg/no-position",
    "tests/fixtures/pg/restart",
    "tests/fixtures/reliability",
    "tests/fixtures/verify/reversible",
    "tests/fixtures/verify/forgets-index",
    "tests/fixtures/mysql/app",
    "tests/fixtures/mysql/failing",
    "tests/fixtures/mysql/partial",
    "tests/fixtures/mysql/positions",
    "tests/fixtures/mysql/forgets-column",
    "tests/fixtures/mysql/reliability",
    "tests/fixtures/mysql/corpus",
    "tests/fixtures/mysql/delimiter",
    "tests/ui/fixtures/mysql-valid",
    "tests/fixtures/sqlite/model",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for dir in TRACKED
        .iter()
        .filter(|dir| std::path::Path::new(dir).is_dir())
    {
        strata_build::track(dir);
    }
}
