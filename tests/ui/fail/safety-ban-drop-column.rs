static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-ban-drop-column");

fn main() {}
