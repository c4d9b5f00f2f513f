//! A PostgreSQL cluster a test owns: `initdb` into a fresh temporary directory, `postgres` on
//! a free port on 127.0.0.1 with trust authentication (and TLS when asked), stopped
//! (`pg_ctl stop -m immediate`) and deleted on drop. Tests that need to restart or
//! reconfigure a server use this, never the shared one.
//!
//! The server binaries come from `/usr/lib/postgresql/<newest version>/bin`. If they are
//! missing this panics: a test that needs its own server must fail, not pass silently.
//! initdb and postgres refuse to run as root, so as root (CI, these machines) they run as
//! the `postgres` OS user via `runuser`, and the directory is handed to that user.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// TLS material for the server, PEM text.
#[derive(Clone, Debug)]
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
}

/// How to set up a [`PrivateCluster`].
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// `ssl = on` with this certificate and key.
    pub tls: Option<ServerTls>,
    /// pg_hba allows TCP connections only over TLS (`hostssl`), so plaintext is refused.
    pub tls_only: bool,
}

pub struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    stopped: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb` in it.
pub fn server_bin() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL server binaries are required: cannot list {}: {e}",
                root.display()
            )
        })
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse::<u32>()
                .ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries are required: no {}/<version>/bin/initdb",
            root.display()
        ),
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl PrivateCluster {
    /// A plain cluster (no TLS).
    pub fn start() -> PrivateCluster {
        PrivateCluster::start_with(ClusterOptions::default())
    }

    pub fn start_with(options: ClusterOptions) -> PrivateCluster {
        let bin = server_bin();
        let mut builder = tempfile::Builder::new();
        builder.prefix("strata-cluster-");
        // As root the server runs as `postgres`, which must be able to reach the directory:
        // /tmp, not a $TMPDIR that may sit under root's home.
        let dir = if is_root() {
            builder.tempdir_in("/tmp")
        } else {
            builder.tempdir()
        }
        .expect("temporary directory");
        let mut cluster = PrivateCluster {
            dir,
            bin,
            port: 0,
            stopped: true,
        };
        cluster.init(&options);
        cluster.start_server();
        cluster
    }

    /// A hot standby of this cluster: `pg_basebackup -R` (streaming replication, trust), on
    /// its own port, replaying this cluster's changes read-only.
    pub fn start_standby(&self) -> PrivateCluster {
        let mut builder = tempfile::Builder::new();
        builder.prefix("strata-standby-");
        let dir = if is_root() {
            builder.tempdir_in("/tmp")
        } else {
            builder.tempdir()
        }
        .expect("temporary directory");
        let mut standby = PrivateCluster {
            dir,
            bin: self.bin.clone(),
            port: 0,
            stopped: true,
        };
        standby.chown();
        let data = standby.data();
        let port = self.port.to_string();
        let out = standby.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                data.to_str().expect("UTF-8 path"),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "pg_basebackup failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conf = fs::read_to_string(data.join("postgresql.conf")).expect("read conf");
        conf.push_str(&format!(
            "\n# the standby's own socket directory\nunix_socket_directories = '{}'\nhot_standby = on\n",
            standby.dir.path().display()
        ));
        fs::write(data.join("postgresql.conf"), conf).expect("write conf");
        standby.start_server();
        standby
    }

    /// Starts the server on a free port, appended to `postgresql.auto.conf` (which keeps
    /// what `pg_basebackup -R` wrote there).
    fn start_server(&mut self) {
        let cluster = self;
        let auto_conf = cluster.data().join("postgresql.auto.conf");
        let base = fs::read_to_string(&auto_conf).unwrap_or_default();
        // Another process may take the port between the probe and the start: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port();
            fs::write(&auto_conf, format!("{base}\nport = {}\n", cluster.port))
                .expect("write postgresql.auto.conf");
            cluster.chown();
            let out = cluster.pg_ctl(&[
                "start",
                "-w",
                "-t",
                "60",
                "-l",
                &cluster.log_path().to_string_lossy(),
            ]);
            if out.status.success() {
                cluster.stopped = false;
                return;
            }
            last = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                cluster.log()
            );
        }
        panic!("could not start a private PostgreSQL cluster:\n{last}");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        self.url_with_host("127.0.0.1")
    }

    /// The same server under another host name (`localhost`, for TLS host-name checks).
    pub fn url_with_host(&self, host: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres", self.port)
    }

    /// A command for a server binary, run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        // The server's user may not be allowed into the test's working directory.
        command.current_dir(self.dir.path());
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.join(program).display()))
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.data();
        let mut all = vec!["-D", data.to_str().expect("UTF-8 path")];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    fn chown(&self) {
        if is_root() {
            let status = Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(self.dir.path())
                .status()
                .expect("run chown");
            assert!(status.success(), "chown the cluster directory to postgres");
        }
    }

    fn init(&mut self, options: &ClusterOptions) {
        self.chown();
        let data = self.data();
        let out = self.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("UTF-8 path"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conf = format!(
            "\n# strata test cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 30\n\
             shared_buffers = 16MB\nmax_wal_size = 64MB\nlog_min_messages = warning\n",
            self.dir.path().display()
        );
        let host = if options.tls_only { "hostssl" } else { "host" };
        let mut hba = format!(
            "local all all trust\n{host} all all 127.0.0.1/32 trust\n{host} all all ::1/128 trust\n\
             {host} replication all 127.0.0.1/32 trust\n"
        );
        if options.tls_only {
            hba.push_str("hostnossl all all 0.0.0.0/0 reject\n");
        }
        if let Some(tls) = &options.tls {
            fs::write(data.join("server.crt"), &tls.cert_pem).expect("write server.crt");
            fs::write(data.join("server.key"), &tls.key_pem).expect("write server.key");
            set_mode(&data.join("server.key"), 0o600);
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        let mut postgresql_conf =
            fs::read_to_string(data.join("postgresql.conf")).expect("read postgresql.conf");
        postgresql_conf.push_str(&conf);
        fs::write(data.join("postgresql.conf"), postgresql_conf).expect("write postgresql.conf");
        fs::write(data.join("pg_hba.conf"), hba).expect("write pg_hba.conf");
    }

    /// `pg_ctl restart -m fast`: sessions are terminated, the server is back when this returns.
    pub fn restart_fast(&self) {
        let out = self.pg_ctl(&[
            "restart",
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "-l",
            &self.log_path().to_string_lossy(),
        ]);
        assert!(
            out.status.success(),
            "pg_ctl restart -m fast failed:\n{}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// `pg_ctl stop -m immediate` then start: a crash as far as the data is concerned (no
    /// shutdown checkpoint; recovery replays the WAL that reached the disk).
    pub fn crash_restart(&self) {
        let log = self.log_path().to_string_lossy().into_owned();
        for args in [
            &["stop", "-m", "immediate", "-w", "-t", "60"][..],
            &["start", "-w", "-t", "60", "-l", &log],
        ] {
            let out = self.pg_ctl(args);
            assert!(
                out.status.success(),
                "pg_ctl {args:?} failed:\n{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log()
            );
        }
    }

    /// Waits until the server accepts connections (after a restart another process made).
    pub fn wait_ready(&self, limit: Duration) {
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < limit,
                "the private cluster did not come back within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]);
            self.stopped = true;
        }
        // The TempDir removes the directory (we are root or its owner).
    }
}
