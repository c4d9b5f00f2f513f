// #[strata::test] tells what it needs: the migrations, and one Client or Connection.
static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/scheme-sequential");

#[strata::test]
async fn no_migrations(client: tokio_postgres::Client) {}

#[strata::test(migrations = MIGRATIONS)]
fn postgres_must_be_async(client: tokio_postgres::Client) {}

#[strata::test(migrations = MIGRATIONS)]
async fn two_parameters(client: tokio_postgres::Client, other: u32) {}

#[strata::test(migrations = MIGRATIONS)]
fn unknown_database(pool: String) {}

fn main() {}
