static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-disallowed-unique-constraint");

fn main() {}
