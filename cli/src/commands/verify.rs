//! `strata verify`: every migration applied, rolled back and applied again on a scratch
//! database (PostgreSQL: created from `template0`, MySQL: created empty, both dropped on
//! every path; SQLite: in memory), the schema compared from the catalog at each step.
//!
//! Exit codes: 0 all holds, 1 a finding (or lint errors), 2 the verification could not run
//! (no URL, connection, permissions), 130 interrupted.

use std::process::ExitCode;

use strata_runtime::scratch::{create_scratch, drop_abandoned, drop_scratch, scratch_name};
use strata_runtime::{Finding, Migrations, RoundTrip, VerifyReport};

use super::Result;
use crate::args::LintFormat;
use crate::database::Database;
use crate::error::CliError;
use crate::output::github_escape;

/// Scratch databases of `verify` are named `strata_verify_<secs>_<pid>_<hex>`.
const PREFIX: &str = "strata_verify";

/// What to verify and how to report it.
pub struct Verify<'a> {
    pub url: Option<&'a str>,
    pub sqlite: bool,
    pub idempotent: bool,
    pub format: LintFormat,
    pub quiet: bool,
}

pub async fn run(migrations: &Migrations, options: Verify<'_>) -> Result<ExitCode> {
    let server = match options.url.filter(|url| !url.is_empty()) {
        Some(url) if has_server(url) => Some(url),
        Some(url) if url.starts_with("sqlite:") => None,
        Some(url) => {
            return Err(setup(CliError::UnsupportedUrl(crate::database::redact(
                url,
            ))));
        }
        None if options.sqlite => None,
        None => return Err(setup(CliError::NoDatabase)),
    };
    let outcome = match server {
        Some(url) => on_server(migrations, url, &options).await?,
        None => {
            // Never the file the URL names: verify applies and rolls back everything.
            let conn = rusqlite::Connection::open_in_memory().map_err(|e| {
                setup(CliError::Connect {
                    url: "sqlite::memory:".into(),
                    reason: e.to_string(),
                })
            })?;
            let mut db = Database::Sqlite(conn);
            let verifier = migrations.verifier().idempotent(options.idempotent);
            Some(
                verifier
                    .verify(&mut db)
                    .await
                    .map_err(|e| setup(e.into()))?,
            )
        }
    };
    let Some(report) = outcome else {
        eprintln!("interrupted; the scratch database was dropped");
        return Ok(ExitCode::from(130));
    };
    print(&report, options.format, options.quiet)?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Whether `url` names a database server (PostgreSQL or MySQL), where verify makes a
/// scratch database beside the URL's.
fn has_server(url: &str) -> bool {
    ["postgres://", "postgresql://", "mysql://", "mariadb://"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

/// Creates the scratch database, verifies on it, and drops it whatever happened (an error,
/// Ctrl-C or SIGTERM). `None`: interrupted.
async fn on_server(
    migrations: &Migrations,
    url: &str,
    options: &Verify<'_>,
) -> Result<Option<VerifyReport>> {
    let mut admin = Database::connect(url).await.map_err(setup)?;
    let query = |e: strata_runtime::DbError| setup(CliError::Query(e.to_string()));
    let abandoned = drop_abandoned(&mut admin, PREFIX).await.map_err(query)?;
    if !abandoned.is_empty() && !options.quiet {
        eprintln!(
            "dropped scratch databases left by killed runs: {}",
            abandoned.join(", ")
        );
    }
    let name = scratch_name(PREFIX);
    create_scratch(&mut admin, &name, None).await.map_err(|e| {
        setup(CliError::Query(format!(
            "cannot create the scratch database: {e}"
        )))
    })?;
    if !options.quiet {
        eprintln!("verifying on scratch database {name}");
    }
    let verification = async {
        let mut db = Database::connect_to(url, Some(&name))
            .await
            .map_err(setup)?;
        let verifier = migrations.verifier().idempotent(options.idempotent);
        verifier.verify(&mut db).await.map_err(|e| setup(e.into()))
    };
    let outcome = tokio::select! {
        outcome = verification => Some(outcome),
        () = interrupted() => None,
    };
    // The verification's connection is closed by now (its future was dropped); FORCE
    // disconnects anything left.
    let dropped = drop_scratch(&mut admin, &name).await;
    if let Err(error) = &dropped {
        eprintln!("error: cannot drop the scratch database {name}: {error}");
    }
    match outcome {
        Some(report) => report.map(Some),
        None => Ok(None),
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Errors that keep the verification from running: exit code 2.
fn setup(error: CliError) -> CliError {
    CliError::Setup(Box::new(error))
}

fn print(report: &VerifyReport, format: LintFormat, quiet: bool) -> Result<()> {
    match format {
        LintFormat::Human => print_human(report, quiet),
        LintFormat::Json => println!("{:#}", json(report)),
        LintFormat::Github => {
            for (step, finding) in report.findings() {
                let (file, line, column) = place(step, finding);
                println!(
                    "::error file={},line={line},col={column},title={}::{}",
                    github_escape(&file, true),
                    github_escape(&format!("strata verify {}", finding.kind()), true),
                    github_escape(&format!("migration {}: {finding}", step.version), false)
                );
            }
        }
    }
    Ok(())
}

fn print_human(report: &VerifyReport, quiet: bool) {
    for step in &report.steps {
        if !quiet {
            let state = match step.round_trip {
                RoundTrip::Verified => "ok",
                RoundTrip::NoDown => "no DOWN",
                RoundTrip::Failed => "FAILED",
                RoundTrip::NotReached => "not reached",
                _ => step.round_trip.as_str(),
            };
            let note = match step.round_trip {
                RoundTrip::NoDown => " (applied; no DOWN, so no round trip)",
                _ => "",
            };
            println!("{state:>11}  {} {}{note}", step.version, step.name);
        }
        for finding in &step.findings {
            let (file, line, column) = place(step, finding);
            println!(
                "{file}:{line}:{column}: migration {}: {finding}",
                step.version
            );
        }
    }
    let count = |state: RoundTrip| {
        report
            .steps
            .iter()
            .filter(|s| s.round_trip == state)
            .count()
    };
    let what = if report.idempotent {
        "up -> second run -> down -> up"
    } else {
        "up -> down -> up"
    };
    println!(
        "{}: {} verified ({what}), {} without DOWN, {} failed, {} not reached",
        if report.passed() { "passed" } else { "failed" },
        count(RoundTrip::Verified),
        count(RoundTrip::NoDown),
        count(RoundTrip::Failed),
        count(RoundTrip::NotReached),
    );
}

/// The finding's file, line and column (the migration's file, line 1, when it has none).
fn place(step: &strata_runtime::VerifyStep, finding: &Finding) -> (String, u32, u32) {
    match finding.location() {
        Some(location) => (
            location.path.clone(),
            location.line.unwrap_or(1),
            location.column.unwrap_or(1),
        ),
        None => (step.path.clone(), 1, 1),
    }
}

fn json(report: &VerifyReport) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = report
        .steps
        .iter()
        .map(|step| {
            let findings: Vec<serde_json::Value> = step
                .findings
                .iter()
                .map(|finding| {
                    let (file, line, column) = place(step, finding);
                    let differences: Vec<serde_json::Value> = finding
                        .differences()
                        .iter()
                        .map(|d| {
                            serde_json::json!({
                                "kind": d.kind,
                                "name": d.name,
                                "expected": d.expected,
                                "found": d.found,
                            })
                        })
                        .collect();
                    serde_json::json!({
                        "kind": finding.kind(),
                        "file": file,
                        "line": line,
                        "column": column,
                        "message": finding.to_string(),
                        "differences": differences,
                    })
                })
                .collect();
            serde_json::json!({
                "version": step.version,
                "name": step.name,
                "file": step.path,
                "round_trip": step.round_trip.as_str(),
                "findings": findings,
            })
        })
        .collect();
    serde_json::json!({
        "passed": report.passed(),
        "idempotent": report.idempotent,
        "migrations": steps,
    })
}
