//! `strata schema`: the schema the migrations build, for code review and docs. SQLite's comes
//! from SQLite itself: the migrations (up to `--at`) applied to an in-memory database, then
//! its `sqlite_schema` in creation order. Never the file a URL names. PostgreSQL's is the
//! build-time schema model (`schema_postgres.rs`).

use std::process::ExitCode;

use serde::Serialize;
use strata_runtime::Migrations;

use super::Result;
use crate::args::SchemaFormat;
use crate::error::CliError;

#[derive(Serialize)]
struct Object {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    table: String,
    sql: String,
}

#[derive(Serialize)]
struct Schema {
    /// The highest version applied (`null`: none).
    applied_through: Option<i64>,
    objects: Vec<Object>,
}

pub async fn run(
    migrations: &Migrations,
    dir: &str,
    dialect: strata_core::Dialect,
    at: Option<i64>,
    format: SchemaFormat,
) -> Result<ExitCode> {
    match dialect {
        strata_core::Dialect::Sqlite => {}
        strata_core::Dialect::Postgres => return super::schema_postgres::run(dir, at, format),
        _ => {
            return Err(CliError::Setup(Box::new(CliError::Refused(format!(
                "strata schema knows SQLite's schema (applied to an in-memory SQLite) and \
                 PostgreSQL's (the build-time schema model); {} has neither yet: apply the \
                 migrations to a scratch database and use the server's own dump",
                dialect.name()
            )))));
        }
    }
    let mut conn = rusqlite::Connection::open_in_memory().map_err(|e| CliError::Connect {
        url: "sqlite::memory:".into(),
        reason: e.to_string(),
    })?;
    let mut runner = migrations.runner();
    if let Some(at) = at {
        runner = runner.target(at);
    }
    let report = runner.run(&mut conn).await?;
    let schema = Schema {
        applied_through: report.applied.last().map(|step| step.version),
        objects: objects(&conn, migrations).map_err(|e| CliError::Query(e.to_string()))?,
    };
    match format {
        SchemaFormat::Json => println!("{}", serde_json::to_string_pretty(&schema)?),
        SchemaFormat::Sql => {
            let through = schema
                .applied_through
                .map_or_else(|| "none".to_string(), |v| v.to_string());
            println!(
                "-- strata schema: {} migration(s) applied, through version {through}\n",
                report.applied.len()
            );
            for object in &schema.objects {
                println!("{};\n", object.sql.trim_end());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every object but SQLite's own and strata's tables, in creation order.
fn objects(conn: &rusqlite::Connection, migrations: &Migrations) -> rusqlite::Result<Vec<Object>> {
    let table = migrations.history().table().to_string();
    let strata: Vec<String> = ["", "_lease", "_failure"]
        .iter()
        .map(|suffix| format!("{table}{suffix}"))
        .collect();
    let mut statement = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL ORDER BY rowid",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(Object {
            kind: row.get(0)?,
            name: row.get(1)?,
            table: row.get(2)?,
            sql: row.get(3)?,
        })
    })?;
    let objects: rusqlite::Result<Vec<Object>> = rows.collect();
    Ok(objects?
        .into_iter()
        .filter(|object| !strata.contains(&object.table))
        .collect())
}
