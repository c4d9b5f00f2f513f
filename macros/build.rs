// The expansion cache must never replay output of an older strata. Released versions differ
// by version number; inside this workspace the sources change without one, so a fresh
// fingerprint is taken whenever the macro's or core's sources change.
fn main() {
    for dir in ["src", "../core/src"] {
        if std::path::Path::new(dir).exists() {
            println!("cargo:rerun-if-changed={dir}");
        }
    }
    let fingerprint = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    println!("cargo:rustc-env=STRATA_MACRO_FINGERPRINT={fingerprint}");
}
