//! The server the benchmark talks to, and the databases it creates there. Every database is
//! named `strata_bench_<pid>_<n>` and dropped when its guard goes; databases left behind by a
//! benchmark process that no longer runs are dropped at start-up and at the end.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::{Client, NoTls};

const PREFIX: &str = "strata_bench_";

/// `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// The parts of a `postgres://user[:password]@host[:port]/database[?query]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub userinfo: String,
    pub host: String,
    pub port: u16,
    pub database: String,
}

impl Url {
    pub fn parse(url: &str) -> Url {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .unwrap_or_else(|| panic!("DATABASE_URL must start with postgres://, got {url}"));
        let rest = rest.split('?').next().unwrap_or(rest);
        let (userinfo, rest) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
        let (hostport, database) = rest.split_once('/').unwrap_or((rest, "postgres"));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().expect("port in DATABASE_URL")),
            None => (hostport, 5432),
        };
        Url {
            userinfo: userinfo.to_string(),
            host: host.to_string(),
            port,
            database: database.to_string(),
        }
    }

    /// The same server and user, another database, TLS off (the counting proxy reads the
    /// protocol, and both clients then behave the same way).
    pub fn with(&self, database: &str, host: &str, port: u16) -> String {
        format!(
            "postgres://{}@{host}:{port}/{database}?sslmode=disable",
            self.userinfo
        )
    }

    pub fn database_url(&self, database: &str) -> String {
        self.with(database, &self.host, self.port)
    }
}

pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The admin connection (to `DATABASE_URL`) that creates and drops the bench databases.
pub struct Server {
    pub url: Url,
    admin: Client,
}

impl Server {
    pub async fn connect() -> Server {
        let raw = server_url();
        let url = Url::parse(&raw);
        let admin = connect(&url.database_url(&url.database)).await;
        let server = Server { url, admin };
        server.drop_leftovers(false).await;
        server
    }

    pub async fn version(&self) -> String {
        let rows = self
            .admin
            .simple_query("SHOW server_version")
            .await
            .expect("server version");
        rows.iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// A fresh, empty database.
    pub async fn create(&self) -> Database<'_> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{PREFIX}{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        self.admin
            .simple_query(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create bench database");
        Database {
            server: self,
            name,
            dropped: false,
        }
    }

    /// Runs `sql` on the admin connection, ignoring its result.
    pub async fn execute(&self, sql: &str) {
        let _ = self.admin.simple_query(sql).await;
    }

    /// Flushes dirty buffers so that the previous sample's writes are not paid by the next.
    pub async fn checkpoint(&self) {
        let _ = self.admin.simple_query("CHECKPOINT").await;
    }

    async fn drop_database(&self, name: &str) {
        let _ = self
            .admin
            .simple_query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }

    /// Drops bench databases whose process is gone (and with `all`, this process's too).
    pub async fn drop_leftovers(&self, all: bool) {
        let rows = self
            .admin
            .simple_query(&format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"
            ))
            .await
            .expect("list databases");
        let me = std::process::id().to_string();
        for name in rows.iter().filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        }) {
            let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
            let alive = !pid.is_empty() && std::path::Path::new("/proc").join(pid).exists();
            if (all && pid == me) || !alive {
                self.drop_database(&name).await;
            }
        }
    }

    /// How many bench databases exist now (0 at the end of a run).
    pub async fn count_bench_databases(&self) -> usize {
        let rows = self
            .admin
            .simple_query(&format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"
            ))
            .await
            .expect("list databases");
        rows.iter()
            .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
            .count()
    }
}

/// A database created for one sample; call [`Database::drop`] when done.
pub struct Database<'s> {
    server: &'s Server,
    pub name: String,
    dropped: bool,
}

impl Database<'_> {
    pub fn url(&self) -> String {
        self.server.url.database_url(&self.name)
    }

    /// Through a proxy listening on `127.0.0.1:port`.
    pub fn url_via(&self, port: u16) -> String {
        self.server.url.with(&self.name, "127.0.0.1", port)
    }

    pub async fn drop(mut self) {
        self.server.drop_database(&self.name).await;
        self.dropped = true;
    }
}

impl Drop for Database<'_> {
    fn drop(&mut self) {
        if !self.dropped {
            // A panic mid-sample: the next start-up (or the end of this run) drops it.
            eprintln!(
                "note: database {} is dropped at the end of the run",
                self.name
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_and_rebuilt() {
        let url = Url::parse("postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(
            url.database_url("x"),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            url.with("x", "127.0.0.1", 7000),
            "postgres://postgres@127.0.0.1:7000/x?sslmode=disable"
        );
        let url = Url::parse("postgresql://u:p@db.local/app?sslmode=require");
        assert_eq!(
            (
                url.userinfo.as_str(),
                url.host.as_str(),
                url.port,
                url.database.as_str()
            ),
            ("u:p", "db.local", 5432, "app")
        );
    }
}
