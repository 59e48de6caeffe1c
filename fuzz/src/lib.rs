//! Fuzz checks for meldpunt's input decoding, shared by
//!
//! - the libFuzzer targets in `fuzz/fuzz_targets/` (`cargo +nightly fuzz run <target>`), and
//! - the stable corpus replay `crates/meldpunt/tests/fuzz_corpus.rs`, which includes this file
//!   with `#[path]` and runs as part of `cargo test`.
//!
//! So this file may only use crates both have: `axum`, `meldpunt_core`, `meldpunt_store`,
//! `meldpunt_web`, `serde_json`, `jiff` (no serde derive). Every check takes raw bytes, runs the
//! decoding the web layer runs, and panics when an invariant breaks. Returning normally (with
//! "rejected" or "invalid") is fine: only panics and broken invariants are findings.

use axum::body::Body;
use axum::extract::{Form, FromRequest, Query};
use axum::http::{header, Method, Request, StatusCode, Uri};
use meldpunt_core::report::{limits, NewReport, ReportInput};
use meldpunt_core::validation::{is_plausible_email, ValidationErrors};
use meldpunt_store::incidents::{search_terms, Cursor};
use meldpunt_web::api::dto::{
    AssignRequest, CreateIncidentRequest, NoteRequest, StatusRequest, TriageRequest,
};
use meldpunt_web::api::extract::parse_json;
use meldpunt_web::api::problem::ApiError;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// The fuzz targets, which are also the corpus directories under `fuzz/corpus/`.
pub const TARGETS: [&str; 3] = ["report_form", "api_json", "register_query"];

/// Runs the check of target `name` on `data`.
pub fn check(name: &str, data: &[u8]) {
    match name {
        "report_form" => {
            report_form(data);
        }
        "api_json" => api_json(data),
        "register_query" => register_query(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// The moment the checks treat as "now" (occurrence times are bounded by it).
pub fn now() -> jiff::Timestamp {
    "2026-11-24T09:15:00Z".parse().expect("valid timestamp")
}

/// Polls a future that needs no I/O (an extractor over an in-memory body) to completion.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..64 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("extracting from an in-memory body did not complete");
}

// ---------------------------------------------------------------------------------------------
// (a) The public report form: urlencoded bytes → `ReportForm` → `ReportInput` → `NewReport`.

/// The fields of `ReportForm` in crates/web/src/ui/report.rs, in order. That struct is private
/// to the web crate: every field is `#[serde(default)] String`, unknown keys are ignored and a
/// repeated field is a deserialisation error. [`decode_report_form`] reproduces exactly that on
/// top of axum's `Form` extractor; `fuzz_corpus.rs` checks it against the running binary.
pub const REPORT_FORM_FIELDS: [&str; 10] = [
    "summary",
    "description",
    "occurred_at",
    "school_id",
    "personal_data",
    "ongoing",
    "name",
    "email",
    "phone",
    "website",
];

/// What `POST /melden` does with a body, according to the model.
#[derive(Debug)]
// The payloads are for whoever inspects an outcome; the replay test only needs the variant.
#[allow(dead_code)]
pub enum FormOutcome {
    /// The `Form` extractor rejects the body (422 from axum, plain text).
    Rejected(StatusCode),
    /// The honeypot field was filled in: 303 without storing anything.
    Honeypot,
    /// `NewReport::parse` names invalid fields: 422 with the form again.
    Invalid(ValidationErrors),
    /// A valid report: 303 to the receipt (or 422 when the named school does not exist).
    Valid(Box<NewReport>),
}

/// Decodes a form body the way `axum::Form<ReportForm>` does; `Err` is axum's rejection status.
pub fn decode_report_form(body: &[u8]) -> Result<[String; 10], StatusCode> {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/melden")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("request");
    let Form(pairs) = block_on(Form::<Vec<(String, String)>>::from_request(req, &()))
        .map_err(|r| axum::response::IntoResponse::into_response(r).status())?;
    let mut fields: [Option<String>; 10] = Default::default();
    for (key, value) in pairs {
        if let Some(i) = REPORT_FORM_FIELDS.iter().position(|f| *f == key) {
            if fields[i].is_some() {
                // serde: "duplicate field" → FailedToDeserializeFormBody.
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            }
            fields[i] = Some(value);
        }
    }
    Ok(fields.map(Option::unwrap_or_default))
}

/// Like `opt` in the report handler: trimmed, empty is absent.
fn opt(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Target `report_form`: decode, parse, check what a valid report looks like.
pub fn report_form(data: &[u8]) -> FormOutcome {
    report_form_at(data, now())
}

/// [`report_form`] with occurrence times bounded by `now`.
pub fn report_form_at(data: &[u8], now: jiff::Timestamp) -> FormOutcome {
    let f = match decode_report_form(data) {
        Ok(f) => f,
        Err(status) => {
            assert!(status.is_client_error(), "form rejection {status}");
            return FormOutcome::Rejected(status);
        }
    };
    let [summary, description, occurred_at, school_id, personal_data, ongoing, name, email, phone, website] =
        &f;
    if !website.is_empty() {
        return FormOutcome::Honeypot;
    }
    let input = ReportInput {
        summary: opt(summary),
        description,
        occurred_at: opt(occurred_at),
        school_id: opt(school_id),
        personal_data: opt(personal_data),
        ongoing: opt(ongoing),
        name: opt(name),
        email: opt(email),
        phone: opt(phone),
    };
    let parsed = NewReport::parse(&input, now);
    assert_eq!(
        parsed,
        NewReport::parse(&input, now),
        "parse is deterministic"
    );
    match parsed {
        Ok(r) => {
            check_report(&r, now);
            FormOutcome::Valid(Box::new(r))
        }
        Err(e) => {
            check_errors(&e, &REPORT_FORM_FIELDS);
            FormOutcome::Invalid(e)
        }
    }
}

fn no_controls(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// What every accepted report satisfies, whichever way it came in.
fn check_report(r: &NewReport, now: jiff::Timestamp) {
    let d = &r.description;
    assert!(!d.is_empty() && d.trim() == d, "description trimmed: {d:?}");
    assert!(
        d.chars().count() <= limits::DESCRIPTION,
        "description length"
    );
    assert!(no_controls(d), "description without control characters");
    let s = &r.summary;
    assert!(!s.trim().is_empty(), "summary present: {r:?}");
    // Given: at most SUMMARY; derived: 80 characters and an ellipsis.
    assert!(
        s.chars().count() <= limits::SUMMARY,
        "summary length: {s:?}"
    );
    assert!(no_controls(s), "summary without control characters: {s:?}");
    if let Some(t) = r.occurred_at {
        assert!(
            t <= now + jiff::SignedDuration::from_mins(5),
            "not in the future"
        );
        assert!(
            t >= now - jiff::SignedDuration::from_hours(24 * 365 * 10),
            "not before ten years ago"
        );
    }
    let rep = &r.reporter;
    for (v, max) in [
        (&rep.name, limits::NAME),
        (&rep.email, limits::EMAIL),
        (&rep.phone, limits::PHONE),
    ] {
        if let Some(v) = v {
            assert!(!v.is_empty() && v.trim() == v && v.chars().count() <= max);
            assert!(no_controls(v));
        }
    }
    if let Some(e) = &rep.email {
        assert!(is_plausible_email(e), "email {e:?}");
    }
    if let Some(p) = &rep.phone {
        assert!(
            p.chars().filter(char::is_ascii_digit).count() >= 6,
            "phone {p:?}"
        );
    }
}

/// Validation errors name known fields with `error-…` codes, and there is at least one.
fn check_errors(e: &ValidationErrors, fields: &[&str]) {
    assert!(!e.0.is_empty(), "an error names at least one field");
    for fe in &e.0 {
        assert!(fields.contains(&fe.field), "unknown field {:?}", fe.field);
        assert!(fe.code.starts_with("error-"), "code {:?}", fe.code);
    }
}

// ---------------------------------------------------------------------------------------------
// (b) The API's JSON bodies: bytes → `parse_json::<Dto>` → domain input.

/// `CreateIncidentRequest`'s fields (API names).
const CREATE_FIELDS: [&str; 19] = [
    "summary",
    "description",
    "school_id",
    "occurred_at",
    "personal_data",
    "ongoing",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "exercise",
    "kind",
    "aspects",
    "category",
    "impact",
    "urgency",
    "priority_override",
    "override_reason",
    "no_incident_reason",
    "body",
];

/// Core report field names → API names (as `REPORT_FIELDS` in crates/web/src/api/incidents.rs).
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("name", "reporter_name"),
    ("email", "reporter_email"),
    ("phone", "reporter_phone"),
    ("priority", "priority_override"),
];

/// A rejected body is 400 (malformed) or 422 naming fields, and renders as problem+json.
fn check_rejection(e: ApiError) {
    let status = e.problem.status;
    assert!(
        status == 400 || status == 422,
        "JSON rejection status {status}: {:?}",
        e.problem
    );
    if status == 422 {
        assert!(!e.problem.errors.is_empty(), "422 names a field");
        for f in &e.problem.errors {
            assert!(!f.field.is_empty() && !f.code.is_empty() && !f.message.is_empty());
        }
    }
    let res = axum::response::IntoResponse::into_response(e);
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"application/problem+json"[..])
    );
}

/// Target `api_json`: the same bytes as each request body of the API.
pub fn api_json(data: &[u8]) {
    match parse_json::<CreateIncidentRequest>(data) {
        Err(e) => check_rejection(e),
        Ok(req) => create_incident(&req),
    }
    match parse_json::<TriageRequest>(data) {
        Err(e) => check_rejection(e),
        Ok(req) => triage(&req),
    }
    for r in [
        parse_json::<AssignRequest>(data).map(|_| ()),
        parse_json::<NoteRequest>(data).map(|_| ()),
        parse_json::<StatusRequest>(data).map(|_| ()),
    ] {
        if let Err(e) = r {
            check_rejection(e);
        }
    }
}

/// `create_incident`'s mapping onto `ReportInput` (crates/web/src/api/incidents.rs).
fn create_incident(req: &CreateIncidentRequest) {
    let school = req.school_id.map(|u| u.to_string());
    let ongoing = req.ongoing.map(|b| if b { "yes" } else { "no" });
    let input = ReportInput {
        summary: req.summary.as_deref(),
        description: &req.description,
        occurred_at: req.occurred_at.as_deref(),
        school_id: school.as_deref(),
        personal_data: req.personal_data.map(|c| c.0.code()),
        ongoing,
        name: req.reporter_name.as_deref(),
        email: req.reporter_email.as_deref(),
        phone: req.reporter_phone.as_deref(),
    };
    match NewReport::parse(&input, now()) {
        Ok(r) => {
            check_report(&r, now());
            assert_eq!(r.school_id.map(|s| s.0), req.school_id, "school kept");
            assert_eq!(r.ongoing, req.ongoing, "ongoing kept");
        }
        Err(e) => {
            let api = ApiError::from(e).rename_fields(REPORT_FIELDS);
            assert_eq!(api.problem.status, 422);
            for f in &api.problem.errors {
                assert!(
                    CREATE_FIELDS.contains(&f.field.as_str()),
                    "a report error names a field the API does not have: {:?}",
                    f.field
                );
            }
        }
    }
    if let (Some(kind), Some(_), Some(impact), Some(urgency)) =
        (req.kind, req.category, req.impact, req.urgency)
    {
        priority(
            kind.0,
            impact.0,
            urgency.0,
            req.priority_override.map(|p| p.0),
            req.override_reason.as_deref(),
        );
    }
}

/// `triage_incident`'s mapping onto the domain, and the priority decision.
fn triage(req: &TriageRequest) {
    let aspects: meldpunt_core::incident::Aspects = req.aspects.into();
    assert_eq!(
        meldpunt_core::incident::Aspects::from_code(&aspects.code()),
        aspects,
        "aspects round-trip through their stored code"
    );
    priority(
        req.kind.0,
        req.impact.0,
        req.urgency.0,
        req.priority_override.map(|p| p.0),
        req.override_reason.as_deref(),
    );
}

fn priority(
    kind: meldpunt_core::incident::Kind,
    impact: meldpunt_core::incident::Impact,
    urgency: meldpunt_core::incident::Urgency,
    requested: Option<meldpunt_core::incident::Priority>,
    reason: Option<&str>,
) {
    use meldpunt_core::priority::{decide_priority, PriorityMatrix};
    let matrix = PriorityMatrix::default();
    let computed = matrix.priority_for(kind, impact, urgency);
    match decide_priority(&matrix, kind, impact, urgency, requested, reason) {
        Ok((p, kept)) => match kept {
            None => assert_eq!(p, computed, "without a reason the matrix decides"),
            Some(r) => {
                assert_eq!(Some(p), requested, "an override is what was asked");
                assert!(!r.is_empty() && r.trim() == r, "reason kept trimmed");
            }
        },
        Err(e) => {
            let api = ApiError::from(e);
            assert_eq!(api.problem.status, 422);
            assert!(!api.problem.errors.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (c) The register: the cursor decoder, the search-term splitter and the query parser.

/// Target `register_query`: the bytes as a cursor, as search text and as a query string.
pub fn register_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    cursor(&text);
    terms(&text);
    query(&text);
}

fn cursor(s: &str) {
    let Some(c) = Cursor::decode(s) else { return };
    let enc = c.encode();
    assert!(
        enc.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'-' || b.is_ascii_digit()),
        "a cursor is URL-safe: {enc:?}"
    );
    assert_eq!(Cursor::decode(&enc), Some(c), "cursor round-trip of {s:?}");
}

fn terms(s: &str) {
    let terms = search_terms(s);
    assert!(terms.len() <= 10, "at most ten terms");
    for t in &terms {
        assert!(!t.is_empty(), "no empty term from {s:?}");
        assert!(!t.contains('"'), "no quote in a term: {t:?}");
        assert_eq!(t.trim(), t, "terms are trimmed: {t:?}");
        // Terms become SQL text parameters: PostgreSQL refuses NUL in text (a 500).
        assert!(
            !t.chars().any(char::is_control),
            "no control character in a term: {t:?}"
        );
    }
    assert_eq!(terms, search_terms(s), "deterministic");
}

fn query(s: &str) {
    // As QueryPairs does: the URI first (hyper refuses what does not parse), then pairs.
    let Ok(uri) = format!("/api/v1/incidents?{s}").parse::<Uri>() else {
        return;
    };
    let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(&uri) else {
        return;
    };
    match meldpunt_web::api::incidents::parse_list_query(&pairs) {
        Ok(q) => {
            if let Some(l) = q.limit {
                assert!((1..=500).contains(&l), "limit {l}");
            }
            if let Some(c) = &q.after {
                assert_eq!(Cursor::decode(&c.encode()).as_ref(), Some(c));
            }
            if let Some(t) = &q.text {
                assert!(!t.is_empty());
                terms(t);
            }
            let mut sorted = q.statuses.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, q.statuses, "statuses sorted and unique");
        }
        Err(e) => {
            assert_eq!(e.problem.status, 400, "{:?}", e.problem);
            assert!(!e.problem.errors.is_empty(), "names the parameter");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A small deterministic mutator for the stable runner (libFuzzer brings its own).

/// Tokens worth inserting, per target.
pub fn dictionary(target: &str) -> &'static [&'static [u8]] {
    match target {
        "report_form" => &[
            b"&",
            b"=",
            b"%",
            b"%00",
            b"%0A",
            b"%FF",
            b"%E2%80%AE",
            b"+",
            b"description=",
            b"summary=",
            b"occurred_at=2026-11-24T08:30",
            b"occurred_at=2026-03-29T02:30",
            b"occurred_at=2016-11-24T09:00:00Z",
            b"school_id=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            b"personal_data=yes",
            b"ongoing=no",
            b"email=a@b.nl",
            b"phone=%2B31+6+1234+5678",
            b"website=x",
            b"name=",
        ],
        "api_json" => &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b",",
            b":",
            b"null",
            b"true",
            b"1e999",
            b"-0",
            b"\\u0000",
            b"\\ud800",
            b"\"description\":",
            b"\"kind\":\"breach\"",
            b"\"category\":\"malware\"",
            b"\"impact\":\"board\"",
            b"\"urgency\":\"education_stopped\"",
            b"\"priority_override\":\"p5\"",
            b"\"override_reason\":\" \"",
            b"\"aspects\":{\"integrity\":true}",
            b"\"school_id\":\"00000000-0000-0000-0000-000000000000\"",
            b"\"expected_version\":9223372036854775807",
        ],
        _ => &[
            b"&",
            b"=",
            b".",
            b"\"",
            b" ",
            b"%",
            b"%22",
            b"-9223372036854775808",
            b"18446744073709551616",
            b"after=",
            b"q=",
            b"status=open,closed",
            b"limit=0",
            b"sort=priority",
            b"from=2026-11-01",
            b"until=2026-02-30",
            b"include_exercises=1",
            b"0193a1b2c3d47e5f8a9b0c1d2e3f4a5b",
        ],
    }
}

/// splitmix64: small, fast, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    /// The next random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// One to four random edits of `input`: bit flips, byte changes, insertions (random bytes,
/// dictionary tokens, multi-byte UTF-8), deletions, duplications and splices with `other`.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], dict: &[&[u8]]) -> Vec<u8> {
    const MAX_LEN: usize = 64 * 1024;
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(9) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next_u64() as u8;
            }
            2 => {
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                v.splice(pos..pos, bytes);
            }
            3 | 4 if !dict.is_empty() => {
                let tok = dict[rng.below(dict.len())];
                v.splice(pos..pos, tok.iter().copied());
            }
            5 if !v.is_empty() => {
                let end = (pos + 1 + rng.below(16)).min(v.len());
                let start = pos.min(end);
                v.drain(start..end);
            }
            6 if !v.is_empty() => {
                let start = rng.below(v.len());
                let end = (start + 1 + rng.below(64)).min(v.len());
                let chunk: Vec<u8> = v[start..end].to_vec();
                let most = if rng.below(8) == 0 { 200 } else { 3 };
                let times = 1 + rng.below(most);
                for _ in 0..times {
                    v.splice(pos..pos, chunk.iter().copied());
                }
            }
            7 if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(64)).min(other.len());
                v.splice(pos..pos, other[start..end].iter().copied());
            }
            _ => {
                let chars = [
                    "é", "€", "\u{202e}", "\u{feff}", "\u{0}", "𝔘", "İ", "\r\n", "\t",
                ];
                let c = chars[rng.below(chars.len())];
                v.splice(pos..pos, c.bytes());
            }
        }
        v.truncate(MAX_LEN);
    }
    v
}
