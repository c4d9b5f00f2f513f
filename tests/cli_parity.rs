//! The CLI applies exactly what the macro embeds: both go through `strata_core::load`, and the
//! lists (versions, names, SQL, statement boundaries, file lines and checksums) are equal.

#![allow(deprecated)]

use std::path::Path;

static APP: strata::Migrations = strata::embed_migrations!("migrations");
static DIRECTORY: strata::Migrations =
    strata::embed_migrations!("tests/ui/fixtures/scheme-directory");
static FLYWAY: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-flyway");
static BOM_CRLF: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/bom-crlf");

#[test]
fn cli_and_macro_lists_are_identical() {
    for (dir, embedded) in [
        ("migrations", &APP),
        ("tests/ui/fixtures/scheme-directory", &DIRECTORY),
        ("tests/ui/fixtures/scheme-flyway", &FLYWAY),
        ("tests/ui/fixtures/bom-crlf", &BOM_CRLF),
    ] {
        let loaded = strata_core::load(Path::new(env!("CARGO_MANIFEST_DIR")), dir);
        assert!(!loaded.has_errors(), "{dir}");
        let runtime = strata::Migrations::from_vec(
            loaded.migrations,
            strata::HistoryTable::try_from(&loaded.config.history).expect("valid"),
        );
        assert_eq!(runtime.as_slice(), embedded.as_slice(), "{dir}");
        for (a, b) in runtime.iter().zip(embedded.iter()) {
            assert_eq!(a.checksum(), b.checksum());
            assert_eq!(a.up(), b.up());
            assert_eq!(a.down(), b.down());
        }
        assert_eq!(runtime.history(), embedded.history());
    }
}
