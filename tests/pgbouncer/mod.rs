//! A real PgBouncer (Debian's `pgbouncer` package; `.ci/run` installs it) that a test starts
//! on a free port in front of the machine's PostgreSQL, in transaction-pooling mode, and
//! stops when the guard goes. PgBouncer refuses to run as root, so it runs as the `postgres`
//! OS user via `runuser`, from a directory handed to that user.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PgBouncer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// How the pool hands out server connections.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Server connections per database/user pair.
    pub size: u32,
    /// Hand out server connections in turn instead of reusing the last one (LIFO): each
    /// transaction of a client then lands on another server connection.
    pub round_robin: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            size: 4,
            round_robin: false,
        }
    }
}

fn binary() -> PathBuf {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does it)")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl PgBouncer {
    /// Transaction pooling in front of `server` (`host:port`), every database, trust auth.
    pub fn start(server: &str, options: PoolOptions) -> PgBouncer {
        let (host, server_port) = server.rsplit_once(':').expect("host:port");
        let dir = tempfile::Builder::new()
            .prefix("strata-pgbouncer-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let config = format!(
            "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {auth}\npool_mode = transaction\n\
             default_pool_size = {size}\nmax_client_conn = 500\n\
             server_round_robin = {round_robin}\n\
             ignore_startup_parameters = extra_float_digits,options\n\
             logfile = {log}\npidfile = {pid}\n",
            auth = dir.path().join("users.txt").display(),
            size = options.size,
            round_robin = u8::from(options.round_robin),
            log = dir.path().join("pgbouncer.log").display(),
            pid = dir.path().join("pgbouncer.pid").display(),
        );
        fs::write(dir.path().join("pgbouncer.ini"), config).expect("write pgbouncer.ini");
        fs::write(
            dir.path().join("users.txt"),
            "\"postgres\" \"\"\n\"root\" \"\"\n",
        )
        .expect("write users.txt");
        hand_to_postgres(dir.path());
        let ini = dir.path().join("pgbouncer.ini");
        let running_as_root = std::env::var("USER").as_deref() == Ok("root")
            || fs::metadata("/proc/self")
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
                .unwrap_or(false);
        let mut command = if running_as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(binary());
            command
        } else {
            Command::new(binary())
        };
        let child = command
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer");
        let bouncer = PgBouncer { child, dir, port };
        bouncer.wait_ready(Duration::from_secs(10));
        bouncer
    }

    fn wait_ready(&self, limit: Duration) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < limit,
                "pgbouncer did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `url` (a PostgreSQL URL) with its host and port replaced by PgBouncer's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let user = authority
            .rsplit_once('@')
            .map_or(String::new(), |(user, _)| format!("{user}@"));
        format!("{scheme}://{user}127.0.0.1:{}/{path}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

fn hand_to_postgres(dir: &Path) {
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o777));
    let _ = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status();
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // PgBouncer's own pid (runuser is its parent): SIGTERM closes its server connections.
        let pid = fs::read_to_string(self.dir.path().join("pgbouncer.pid"))
            .map(|p| p.trim().to_string())
            .unwrap_or_else(|_| self.child.id().to_string());
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
