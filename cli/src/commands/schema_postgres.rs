//! `strata schema` for PostgreSQL: the build-time schema model after the migrations (up to
//! `--at`), no database involved. Sorted by schema and name, so the output is the same on
//! every run; what the model does not follow is listed, never guessed.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use strata_core::schema_model::{Column, Constraint, ConstraintKind, Model, Relation, TypeDef};

use super::Result;
use crate::args::SchemaFormat;

#[derive(Serialize)]
struct Schema {
    /// The highest version replayed (`null`: none).
    applied_through: Option<i64>,
    schemas: Vec<String>,
    extensions: Vec<String>,
    types: Vec<TypeOut>,
    tables: Vec<TableOut>,
    /// Tables that exist but whose columns the model does not know (made `AS SELECT`, `LIKE`,
    /// `PARTITION OF`, or changed by a statement it does not follow).
    tables_not_followed: Vec<String>,
    views: Vec<String>,
    materialized_views: Vec<String>,
    sequences: Vec<String>,
    indexes: Vec<IndexOut>,
    functions: Vec<String>,
}

#[derive(Serialize)]
struct TypeOut {
    name: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<String>,
}

#[derive(Serialize)]
struct TableOut {
    name: String,
    columns: Vec<ColumnOut>,
    constraints: Vec<ConstraintOut>,
    triggers: Vec<String>,
}

#[derive(Serialize)]
struct ColumnOut {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    not_null: bool,
    default: Option<String>,
    generated: Option<&'static str>,
}

#[derive(Serialize)]
struct ConstraintOut {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    references: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<String>,
    validated: bool,
}

#[derive(Serialize)]
struct IndexOut {
    name: String,
    table: String,
    unique: bool,
    /// `null`: a key is an expression (not kept).
    columns: Option<Vec<String>>,
}

/// `schema.name`, or `name` in `public`.
fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" || schema.is_empty() {
        quoted(name)
    } else {
        format!("{}.{}", quoted(schema), quoted(name))
    }
}

/// A name as PostgreSQL would need it written: bare when it folds to itself.
fn quoted(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn constraint_kind(kind: &ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique",
        ConstraintKind::Check => "check",
        ConstraintKind::ForeignKey { .. } => "foreign key",
        ConstraintKind::Exclude => "exclude",
    }
}

fn schema_of(model: &Model, applied_through: Option<i64>) -> Schema {
    let mut out = Schema {
        applied_through,
        schemas: model.schemas.iter().cloned().collect(),
        extensions: model.extensions.iter().cloned().collect(),
        types: Vec::new(),
        tables: Vec::new(),
        tables_not_followed: Vec::new(),
        views: Vec::new(),
        materialized_views: Vec::new(),
        sequences: Vec::new(),
        indexes: Vec::new(),
        functions: model
            .functions
            .keys()
            .map(|(schema, name)| qualified(schema, name))
            .collect(),
    };
    for ((schema, name), definition) in &model.types {
        let (kind, labels, base) = match definition {
            TypeDef::Enum(labels) => ("enum", labels.clone(), None),
            TypeDef::Composite => ("composite", Vec::new(), None),
            TypeDef::Domain(base) => ("domain", Vec::new(), Some(base.clone())),
            TypeDef::Other => ("other", Vec::new(), None),
        };
        out.types.push(TypeOut {
            name: qualified(schema, name),
            kind,
            labels,
            base,
        });
    }
    for ((schema, name), relation) in &model.relations {
        let shown = qualified(schema, name);
        match relation {
            Relation::Table(Some(table)) if !model.is_unknown(name) => out.tables.push(TableOut {
                name: shown,
                columns: table.columns.iter().map(column_out).collect(),
                constraints: table.constraints.iter().map(constraint_out).collect(),
                triggers: table.triggers.iter().cloned().collect(),
            }),
            Relation::Table(_) => out.tables_not_followed.push(shown),
            Relation::View {
                materialized: false,
            } => out.views.push(shown),
            Relation::View { materialized: true } => out.materialized_views.push(shown),
            Relation::Sequence { .. } => out.sequences.push(shown),
            Relation::Index {
                table,
                columns,
                unique,
                ..
            } => out.indexes.push(IndexOut {
                // An index is in its table's schema: CREATE INDEX names it bare.
                name: quoted(name),
                table: qualified(schema, table),
                unique: *unique,
                columns: columns.clone(),
            }),
        }
    }
    out
}

fn column_out(column: &Column) -> ColumnOut {
    ColumnOut {
        name: column.name.clone(),
        ty: column.ty.clone(),
        not_null: column.not_null,
        default: column.default.clone(),
        generated: column.generated,
    }
}

fn constraint_out(constraint: &Constraint) -> ConstraintOut {
    let references = match &constraint.kind {
        ConstraintKind::ForeignKey { table, columns } => Some(format!(
            "{} ({})",
            qualified(&table.0, &table.1),
            columns.join(", ")
        )),
        _ => None,
    };
    ConstraintOut {
        name: constraint.name.clone(),
        kind: constraint_kind(&constraint.kind),
        columns: constraint.columns.clone(),
        references,
        check: constraint.expression.clone(),
        validated: constraint.validated,
    }
}

/// The schema as SQL: what would make it, and comments for what the model does not keep.
fn sql(schema: &Schema) -> String {
    let mut out = String::new();
    let through = schema
        .applied_through
        .map_or_else(|| "none".to_string(), |v| v.to_string());
    out.push_str(&format!(
        "-- strata schema: the PostgreSQL schema model, through version {through}\n\
         -- (replayed at build time; what it does not follow is listed, not guessed)\n\n"
    ));
    for name in schema.schemas.iter().filter(|s| *s != "public") {
        out.push_str(&format!("CREATE SCHEMA {};\n", quoted(name)));
    }
    for name in &schema.extensions {
        out.push_str(&format!("CREATE EXTENSION {};\n", quoted(name)));
    }
    for ty in &schema.types {
        let body = match ty.kind {
            "enum" => {
                let labels: Vec<String> = ty
                    .labels
                    .iter()
                    .map(|l| format!("'{}'", l.replace('\'', "''")))
                    .collect();
                format!("AS ENUM ({})", labels.join(", "))
            }
            "domain" => format!("-- domain over {}", ty.base.clone().unwrap_or_default()),
            _ => "-- definition not kept".to_string(),
        };
        let keyword = if ty.kind == "domain" {
            "DOMAIN"
        } else {
            "TYPE"
        };
        out.push_str(&format!("CREATE {keyword} {} {body};\n", ty.name));
    }
    for sequence in &schema.sequences {
        out.push_str(&format!("CREATE SEQUENCE {sequence};\n"));
    }
    out.push('\n');
    for table in &schema.tables {
        let mut lines: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let mut line = format!("    {} {}", quoted(&c.name), c.ty);
                match c.generated {
                    Some("identity") => line.push_str(" GENERATED AS IDENTITY"),
                    Some(_) => line.push_str(" GENERATED ALWAYS AS (...) STORED"),
                    None => {}
                }
                if c.not_null {
                    line.push_str(" NOT NULL");
                }
                if let Some(default) = &c.default {
                    line.push_str(&format!(" DEFAULT {default}"));
                }
                line
            })
            .collect();
        for constraint in &table.constraints {
            let columns = constraint
                .columns
                .iter()
                .map(|c| quoted(c))
                .collect::<Vec<_>>()
                .join(", ");
            let body = match constraint.kind {
                "primary key" => format!("PRIMARY KEY ({columns})"),
                "unique" => format!("UNIQUE ({columns})"),
                "foreign key" => format!(
                    "FOREIGN KEY ({columns}) REFERENCES {}",
                    constraint.references.clone().unwrap_or_default()
                ),
                "check" => format!("CHECK ({})", constraint.check.clone().unwrap_or_default()),
                _ => format!("EXCLUDE ({columns})"),
            };
            let valid = if constraint.validated {
                ""
            } else {
                " NOT VALID"
            };
            lines.push(format!(
                "    CONSTRAINT {} {body}{valid}",
                quoted(&constraint.name)
            ));
        }
        out.push_str(&format!(
            "CREATE TABLE {} (\n{}\n);\n",
            table.name,
            lines.join(",\n")
        ));
        for trigger in &table.triggers {
            out.push_str(&format!(
                "-- trigger {} ON {}\n",
                quoted(trigger),
                table.name
            ));
        }
        out.push('\n');
    }
    for table in &schema.tables_not_followed {
        out.push_str(&format!("-- table {table}: its columns are not known\n"));
    }
    for index in &schema.indexes {
        let unique = if index.unique { "UNIQUE " } else { "" };
        let columns = match &index.columns {
            Some(columns) => columns
                .iter()
                .map(|c| quoted(c))
                .collect::<Vec<_>>()
                .join(", "),
            None => "-- an expression, not kept\n".to_string(),
        };
        out.push_str(&format!(
            "CREATE {unique}INDEX {} ON {} ({columns});\n",
            index.name, index.table
        ));
    }
    for view in &schema.views {
        out.push_str(&format!("-- view {view}\n"));
    }
    for view in &schema.materialized_views {
        out.push_str(&format!("-- materialized view {view}\n"));
    }
    for function in &schema.functions {
        out.push_str(&format!("-- function {function}\n"));
    }
    out
}

pub fn run(dir: &str, at: Option<i64>, format: SchemaFormat) -> Result<ExitCode> {
    let mut diagnostics = Vec::new();
    let directory = strata_core::discover::discover(Path::new("."), dir, &mut diagnostics);
    let (through, model) = strata_core::schema_model::model_at(&directory, at);
    let schema = schema_of(&model, through);
    match format {
        SchemaFormat::Json => println!("{}", serde_json::to_string_pretty(&schema)?),
        SchemaFormat::Sql => print!("{}", sql(&schema)),
    }
    Ok(ExitCode::SUCCESS)
}
