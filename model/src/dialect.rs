//! The SQL dialects strata lexes and checks (`dialect = "..."` in strata.toml).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Postgres,
    Sqlite,
    Mysql,
    Generic,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::Postgres,
        Dialect::Sqlite,
        Dialect::Mysql,
        Dialect::Generic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
            Dialect::Generic => "generic",
        }
    }

    /// The dialect `strata.toml` names `name`, exactly as [`Dialect::name`] spells it.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}
