//! Shared helpers for end-to-end tests: a PostgreSQL database per test, and a loopback proxy
//! that counts the protocol messages a client sends.

#![allow(dead_code)]

pub mod mysql;
pub mod processes;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_postgres::{Client, NoTls};

pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    format!("{prefix}/{database}{query}")
}

pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// `host:port` of [`server_url`] (default `127.0.0.1:5432`).
pub fn server_address() -> String {
    let url = server_url();
    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match host_port {
        "" => "127.0.0.1:5432".to_string(),
        hp if hp.contains(':') => hp.to_string(),
        host => format!("{host}:5432"),
    }
}

/// A fresh database, dropped (with force) when the guard goes.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new(label: &str) -> TestDb {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "strata_test_{label}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect(&server_url()).await;
        admin
            .simple_query(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let url = with_database(&server_url(), &name);
        TestDb { name, url }
    }

    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// A catalog snapshot of everything user-visible outside the system schemas and the
    /// history table: schemas, columns (type, nullability, default), constraints, indexes,
    /// views, functions, enum types and sequences, one sorted line each. Equal snapshots mean
    /// equal schemas for the purposes of these tests.
    pub async fn schema(&self) -> Vec<String> {
        let client = self.client().await;
        let sql = "WITH user_ns AS (SELECT oid, nspname FROM pg_namespace \
                       WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
                       AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%') \
                   SELECT 'schema ' || nspname FROM user_ns WHERE nspname <> 'public' \
                   UNION ALL SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type \
                       || ' ' || udt_name || ' null=' || is_nullable || ' default=' || coalesce(column_default, '-') \
                       || ' identity=' || is_identity \
                     FROM information_schema.columns WHERE table_schema IN (SELECT nspname FROM user_ns) \
                     AND table_name NOT LIKE 'strata_migrations%' \
                   UNION ALL SELECT 'constraint ' || n.nspname || '.' || t.relname || '.' || c.conname || ' ' || pg_get_constraintdef(c.oid) \
                     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN user_ns n ON n.oid = t.relnamespace \
                     WHERE t.relname NOT LIKE 'strata_migrations%' \
                   UNION ALL SELECT 'index ' || schemaname || '.' || indexname || ' ' || indexdef FROM pg_indexes \
                     WHERE schemaname IN (SELECT nspname FROM user_ns) AND tablename NOT LIKE 'strata_migrations%' \
                   UNION ALL SELECT 'view ' || schemaname || '.' || viewname || ' ' || definition FROM pg_views \
                     WHERE schemaname IN (SELECT nspname FROM user_ns) \
                   UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) \
                       || ') ' || pg_get_function_result(p.oid) || ' ' || p.prosrc \
                     FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace \
                   UNION ALL SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
                     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN user_ns n ON n.oid = t.typnamespace \
                     GROUP BY n.nspname, t.typname \
                   UNION ALL SELECT 'sequence ' || schemaname || '.' || sequencename || ' ' || data_type || ' start=' || start_value \
                     FROM pg_sequences WHERE schemaname IN (SELECT nspname FROM user_ns) \
                   ORDER BY 1";
        rows(&client, sql).await
    }

    /// Advisory locks held in this database (pg_locks lists every database's).
    pub async fn advisory_locks(&self) -> i64 {
        let client = self.client().await;
        client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .await
            .map(|row| row.get::<_, i64>(0))
            .expect("pg_locks")
    }

    /// Whether a relation (table, index, ...) exists, by name in any user schema.
    pub async fn has_relation(&self, name: &str) -> bool {
        has_relation(&self.client().await, name).await
    }

    pub async fn history_versions(&self) -> Vec<i64> {
        history_versions(&self.client().await).await
    }
}

/// The first column of every row of a simple query, as text.
/// Whether a relation (table, index, view, ...) of this name exists.
pub async fn has_relation(client: &Client, name: &str) -> bool {
    client
        .query_one("SELECT count(*) FROM pg_class WHERE relname = $1", &[&name])
        .await
        .map(|row| row.get::<_, i64>(0) > 0)
        .expect("pg_class")
}

/// The versions in `strata_migrations`, ascending.
pub async fn history_versions(client: &Client) -> Vec<i64> {
    client
        .query(
            "SELECT version FROM strata_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("history")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

pub async fn rows(client: &Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

impl Drop for TestDb {
    fn drop(&mut self) {
        cleanup(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

/// Runs `sql` on the server as the admin, from a `Drop`, ignoring failure.
pub fn cleanup(sql: String) {
    block_on_aside(async move {
        let admin = connect(&server_url()).await;
        let _ = admin.simple_query(&sql).await;
    });
}

/// Runs `work` to its end from a `Drop`: outside the test's runtime, on a short-lived thread
/// with a runtime of its own.
pub fn block_on_aside(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(work);
    })
    .join();
}

/// Counts of client messages seen by a [`CountingProxy`].
#[derive(Default)]
pub struct Counts {
    /// Simple queries ('Q'): one round trip each.
    pub simple: AtomicUsize,
    /// Syncs ('S') of the extended protocol: one round trip each.
    pub syncs: AtomicUsize,
}

impl Counts {
    pub fn round_trips(&self) -> usize {
        self.simple.load(Ordering::SeqCst) + self.syncs.load(Ordering::SeqCst)
    }
}

/// A loopback TCP proxy in front of PostgreSQL that parses the client's protocol messages.
pub struct CountingProxy {
    pub port: u16,
    pub counts: Arc<Counts>,
}

impl CountingProxy {
    /// Listens on a loopback port and forwards to the server named by [`server_url`].
    pub async fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        let upstream_address = server_address();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream_address.as_str()).await else {
                    continue;
                };
                let counts = Arc::clone(&shared);
                tokio::spawn(async move {
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async move {
                        let mut startup = true;
                        loop {
                            let mut header = [0u8; 5];
                            let header_len = if startup { 4 } else { 5 };
                            if client_read
                                .read_exact(&mut header[..header_len])
                                .await
                                .is_err()
                            {
                                break;
                            }
                            let length_bytes = if startup { &header[..4] } else { &header[1..5] };
                            let length =
                                u32::from_be_bytes(length_bytes.try_into().expect("4 bytes"))
                                    as usize;
                            let mut body = vec![0u8; length.saturating_sub(4)];
                            if client_read.read_exact(&mut body).await.is_err() {
                                break;
                            }
                            if !startup {
                                match header[0] {
                                    b'Q' => counts.simple.fetch_add(1, Ordering::SeqCst),
                                    b'S' => counts.syncs.fetch_add(1, Ordering::SeqCst),
                                    _ => 0,
                                };
                            }
                            startup = false;
                            if server_write.write_all(&header[..header_len]).await.is_err()
                                || server_write.write_all(&body).await.is_err()
                            {
                                break;
                            }
                        }
                    };
                    let downstream = async move {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        CountingProxy { port, counts }
    }

    /// `url` rewritten to go through the proxy (TLS off, so messages can be read).
    pub fn url(&self, url: &str) -> String {
        let rest = url.split_once('@').map_or(url, |(_, rest)| rest);
        let user = url
            .strip_prefix("postgres://")
            .and_then(|u| u.split_once('@'))
            .map_or("postgres", |(u, _)| u);
        let database = rest.split_once('/').map_or("postgres", |(_, db)| {
            db.split('?').next().unwrap_or("postgres")
        });
        format!(
            "postgres://{user}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }
}
