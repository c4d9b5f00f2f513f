//! Valid MySQL, applied to MariaDB 10.11 first, compiles without a diagnostic: sqlparser's
//! MySQL grammar has gaps (partitions, ZEROFILL, executable comments), and only what is
//! certain may fail a build.

static MYSQL: strata::Migrations = strata::embed_migrations!("fixtures/mysql-valid");

fn main() {
    assert_eq!(MYSQL.len(), 10);
    let trigger = MYSQL.get(5).expect("migration 5");
    assert_eq!(trigger.up_statements().len(), 2, "the ALTER, then the whole trigger");
    let procedure = MYSQL.get(6).expect("migration 6");
    assert_eq!(procedure.up_statements().len(), 1, "the whole procedure");
    let seed = MYSQL.get(7).expect("migration 7");
    assert_eq!(seed.up_statements().len(), 6, "mysqldump's /*! */ line is a statement");
}
