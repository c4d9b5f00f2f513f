//! Every section dialect splits UP from DOWN; headers belong to neither.

static GOOSE: strata::Migrations = strata::embed_migrations!("fixtures/sections-goose");
static DBMATE: strata::Migrations = strata::embed_migrations!("fixtures/sections-dbmate");
static PLAIN: strata::Migrations = strata::embed_migrations!("fixtures/sections-plain");
static NO_TRANSACTION: strata::Migrations = strata::embed_migrations!("fixtures/no-transaction");
static BOM_CRLF: strata::Migrations = strata::embed_migrations!("fixtures/bom-crlf");

fn main() {
    for list in [&GOOSE, &DBMATE, &PLAIN] {
        let users = list.get(1).expect("migration 1");
        assert!(users.up().contains("CREATE TABLE users"), "{}", users.up());
        assert!(!users.up().contains("DROP"), "{}", users.up());
        assert_eq!(users.down().map(str::trim), Some("DROP TABLE users;"));
        assert_eq!(users.up_statements().len(), 1);
    }
    let plain = PLAIN.get(1).expect("migration 1");
    assert!(!plain.up().contains("Header"), "the header belongs to no section");
    assert_eq!(plain.up_section().line(), 3, "UP starts on the line after its marker");
    assert_eq!(plain.up_statements()[0].line(), 3);
    assert_eq!(PLAIN.get(2).and_then(|m| m.down()), None, "allowed to have no DOWN");
    let indexes = NO_TRANSACTION.get(1).expect("migration 1");
    assert!(!indexes.transactional());
    let statements: Vec<&str> = indexes.up_section().statement_texts().map(|(_, sql)| sql).collect();
    assert_eq!(statements, ["CREATE INDEX CONCURRENTLY a_idx ON t (a)", "CREATE INDEX CONCURRENTLY b_idx ON t (b)"]);
    assert_eq!(indexes.up_section().statements()[1].line(), 4);
    let bom = BOM_CRLF.get(1).expect("migration 1");
    assert_eq!(bom.up(), "CREATE TABLE café (id bigint PRIMARY KEY);\r\n", "BOM skipped, CRLF kept");
    assert_eq!(bom.down(), Some("DROP TABLE café;\r\n"));
}
