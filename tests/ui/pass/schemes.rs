//! Each naming scheme embeds with the right versions, names, DOWNs and transaction flags.

static SEQUENTIAL: strata::Migrations = strata::embed_migrations!("fixtures/scheme-sequential");
static FLYWAY: strata::Migrations = strata::embed_migrations!("fixtures/scheme-flyway");
static TIMESTAMP: strata::Migrations = strata::embed_migrations!("fixtures/scheme-timestamp");
static PAIRED: strata::Migrations = strata::embed_migrations!("fixtures/scheme-paired");
static DIRECTORY: strata::Migrations = strata::embed_migrations!("fixtures/scheme-directory");

fn versions(list: &strata::Migrations) -> Vec<i64> {
    list.iter().map(|m| m.version()).collect()
}

fn main() {
    assert_eq!(versions(&SEQUENTIAL), [1, 2, 10], "numeric order, not string order");
    assert_eq!(SEQUENTIAL.get(10).map(|m| m.name()), Some("tags"));
    assert_eq!(versions(&FLYWAY), [1, 2]);
    assert_eq!(FLYWAY.get(2).and_then(|m| m.down()), Some("DROP TABLE posts;\n"));
    assert_eq!(versions(&TIMESTAMP), [20250210120000, 20250301080000]);
    assert_eq!(versions(&PAIRED), [1, 2]);
    assert_eq!(PAIRED.get(1).map(|m| m.path()), Some("fixtures/scheme-paired/0001_users.up.sql"));
    assert_eq!(PAIRED.get(1).and_then(|m| m.down_section()).map(|s| s.path()), Some("fixtures/scheme-paired/0001_users.down.sql"));
    assert_eq!(versions(&DIRECTORY), [20241025112826, 202606021220080000]);
    let index = DIRECTORY.get(202606021220080000).expect("directory migration");
    assert!(!index.transactional(), "metadata.toml run_in_transaction = false");
    assert!(DIRECTORY.get(20241025112826).is_some_and(|m| m.transactional()));
    for list in [&SEQUENTIAL, &FLYWAY, &TIMESTAMP, &PAIRED, &DIRECTORY] {
        assert!(list.iter().all(|m| m.down().is_some() && m.checksum().len() == 64));
    }
}
