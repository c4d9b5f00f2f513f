//! Shared helpers for end-to-end tests: a PostgreSQL database per test, and a loopback proxy
//! that counts the protocol messages a client sends.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_postgres::{Client, NoTls};

pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
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
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connect to PostgreSQL");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
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
        admin.simple_query(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        let url = with_database(&server_url(), &name);
        TestDb { name, url }
    }

    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// Tables, columns and indexes outside the catalogs, for comparing schemas.
    pub async fn schema(&self) -> Vec<String> {
        let client = self.client().await;
        let sql = "SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type \
                   FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
                   AND table_name <> 'strata_migrations' \
                   UNION ALL SELECT 'index ' || schemaname || '.' || indexname || ' ' || indexdef FROM pg_indexes \
                   WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'strata_migrations' \
                   ORDER BY 1";
        client
            .simple_query(sql)
            .await
            .expect("schema query")
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .collect()
    }

    pub async fn history_versions(&self) -> Vec<i64> {
        let client = self.client().await;
        client
            .query("SELECT version FROM strata_migrations ORDER BY version", &[])
            .await
            .expect("history")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside the test's runtime; a short-lived thread with its own does the work.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let admin = connect(&server_url()).await;
                let _ = admin.simple_query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            });
        })
        .join();
    }
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
    pub async fn start(server_port: u16) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(("127.0.0.1", server_port)).await.expect("connect server");
                let counts = Arc::clone(&shared);
                tokio::spawn(async move {
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async move {
                        let mut startup = true;
                        loop {
                            let mut header = [0u8; 5];
                            let header_len = if startup { 4 } else { 5 };
                            if client_read.read_exact(&mut header[..header_len]).await.is_err() {
                                break;
                            }
                            let length_bytes = if startup { &header[..4] } else { &header[1..5] };
                            let length = u32::from_be_bytes(length_bytes.try_into().expect("4 bytes")) as usize;
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
                            if server_write.write_all(&header[..header_len]).await.is_err() || server_write.write_all(&body).await.is_err() {
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
        let user = url.strip_prefix("postgres://").and_then(|u| u.split_once('@')).map_or("postgres", |(u, _)| u);
        let database = rest.split_once('/').map_or("postgres", |(_, db)| db.split('?').next().unwrap_or("postgres"));
        format!("postgres://{user}@127.0.0.1:{}/{database}?sslmode=disable", self.port)
    }
}
