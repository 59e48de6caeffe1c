//! Shared helpers for the tests that drive the built `meldpunt` binary (crash, flood, fuzz
//! corpus replay): run CLI commands, start `meldpunt serve` on a free port and wait until healthy.
//!
//! Not every test crate uses every helper.
#![allow(dead_code)]

use meldpunt_testkit::free_port;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_meldpunt");

/// The password of the accounts the tests create.
pub const PASSWORD: &str = "een-lang-genoeg-wachtwoord";

/// Where a test's server keeps its data: the data directory and the database URL.
#[derive(Clone, Debug)]
pub struct Site {
    /// `--data-dir`.
    pub dir: PathBuf,
    /// `MELDPUNT_DATABASE_URL`.
    pub url: String,
}

/// The result of a CLI command.
pub struct Output {
    /// Exit status was 0.
    pub ok: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

fn base_command(site: &Site) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(&site.dir);
    cmd.env("MELDPUNT_DATABASE_URL", &site.url)
        .env_remove("MELDPUNT_SMTP_URL")
        .env_remove("MELDPUNT_REPORT_RATE")
        .env_remove("MELDPUNT_LISTEN")
        .env("MELDPUNT_LOG", "warn,sqlx=error");
    cmd
}

/// Runs `meldpunt ARGS…`, optionally with standard input, and waits for it.
pub fn cli(site: &Site, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = base_command(site)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run meldpunt");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait for meldpunt");
    Output {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Adds a service-desk account with `email` and [`PASSWORD`]; panics naming the error.
pub fn add_service_desk(site: &Site, email: &str) {
    let out = cli(
        site,
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Sam Servicedesk",
            "--role",
            "service-desk",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.ok, "user add failed: {}", out.stderr);
}

/// Creates an API token for `email` (the last line of `meldpunt token create`).
pub fn create_token(site: &Site, email: &str) -> String {
    let out = cli(site, &["token", "create", "--email", email], None);
    assert!(out.ok, "token create failed: {}", out.stderr);
    out.stdout
        .lines()
        .last()
        .expect("token line")
        .trim()
        .to_string()
}

/// A `meldpunt serve` process; SIGKILLed on drop (and by [`Server::kill`]).
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The port it listens on.
    pub port: u16,
}

impl Server {
    /// Starts `meldpunt serve` on a free loopback port with `extra` serve arguments and waits
    /// (up to 30 s) until `/healthz` answers 200.
    pub fn start(site: &Site, extra: &[&str]) -> Server {
        let port = free_port();
        // The server's log goes to `serve.log` in the data directory, for post-mortems.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(site.dir.join("serve.log"))
            .expect("open serve.log");
        let child = base_command(site)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start meldpunt serve");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("meldpunt serve exited early with {status}");
            }
            if healthz(port) == Some(200) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.kill();
        panic!("meldpunt serve did not become healthy within 30 s");
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap: no graceful shutdown at all.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Status of `GET /healthz` with a plain blocking socket (no client library needed).
fn healthz(port: u16) -> Option<u16> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_whitespace().nth(1)?.parse().ok()
}

/// A random number from the OS-seeded hasher (enough for test jitter; no extra dependency).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// The 95th percentile (nearest rank) of `samples`; `Duration::ZERO` when empty.
pub fn p95(samples: &[Duration]) -> Duration {
    percentile(samples, 95)
}

/// The `pct`th percentile (nearest rank) of `samples`; `Duration::ZERO` when empty.
pub fn percentile(samples: &[Duration], pct: usize) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut v = samples.to_vec();
    v.sort();
    let rank = (pct * v.len()).div_ceil(100).max(1);
    v[rank - 1]
}

/// A data directory and database for one test: SQLite in a temp dir, or a fresh PostgreSQL
/// database. Keep the returned guard alive as long as the site is used.
pub async fn site(backend: &str) -> (Site, Box<dyn std::any::Any>) {
    let db = match backend {
        "sqlite" => meldpunt_testkit::sqlite().await,
        "postgres" => meldpunt_testkit::postgres().await,
        other => panic!("unknown backend {other}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let site = Site {
        dir: dir.path().to_path_buf(),
        url: db.url.clone(),
    };
    // The test kit opened (and migrated) the database; the binary opens it on its own.
    db.store.close().await;
    (site, Box::new((db, dir)))
}
