//! Generates the benchmark's migration directories: the same SQL bytes for every tool, in
//! each tool's own naming scheme. Deterministic, and a file whose content is already right is
//! not rewritten (its mtime stays, so cargo and strata's expansion cache see no change).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The tools whose macros embed a directory, and the file name each expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// strata: sequential `0001_name.sql` (plus a `strata.toml` saying DOWN is optional,
    /// because the other tools have no DOWN in the same file).
    Strata,
    /// refinery: Flyway-style `V1__name.sql`.
    Refinery,
    /// sqlx: `0001_name.sql` (version, underscore, description).
    Sqlx,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [Scheme::Strata, Scheme::Refinery, Scheme::Sqlx];

    pub fn dir_name(self) -> &'static str {
        match self {
            Scheme::Strata => "strata",
            Scheme::Refinery => "refinery",
            Scheme::Sqlx => "sqlx",
        }
    }

    pub fn file_name(self, version: usize, width: usize, name: &str) -> String {
        match self {
            Scheme::Strata | Scheme::Sqlx => format!("{version:0width$}_{name}.sql"),
            Scheme::Refinery => format!("V{version}__{name}.sql"),
        }
    }
}

/// One migration: its version (1-based), name (`[a-z0-9_]`) and SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: usize,
    pub name: String,
    pub sql: String,
}

/// The table set: `CREATE TABLE t{n} (id bigint primary key, v text); INSERT ...`.
pub fn table_set(count: usize) -> Vec<Migration> {
    (1..=count)
        .map(|n| Migration {
            version: n,
            name: format!("create_t{n}"),
            sql: format!("CREATE TABLE t{n} (id bigint primary key, v text);\nINSERT INTO t{n} VALUES (1, 'x');\n"),
        })
        .collect()
}

/// The round-trip-bound set: each migration is one tiny statement (the first creates the
/// table the others insert into), so the cost is round trips and commits, not SQL.
pub fn round_trip_set(count: usize) -> Vec<Migration> {
    (1..=count)
        .map(|n| {
            let sql = if n == 1 {
                "CREATE TABLE rt (n int);\n".to_string()
            } else {
                format!("INSERT INTO rt VALUES ({n});\n")
            };
            Migration {
                version: n,
                name: format!("rt{n}"),
                sql,
            }
        })
        .collect()
}

/// The MySQL table set (`mysql` subcommand): the table set in MySQL's spelling.
pub fn mysql_table_set(count: usize) -> Vec<Migration> {
    (1..=count)
        .map(|n| Migration {
            version: n,
            name: format!("create_t{n}"),
            sql: format!(
                "CREATE TABLE t{n} (id BIGINT PRIMARY KEY, v TEXT);\nINSERT INTO t{n} VALUES (1, 'x');\n"
            ),
        })
        .collect()
}

/// The MySQL round-trip-bound set: `CREATE TABLE rt (n INT);`, then one tiny INSERT each.
pub fn mysql_round_trip_set(count: usize) -> Vec<Migration> {
    (1..=count)
        .map(|n| {
            let sql = if n == 1 {
                "CREATE TABLE rt (n INT);\n".to_string()
            } else {
                format!("INSERT INTO rt VALUES ({n});\n")
            };
            Migration {
                version: n,
                name: format!("rt{n}"),
                sql,
            }
        })
        .collect()
}

/// A small deterministic PRNG (xorshift64*), so generated sets never change between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "account", "invoice", "order", "customer", "product", "shipment", "payment", "ledger", "event",
    "session", "tenant", "report", "audit", "price", "stock", "review", "coupon", "address",
    "profile", "device",
];
const TYPES: &[&str] = &[
    "text",
    "integer",
    "bigint",
    "boolean",
    "numeric(12, 2)",
    "timestamptz",
    "jsonb",
    "uuid",
    "date",
];

fn value_for(ty: &str, rng: &mut Rng, row: usize) -> String {
    match ty {
        "text" => format!(
            "'{}-{}'",
            WORDS[rng.below(WORDS.len() as u64) as usize],
            row
        ),
        "integer" | "bigint" => rng.below(100_000).to_string(),
        "boolean" => if rng.below(2) == 0 { "true" } else { "false" }.to_string(),
        "numeric(12, 2)" => format!("{}.{:02}", rng.below(10_000), rng.below(100)),
        "timestamptz" => format!(
            "'2025-{:02}-{:02} 12:00:00+00'",
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        "jsonb" => format!(
            "'{{\"k\": {}, \"tag\": \"{}\"}}'",
            rng.below(1000),
            WORDS[rng.below(WORDS.len() as u64) as usize]
        ),
        "uuid" => format!(
            "'{:08x}-0000-4000-8000-{:012x}'",
            rng.below(u32::MAX as u64),
            rng.below(1 << 47)
        ),
        _ => format!("'2024-{:02}-{:02}'", 1 + rng.below(12), 1 + rng.below(28)),
    }
}

/// A realistic, varied migration (no two files alike): a table with typed columns, an index,
/// comments, seed rows, and now and then a view, a plpgsql function or an ALTER of an
/// earlier table. Valid PostgreSQL, clean under every strata lint. About 1.4 KB on average.
pub fn realistic_migration(n: usize) -> Migration {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let word = rng.pick(WORDS);
    let table = format!("{word}_{n}");
    let mut sql = format!("-- Migration {n}: the {word} table and its seed data.\n");
    let columns: Vec<(String, &str)> = (0..5 + rng.below(7) as usize)
        .map(|i| (format!("{}_{i}", rng.pick(WORDS)), rng.pick(TYPES)))
        .collect();
    sql.push_str(&format!(
        "CREATE TABLE {table} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    ));
    for (name, ty) in &columns {
        let not_null = if rng.below(3) == 0 { " NOT NULL" } else { "" };
        sql.push_str(&format!("    {name} {ty}{not_null},\n"));
    }
    sql.push_str("    created_at timestamptz NOT NULL DEFAULT now()\n);\n\n");
    let (first, _) = &columns[0];
    sql.push_str(&format!(
        "CREATE INDEX {table}_{first}_idx ON {table} ({first});\n"
    ));
    sql.push_str(&format!(
        "COMMENT ON TABLE {table} IS 'Holds {word} rows; generated migration {n}.';\n\n"
    ));
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    sql.push_str(&format!(
        "INSERT INTO {table} ({}) VALUES\n",
        names.join(", ")
    ));
    let rows = 3 + rng.below(5) as usize;
    for row in 0..rows {
        let values: Vec<String> = columns
            .iter()
            .map(|(_, ty)| value_for(ty, &mut rng, row))
            .collect();
        let end = if row + 1 == rows { ";" } else { "," };
        sql.push_str(&format!("    ({}){end}\n", values.join(", ")));
    }
    match rng.below(4) {
        0 => sql.push_str(&format!(
            "\nCREATE VIEW {table}_recent AS\n    SELECT id, {first}, created_at\n    FROM {table}\n    WHERE created_at > now() - interval '30 days';\n"
        )),
        1 => sql.push_str(&format!(
            "\nCREATE FUNCTION {table}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    -- keep ; and quotes inside the body: 'x'; \"y\"\n    NEW.created_at := now();\n    RETURN NEW;\nEND;\n$$;\n"
        )),
        2 if n > 1 => {
            let previous = realistic_table_name(n - 1);
            sql.push_str(&format!("\nALTER TABLE {previous} ADD COLUMN note_{n} text DEFAULT 'none';\n"));
        }
        _ => sql.push_str(&format!("\nUPDATE {table} SET created_at = now() WHERE id > {};\n", rng.below(10))),
    }
    Migration {
        version: n,
        name: format!("{word}_{n}"),
        sql,
    }
}

/// The table name migration `n` of [`realistic_set`] creates.
pub fn realistic_table_name(n: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    format!("{}_{n}", rng.pick(WORDS))
}

pub fn realistic_set(count: usize) -> Vec<Migration> {
    (1..=count).map(realistic_migration).collect()
}

/// Writes `content` unless the file already holds exactly that. Returns whether it wrote.
pub fn write_if_changed(path: &Path, content: &[u8]) -> io::Result<bool> {
    if fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content)?;
    Ok(true)
}

/// Writes `set` into `dir/<tool>/` for every tool, removing any other file there.
/// Returns the directories, in [`Scheme::ALL`] order.
pub fn write_set(dir: &Path, set: &[Migration]) -> io::Result<Vec<PathBuf>> {
    write_set_with(dir, set, STRATA_TOML)
}

/// strata's `strata.toml` in the PostgreSQL sets (the default dialect).
const STRATA_TOML: &[u8] =
    b"# The peers have no DOWN sections; the same files here.\ndown = \"optional\"\n";

/// strata's `strata.toml` in the MySQL sets.
const STRATA_TOML_MYSQL: &[u8] =
    b"# The peers have no DOWN sections; the same files here.\ndialect = \"mysql\"\ndown = \"optional\"\n";

/// [`write_set`] for the MySQL sets: strata's directory says `dialect = "mysql"`.
pub fn write_mysql_set(dir: &Path, set: &[Migration]) -> io::Result<Vec<PathBuf>> {
    write_set_with(dir, set, STRATA_TOML_MYSQL)
}

fn write_set_with(dir: &Path, set: &[Migration], strata_toml: &[u8]) -> io::Result<Vec<PathBuf>> {
    let width = set.len().to_string().len().max(4);
    let mut dirs = Vec::new();
    for scheme in Scheme::ALL {
        let out = dir.join(scheme.dir_name());
        fs::create_dir_all(&out)?;
        let mut wanted = std::collections::BTreeSet::new();
        for m in set {
            let file = scheme.file_name(m.version, width, &m.name);
            write_if_changed(&out.join(&file), m.sql.as_bytes())?;
            wanted.insert(file);
        }
        if scheme == Scheme::Strata {
            write_if_changed(&out.join("strata.toml"), strata_toml)?;
            wanted.insert("strata.toml".to_string());
        }
        for entry in fs::read_dir(&out)? {
            let entry = entry?;
            if !wanted.contains(entry.file_name().to_string_lossy().as_ref()) {
                fs::remove_file(entry.path())?;
            }
        }
        dirs.push(out);
    }
    Ok(dirs)
}

/// The sets the runtime benchmark embeds, by directory name under `generated/`.
pub fn runtime_sets() -> Vec<(&'static str, Vec<Migration>)> {
    vec![
        ("table", table_set(1000)),
        ("table10", table_set(10)),
        ("rt", round_trip_set(1000)),
        // Per-test databases (`testdb`): realistic migrations, as a test suite would have.
        ("real50", realistic_set(50)),
        ("real700", realistic_set(700)),
    ]
}

/// The sets the `mysql` subcommand embeds, by directory name under `generated/`. 200, not
/// 1,000: every CREATE TABLE on MariaDB creates and syncs files, so DDL is slow there.
pub fn mysql_sets() -> Vec<(&'static str, Vec<Migration>)> {
    vec![
        ("mysql_table", mysql_table_set(200)),
        ("mysql_table10", mysql_table_set(10)),
        ("mysql_rt", mysql_round_trip_set(200)),
        ("mysql_rt10", mysql_round_trip_set(10)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_sets_vary_and_weigh_about_right() {
        let set = realistic_set(700);
        let bytes: usize = set.iter().map(|m| m.sql.len()).sum();
        assert!((900_000..1_200_000).contains(&bytes), "{bytes}");
        let distinct: std::collections::HashSet<_> = set.iter().map(|m| &m.sql).collect();
        assert_eq!(distinct.len(), 700);
        assert_eq!(
            realistic_table_name(7),
            format!("{}", realistic_migration(7).name)
        );
    }

    #[test]
    fn names_follow_each_scheme() {
        assert_eq!(
            Scheme::Strata.file_name(7, 4, "create_t7"),
            "0007_create_t7.sql"
        );
        assert_eq!(
            Scheme::Refinery.file_name(7, 4, "create_t7"),
            "V7__create_t7.sql"
        );
        assert_eq!(
            Scheme::Sqlx.file_name(7, 4, "create_t7"),
            "0007_create_t7.sql"
        );
    }
}
