fn main() {
    strata_build::track("migrations");
}
