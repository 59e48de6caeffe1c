//! End to end: the built binary, started as a user would, driven over HTTP, on both backends.

use meldpunt_testkit::{free_port, TestDb};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meldpunt");

/// A `meldpunt serve` process; killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(
    data_dir: &Path,
    db_url: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(data_dir);
    cmd.env("MELDPUNT_DATABASE_URL", db_url);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run meldpunt");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn start(data_dir: &Path, db_url: &str) -> Server {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .env("MELDPUNT_DATABASE_URL", db_url)
        .env_remove("MELDPUNT_SMTP_URL")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meldpunt serve");
    let base = format!("http://127.0.0.1:{port}");
    let server = Server { child, base };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = probe::blocking_get(&format!("{}/healthz", server.base)) {
            if r == 200 {
                return server;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("meldpunt serve did not become healthy");
}

/// Minimal blocking GET status without pulling reqwest's blocking feature.
mod probe {
    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(
            s,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut buf = String::new();
        s.read_to_string(&mut buf)?;
        buf.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status"))
    }
}

async fn walk_through(db: TestDb) {
    let name = db.backend.name();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.url.clone();
    // The test database was opened by the test kit; the binary opens it again on its own.
    db.store.close().await;

    let (ok, school_id, err) = cli(
        dir.path(),
        &url,
        &[
            "school",
            "add",
            "--name",
            "OBS De Linde",
            "--brin",
            "12AB00",
        ],
        None,
    );
    assert!(ok, "[{name}] school add failed: {err}");
    let school_id = school_id.trim().to_string();
    let (ok, _, err) = cli(
        dir.path(),
        &url,
        &[
            "user",
            "add",
            "--email",
            "servicedesk@school.nl",
            "--name",
            "Sam Servicedesk",
            "--role",
            "service-desk",
            "--password-stdin",
        ],
        Some("een-lang-genoeg-wachtwoord\n"),
    );
    assert!(ok, "[{name}] user add failed: {err}");
    let (ok, out, err) = cli(
        dir.path(),
        &url,
        &["token", "create", "--email", "servicedesk@school.nl"],
        None,
    );
    assert!(ok, "[{name}] token create failed: {err}");
    let token = out.lines().last().expect("token line").trim().to_string();

    let server = start(dir.path(), &url);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // An anonymous report through the public form, as a phone would send it.
    let form = [
        ("description", "De laptopkar van groep 7 is niet op slot en er ontbreekt een laptop met leerlinggegevens."),
        ("school_id", school_id.as_str()),
        ("personal_data", "yes"),
        ("ongoing", "no"),
    ];
    let r = http
        .post(format!("{}/melden", server.base))
        .form(&form)
        .send()
        .await
        .expect("post /melden");
    assert_eq!(
        r.status().as_u16(),
        303,
        "[{name}] report form should redirect to the receipt"
    );

    // The service desk finds it through the API.
    let list = |http: reqwest::Client, base: String, token: String| async move {
        let r = http
            .get(format!("{base}/api/v1/incidents?q=laptopkar"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("list");
        assert_eq!(r.status().as_u16(), 200);
        r.json::<serde_json::Value>().await.expect("json")
    };
    let body = list(http.clone(), server.base.clone(), token.clone()).await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1,
        "[{name}] exactly one incident found: {body}"
    );
    let number = items[0]["number"].as_str().expect("number").to_string();
    assert!(number.ends_with("-0001"), "[{name}] first number: {number}");

    // Restart: the incident is still there.
    drop(server);
    let server = start(dir.path(), &url);
    let body = list(http.clone(), server.base.clone(), token.clone()).await;
    assert_eq!(
        body["items"][0]["number"].as_str(),
        Some(number.as_str()),
        "[{name}] after restart"
    );
    drop(server);

    // The audit trail is intact, and tampering is caught and named.
    let (ok, out, err) = cli(dir.path(), &url, &["audit", "verify"], None);
    assert!(ok, "[{name}] audit verify on an intact chain: {out} {err}");
    let store = meldpunt_store::Store::connect(&meldpunt_store::StoreConfig {
        database_url: Some(url.clone()),
        data_dir: dir.path().to_path_buf(),
        max_connections: 2,
    })
    .await
    .expect("reopen");
    store
        .execute_raw("UPDATE audit_log SET details = '{\"tampered\":true}' WHERE seq = 3")
        .await
        .expect("tamper");
    store.close().await;
    let (ok, _, err) = cli(dir.path(), &url, &["audit", "verify"], None);
    assert!(!ok, "[{name}] audit verify must fail after tampering");
    assert!(
        err.contains("entry 3"),
        "[{name}] names the first bad entry: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_through_on_sqlite() {
    walk_through(meldpunt_testkit::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_through_on_postgres() {
    walk_through(meldpunt_testkit::postgres().await).await;
}

/// `meldpunt openapi | head -c0`: when the reader of its output goes away, a command ends quietly
/// (killed by SIGPIPE, like other Unix tools), not with a Rust panic on a broken pipe.
#[test]
fn cli_output_into_a_closed_pipe_ends_quietly() {
    let mut child = Command::new(BIN)
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run meldpunt");
    // The document is larger than a pipe's buffer, so the reader must be there to take it all.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}
