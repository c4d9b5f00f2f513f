//! The SQL dialects strata lexes and checks (`dialect = "..."` in strata.toml).

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Postgres,
    Sqlite,
    Mysql,
    Generic,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
            Dialect::Generic => "generic",
        }
    }

    pub(crate) fn sqlparser(self) -> Box<dyn sqlparser::dialect::Dialect> {
        use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
        match self {
            Dialect::Postgres => Box::new(PostgreSqlDialect {}),
            Dialect::Sqlite => Box::new(SQLiteDialect {}),
            Dialect::Mysql => Box::new(MySqlDialect {}),
            Dialect::Generic => Box::new(GenericDialect {}),
        }
    }
}
