//! strata's build-script helper. Stable Rust cannot tell the compiler that a proc macro read
//! a directory, so adding a migration file would not rebuild; a build script can. This crate
//! has no dependencies, so a `[build-dependencies]` entry on it costs next to nothing to
//! compile (depending on `strata` there compiles its parsers for the build script too).

/// The environment variable [`track`] sets for `dir`, which `embed_migrations!` checks.
pub fn marker_variable(dir: &str) -> String {
    let sanitized: String = dir
        .trim_end_matches(['/', '\\'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("STRATA_TRACKED_{sanitized}")
}

/// Set by build systems that track the directory another way (Bazel, Buck): when present,
/// the macro never warns about an untracked directory.
pub const ASSUME_TRACKED_VARIABLE: &str = "STRATA_ASSUME_TRACKED";

/// Call from `build.rs` with the same path you pass to `embed_migrations!`:
///
/// ```no_run
/// // in build.rs's `fn main()`:
/// strata_build::track("migrations");
/// ```
///
/// Cargo then re-runs the build when any file in the directory is added, removed or changed.
pub fn track(dir: &str) {
    println!("cargo:rerun-if-changed={dir}");
    println!("cargo:rustc-env={}=1", marker_variable(dir));
}

#[cfg(test)]
mod tests {
    #[test]
    fn marker_names_are_valid_variables() {
        assert_eq!(
            super::marker_variable("migrations"),
            "STRATA_TRACKED_MIGRATIONS"
        );
        assert_eq!(
            super::marker_variable("db/migrations/"),
            "STRATA_TRACKED_DB_MIGRATIONS"
        );
    }
}
