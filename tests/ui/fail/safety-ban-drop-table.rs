static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-ban-drop-table");

fn main() {}
