//! trybuild UI tests: one failing case per lint (with its reviewed .stderr) and one passing
//! case per naming scheme and section dialect. Fixture directories live in tests/ui/fixtures.

use std::path::Path;

#[test]
fn ui() {
    let ui_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    // trybuild builds the cases from a copy elsewhere (trybuild issue 202): resolve fixture
    // paths from this directory instead, and mark each fixture as tracked the way a build
    // script would, except the one case that shows the untracked-directory warning.
    // SAFETY: this test binary runs this single test, before any other thread exists.
    unsafe {
        std::env::set_var("STRATA_MANIFEST_DIR", &ui_dir);
        for entry in std::fs::read_dir(ui_dir.join("fixtures")).expect("fixtures directory") {
            let name = entry
                .expect("fixture entry")
                .file_name()
                .into_string()
                .expect("UTF-8 fixture name");
            if name != "untracked-directory" {
                std::env::set_var(
                    strata::build::marker_variable(&format!("fixtures/{name}")),
                    "1",
                );
            }
        }
    }
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
