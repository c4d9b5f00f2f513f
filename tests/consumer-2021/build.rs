fn main() {
    strata::build::track("migrations");
}
