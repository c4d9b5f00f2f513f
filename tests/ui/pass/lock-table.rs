//! `lock = "table"` in strata.toml reaches the runtime: the expansion stays a `static`.

static LEASED: strata::Migrations = strata::embed_migrations!("fixtures/lock-table");
static DEFAULT: strata::Migrations = strata::embed_migrations!("fixtures/scheme-sequential");

fn main() {
    assert_eq!(LEASED.lock_strategy(), strata::LockStrategy::Table);
    assert_eq!(DEFAULT.lock_strategy(), strata::LockStrategy::Advisory);
}
