static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-undefined-object");

fn main() {}
