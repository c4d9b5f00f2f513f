//! Embeds ./migrations at compile time and prints what was embedded.
static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");

fn main() {
    println!("{} migrations embedded:", MIGRATIONS.len());
    for m in &MIGRATIONS {
        println!("  {:>4}  {:<28} {} statement(s), down: {}, checksum {}", m.version(), m.name(), m.statements().len(), m.down().is_some(), &m.checksum()[..12]);
    }
}
