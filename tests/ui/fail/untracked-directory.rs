static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/untracked-directory");

fn main() {}

// A warning is only captured in a failing case, hence this sentinel.
compile_error!("end of warnings");
