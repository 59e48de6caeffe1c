//! Durability under crash: every incident the API acknowledged (2xx) survives a `kill -9` of the
//! server mid-load, and the audit hash chain stays intact — on SQLite and on PostgreSQL.
//!
//! Per backend, one database for five rounds. Each round: eight concurrent clients create
//! incidents through `POST /api/v1/incidents`; a random 200–800 ms after the first 201 the server
//! gets SIGKILL (no graceful shutdown); `meldpunt audit verify` must exit 0 on what is left; the server is
//! started again and every incident acknowledged so far (in this round and all earlier ones) must
//! be there with the same number. See docs/durability.md.
//!
//! Run: `scripts/with-postgres cargo test -p meldpunt --test crash -- --nocapture`

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::Server;

const ROUNDS: usize = 5;
const CLIENTS: usize = 8;
const EMAIL: &str = "servicedesk@school.nl";

/// An incident the server acknowledged with 201.
#[derive(Debug, Clone)]
struct Acked {
    id: String,
    number: String,
    round: usize,
}

/// What happened during one round's load.
#[derive(Default)]
struct Tally {
    acked: Vec<Acked>,
    /// Non-2xx answers by status code.
    statuses: BTreeMap<u16, usize>,
    /// Transport errors before the kill (there should be none).
    early_errors: Vec<String>,
    /// Requests cut off by the kill (sent, but no complete answer).
    cut_off: usize,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// One client: creates incidents until the server is gone.
async fn client_loop(
    http: reqwest::Client,
    base: String,
    token: String,
    round: usize,
    client: usize,
    killing: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut n = 0usize;
    loop {
        n += 1;
        let body = serde_json::json!({
            "description": format!(
                "Crashtest ronde {round}, client {client}, verzoek {n}: het wifi-netwerk in lokaal {n} valt steeds weg."
            ),
            "personal_data": "no",
            "ongoing": true,
        });
        let sent = http
            .post(format!("{base}/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        let outcome = match sent {
            Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                Ok(v) => Ok(Some(Acked {
                    id: v["id"].as_str().unwrap_or_default().to_string(),
                    number: v["number"].as_str().unwrap_or_default().to_string(),
                    round,
                })),
                Err(e) => Err(format!("reading a 2xx body: {e}")),
            },
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                let mut t = tally.lock().expect("tally");
                *t.statuses.entry(status).or_default() += 1;
                if status >= 500 {
                    t.early_errors.push(format!("{status}: {text}"));
                }
                Ok(None)
            }
            Err(e) => Err(format!("{e}")),
        };
        let mut t = tally.lock().expect("tally");
        match outcome {
            Ok(Some(a)) => {
                assert!(
                    !a.id.is_empty() && !a.number.is_empty(),
                    "201 without id/number: {a:?}"
                );
                t.acked.push(a);
            }
            Ok(None) => {}
            Err(e) => {
                // The flag is raised before the kill, so an error seen without it is real.
                if killing.load(Ordering::SeqCst) {
                    t.cut_off += 1;
                    return;
                }
                t.early_errors.push(e);
                return;
            }
        }
    }
}

/// Checks that every acknowledged incident is there, with its number.
async fn check_acked(server: &Server, token: &str, acked: &[Acked], label: &str) {
    let http = http();
    let chunks: Vec<Vec<Acked>> = acked
        .chunks(acked.len().div_ceil(CLIENTS).max(1))
        .map(<[Acked]>::to_vec)
        .collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (http, base, token) = (http.clone(), server.base.clone(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut missing = Vec::new();
            for a in chunk {
                let r = http
                    .get(format!("{base}/api/v1/incidents/{}", a.id))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("GET incident");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                if status != 200 || body["number"].as_str() != Some(a.number.as_str()) {
                    missing.push(format!(
                        "{} ({}, round {}): {status} {}",
                        a.number, a.id, a.round, body["number"]
                    ));
                }
            }
            missing
        }));
    }
    let mut missing = Vec::new();
    for t in tasks {
        missing.extend(t.await.expect("check task"));
    }
    assert!(
        missing.is_empty(),
        "[{label}] {} of {} acknowledged incidents lost or changed after kill -9: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(20)]
    );
}

async fn crash_rounds(backend: &str) {
    let started = Instant::now();
    let (site, _guard) = support::site(backend).await;
    support::add_service_desk(&site, EMAIL);
    let token = support::create_token(&site, EMAIL);

    let mut all: Vec<Acked> = Vec::new();
    let mut server = Server::start(&site, &[]);
    for round in 1..=ROUNDS {
        let label = format!("{backend} round {round}");
        let killing = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let http = http();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(client_loop(
                    http.clone(),
                    server.base.clone(),
                    token.clone(),
                    round,
                    c,
                    killing.clone(),
                    tally.clone(),
                ))
            })
            .collect();
        // Kill a random 200–800 ms into the load, counted from the first acknowledgement: on a
        // busy machine the first answers after a restart can take longer than 200 ms.
        let waiting = Instant::now();
        loop {
            {
                let t = tally.lock().expect("tally");
                if !t.acked.is_empty() {
                    break;
                }
                assert!(
                    t.early_errors.is_empty(),
                    "[{label}] errors before the first acknowledgement: {:?}",
                    &t.early_errors[..t.early_errors.len().min(10)]
                );
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(60),
                "[{label}] no request acknowledged within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let delay = Duration::from_millis(200 + support::random_u64() % 601);
        tokio::time::sleep(delay).await;
        killing.store(true, Ordering::SeqCst);
        server.kill();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .unwrap_or_else(|_| panic!("[{label}] a client hung after the kill"))
                .expect("client task");
        }
        let tally = std::mem::take(&mut *tally.lock().expect("tally"));
        println!(
            "[{label}] killed {} ms after the first acknowledgement: {} acknowledged, {} cut off, other answers {:?}",
            delay.as_millis(),
            tally.acked.len(),
            tally.cut_off,
            tally.statuses
        );
        assert!(
            tally.early_errors.is_empty(),
            "[{label}] errors before the kill: {:?}",
            &tally.early_errors[..tally.early_errors.len().min(10)]
        );
        assert!(
            !tally.acked.is_empty(),
            "[{label}] no request was acknowledged before the kill, so the round proves nothing"
        );
        all.extend(tally.acked);

        // What is left after the crash: the audit chain must verify.
        let out = support::cli(&site, &["audit", "verify"], None);
        assert!(
            out.ok,
            "[{label}] audit verify after kill -9 failed: {}{}",
            out.stdout, out.stderr
        );

        // Restart and find every acknowledged incident of every round so far.
        server = Server::start(&site, &[]);
        check_acked(&server, &token, &all, &label).await;
        let numbers: HashSet<&str> = all.iter().map(|a| a.number.as_str()).collect();
        assert_eq!(
            numbers.len(),
            all.len(),
            "[{label}] an incident number was handed out twice"
        );
    }
    server.kill();
    println!(
        "[{backend}] {ROUNDS} rounds, {} acknowledged incidents all present after kill -9; {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_incidents_survive_kill_9_on_sqlite() {
    crash_rounds("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_incidents_survive_kill_9_on_postgres() {
    crash_rounds("postgres").await;
}
