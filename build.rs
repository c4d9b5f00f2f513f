// The examples embed ./migrations; track it so adding a file rebuilds them.
fn main() {
    strata_core::build::track("migrations");
    // PostgreSQL end-to-end fixtures (tests/postgres_*.rs).
    strata_core::build::track("tests/fixtures/pg/sequential");
    strata_core::build::track("tests/fixtures/pg/flyway");
    strata_core::build::track("tests/fixtures/pg/timestamp");
    strata_core::build::track("tests/fixtures/pg/paired");
    strata_core::build::track("tests/fixtures/pg/directory");
    strata_core::build::track("tests/fixtures/pg/failing");
    strata_core::build::track("tests/fixtures/pg/positions");
    strata_core::build::track("tests/fixtures/pg/no-transaction");
    strata_core::build::track("tests/fixtures/pg/no-transaction-partial");
    strata_core::build::track("tests/fixtures/pg/slow");
    strata_core::build::track("tests/fixtures/pg/no-position");
}
