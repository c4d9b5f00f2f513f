// The examples embed ./migrations; track it so adding a file rebuilds them.
fn main() {
    strata_core::build::track("migrations");
}
