static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-duplicate-object");

fn main() {}
