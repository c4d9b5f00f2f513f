//! `strata lint`: the macro's findings, byte for byte the same rendering.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use strata_core::{Level, render};

use super::Result;
use crate::args::LintFormat;
use crate::output::{JsonDiagnostic, github_escape, level_word};

pub fn run(dir: &str, format: LintFormat, deny_warnings: bool, quiet: bool) -> Result<ExitCode> {
    let loaded = strata_core::load(Path::new("."), dir);
    let shown = loaded
        .diagnostics
        .iter()
        .filter(|d| !quiet || d.level == Level::Deny);
    match format {
        LintFormat::Human => {
            let color = std::io::stdout().is_terminal();
            for d in shown {
                println!("{}\n", render::human(d, loaded.source(&d.file), color));
            }
            let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = loaded.diagnostics.len() - errors;
            if !quiet {
                println!(
                    "{} migration(s) checked: {errors} error(s), {warnings} warning(s)",
                    loaded.migrations.len()
                );
            }
        }
        LintFormat::Json => {
            let list: Vec<JsonDiagnostic<'_>> = shown.map(JsonDiagnostic::from).collect();
            let errors = list.iter().filter(|d| d.level == "error").count();
            let body = serde_json::json!({
                "migrations": loaded.migrations.len(),
                "errors": errors,
                "warnings": list.len() - errors,
                "diagnostics": list,
            });
            println!("{body:#}");
        }
        LintFormat::Github => {
            for d in shown {
                let (line, column) = d.span.as_ref().map_or((1, 1), |s| (s.line, s.column));
                println!(
                    "::{} file={},line={line},col={column},title={}::{}",
                    level_word(d.level),
                    github_escape(&d.file, true),
                    github_escape(&format!("strata {}", d.lint), true),
                    github_escape(&d.message, false)
                );
            }
        }
    }
    let failing = loaded.has_errors() || (deny_warnings && !loaded.diagnostics.is_empty());
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
