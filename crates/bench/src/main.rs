//! `meldpunt-bench`: one command for meldpunt's performance figures (issue 5, docs/performance.md).
//!
//! ```sh
//! cargo build --release -p meldpunt -p meldpunt-bench
//! target/release/meldpunt-bench all [--with-rt]
//! ```
//!
//! Per backend (SQLite, PostgreSQL):
//! - (a) limit: the rows one report writes (counter, incident, event, audit entry + head, job) in
//!   a tight loop, one transaction per report, same durability: raw SQL and through the store;
//! - (b) intake: `POST /api/v1/incidents` with 1, 8, 32 keep-alive clients against `meldpunt serve`;
//! - (c) register at scale (a database seeded with `meldpunt dev seed`): first page, each filter,
//!   a deep page, free-text word and phrase → p50/p95 over HTTP;
//! - (d) school-year aggregate (store `period_summary`);
//! - (e) footprint: idle RSS, peak RSS during (b), start → 200 on /healthz on the large database.
//!
//! With `--with-rt`, Request Tracker 5 (../shared/peers) is benchmarked in the same run.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, ValueEnum};
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::audit::{append, AuditRecord};
use meldpunt_core::ids::{BoardId, IncidentId};
use meldpunt_core::incident::{Incident, PersonalDataAnswer, Reporter, Status, Timeline};
use meldpunt_store::incidents::Event;
use meldpunt_store::jobs::NewJob;
use meldpunt_store::{Store, StoreConfig};
use serde_json::{json, Value};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "meldpunt-bench",
    about = "Meldpunt benchmarks (see docs/performance.md)"
)]
struct Cli {
    /// What to run.
    #[arg(value_enum, default_value = "all")]
    what: What,
    /// Backends, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<Be>,
    /// Incidents in the large SQLite database.
    #[arg(long, default_value_t = 1_000_000)]
    incidents: usize,
    /// Incidents in the large PostgreSQL database.
    #[arg(long, default_value_t = 1_000_000)]
    pg_incidents: usize,
    /// Reports in each limit loop (a).
    #[arg(long, default_value_t = 3000)]
    limit_n: usize,
    /// Seconds per intake run (b).
    #[arg(long, default_value_t = 8)]
    intake_secs: u64,
    /// Samples per register query (c).
    #[arg(long, default_value_t = 40)]
    samples: usize,
    /// Working directory for databases and results.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// The meldpunt binary.
    #[arg(long, default_value = "target/release/meldpunt")]
    meldpunt: PathBuf,
    /// PostgreSQL admin URL (databases are created on it). Default: MELDPUNT_TEST_PG_URL, else
    /// postgres://postgres@127.0.0.1:5432/postgres.
    #[arg(long)]
    pg_url: Option<String>,
    /// Re-seed the large databases even when they exist.
    #[arg(long)]
    reseed: bool,
    /// Also benchmark Request Tracker 5 (installs it with ../shared/peers/rt5-setup.sh if needed).
    #[arg(long)]
    with_rt: bool,
    /// Tickets RT creates in its bench (it manages ~5/s).
    #[arg(long, default_value_t = 200)]
    rt_n: usize,
    /// Folder with rt5-setup.sh and rt5-bench.sh.
    #[arg(long, default_value = "../shared/peers")]
    peers: PathBuf,
    /// Also run (b) with the server pinned to these CPUs (`meldpunt serve --cpus`), e.g. `0`.
    #[arg(long, value_delimiter = ',')]
    pinned_cpus: Vec<usize>,
    /// Results file (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    All,
    Limit,
    Intake,
    Register,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Be {
    Sqlite,
    Postgres,
}

impl Be {
    fn name(self) -> &'static str {
        match self {
            Be::Sqlite => "sqlite",
            Be::Postgres => "postgres",
        }
    }
}

/// Latency summary.
fn stats(mut lat: Vec<Duration>) -> Value {
    if lat.is_empty() {
        return json!(null);
    }
    lat.sort();
    let q = |p: f64| {
        let i = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1000.0
    };
    json!({"n": lat.len(), "p50_ms": r2(q(0.50)), "p95_ms": r2(q(0.95)), "p99_ms": r2(q(0.99)), "max_ms": r2(q(1.0))})
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn pg_admin(cli: &Cli) -> String {
    cli.pg_url
        .clone()
        .or_else(|| std::env::var("MELDPUNT_TEST_PG_URL").ok())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn pg_db_url(admin: &str, db: &str) -> String {
    let (base, _) = admin.rsplit_once('/').unwrap_or((admin, ""));
    format!("{base}/{db}")
}

/// A database the bench works on.
#[derive(Clone)]
struct Db {
    be: Be,
    url: String,
}

async fn fresh_db(cli: &Cli, be: Be, name: &str) -> Result<Db> {
    match be {
        Be::Sqlite => {
            let dir = cli.work_dir.join(name);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            Ok(Db {
                be,
                url: format!("sqlite://{}", dir.join("meldpunt.sqlite").display()),
            })
        }
        Be::Postgres => {
            let admin = pg_admin(cli);
            let mut c = sqlx::PgConnection::connect(&admin).await?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .await?;
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await?;
            Ok(Db {
                be,
                url: pg_db_url(&admin, name),
            })
        }
    }
}

async fn existing_db(cli: &Cli, be: Be, name: &str) -> Result<Option<Db>> {
    match be {
        Be::Sqlite => {
            let f = cli.work_dir.join(name).join("meldpunt.sqlite");
            Ok(f.exists().then(|| Db {
                be,
                url: format!("sqlite://{}", f.display()),
            }))
        }
        Be::Postgres => {
            let admin = pg_admin(cli);
            let mut c = sqlx::PgConnection::connect(&admin).await?;
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_one(&mut c)
                .await?;
            Ok((n == 1).then(|| Db {
                be,
                url: pg_db_url(&admin, name),
            }))
        }
    }
}

fn meldpunt(cli: &Cli, db: &Db) -> Command {
    let mut c = Command::new(&cli.meldpunt);
    c.env("MELDPUNT_DATABASE_URL", &db.url)
        .env("MELDPUNT_LOG", "warn,sqlx=error")
        .env_remove("MELDPUNT_SMTP_URL")
        .kill_on_drop(true);
    c
}

async fn run_cli(cli: &Cli, db: &Db, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let mut c = meldpunt(cli, db);
    c.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = c
        .spawn()
        .with_context(|| format!("cannot start {}", cli.meldpunt.display()))?;
    if let Some(input) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut si = child.stdin.take().expect("stdin");
        si.write_all(input.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!(
            "meldpunt {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A service-desk account on the first board and an API token for it.
async fn api_token(cli: &Cli, db: &Db) -> Result<String> {
    let boards = run_cli(cli, db, &["board", "list"], None).await?;
    let board = boards
        .lines()
        .next()
        .and_then(|l| l.split('\t').next())
        .ok_or_else(|| anyhow!("no board"))?
        .to_string();
    let email = format!("bench-{}@meldpunt.test", uuid::Uuid::now_v7().simple());
    run_cli(
        cli,
        db,
        &[
            "user",
            "add",
            "--email",
            &email,
            "--name",
            "Bench Servicedesk",
            "--role",
            "service-desk",
            "--board",
            &board,
            "--password-stdin",
        ],
        Some("een-lang-bench-wachtwoord\n"),
    )
    .await?;
    let out = run_cli(cli, db, &["token", "create", "--email", &email], None).await?;
    out.lines()
        .last()
        .map(|s| s.trim().to_string())
        .ok_or_else(|| anyhow!("no token printed"))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `/proc/PID/status` field in MiB (VmRSS, VmHWM).
fn proc_mib(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| r2(kb / 1024.0))
}

struct Server {
    child: Child,
    pid: u32,
    base: String,
    ready: Duration,
}

async fn start_server(cli: &Cli, db: &Db) -> Result<Server> {
    start_server_on(cli, db, &[]).await
}

/// Starts `meldpunt serve`, pinned to `cpus` when not empty.
async fn start_server_on(cli: &Cli, db: &Db, cpus: &[usize]) -> Result<Server> {
    let port = free_port()?;
    let mut c = meldpunt(cli, db);
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !cpus.is_empty() {
        let list: Vec<String> = cpus.iter().map(ToString::to_string).collect();
        c.args(["--cpus", &list.join(",")]);
    }
    let t0 = Instant::now();
    let child = c.spawn()?;
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if t0.elapsed() > Duration::from_secs(120) {
            bail!("meldpunt serve did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Server {
        child,
        pid,
        base,
        ready: t0.elapsed(),
    })
}

async fn stop_server(mut s: Server) -> Result<()> {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &s.pid.to_string()])
        .status();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.child.wait()).await;
    let _ = s.child.start_kill();
    Ok(())
}

// ---------------------------------------------------------------- (a) the limit

fn report_incident(board: BoardId, now: Timestamp, seq: i64, i: usize) -> Incident {
    Incident {
        id: IncidentId::new_v7(now),
        board_id: board,
        school_id: None,
        number: meldpunt_core::ids::IncidentNumber {
            year: 2026,
            seq,
        },
        summary: format!("Wifi storing lokaal {}", i % 40),
        description: format!(
            "Sinds vanochtend is er geen verbinding met het wifi-netwerk in lokaal {}. De les kan niet doorgaan.",
            i % 40
        ),
        personal_data: PersonalDataAnswer::No,
        ongoing: Some(true),
        reporter: Reporter {
            name: Some("Sanne de Vries".into()),
            email: Some("sanne@school.nl".into()),
            phone: None,
        },
        status: Status::Reported,
        classification: None,
        assignee_id: None,
        resolution: None,
        cause: None,
        evaluation: None,
        no_incident_reason: None,
        timeline: Timeline {
            reported_at: Some(now),
            ..Timeline::default()
        },
        exercise: false,
        version: 1,
    }
}

fn audit_record(now: Timestamp, board: BoardId, id: IncidentId, number: &str) -> AuditRecord {
    AuditRecord {
        at: now,
        actor: "reporter".into(),
        action: "incident.report".into(),
        board_id: Some(board.to_string()),
        subject: Some(format!("incident:{id}")),
        details: json!({"anonymous": false, "exercise": false, "number": number, "personal_data": "no", "school": null}).to_string(),
    }
}

fn token_hash(i: usize) -> String {
    format!(
        "{:064x}",
        (i as u128) << 64 | uuid::Uuid::now_v7().as_u128() & 0xffff_ffff_ffff_ffff
    )
}

async fn first_board(store: &Store) -> Result<BoardId> {
    Ok(store
        .boards()
        .await?
        .first()
        .ok_or_else(|| anyhow!("no board"))?
        .id)
}

/// Through the store layer: exactly the calls `App::report_incident` makes.
async fn limit_store(db: &Db, n: usize) -> Result<Value> {
    let store = Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: PathBuf::from("."),
        max_connections: 4,
    })
    .await?;
    let board = first_board(&store).await?;
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for i in 0..n {
        let s = Instant::now();
        let now = Timestamp::now();
        let mut tx = store.begin().await?;
        let number = tx.next_incident_number(board, 2026).await?;
        let inc = report_incident(board, now, number.seq, i);
        tx.insert_incident(&inc, &token_hash(i), now).await?;
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: inc.id,
            at: now,
            actor_id: None,
            actor_label: "melder".into(),
            event_type: "reported".into(),
            public: true,
            body: None,
            details: json!({"number": number.to_string()}).to_string(),
        })
        .await?;
        tx.append_audit(audit_record(now, board, inc.id, &number.to_string()))
            .await?;
        tx.enqueue(
            &NewJob {
                kind: "notify_service_desk".into(),
                payload: json!({"incident_id": inc.id.to_string()}).to_string(),
                unique_key: Some(format!("notify_service_desk:{}", inc.id)),
                run_at: now,
                max_attempts: 8,
                urgent: false,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        lat.push(s.elapsed());
    }
    let secs = t0.elapsed().as_secs_f64();
    store.close().await;
    let mut v = stats(lat);
    v["per_s"] = json!(r2(n as f64 / secs));
    Ok(v)
}

macro_rules! raw_report {
    ($c:expr, $i:expr, $board:expr, $year:expr, $begin:expr, $ph:expr) => {{
        let c = $c;
        let i: usize = $i;
        let board: BoardId = $board;
        let now = Timestamp::now();
        let us = now.as_microsecond();
        sqlx::raw_sql($begin).execute(&mut *c).await?;
        let seq: i64 = sqlx::query_scalar("INSERT INTO incident_counters (board_id, year, last_seq) VALUES ($1, $2, 1) ON CONFLICT (board_id, year) DO UPDATE SET last_seq = incident_counters.last_seq + 1 RETURNING last_seq")
            .bind(board.0).bind($year).fetch_one(&mut *c).await?;
        let inc = report_incident(board, now, seq, i);
        let number = inc.number.to_string();
        sqlx::query("INSERT INTO incidents (id, board_id, school_id, number_year, number_seq, summary, description, personal_data, ongoing, reporter_name, reporter_email, reporter_phone, status, occurred_at, reported_at, exercise, version, followup_token_hash, search_text, priority_rank, updated_at) VALUES ($1, $2, NULL, $3, $4, $5, $6, 'no', TRUE, $7, $8, NULL, 'reported', NULL, $9, FALSE, 1, $10, $11, 0, $9)")
            .bind(inc.id.0).bind(board.0).bind($year).bind(seq).bind(&inc.summary).bind(&inc.description)
            .bind(&inc.reporter.name).bind(&inc.reporter.email).bind(us).bind(token_hash(i))
            .bind(format!("{} {}\n{}", number, inc.summary, inc.description).to_lowercase())
            .execute(&mut *c).await?;
        sqlx::query("INSERT INTO incident_events (id, incident_id, at, actor_id, actor_label, event_type, public, body, details) VALUES ($1, $2, $3, NULL, 'melder', 'reported', TRUE, NULL, $4)")
            .bind(uuid::Uuid::now_v7()).bind(inc.id.0).bind(us).bind(json!({"number": number}).to_string())
            .execute(&mut *c).await?;
        let (hseq, hhash): (i64, String) = sqlx::query_as(&format!("SELECT seq, hash FROM audit_head WHERE id = 1{}", $ph))
            .fetch_one(&mut *c).await?;
        let e = append(hseq, &hhash, audit_record(now, board, inc.id, &number));
        sqlx::query("INSERT INTO audit_log (seq, at, actor, action, board_id, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(e.seq).bind(us).bind(&e.record.actor).bind(&e.record.action).bind(&e.record.board_id)
            .bind(&e.record.subject).bind(&e.record.details).bind(&e.prev_hash).bind(&e.hash)
            .execute(&mut *c).await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(e.seq).bind(&e.hash).execute(&mut *c).await?;
        sqlx::query("INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, max_attempts, created_at, updated_at) VALUES ($1, 'notify_service_desk', $2, $3, 'pending', $4, 0, 8, $4, $4)")
            .bind(uuid::Uuid::now_v7()).bind(json!({"incident_id": inc.id.to_string()}).to_string())
            .bind(format!("notify_service_desk:{}", inc.id)).bind(us)
            .execute(&mut *c).await?;
        sqlx::raw_sql("COMMIT").execute(&mut *c).await?;
    }};
}

/// Raw SQL on one connection with the store's durability settings.
async fn limit_raw(db: &Db, n: usize) -> Result<Value> {
    let store = Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: PathBuf::from("."),
        max_connections: 2,
    })
    .await?;
    let board = first_board(&store).await?;
    store.close().await;
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    match db.be {
        Be::Sqlite => {
            let path = db.url.trim_start_matches("sqlite://");
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
            for i in 0..n {
                let s = Instant::now();
                raw_report!(&mut c, i, board, 2027i64, "BEGIN IMMEDIATE", "");
                lat.push(s.elapsed());
            }
        }
        Be::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await?;
            for i in 0..n {
                let s = Instant::now();
                raw_report!(&mut c, i, board, 2027i64, "BEGIN", " FOR UPDATE");
                lat.push(s.elapsed());
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut v = stats(lat);
    v["per_s"] = json!(r2(n as f64 / secs));
    Ok(v)
}

// ---------------------------------------------------------------- (b) intake over HTTP

async fn intake(server: &Server, token: &str, clients: usize, secs: u64) -> Result<Value> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let url = format!("{}/api/v1/incidents", server.base);
    let t0 = Instant::now();
    for k in 0..clients {
        let stop = stop.clone();
        let url = url.clone();
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = json!({
                    "summary": format!("Printer lokaal {} kapot", (k * 7 + i) % 40),
                    "description": "De printer in het lokaal geeft een papierstoring en print daarna niets meer. Graag iemand langs sturen.",
                    "personal_data": "no",
                    "reporter_name": "Bram Bakker",
                    "reporter_email": "bram@school.nl",
                });
                let s = Instant::now();
                let ok = match http
                    .post(&url)
                    .header("Authorization", &auth)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let st = r.status();
                        let _ = r.bytes().await;
                        st.as_u16() == 201
                    }
                    Err(_) => false,
                };
                if ok {
                    lat.push(s.elapsed());
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let wall = t0.elapsed().as_secs_f64();
    let n = all.len();
    let mut v = stats(all);
    v["per_s"] = json!(r2(n as f64 / wall));
    v["errors"] = json!(errors);
    v["clients"] = json!(clients);
    Ok(v)
}

/// Jobs by status (what the server's job runner left queued after the intake runs).
async fn job_counts(db: &Db) -> Result<Value> {
    let store = Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: PathBuf::from("."),
        max_connections: 2,
    })
    .await?;
    let counts = store.job_counts().await?;
    store.close().await;
    Ok(json!(counts
        .into_iter()
        .collect::<std::collections::BTreeMap<String, i64>>()))
}

// ---------------------------------------------------------------- (c) register

async fn timed_get(http: &reqwest::Client, url: &str, token: &str, n: usize) -> Result<Value> {
    let mut lat = Vec::with_capacity(n);
    let mut items = 0;
    for k in 0..n + 3 {
        let s = Instant::now();
        let r = http
            .get(url)
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("GET {url} -> {}", r.status());
        }
        let body: Value = r.json().await?;
        let d = s.elapsed();
        items = body["items"].as_array().map(|a| a.len()).unwrap_or(0);
        if k >= 3 {
            lat.push(d);
        }
    }
    let mut v = stats(lat);
    v["items"] = json!(items);
    Ok(v)
}

async fn register(cli: &Cli, server: &Server, token: &str, db: &Db) -> Result<Value> {
    let store = Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: PathBuf::from("."),
        max_connections: 2,
    })
    .await?;
    let board = first_board(&store).await?;
    let school = store
        .schools(board)
        .await?
        .first()
        .map(|s| s.id.to_string())
        .unwrap_or_default();
    let base = format!("{}/api/v1/incidents", server.base);
    let http = reqwest::Client::new();
    // An assignee: someone on the first page of closed incidents.
    let first: Value = http
        .get(format!("{base}?status=closed&limit=5"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await?
        .json()
        .await?;
    let assignee = first["items"]
        .as_array()
        .and_then(|a| a.iter().find_map(|i| i["assignee_id"].as_str()))
        .unwrap_or("00000000-0000-0000-0000-000000000000")
        .to_string();
    let now = Timestamp::now();
    let year_ago = (now - SignedDuration::from_hours(24 * 365))
        .strftime("%Y-%m-%d")
        .to_string();
    let year_ago_month = (now - SignedDuration::from_hours(24 * 335))
        .strftime("%Y-%m-%d")
        .to_string();
    let deep = format!(
        "0.{}.ffffffffffffffffffffffffffffffff",
        (now - SignedDuration::from_hours(24 * 900)).as_microsecond()
    );
    let cases: Vec<(&str, String)> = vec![
        ("first_page", String::new()),
        ("status_open", "status=open".into()),
        ("status_closed", "status=closed".into()),
        ("kind_breach", "kind=breach".into()),
        ("priority_p1", "priority=p1".into()),
        ("school", format!("school_id={school}")),
        ("assignee", format!("assignee_id={assignee}")),
        (
            "period_month",
            format!("from={year_ago}&until={year_ago_month}"),
        ),
        ("sort_priority", "sort=priority".into()),
        ("deep_page", format!("after={deep}")),
        ("search_word", "q=printer".into()),
        ("search_rare_word", "q=klassenlijst".into()),
        (
            "search_phrase",
            "q=%22geen%20verbinding%20met%20het%20wifi%22".into(),
        ),
        (
            "search_word_kind",
            "q=wachtwoord&kind=cyber_incident".into(),
        ),
    ];
    let mut out = serde_json::Map::new();
    for (name, qs) in cases {
        let url = if qs.is_empty() {
            base.clone()
        } else {
            format!("{base}?{qs}")
        };
        let v = timed_get(&http, &url, token, cli.samples).await?;
        eprintln!("    register {name:<18} {v}");
        out.insert(name.into(), v);
    }
    store.close().await;
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------- (d) aggregate

async fn aggregate(db: &Db) -> Result<Value> {
    let store = Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: PathBuf::from("."),
        max_connections: 2,
    })
    .await?;
    let board = first_board(&store).await?;
    // The last complete school year (1 August – 1 August, Europe/Amsterdam).
    let today = Timestamp::now().in_tz("Europe/Amsterdam")?.date();
    let end_year = if today.month() >= 8 {
        today.year()
    } else {
        today.year() - 1
    };
    let tz = |y: i16| -> Result<Timestamp> {
        Ok(jiff::civil::date(y, 8, 1)
            .in_tz("Europe/Amsterdam")?
            .timestamp())
    };
    let (from, until) = (tz(end_year - 1)?, tz(end_year)?);
    let mut lat = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let s = Instant::now();
        last = Some(store.period_summary(board, from, until).await?);
        lat.push(s.elapsed());
    }
    store.close().await;
    let s = last.expect("ran");
    let mut v = stats(lat);
    v["school_year"] = json!(format!("{}-{}", end_year - 1, end_year));
    v["incidents"] = json!(s.total);
    v["per_kind"] = json!(s.per_kind);
    v["per_priority"] = json!(s.per_priority);
    v["schools"] = json!(s.per_school.len());
    v["share_resolved_in_time"] = json!(s.share_in_time().map(|x| r2(x * 100.0) / 100.0));
    Ok(v)
}

// ---------------------------------------------------------------- per backend

async fn large_db(cli: &Cli, be: Be, report: &mut serde_json::Map<String, Value>) -> Result<Db> {
    let n = match be {
        Be::Sqlite => cli.incidents,
        Be::Postgres => cli.pg_incidents,
    };
    let name = format!("meldpunt_bench_{}_{}", be.name(), n);
    if !cli.reseed {
        if let Some(db) = existing_db(cli, be, &name).await? {
            let store = Store::connect(&StoreConfig {
                database_url: Some(db.url.clone()),
                data_dir: PathBuf::from("."),
                max_connections: 2,
            })
            .await;
            if let Ok(store) = store {
                let done = store
                    .list_incidents(&meldpunt_store::incidents::Filter::default())
                    .await
                    .is_ok();
                store.close().await;
                if done {
                    eprintln!("  reusing seeded database {name}");
                    report.insert("incidents".into(), json!(n));
                    return Ok(db);
                }
            }
        }
    }
    let db = fresh_db(cli, be, &name).await?;
    eprintln!("  seeding {n} incidents into {name} …");
    let t0 = Instant::now();
    let out = run_cli(
        cli,
        &db,
        &["dev", "seed", "--incidents", &n.to_string(), "--quiet"],
        None,
    )
    .await?;
    let secs = t0.elapsed().as_secs_f64();
    eprintln!("  {}", out.trim());
    report.insert("incidents".into(), json!(n));
    report.insert("seed_s".into(), json!(r2(secs)));
    report.insert("seed_per_s".into(), json!(r2(n as f64 / secs)));
    Ok(db)
}

async fn backend(cli: &Cli, be: Be) -> Result<Value> {
    let mut r = serde_json::Map::new();
    eprintln!("== {} ==", be.name());
    if matches!(cli.what, What::All | What::Limit | What::Intake) {
        // (a) on a fresh database.
        let fresh = fresh_db(cli, be, &format!("meldpunt_bench_{}_fresh", be.name())).await?;
        run_cli(cli, &fresh, &["migrate"], None).await?;
        if matches!(cli.what, What::All | What::Limit) {
            let raw = limit_raw(&fresh, cli.limit_n).await?;
            eprintln!("  (a) raw   {raw}");
            let store = limit_store(&fresh, cli.limit_n).await?;
            eprintln!("  (a) store {store}");
            r.insert("limit_raw".into(), raw);
            r.insert("limit_store".into(), store);
        }
        if matches!(cli.what, What::All | What::Intake) {
            let token = api_token(cli, &fresh).await?;
            let server = start_server(cli, &fresh).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            r.insert("idle_rss_mib".into(), json!(proc_mib(server.pid, "VmRSS:")));
            r.insert(
                "ready_small_ms".into(),
                json!(r2(server.ready.as_secs_f64() * 1000.0)),
            );
            let mut runs = Vec::new();
            for c in [1usize, 8, 32] {
                let v = intake(&server, &token, c, cli.intake_secs).await?;
                eprintln!("  (b) {c:>2} clients {v}");
                runs.push(v);
            }
            r.insert("peak_rss_mib".into(), json!(proc_mib(server.pid, "VmHWM:")));
            stop_server(server).await?;
            r.insert("intake".into(), json!(runs));
            r.insert("jobs_after_intake".into(), job_counts(&fresh).await?);
            if !cli.pinned_cpus.is_empty() {
                // The same runs, on a fresh database, against a server confined to
                // `--pinned-cpus`.
                let pinned =
                    fresh_db(cli, be, &format!("meldpunt_bench_{}_pinned", be.name())).await?;
                run_cli(cli, &pinned, &["migrate"], None).await?;
                let token = api_token(cli, &pinned).await?;
                let server = start_server_on(cli, &pinned, &cli.pinned_cpus).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut runs = Vec::new();
                for c in [1usize, 8, 32] {
                    let v = intake(&server, &token, c, cli.intake_secs).await?;
                    eprintln!(
                        "  (b) {c:>2} clients, server on CPUs {:?}: {v}",
                        cli.pinned_cpus
                    );
                    runs.push(v);
                }
                stop_server(server).await?;
                r.insert("intake_pinned".into(), json!(runs));
                r.insert(
                    "jobs_after_intake_pinned".into(),
                    job_counts(&pinned).await?,
                );
                r.insert("pinned_cpus".into(), json!(cli.pinned_cpus));
            }
        }
    }
    if matches!(cli.what, What::All | What::Register) {
        let mut seed = serde_json::Map::new();
        let db = large_db(cli, be, &mut seed).await?;
        r.insert("large".into(), Value::Object(seed));
        let token = api_token(cli, &db).await?;
        let server = start_server(cli, &db).await?;
        r.insert(
            "ready_large_ms".into(),
            json!(r2(server.ready.as_secs_f64() * 1000.0)),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        r.insert(
            "idle_rss_large_mib".into(),
            json!(proc_mib(server.pid, "VmRSS:")),
        );
        eprintln!("  (e) ready on large db in {:?}", server.ready);
        let reg = register(cli, &server, &token, &db).await?;
        r.insert("register".into(), reg);
        r.insert(
            "rss_after_register_mib".into(),
            json!(proc_mib(server.pid, "VmRSS:")),
        );
        stop_server(server).await?;
        let agg = aggregate(&db).await?;
        eprintln!("  (d) aggregate {agg}");
        r.insert("aggregate".into(), agg);
    }
    Ok(Value::Object(r))
}

// ---------------------------------------------------------------- RT

async fn rt(cli: &Cli) -> Result<Value> {
    let peers = cli.peers.canonicalize().context("peers folder")?;
    let running = std::fs::read_to_string("/tmp/rt5-server.pid")
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    if !running {
        eprintln!("== RT: installing/starting with rt5-setup.sh (about 80 s) ==");
        let st = Command::new("bash")
            .arg(peers.join("rt5-setup.sh"))
            .status()
            .await?;
        if !st.success() {
            bail!("rt5-setup.sh failed");
        }
    }
    eprintln!("== RT: rt5-bench.sh with N={} ==", cli.rt_n);
    let out_dir = cli.work_dir.canonicalize()?;
    let out = Command::new("bash")
        .arg(peers.join("rt5-bench.sh"))
        .env("N", cli.rt_n.to_string())
        .env("OUT_DIR", &out_dir)
        .stderr(Stdio::inherit())
        .output()
        .await?;
    if !out.status.success() {
        bail!("rt5-bench.sh failed");
    }
    let mut m = serde_json::Map::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            if let Some(name) = v["metric"].as_str() {
                m.insert(name.to_string(), v.clone());
            }
        }
    }
    Ok(Value::Object(m))
}

// ---------------------------------------------------------------- report

fn g<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) if v.is_array() => &v[i],
        _ => &v[k],
    })
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if f >= 100.0 {
                format!("{f:.0}")
            } else {
                format!("{f:.1}")
            }
        }
        other => other.to_string(),
    }
}

fn print_table(res: &Value) {
    let bes: Vec<&str> = ["sqlite", "postgres"]
        .into_iter()
        .filter(|b| !res[*b].is_null())
        .collect();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |label: &str, f: &dyn Fn(&Value) -> String| {
        rows.push((label.to_string(), bes.iter().map(|b| f(&res[*b])).collect()));
    };
    row("(a) limit raw SQL, reports/s", &|v| {
        cell(g(v, "limit_raw.per_s"))
    });
    row("(a) limit store layer, reports/s", &|v| {
        cell(g(v, "limit_store.per_s"))
    });
    for (key, label) in [("intake", "intake"), ("intake_pinned", "intake, pinned")] {
        if bes.iter().all(|b| res[*b][key].is_null()) {
            continue;
        }
        for (i, c) in [1, 8, 32].iter().enumerate() {
            row(&format!("(b) {label} {c} clients, reports/s"), &|v| {
                cell(g(v, &format!("{key}.{i}.per_s")))
            });
            row(&format!("(b) {label} {c} clients, p50 / p99 ms"), &|v| {
                format!(
                    "{} / {}",
                    cell(g(v, &format!("{key}.{i}.p50_ms"))),
                    cell(g(v, &format!("{key}.{i}.p99_ms")))
                )
            });
        }
    }
    row("(b)/(a raw) at 32 clients", &|v| {
        let b = g(v, "intake.2.per_s").as_f64();
        let a = g(v, "limit_raw.per_s").as_f64();
        match (a, b) {
            (Some(a), Some(b)) if a > 0.0 => format!("{:.2}", b / a),
            _ => "–".into(),
        }
    });
    row("(c) incidents in large db", &|v| {
        cell(g(v, "large.incidents"))
    });
    if let Some(reg) = bes.first().and_then(|b| res[*b]["register"].as_object()) {
        for name in reg.keys() {
            row(&format!("(c) {name} p50 / p95 ms"), &|v| {
                format!(
                    "{} / {}",
                    cell(g(v, &format!("register.{name}.p50_ms"))),
                    cell(g(v, &format!("register.{name}.p95_ms")))
                )
            });
        }
    }
    row("(d) school-year aggregate p50 ms", &|v| {
        cell(g(v, "aggregate.p50_ms"))
    });
    row("(e) idle RSS MiB (fresh db)", &|v| {
        cell(g(v, "idle_rss_mib"))
    });
    row("(e) idle RSS MiB (large db)", &|v| {
        cell(g(v, "idle_rss_large_mib"))
    });
    row("jobs queued after (b) (pending / done)", &|v| {
        let c = g(v, "jobs_after_intake");
        if c.is_null() {
            return "–".into();
        }
        format!(
            "{} / {}",
            c["pending"].as_i64().unwrap_or(0) + c["running"].as_i64().unwrap_or(0),
            c["done"].as_i64().unwrap_or(0)
        )
    });
    row("(e) peak RSS MiB during (b)", &|v| {
        cell(g(v, "peak_rss_mib"))
    });
    row("(e) ready on large db, ms", &|v| {
        cell(g(v, "ready_large_ms"))
    });
    row("seed, incidents/s", &|v| cell(g(v, "large.seed_per_s")));
    let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(10);
    println!();
    print!("| {:<w$} |", "metric");
    for b in &bes {
        print!(" {b:>15} |");
    }
    println!();
    print!("|{}|", "-".repeat(w + 2));
    for _ in &bes {
        print!("{}|", "-".repeat(17));
    }
    println!();
    for (label, cells) in rows {
        print!("| {label:<w$} |");
        for c in cells {
            print!(" {c:>15} |");
        }
        println!();
    }
    if !res["rt"].is_null() {
        let rt = &res["rt"];
        let s = &res["sqlite"];
        let rt_create = rt
            .as_object()
            .and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.starts_with("create_") && k.contains("sequential"))
            })
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.1}", a / b),
            _ => "–".into(),
        };
        println!();
        println!("| meldpunt (SQLite) vs Request Tracker 5 | meldpunt | RT | ratio |");
        println!("|---|---|---|---|");
        let m1 = g(s, "intake.0.per_s").as_f64();
        let r1 = rt_create["per_s"].as_f64();
        println!(
            "| intake, 1 client, creates/s | {} | {} | {} |",
            cell(g(s, "intake.0.per_s")),
            cell(&rt_create["per_s"]),
            ratio(m1, r1)
        );
        let m32 = g(s, "intake.2.per_s").as_f64();
        println!(
            "| intake, meldpunt 32 clients vs RT sequential | {} | {} | {} |",
            cell(g(s, "intake.2.per_s")),
            cell(&rt_create["per_s"]),
            ratio(m32, r1)
        );
        let ms = g(s, "register.search_word.p50_ms").as_f64();
        let rs = g(rt, "query_search_subject_like.p50_ms").as_f64();
        println!(
            "| search p50 ms (meldpunt at 1M, RT at its size) | {} | {} | {} (RT/meldpunt) |",
            cell(g(s, "register.search_word.p50_ms")),
            cell(g(rt, "query_search_subject_like.p50_ms")),
            ratio(rs, ms)
        );
        let ml = g(s, "register.first_page.p50_ms").as_f64();
        let rl = g(rt, "query_list_first_page_20.p50_ms").as_f64();
        println!(
            "| first page p50 ms | {} | {} | {} (RT/meldpunt) |",
            cell(g(s, "register.first_page.p50_ms")),
            cell(g(rt, "query_list_first_page_20.p50_ms")),
            ratio(rl, ml)
        );
        let mm = g(s, "idle_rss_mib").as_f64();
        let rm = g(rt, "idle_mem_rt_server.procs_rssMiB_pssMiB.2").as_f64();
        println!(
            "| idle memory MiB (meldpunt RSS, RT server PSS) | {} | {} | {} (RT/meldpunt) |",
            cell(g(s, "idle_rss_mib")),
            cell(g(rt, "idle_mem_rt_server.procs_rssMiB_pssMiB.2")),
            ratio(rm, mm)
        );
        let mp = g(s, "peak_rss_mib").as_f64();
        let rp = g(rt, "peak_mem_during_create.rt_server.2").as_f64();
        println!(
            "| memory under load MiB (peak) | {} | {} | {} (RT/meldpunt) |",
            cell(g(s, "peak_rss_mib")),
            cell(g(rt, "peak_mem_during_create.rt_server.2")),
            ratio(rp, mp)
        );
    }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.to_string()))
        .unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "mem": mem,
        "date": Timestamp::now().to_string(),
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.work_dir)?;
    if !cli.meldpunt.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release -p meldpunt -p meldpunt-bench`",
            cli.meldpunt.display()
        );
    }
    let mut res = serde_json::Map::new();
    res.insert("machine".into(), machine());
    res.insert(
        "command".into(),
        json!(std::env::args().collect::<Vec<_>>().join(" ")),
    );
    for be in &cli.backends {
        let v = backend(&cli, *be).await.with_context(|| be.name())?;
        res.insert(be.name().into(), v);
    }
    if cli.with_rt {
        match rt(&cli).await {
            Ok(v) => {
                res.insert("rt".into(), v);
            }
            Err(e) => eprintln!("RT benchmark failed: {e:#}"),
        }
    }
    let res = Value::Object(res);
    print_table(&res);
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| cli.work_dir.join("results.json"));
    std::fs::write(&out, serde_json::to_string_pretty(&res)?)?;
    println!("\nresults: {}", out.display());
    Ok(())
}
