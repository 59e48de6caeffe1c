//! Test support shared by the crates' tests.
//!
//! Every storage and use-case test runs on both backends: `each_backend()` gives a fresh SQLite
//! database and a fresh PostgreSQL database. PostgreSQL comes from `MELDPUNT_TEST_PG_URL` (set by
//! `scripts/with-postgres`, which starts a throwaway cluster when none runs). Without it the tests
//! fail loudly; a backend is never skipped silently.

pub mod http;
pub mod pg;

use jiff::Timestamp;
use meldpunt_app::{App, AppConfig, FixedClock};
use meldpunt_store::{Backend, Store, StoreConfig};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A fresh database on one backend; SQLite files live in a temporary directory.
pub struct TestDb {
    /// The migrated store.
    pub store: Store,
    /// Which backend.
    pub backend: Backend,
    /// The URL the store was opened with (for starting the binary against it).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The admin URL of the test PostgreSQL server; panics with instructions when unset.
pub fn pg_admin_url() -> String {
    std::env::var("MELDPUNT_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "MELDPUNT_TEST_PG_URL is not set: run the tests with `scripts/test` (or `scripts/with-postgres cargo test`), \
             which provides a PostgreSQL server. Tests never skip a backend."
        )
    })
}

/// A fresh, migrated SQLite database.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
    let store = open(&url).await;
    TestDb {
        store,
        backend: Backend::Sqlite,
        url,
        _dir: Some(dir),
    }
}

/// A fresh, migrated PostgreSQL database (a new database on the test server).
pub async fn postgres() -> TestDb {
    let admin = pg_admin_url();
    let name = format!(
        "mp_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        uuid::Uuid::now_v7()
            .simple()
            .to_string()
            .get(20..)
            .unwrap_or("x")
    );
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach test PostgreSQL at {admin}: {e}"));
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
    }
    let mut u = url::Url::parse(&admin).expect("MELDPUNT_TEST_PG_URL is a URL");
    u.set_path(&format!("/{name}"));
    let url = u.to_string();
    let store = open(&url).await;
    TestDb {
        store,
        backend: Backend::Postgres,
        url,
        _dir: None,
    }
}

async fn open(url: &str) -> Store {
    let store = Store::connect(&StoreConfig {
        database_url: Some(url.to_string()),
        data_dir: std::env::temp_dir(),
        max_connections: 5,
    })
    .await
    .unwrap_or_else(|e| panic!("open {url}: {e}"));
    store.migrate().await.expect("migrate");
    store
}

/// One fresh database on each backend: SQLite first, then PostgreSQL.
pub async fn each_backend() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}

/// A test clock at a fixed, realistic moment (a Tuesday morning in term time).
pub fn test_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        "2026-11-24T09:15:00Z".parse::<Timestamp>().expect("valid"),
    ))
}

/// An app on a test database with a fixed clock and the given config.
pub fn app(db: &TestDb, clock: Arc<FixedClock>, config: AppConfig) -> App {
    App::new(db.store.clone(), clock, config)
}

/// A real SMTP server (`python3 -m aiosmtpd`) on a free loopback port, writing what it receives
/// to stdout; killed on drop.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:PORT`
    pub url: String,
    child: std::process::Child,
    out: Arc<std::sync::Mutex<String>>,
}

impl SmtpServer {
    /// Starts the server and waits until it accepts connections.
    pub fn start() -> SmtpServer {
        use std::io::Read;
        let port = free_port();
        let mut child = std::process::Command::new("python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
                "-l",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start python3 -m aiosmtpd (pip install aiosmtpd)");
        let out = Arc::new(std::sync::Mutex::new(String::new()));
        let mut stdout = child.stdout.take().expect("stdout");
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer {
                    url: format!("smtp://127.0.0.1:{port}"),
                    child,
                    out,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Everything received so far (headers and bodies as the Debugging handler prints them).
    pub fn received(&self) -> String {
        self.out.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits up to `secs` seconds until the received text contains `needle`.
    pub fn wait_for(&self, needle: &str, secs: u64) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if self.received().contains(needle) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
