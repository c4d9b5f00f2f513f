//! `strata-foreign <refinery|sqlx|diesel> <URL> <MIGRATIONS_DIR>`: applies every migration in
//! the directory with that tool's own runner, so the tests of `strata adopt --from <tool>` read a
//! history table the real tool wrote. The directory is read at run time (no embed macros), so
//! one binary serves every fixture. Exits 0 on success; on failure prints the tool's error to
//! stderr and exits 1.

mod diesel;
mod refinery;
mod sqlx;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What every tool is handed: its errors are all `Send + Sync`, and diesel's harness returns
/// exactly this type.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The database named by the URL argument.
pub enum Db {
    /// A `postgres://` or `postgresql://` URL, passed to the driver as it is.
    Postgres(String),
    /// The file of a `sqlite:PATH` URL; every tool creates it when missing.
    Sqlite(PathBuf),
}

impl Db {
    fn parse(url: &str) -> Option<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Some(Db::Postgres(url.to_owned()));
        }
        // `sqlite://PATH` is sqlx's spelling of the same thing; accept both.
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        (!path.is_empty()).then(|| Db::Sqlite(PathBuf::from(path)))
    }
}

/// A single-threaded runtime for the async drivers: one connection needs no more, and the
/// machine this runs on is small.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

const USAGE: &str = "usage: strata-foreign <refinery|sqlx|diesel> <URL> <MIGRATIONS_DIR>\n  \
                     URL: postgres://... or sqlite:PATH";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tool, url, dir] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Some(db) = Db::parse(url) else {
        eprintln!("strata-foreign: unsupported URL {url:?}\n{USAGE}");
        return ExitCode::from(2);
    };
    let dir = Path::new(dir);
    let result = match tool.as_str() {
        "refinery" => refinery::run(&db, dir),
        "sqlx" => sqlx::run(&db, dir),
        "diesel" => diesel::run(&db, dir),
        _ => {
            eprintln!("strata-foreign: unknown tool {tool:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("strata-foreign: {tool}: {}", chain(&*err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its sources: some tools' own messages hide the database's (refinery on
/// PostgreSQL says only "db error" until its source is read). A source whose text the message
/// already holds is skipped.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        let more = err.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = err.source();
    }
    text
}
