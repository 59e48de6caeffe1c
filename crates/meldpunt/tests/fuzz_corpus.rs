//! Fuzzing on the stable toolchain, as part of `cargo test`: replays the committed seed corpus
//! of every cargo-fuzz target (`fuzz/corpus/<target>/`) through the same checks the libFuzzer
//! targets run (`fuzz/src/lib.rs`), then a bounded number of random mutations of it.
//!
//! - `MELDPUNT_FUZZ_ITERS` — mutations per target (default 20000, about half a second each);
//! - `MELDPUNT_FUZZ_SEED` — the seed (default: random, printed), to reproduce a failure.
//!
//! A failing input is written to `target/fuzz-failures/<target>-<seed>-<n>`; reproduce it with
//! `cargo +nightly fuzz run <target> <file>` in `fuzz/`, or with the seed printed here.
//!
//! The report-form model (`decode_report_form`, which reproduces the web crate's private
//! `ReportForm`) is also checked against the running binary: the corpus and mutations of it are
//! posted to `/melden`, and the answer must be what the model predicts — and never a 5xx.

mod support;

#[path = "../../../fuzz/src/lib.rs"]
mod fuzz;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The seed corpus of one target, sorted by file name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo_root().join("fuzz/corpus").join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| {
            let p = e.expect("corpus entry").path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("read corpus file"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fuzz/corpus/{target} holds a seed corpus");
    files
}

fn seed() -> u64 {
    std::env::var("MELDPUNT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(support::random_u64)
}

fn iterations() -> usize {
    std::env::var("MELDPUNT_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20_000)
}

/// Runs `fuzz::check(target, input)`; on a panic saves the input and fails naming it.
fn run_one(target: &str, input: &[u8], what: &str, seed: u64) {
    let result = std::panic::catch_unwind(|| fuzz::check(target, input));
    if result.is_err() {
        let dir = repo_root().join("target/fuzz-failures");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!(
            "{target}-{seed}-{}",
            what.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        let _ = std::fs::write(&file, input);
        panic!(
            "fuzz target {target} failed on {what} (MELDPUNT_FUZZ_SEED={seed}); input saved to {}: {:?}",
            file.display(),
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn seed_corpus_and_mutations_hold_the_invariants() {
    let seed = seed();
    let iters = iterations();
    println!("fuzz replay: MELDPUNT_FUZZ_SEED={seed}, {iters} mutations per target");
    for target in fuzz::TARGETS {
        let started = Instant::now();
        let files = corpus(target);
        for (name, data) in &files {
            run_one(target, data, name, seed);
        }
        let dict = fuzz::dictionary(target);
        let mut rng = fuzz::Rng(seed ^ target.len() as u64);
        let mut last: Vec<u8> = files[0].1.clone();
        for n in 0..iters {
            // Mostly from a seed, sometimes stacking on the previous mutant.
            let base = if rng.below(4) == 0 {
                last.clone()
            } else {
                files[rng.below(files.len())].1.clone()
            };
            let other = &files[rng.below(files.len())].1;
            let input = fuzz::mutate(&mut rng, &base, other, dict);
            run_one(target, &input, &format!("mutation {n}"), seed);
            last = input;
        }
        println!(
            "fuzz replay {target}: {} seeds + {iters} mutations in {:.2} s",
            files.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

/// What the server may answer according to the model at moment `now`.
fn expected(body: &[u8], now: jiff::Timestamp) -> Vec<u16> {
    match fuzz::report_form_at(body, now) {
        fuzz::FormOutcome::Rejected(s) => vec![s.as_u16()],
        fuzz::FormOutcome::Honeypot => vec![303],
        fuzz::FormOutcome::Invalid(_) => vec![422],
        // A well-formed school id that does not exist is refused by the use case.
        fuzz::FormOutcome::Valid(r) if r.school_id.is_some() => vec![303, 422],
        fuzz::FormOutcome::Valid(_) => vec![303],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_form_model_matches_the_running_server() {
    const MUTATIONS: usize = 400;
    let started = Instant::now();
    let (site, _guard) = support::site("sqlite").await;
    let server = support::Server::start(&site, &["--report-rate", "1000000"]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let seed = seed();
    let files = corpus("report_form");
    let mut inputs: Vec<(String, Vec<u8>)> = files.clone();
    let mut rng = fuzz::Rng(seed.rotate_left(17));
    for n in 0..MUTATIONS {
        let base = &files[rng.below(files.len())].1;
        let other = &files[rng.below(files.len())].1;
        let m = fuzz::mutate(&mut rng, base, other, fuzz::dictionary("report_form"));
        inputs.push((format!("mutation {n}"), m));
    }
    let mut mismatches = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (name, body) in &inputs {
        if body.len() > 60 * 1024 {
            continue; // the UI's body limit is 64 KiB
        }
        let before = jiff::Timestamp::now();
        let r = http
            .post(format!("{}/melden", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /melden with {name}: {e}"));
        let after = jiff::Timestamp::now();
        let status = r.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        let text = r.text().await.unwrap_or_default();
        let mut allowed = expected(body, before);
        allowed.extend(expected(body, after));
        if status >= 500 || !allowed.contains(&status) {
            mismatches.push(format!(
                "{name}: server {status}, model {allowed:?}; body {:?}; answer {:?}",
                String::from_utf8_lossy(body),
                text.chars().take(300).collect::<String>()
            ));
        }
    }
    println!(
        "report form: {} inputs posted (answers {statuses:?}), model and server agree on {}; {:.1} s (MELDPUNT_FUZZ_SEED={seed})",
        inputs.len(),
        inputs.len() - mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        mismatches.is_empty(),
        "the report-form model disagrees with the server (MELDPUNT_FUZZ_SEED={seed}):\n{}",
        mismatches.join("\n")
    );
}
