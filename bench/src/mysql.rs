//! The `mysql` subcommand: strata, refinery 0.10 (`mysql_async` driver) and sqlx 0.8
//! (`mysql`) side by side with a floor client on MySQL / MariaDB (`MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306`), on byte-identical SQL (`generated/mysql_*`).
//!
//! - **Counted:** a loopback proxy reads the client/server protocol (3-byte little-endian
//!   length, 1-byte sequence id, payload). After the handshake, a client packet with sequence
//!   id 0 starts a command; a command the client then waits on is a **round trip** (all but
//!   `COM_QUIT`, `COM_STMT_SEND_LONG_DATA` and `COM_STMT_CLOSE`, which get no answer).
//!   `COM_QUERY`, `COM_STMT_PREPARE` and `COM_STMT_EXECUTE` are also counted on their own, and
//!   so are the connections a tool opens inside the counted window (refinery's pool may open
//!   some). Each tool applies the 10- and the 200-migration version of each set from empty,
//!   then a no-op run on a new connection: per migration = (count₂₀₀ − count₁₀) / 190, fixed
//!   per run = count₁₀ − 10 × per migration.
//! - **Timed:** each set applied to a fresh, empty database (`strata_bench_my_<pid>_<n>`,
//!   dropped after the sample), tools in rotated order sample by sample, only the migrate call
//!   timed; after each table-set apply, three no-op runs on new connections.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::stats::{Samples, median};
use crate::{TOOLS, Tool};

static STRATA_TABLE: strata::Migrations = strata::embed_migrations!("generated/mysql_table/strata");
static STRATA_TABLE10: strata::Migrations =
    strata::embed_migrations!("generated/mysql_table10/strata");
static STRATA_RT: strata::Migrations = strata::embed_migrations!("generated/mysql_rt/strata");
static STRATA_RT10: strata::Migrations = strata::embed_migrations!("generated/mysql_rt10/strata");
static SQLX_TABLE: sqlx::migrate::Migrator = sqlx::migrate!("generated/mysql_table/sqlx");
static SQLX_TABLE10: sqlx::migrate::Migrator = sqlx::migrate!("generated/mysql_table10/sqlx");
static SQLX_RT: sqlx::migrate::Migrator = sqlx::migrate!("generated/mysql_rt/sqlx");
static SQLX_RT10: sqlx::migrate::Migrator = sqlx::migrate!("generated/mysql_rt10/sqlx");
mod refinery_table {
    refinery::embed_migrations!("generated/mysql_table/refinery");
}
mod refinery_table10 {
    refinery::embed_migrations!("generated/mysql_table10/refinery");
}
mod refinery_rt {
    refinery::embed_migrations!("generated/mysql_rt/refinery");
}
mod refinery_rt10 {
    refinery::embed_migrations!("generated/mysql_rt10/refinery");
}

/// Migrations in the large sets (`strata_bench_gen::mysql_sets`).
const N: usize = 200;

const PREFIX: &str = "strata_bench_my_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Set {
    /// N × `CREATE TABLE t{n} (...); INSERT INTO t{n} ...`: DDL in every migration.
    Table,
    Table10,
    /// `CREATE TABLE rt (n INT);`, then N − 1 × `INSERT INTO rt VALUES (n);`: DML only.
    Rt,
    Rt10,
}

impl Set {
    fn name(self) -> &'static str {
        match self {
            Set::Table => "mysql_table",
            Set::Table10 => "mysql_table10",
            Set::Rt => "mysql_rt",
            Set::Rt10 => "mysql_rt10",
        }
    }

    fn strata(self) -> &'static strata::Migrations {
        match self {
            Set::Table => &STRATA_TABLE,
            Set::Table10 => &STRATA_TABLE10,
            Set::Rt => &STRATA_RT,
            Set::Rt10 => &STRATA_RT10,
        }
    }

    fn sqlx(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Set::Table => &SQLX_TABLE,
            Set::Table10 => &SQLX_TABLE10,
            Set::Rt => &SQLX_RT,
            Set::Rt10 => &SQLX_RT10,
        }
    }

    fn refinery(self) -> refinery::Runner {
        match self {
            Set::Table => refinery_table::migrations::runner(),
            Set::Table10 => refinery_table10::migrations::runner(),
            Set::Rt => refinery_rt::migrations::runner(),
            Set::Rt10 => refinery_rt10::migrations::runner(),
        }
    }

    /// The floor's list: (version, up SQL), read from the same generated files at start-up.
    fn floor(self) -> Vec<(i64, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("generated")
            .join(self.name())
            .join("sqlx");
        let mut list: Vec<(i64, String)> = std::fs::read_dir(&dir)
            .expect("generated dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let version = name
                    .split('_')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("version");
                (
                    version,
                    std::fs::read_to_string(&p).expect("read migration"),
                )
            })
            .collect();
        list.sort();
        list
    }
}

// ---------------------------------------------------------------------------------------
// The counting proxy.
// ---------------------------------------------------------------------------------------

const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;
const COM_STMT_PREPARE: u8 = 0x16;
const COM_STMT_EXECUTE: u8 = 0x17;
const COM_STMT_SEND_LONG_DATA: u8 = 0x18;
const COM_STMT_CLOSE: u8 = 0x19;
/// Capability flags in the client's first packet that would make the stream unreadable.
const CLIENT_COMPRESS: u32 = 0x20;
const CLIENT_SSL: u32 = 0x800;

/// Commands that get no answer from the server (the client does not wait on them).
fn answered(command: u8) -> bool {
    !matches!(command, COM_QUIT | COM_STMT_SEND_LONG_DATA | COM_STMT_CLOSE)
}

struct Counters {
    /// Client packets with sequence id 0 (commands), by command byte.
    commands: Vec<AtomicU64>,
    connections: AtomicU64,
    /// Connections whose client asked for TLS or compression (the counts would be wrong).
    unreadable: AtomicU64,
    turns: AtomicU64,
    client_bytes: AtomicU64,
    server_bytes: AtomicU64,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            commands: (0..256).map(|_| AtomicU64::new(0)).collect(),
            connections: AtomicU64::new(0),
            unreadable: AtomicU64::new(0),
            turns: AtomicU64::new(0),
            client_bytes: AtomicU64::new(0),
            server_bytes: AtomicU64::new(0),
        }
    }
}

/// Counts at one moment; subtract two to get what happened in between.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    commands: Vec<u64>,
    connections: u64,
    unreadable: u64,
    turns: u64,
    client_bytes: u64,
    server_bytes: u64,
}

impl Snapshot {
    fn round_trips(&self) -> u64 {
        (0..=255u8)
            .filter(|c| answered(*c))
            .map(|c| self.commands[c as usize])
            .sum()
    }

    fn all_commands(&self) -> u64 {
        self.commands.iter().sum()
    }

    fn command(&self, command: u8) -> u64 {
        self.commands[command as usize]
    }

    /// Answered commands other than COM_QUERY, COM_STMT_PREPARE and COM_STMT_EXECUTE
    /// (COM_RESET_CONNECTION, COM_PING, ...).
    fn other(&self) -> u64 {
        self.round_trips()
            - self.command(COM_QUERY)
            - self.command(COM_STMT_PREPARE)
            - self.command(COM_STMT_EXECUTE)
    }

    fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            commands: self
                .commands
                .iter()
                .zip(&earlier.commands)
                .map(|(a, b)| a - b)
                .collect(),
            connections: self.connections - earlier.connections,
            unreadable: self.unreadable - earlier.unreadable,
            turns: self.turns - earlier.turns,
            client_bytes: self.client_bytes - earlier.client_bytes,
            server_bytes: self.server_bytes - earlier.server_bytes,
        }
    }
}

impl Counters {
    fn snapshot(&self) -> Snapshot {
        let l = |a: &AtomicU64| a.load(Ordering::SeqCst);
        Snapshot {
            commands: self.commands.iter().map(l).collect(),
            connections: l(&self.connections),
            unreadable: l(&self.unreadable),
            turns: l(&self.turns),
            client_bytes: l(&self.client_bytes),
            server_bytes: l(&self.server_bytes),
        }
    }
}

/// What the client parser reports.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// A packet with sequence id 0: a command, by its first payload byte.
    Command(u8),
    /// With tracing on, the first bytes of that command's payload (command byte included).
    Head(Vec<u8>),
    /// The connection's first client packet (handshake response or SSL request): its
    /// capability flags.
    Capabilities(u32),
}

/// Splits the client's byte stream into packets, whatever the read boundaries.
#[derive(Debug, Default)]
struct ClientParser {
    /// Payload bytes of each command to report as [`Event::Head`] (0: none).
    trace: usize,
    header: [u8; 4],
    have: usize,
    /// Payload bytes to capture from the current packet (the command byte, or `trace` bytes;
    /// 4 for the first packet's capability flags), and those captured.
    want: usize,
    captured: Vec<u8>,
    seq: u8,
    /// Payload bytes of the current packet not yet consumed.
    left: usize,
    seen_first: bool,
}

impl ClientParser {
    fn feed(&mut self, mut data: &[u8], on: &mut impl FnMut(Event)) {
        while !data.is_empty() {
            if self.left == 0 {
                let n = (4 - self.have).min(data.len());
                self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
                self.have += n;
                data = &data[n..];
                if self.have < 4 {
                    continue;
                }
                self.have = 0;
                self.left = u32::from_le_bytes([self.header[0], self.header[1], self.header[2], 0])
                    as usize;
                self.seq = self.header[3];
                self.captured.clear();
                self.want = if !self.seen_first {
                    4
                } else if self.seq == 0 {
                    self.trace.max(1)
                } else {
                    0
                };
                self.want = self.want.min(self.left);
                if self.left == 0 {
                    // An empty packet (the end of a payload of exactly 2^24 - 1 bytes).
                    self.seen_first = true;
                }
                continue;
            }
            let n = self.left.min(data.len());
            let take = (self.want - self.captured.len()).min(n);
            self.left -= n;
            if take > 0 {
                let before = self.captured.len();
                self.captured.extend_from_slice(&data[..take]);
                let done = self.captured.len() == self.want;
                if !self.seen_first {
                    if done {
                        let mut flags = [0u8; 4];
                        flags[..self.want].copy_from_slice(&self.captured);
                        on(Event::Capabilities(u32::from_le_bytes(flags)));
                        self.seen_first = true;
                    }
                } else {
                    if before == 0 {
                        on(Event::Command(self.captured[0]));
                    }
                    if done && self.trace > 0 {
                        on(Event::Head(self.captured.clone()));
                    }
                }
            }
            data = &data[n..];
        }
    }
}

/// A running proxy: connect clients to `127.0.0.1:port`.
struct Proxy {
    port: u16,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                tokio::spawn(relay(client, server, Arc::clone(&shared)));
            }
        });
        Proxy {
            port,
            counters,
            task,
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.counters.snapshot()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `STRATA_BENCH_MYSQL_TRACE=1`: print the start of every command the proxy forwards (to
/// see what each counted round trip is).
fn trace() -> bool {
    std::env::var_os("STRATA_BENCH_MYSQL_TRACE").is_some_and(|v| v == "1")
}

async fn relay(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Whether the server spoke last (so the client's next bytes start a new turn).
    let server_spoke = Arc::new(AtomicBool::new(true));
    let upstream = {
        let (counters, server_spoke) = (Arc::clone(&counters), Arc::clone(&server_spoke));
        async move {
            let mut parser = ClientParser {
                trace: if trace() { 160 } else { 0 },
                ..ClientParser::default()
            };
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if server_spoke.swap(false, Ordering::SeqCst) {
                    counters.turns.fetch_add(1, Ordering::SeqCst);
                }
                counters.client_bytes.fetch_add(n as u64, Ordering::SeqCst);
                // Count before forwarding: when the client sees the answer, the counts are in.
                parser.feed(&buffer[..n], &mut |event| match event {
                    Event::Command(c) => {
                        counters.commands[c as usize].fetch_add(1, Ordering::SeqCst);
                    }
                    Event::Head(head) => {
                        eprintln!(
                            "  > 0x{:02x} {}",
                            head[0],
                            String::from_utf8_lossy(&head[1..])
                        );
                    }
                    Event::Capabilities(flags) => {
                        if flags & (CLIENT_SSL | CLIENT_COMPRESS) != 0 {
                            counters.unreadable.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
                if server_write.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        }
    };
    let downstream = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            counters.server_bytes.fetch_add(n as u64, Ordering::SeqCst);
            server_spoke.store(true, Ordering::SeqCst);
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

// ---------------------------------------------------------------------------------------
// The server and its bench databases.
// ---------------------------------------------------------------------------------------

/// `MYSQL_URL`, default `mysql://root@127.0.0.1:3306`.
fn server_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_string())
}

/// The parts of a `mysql://user[:password]@host[:port][/database][?query]` URL.
struct Url {
    userinfo: String,
    host: String,
    port: u16,
}

impl Url {
    fn parse(url: &str) -> Url {
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .unwrap_or_else(|| panic!("MYSQL_URL must start with mysql://, got {url}"));
        let rest = rest.split(['/', '?']).next().unwrap_or(rest);
        let (userinfo, hostport) = rest.rsplit_once('@').unwrap_or(("root", rest));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().expect("port in MYSQL_URL")),
            None => (hostport, 3306),
        };
        Url {
            userinfo: userinfo.to_string(),
            host: host.to_string(),
            port,
        }
    }

    /// mysql_async's URL: TCP only (`prefer_socket=false`, or a client on 127.0.0.1 would
    /// switch to the Unix socket and bypass the proxy); no TLS, no compression (its defaults).
    fn mysql_async(&self, database: &str, host: &str, port: u16) -> String {
        format!(
            "mysql://{}@{host}:{port}/{database}?prefer_socket=false",
            self.userinfo
        )
    }

    /// sqlx's URL: TLS off.
    fn sqlx(&self, database: &str, host: &str, port: u16) -> String {
        format!(
            "mysql://{}@{host}:{port}/{database}?ssl-mode=disabled",
            self.userinfo
        )
    }
}

/// The admin connection that creates and drops the bench databases.
struct Server {
    url: Url,
    admin: mysql_async::Conn,
}

impl Server {
    async fn connect() -> Server {
        let url = Url::parse(&server_url());
        let admin = mysql_async::Conn::from_url(url.mysql_async("", &url.host, url.port))
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", server_url()));
        let mut server = Server { url, admin };
        server.drop_leftovers(false).await;
        server
    }

    async fn variable(&mut self, name: &str) -> String {
        self.admin
            .query_first::<Option<String>, _>(format!("SELECT @@{name}"))
            .await
            .ok()
            .flatten()
            .flatten()
            .unwrap_or_else(|| "?".to_string())
    }

    async fn create(&mut self) -> String {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{PREFIX}{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        self.admin
            .query_drop(format!("CREATE DATABASE `{name}`"))
            .await
            .expect("create bench database");
        name
    }

    async fn drop_database(&mut self, name: &str) {
        self.admin
            .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
            .await
            .expect("drop bench database");
    }

    async fn bench_databases(&mut self) -> Vec<String> {
        self.admin
            .query(format!(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '{}%'",
                PREFIX.replace('_', "\\_")
            ))
            .await
            .expect("list databases")
    }

    /// Drops bench databases whose process is gone (and with `all`, this process's too).
    async fn drop_leftovers(&mut self, all: bool) {
        let me = std::process::id().to_string();
        for name in self.bench_databases().await {
            let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
            let alive = !pid.is_empty() && std::path::Path::new("/proc").join(pid).exists();
            if (all && pid == me) || !alive {
                self.drop_database(&name).await;
            }
        }
    }
}

/// `STRATA_BENCH_QUIET=rustc[,name...]`: timed rounds wait until no process of those names
/// has run for 10 s, and a round during which one ran is discarded and done again (the
/// machine is shared with builds). Unset: no waiting, nothing discarded.
struct Quiet {
    names: Vec<String>,
    /// When such a process was last seen, in ms since `epoch` (0: never).
    last_seen: Arc<AtomicU64>,
    epoch: Instant,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Quiet {
    fn start() -> Quiet {
        let names: Vec<String> = std::env::var("STRATA_BENCH_QUIET")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let last_seen = Arc::new(AtomicU64::new(0));
        let epoch = Instant::now();
        let task = (!names.is_empty()).then(|| {
            let (names, last_seen) = (names.clone(), Arc::clone(&last_seen));
            tokio::spawn(async move {
                loop {
                    if running(&names) {
                        let ms = epoch.elapsed().as_millis() as u64;
                        last_seen.store(ms.max(1), Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        });
        Quiet {
            names,
            last_seen,
            epoch,
            task,
        }
    }

    /// Waits until none of the processes has been seen for 10 s.
    async fn wait(&self) {
        if self.names.is_empty() {
            return;
        }
        let mut told = false;
        loop {
            let last = self.last_seen.load(Ordering::SeqCst);
            let now = self.epoch.elapsed().as_millis() as u64;
            if last == 0 || now.saturating_sub(last) >= 10_000 {
                return;
            }
            if !told {
                eprintln!(
                    "mysql: waiting for {} to finish ...",
                    self.names.join(" or ")
                );
                told = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether one of the processes was seen at or after `since`.
    fn disturbed_since(&self, since: Instant) -> bool {
        let last = self.last_seen.load(Ordering::SeqCst);
        last != 0 && last + 50 >= since.duration_since(self.epoch).as_millis() as u64
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Whether a process named one of `names` runs (its `/proc/<pid>/comm`).
fn running(names: &[String]) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.file_name().to_string_lossy().parse::<u32>().is_ok()
            && std::fs::read_to_string(entry.path().join("comm"))
                .is_ok_and(|comm| names.iter().any(|n| n == comm.trim_end()))
    })
}

// ---------------------------------------------------------------------------------------
// The tools.
// ---------------------------------------------------------------------------------------

/// The floor: one round trip at start-up (create the history table if missing, read it) and
/// one per migration (`START TRANSACTION; sql; INSERT history; COMMIT` as one multi-statement
/// query).
async fn floor(conn: &mut mysql_async::Conn, migrations: &[(i64, String)]) {
    let mut result = conn
        .query_iter(
            "CREATE TABLE IF NOT EXISTS floor_history (version BIGINT PRIMARY KEY); \
             SELECT COALESCE(MAX(version), 0) FROM floor_history",
        )
        .await
        .expect("floor start-up");
    let mut applied = 0i64;
    while !result.is_empty() {
        let rows: Vec<i64> = result.collect().await.expect("floor start-up rows");
        if let Some(max) = rows.first() {
            applied = *max;
        }
    }
    drop(result);
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > applied) {
        let batch = format!(
            "START TRANSACTION;\n{}\nINSERT INTO floor_history VALUES ({version});\nCOMMIT",
            sql.trim_end()
        );
        conn.query_drop(batch).await.expect("floor migration");
    }
}

/// A connected client of one tool, ready for its migrate call.
enum Connected {
    /// The floor and strata: one mysql_async connection.
    Conn(mysql_async::Conn),
    /// refinery: its mysql_async driver takes a pool (default options), warmed up with one
    /// idle connection, as an application's pool would be after start-up.
    Pool(mysql_async::Pool),
    Sqlx(sqlx::MySqlConnection),
}

async fn connect(tool: Tool, url: &Url, database: &str, host: &str, port: u16) -> Connected {
    match tool {
        Tool::Sqlx => {
            use sqlx::Connection;
            Connected::Sqlx(
                sqlx::MySqlConnection::connect(&url.sqlx(database, host, port))
                    .await
                    .expect("sqlx connect"),
            )
        }
        Tool::Refinery => {
            let opts = mysql_async::Opts::from_url(&url.mysql_async(database, host, port))
                .expect("mysql_async URL");
            let pool = mysql_async::Pool::new(opts);
            drop(pool.get_conn().await.expect("pool connect"));
            settle(&pool).await;
            Connected::Pool(pool)
        }
        Tool::Floor | Tool::Strata => Connected::Conn(
            mysql_async::Conn::from_url(url.mysql_async(database, host, port))
                .await
                .expect("mysql_async connect"),
        ),
    }
}

/// Waits (up to 5 s) until every connection of `pool` is back in it: returning one resets it
/// first (`COM_RESET_CONNECTION`, mysql_async's default), in the background.
async fn settle(pool: &mysql_async::Pool) {
    let metrics = pool.metrics();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let in_use = metrics.connections_in_use.load(Ordering::SeqCst);
        let in_pool = metrics.connections_in_pool.load(Ordering::SeqCst);
        let count = metrics.connection_count.load(Ordering::SeqCst);
        if in_use == 0 && in_pool == count && count > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    eprintln!("warning: refinery's pool did not get its connections back within 5 s");
}

/// The migrate call alone, as an application makes it at start-up.
async fn migrate(
    tool: Tool,
    set: Set,
    conn: &mut Connected,
    floor_list: &[(i64, String)],
) -> Duration {
    let started = Instant::now();
    match (tool, conn) {
        (Tool::Floor, Connected::Conn(conn)) => floor(conn, floor_list).await,
        (Tool::Strata, Connected::Conn(conn)) => {
            set.strata().run(conn).await.expect("strata run");
        }
        (Tool::Refinery, Connected::Pool(pool)) => {
            set.refinery().run_async(pool).await.expect("refinery run");
        }
        (Tool::Sqlx, Connected::Sqlx(conn)) => set.sqlx().run(conn).await.expect("sqlx run"),
        _ => unreachable!("tool and connection match"),
    }
    started.elapsed()
}

async fn close(conn: Connected) {
    match conn {
        Connected::Conn(conn) => {
            let _ = conn.disconnect().await;
        }
        Connected::Pool(pool) => {
            let _ = pool.disconnect().await;
        }
        Connected::Sqlx(conn) => {
            use sqlx::Connection;
            let _ = conn.close().await;
        }
    }
}

/// The counted window: the migrate call, and then until a pool has every connection back
/// (refinery's pool resets each returned connection in the background).
async fn counted(
    proxy: &Proxy,
    tool: Tool,
    set: Set,
    conn: &mut Connected,
    floor_list: &[(i64, String)],
) -> Snapshot {
    if trace() {
        eprintln!("{} {}: counted window opens", tool.name(), set.name());
    }
    let before = proxy.snapshot();
    migrate(tool, set, conn, floor_list).await;
    if let Connected::Pool(pool) = conn {
        settle(pool).await;
    }
    let counts = proxy.snapshot().since(&before);
    if trace() {
        eprintln!("{} {}: counted window closes", tool.name(), set.name());
    }
    assert_eq!(
        counts.unreadable, 0,
        "a client asked for TLS or compression: the proxy cannot read its packets"
    );
    counts
}

/// Counts one apply from empty, and with `noop` one no-op run after it on a new connection.
async fn count(
    server: &mut Server,
    proxy: &Proxy,
    tool: Tool,
    set: Set,
    noop: bool,
) -> (Snapshot, Option<Snapshot>) {
    let list = set.floor();
    let database = server.create().await;
    let mut conn = connect(tool, &server.url, &database, "127.0.0.1", proxy.port).await;
    let apply = counted(proxy, tool, set, &mut conn, &list).await;
    close(conn).await;
    let noop = if noop {
        let mut conn = connect(tool, &server.url, &database, "127.0.0.1", proxy.port).await;
        let counts = counted(proxy, tool, set, &mut conn, &list).await;
        close(conn).await;
        Some(counts)
    } else {
        None
    };
    server.drop_database(&database).await;
    (apply, noop)
}

/// Per-migration and fixed counts of one tool on one pair of sets.
struct Counted {
    tool: Tool,
    set: &'static str,
    per: [f64; 5],
    fixed: [f64; 5],
    connections: u64,
}

/// round trips, COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE, other answered commands.
fn fields(s: &Snapshot) -> [f64; 5] {
    [
        s.round_trips() as f64,
        s.command(COM_QUERY) as f64,
        s.command(COM_STMT_PREPARE) as f64,
        s.command(COM_STMT_EXECUTE) as f64,
        s.other() as f64,
    ]
}

fn record(csv: &mut Samples, tool: Tool, what: &str, s: &Snapshot) {
    let mut rows = vec![
        ("round_trips", s.round_trips()),
        ("commands", s.all_commands()),
        ("com_query", s.command(COM_QUERY)),
        ("com_stmt_prepare", s.command(COM_STMT_PREPARE)),
        ("com_stmt_execute", s.command(COM_STMT_EXECUTE)),
        ("other_answered", s.other()),
        ("connections", s.connections),
        ("turns", s.turns),
        ("client_bytes", s.client_bytes),
        ("server_bytes", s.server_bytes),
    ];
    let named: Vec<(String, u64)> = (0..=255u8)
        .filter(|c| ![COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE].contains(c))
        .filter(|c| s.command(*c) > 0)
        .map(|c| (format!("command_0x{c:02x}"), s.command(c)))
        .collect();
    for (name, value) in &named {
        rows.push((name.as_str(), *value));
    }
    for (name, value) in rows {
        csv.value(
            tool.name(),
            name,
            &format!("count:{what}"),
            value as f64,
            "count",
        );
    }
}

pub async fn run(samples: usize, csv: &mut Samples) -> String {
    let mut server = Server::connect().await;
    let version = server.variable("version").await;
    let settings = format!(
        "innodb_flush_log_at_trx_commit = {}, log_bin = {}, sync_binlog = {}",
        server.variable("innodb_flush_log_at_trx_commit").await,
        server.variable("log_bin").await,
        server.variable("sync_binlog").await,
    );
    let upstream = tokio::net::lookup_host((server.url.host.as_str(), server.url.port))
        .await
        .expect("server address")
        .next()
        .expect("address");
    let proxy = Proxy::start(upstream).await;

    eprintln!("mysql: counting round trips through the proxy ...");
    let mut counts: Vec<Counted> = Vec::new();
    let mut noops: Vec<(Tool, Snapshot)> = Vec::new();
    for tool in TOOLS {
        for (small, large) in [(Set::Table10, Set::Table), (Set::Rt10, Set::Rt)] {
            let (ten, _) = count(&mut server, &proxy, tool, small, false).await;
            let (all, noop) = count(&mut server, &proxy, tool, large, large == Set::Table).await;
            record(csv, tool, &format!("{}:apply", small.name()), &ten);
            record(csv, tool, &format!("{}:apply", large.name()), &all);
            let (f10, fall) = (fields(&ten), fields(&all));
            let mut per = [0.0; 5];
            let mut fixed = [0.0; 5];
            for i in 0..5 {
                per[i] = (fall[i] - f10[i]) / (N - 10) as f64;
                fixed[i] = f10[i] - 10.0 * per[i];
            }
            counts.push(Counted {
                tool,
                set: large.name(),
                per,
                fixed,
                connections: all.connections,
            });
            if let Some(noop) = noop {
                record(csv, tool, &format!("{}:noop", large.name()), &noop);
                noops.push((tool, noop));
            }
        }
    }

    let quiet = Quiet::start();
    let mut discarded = 0usize;
    for set in [Set::Table, Set::Rt] {
        let list = set.floor();
        eprintln!(
            "mysql: apply {} ({samples} samples per tool, alternating) ...",
            set.name()
        );
        let mut sample = 0;
        while sample < samples {
            quiet.wait().await;
            let round_started = Instant::now();
            // (tool, experiment, sample index, time) of this round, kept if the round was quiet.
            let mut round: Vec<(Tool, &str, usize, Duration)> = Vec::new();
            for tool in crate::order(sample) {
                let database = server.create().await;
                // Let the server finish what dropping the previous sample's database started.
                tokio::time::sleep(Duration::from_millis(250)).await;
                let (host, port) = (server.url.host.clone(), server.url.port);
                let mut conn = connect(tool, &server.url, &database, &host, port).await;
                let elapsed = migrate(tool, set, &mut conn, &list).await;
                close(conn).await;
                round.push((tool, "apply", sample, elapsed));
                if set == Set::Table {
                    // No-op runs with N applied: a fresh connection each, like a start-up.
                    for repeat in 0..3 {
                        let mut conn = connect(tool, &server.url, &database, &host, port).await;
                        let elapsed = migrate(tool, set, &mut conn, &list).await;
                        close(conn).await;
                        round.push((tool, "noop", sample * 3 + repeat, elapsed));
                    }
                }
                server.drop_database(&database).await;
            }
            if quiet.disturbed_since(round_started) {
                discarded += 1;
                eprintln!(
                    "mysql: {} sample {sample} discarded: {} ran during it",
                    set.name(),
                    quiet.names.join(" or ")
                );
                continue;
            }
            for (tool, experiment, index, elapsed) in round {
                csv.push(tool.name(), set.name(), experiment, index, elapsed);
            }
            sample += 1;
        }
    }
    server.drop_leftovers(true).await;
    let left = server.bench_databases().await.len();
    let _ = server.admin.disconnect().await;
    let quiet_note = if quiet.names.is_empty() {
        String::new()
    } else {
        format!(
            "; rounds during which {} ran were discarded and redone: {discarded}",
            quiet.names.join(" or ")
        )
    };
    render(
        &format!(
            "MariaDB/MySQL {version} at {}:{} ({settings}){quiet_note}",
            server.url.host, server.url.port
        ),
        samples,
        &counts,
        &noops,
        csv,
        left,
    )
}

fn render(
    server: &str,
    samples: usize,
    counts: &[Counted],
    noops: &[(Tool, Snapshot)],
    csv: &Samples,
    left: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n## MySQL / MariaDB\n");
    let _ = writeln!(
        out,
        "{server}; N = {N}; {samples} apply samples per tool, alternating tools sample by sample."
    );
    let _ = writeln!(
        out,
        "\n### Round trips, counted by the proxy (commands answered by the server; Q = COM_QUERY, P = COM_STMT_PREPARE, E = COM_STMT_EXECUTE, other = e.g. COM_RESET_CONNECTION)\n"
    );
    let _ = writeln!(
        out,
        "| tool | set | per migration: round trips (Q / P / E / other) | fixed per apply run: round trips (Q / P / E / other) | connections opened during the {N}-migration apply |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    let show = |v: &[f64; 5]| {
        format!(
            "{:.2} ({:.2} / {:.2} / {:.2} / {:.2})",
            v[0], v[1], v[2], v[3], v[4]
        )
    };
    for c in counts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            c.tool.name(),
            c.set,
            show(&c.per),
            show(&c.fixed),
            c.connections
        );
    }
    let _ = writeln!(
        out,
        "\n| tool | no-op run with {N} applied (new connection): round trips | Q | P | E | other | connections opened | turns |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (tool, s) in noops {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            tool.name(),
            s.round_trips(),
            s.command(COM_QUERY),
            s.command(COM_STMT_PREPARE),
            s.command(COM_STMT_EXECUTE),
            s.other(),
            s.connections,
            s.turns
        );
    }
    for (title, set, experiment) in [
        (
            format!("Apply {N} migrations, table set (fresh database per sample)"),
            "mysql_table",
            "apply",
        ),
        (
            format!("Apply {N} migrations, round-trip-bound set (one tiny INSERT each)"),
            "mysql_rt",
            "apply",
        ),
        (
            format!("No-op run with {N} applied (the migrate call on a new connection)"),
            "mysql_table",
            "noop",
        ),
    ] {
        timing_table(&mut out, &title, csv, set, experiment);
    }
    let _ = writeln!(
        out,
        "\nMySQL bench databases left on the server after the run: {left}"
    );
    out
}

fn timing_table(out: &mut String, title: &str, csv: &Samples, set: &str, experiment: &str) {
    let of = |t: Tool| csv.median(t.name(), set, experiment);
    let _ = writeln!(out, "\n### {title}\n");
    let _ = writeln!(
        out,
        "| tool | samples | median ms | min ms | max ms | ÷ floor | ÷ strata | paired: ÷ floor | paired: ÷ strata |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for tool in TOOLS {
        let values = csv.of(tool.name(), set, experiment);
        let ms = median(&values);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let _ = writeln!(
            out,
            "| {} | {} | {ms:.2} | {min:.2} | {max:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            tool.name(),
            values.len(),
            ms / of(Tool::Floor),
            ms / of(Tool::Strata),
            csv.paired_ratio(tool.name(), "floor", set, experiment),
            csv.paired_ratio(tool.name(), "strata", set, experiment),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut p = len.to_le_bytes()[..3].to_vec();
        p.push(seq);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn commands_are_counted_across_any_split() {
        // Handshake response (seq 1, capability flags first), an auth switch answer (seq 3),
        // then commands at seq 0, one of them followed by a continuation-like packet (seq 1).
        let mut stream = packet(1, &[0x0f, 0xa2, 0x0a, 0x00, 1, 2, 3, 4, 5]);
        stream.extend(packet(3, b"scramble"));
        stream.extend(packet(0, b"\x03SELECT 1"));
        stream.extend(packet(0, b"\x16INSERT INTO t VALUES (?)"));
        stream.extend(packet(0, &[0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0]));
        stream.extend(packet(1, b"not a command"));
        stream.extend(packet(0, &[0x19, 1, 0, 0, 0]));
        stream.extend(packet(0, &[0x1f]));
        for chunk in [1, 2, 3, 5, 7, 1000] {
            let mut parser = ClientParser::default();
            let mut events = Vec::new();
            for piece in stream.chunks(chunk) {
                parser.feed(piece, &mut |e| events.push(e));
            }
            assert_eq!(
                events,
                [
                    Event::Capabilities(0x000a_a20f),
                    Event::Command(0x03),
                    Event::Command(0x16),
                    Event::Command(0x17),
                    Event::Command(0x19),
                    Event::Command(0x1f),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn traced_commands_report_their_start() {
        let mut stream = packet(1, &[0, 0, 0, 0]);
        stream.extend(packet(0, b"\x03SELECT 1"));
        stream.extend(packet(0, b"\x03SELECT 12345"));
        for chunk in [1, 3, 1000] {
            let mut parser = ClientParser {
                trace: 8,
                ..ClientParser::default()
            };
            let mut events = Vec::new();
            for piece in stream.chunks(chunk) {
                parser.feed(piece, &mut |e| events.push(e));
            }
            assert_eq!(
                events,
                [
                    Event::Capabilities(0),
                    Event::Command(0x03),
                    Event::Head(b"\x03SELECT ".to_vec()),
                    Event::Command(0x03),
                    Event::Head(b"\x03SELECT ".to_vec()),
                ],
                "chunk {chunk}"
            );
        }
        let mut parser = ClientParser {
            trace: 100,
            ..ClientParser::default()
        };
        let mut events = Vec::new();
        parser.feed(&stream, &mut |e| events.push(e));
        assert_eq!(events[2], Event::Head(b"\x03SELECT 1".to_vec()));
    }

    #[test]
    fn tls_and_compression_requests_are_seen() {
        let flags = CLIENT_SSL | 0x0200;
        let stream = packet(1, &flags.to_le_bytes());
        let mut parser = ClientParser::default();
        let mut events = Vec::new();
        parser.feed(&stream, &mut |e| events.push(e));
        assert_eq!(events, [Event::Capabilities(flags)]);
        assert!(!answered(COM_STMT_CLOSE) && answered(COM_QUERY));
    }

    #[test]
    fn urls_keep_user_and_address() {
        let url = Url::parse("mysql://root:pw@db.example:3307/app?x=1");
        assert_eq!(
            url.mysql_async("d", "127.0.0.1", 9),
            "mysql://root:pw@127.0.0.1:9/d?prefer_socket=false"
        );
        let url = Url::parse("mysql://root@127.0.0.1");
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 3306));
    }
}
