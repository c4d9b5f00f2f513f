static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/unreadable-file");

fn main() {}
