static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-pg-undefined-object");

fn main() {}
