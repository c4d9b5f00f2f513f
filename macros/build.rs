// The expansion cache (src/cache.rs) must never replay the output of a different macro, and
// must replay the output of the same one: its fingerprint, STRATA_MACRO_FINGERPRINT, is what
// determines an expansion besides the migration files and the flags cache.rs hashes itself:
//
// - strata's version (released versions differ by version number);
// - the contents of the macro's and core's sources: every file under `src` and, inside this
//   workspace, `../core/src` and `../buildscript/src`, in sorted path order (in a published
//   crate only `src` exists);
// - the compiler (`$RUSTC -vV`), which compiled the macro and core, and whose hasher
//   (`DefaultHasher`: deterministic for one rustc, not across releases) computes this.
//
// Never the clock: two builds of the same inputs give the same fingerprint, so a cache
// entry stays valid across a rebuild that changed nothing (a `touch`, a fresh checkout).
// Tested from src/cache.rs, which includes this file as a module.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let sources = source_dirs(&manifest_dir);
    for (label, _) in &sources {
        println!("cargo:rerun-if-changed={label}");
    }
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    let fingerprint = fingerprint(&version, &rustc_version(), &sources);
    println!("cargo:rustc-env=STRATA_MACRO_FINGERPRINT={fingerprint}");
}

/// The source directories that exist, each as (path relative to `manifest_dir`, full path).
/// `../core/src` and `../buildscript/src` count only when they are strata-core's and
/// strata-build's (this workspace's layout).
pub(crate) fn source_dirs(manifest_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut dirs = Vec::new();
    if manifest_dir.join("src").is_dir() {
        dirs.push(("src".to_string(), manifest_dir.join("src")));
    }
    // Core and the build-script helper (whose marker variables the macro reads).
    for (dir, package) in [("core", "strata-core"), ("buildscript", "strata-build")] {
        let crate_dir = manifest_dir.join("..").join(dir);
        let is_ours = std::fs::read_to_string(crate_dir.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.contains(&format!("name = \"{package}\"")));
        if is_ours && crate_dir.join("src").is_dir() {
            dirs.push((format!("../{dir}/src"), crate_dir.join("src")));
        }
    }
    dirs
}

/// `$RUSTC -vV` (release, commit, host, LLVM); cargo sets `RUSTC` for build scripts.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    match std::process::Command::new(&rustc).arg("-vV").output() {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).into(),
        _ => {
            println!(
                "cargo:warning=`{} -vV` failed; the expansion cache key omits the compiler",
                rustc.to_string_lossy()
            );
            String::from("unknown rustc")
        }
    }
}

/// `<version>-<16 hex digits>`: the version, then a hash of the version, the compiler and
/// every source file's relative path and contents.
pub(crate) fn fingerprint(version: &str, rustc: &str, sources: &[(String, PathBuf)]) -> String {
    let mut hasher = DefaultHasher::new();
    version.hash(&mut hasher);
    rustc.hash(&mut hasher);
    for (label, dir) in sources {
        let mut files = Vec::new();
        collect_files(dir, label, &mut files);
        files.sort();
        label.hash(&mut hasher);
        files.len().hash(&mut hasher);
        for (relative, path) in files {
            relative.hash(&mut hasher);
            // Unreadable and readable files hash differently (Option's discriminant).
            std::fs::read(&path).ok().hash(&mut hasher);
        }
    }
    format!("{version}-{:016x}", hasher.finish())
}

/// Every file under `dir`, each as (`/`-separated path under `prefix`, full path).
fn collect_files(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let relative = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        if path.is_dir() {
            collect_files(&path, &relative, files);
        } else {
            files.push((relative, path));
        }
    }
}
