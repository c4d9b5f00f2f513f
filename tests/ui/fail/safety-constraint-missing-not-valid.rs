static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-constraint-missing-not-valid");

fn main() {}
