static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-ban-truncate-cascade");

fn main() {}
