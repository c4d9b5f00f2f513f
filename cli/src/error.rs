//! What a command can fail with. The runtime's errors stay typed (and keep their causes)
//! until `main` prints them.

use std::path::PathBuf;

/// A failed command: exit code 1, the message on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No `--database-url`, no `DATABASE_URL`.
    #[error("no database: pass --database-url or set DATABASE_URL (a .env file works too)")]
    NoDatabase,
    /// Connecting (or opening the SQLite file) failed; the URL is redacted.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// What the client library said.
        reason: String,
    },
    /// A URL scheme no backend handles.
    #[error(
        "unsupported database URL {0}: use postgres://..., postgresql://..., mysql://..., mariadb://..., sqlite:path or sqlite://path"
    )]
    UnsupportedUrl(String),
    /// A query of the CLI's own (the server's version, say) failed.
    #[error("{0}")]
    Query(String),
    /// The directory does not pass its lints, so no database command touches a database.
    #[error("{dir} has lint errors (see above); `strata lint` lists them")]
    LintErrors {
        /// The migrations directory.
        dir: String,
    },
    /// What the runtime returned: a failed migration, a refused plan, the lock, ...
    #[error(transparent)]
    Runtime(#[from] strata_runtime::Error),
    /// Reading or writing a file.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read`, `write` or `create`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The command refuses what it was asked (an existing file, an unusable name).
    #[error("{0}")]
    Refused(String),
    /// Starting the async runtime failed.
    #[error("cannot start the async runtime: {0}")]
    AsyncRuntime(#[source] std::io::Error),
    /// What kept `verify` from running (no URL, a connection, permissions): exit code 2,
    /// told apart from a finding (1).
    #[error(transparent)]
    Setup(Box<CliError>),
    /// Writing JSON output failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// The process exit code: 2 when a command could not run at all, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Setup(_) => 2,
            _ => 1,
        }
    }

    /// An I/O failure on `path`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io {
            action,
            path,
            source,
        }
    }
}
