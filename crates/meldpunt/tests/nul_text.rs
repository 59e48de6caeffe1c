//! Text with a NUL character never causes a server error. PostgreSQL refuses NUL in text values
//! (`invalid byte sequence for encoding "UTF8": 0x00`), so input that reaches the database
//! unchecked answered 500 there: a priority-override reason and the register's search text.
//! Both backends, through the built binary: every text field of the incident API, the
//! register's parameters, and the UI register's search.

mod support;

use serde_json::{json, Value};
use support::{Server, PASSWORD};

const EMAIL: &str = "servicedesk@school.nl";
const NUL: &str = "a\u{0}b";

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/incidents{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path_and_query: &str) -> u16 {
        self.http
            .get(format!("{}/api/v1/incidents{path_and_query}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
            .status()
            .as_u16()
    }
}

async fn nul_never_answers_5xx(backend: &str) {
    let (site, _guard) = support::site(backend).await;
    support::add_service_desk(&site, EMAIL);
    let token = support::create_token(&site, EMAIL);
    let server = Server::start(&site, &[]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let api = Api {
        http: http.clone(),
        base: server.base.clone(),
        token,
    };
    let triage = json!({"kind": "disruption", "category": "outage", "impact": "person",
        "urgency": "no_direct_hindrance"});
    let with = |base: &Value, field: &str, value: &str| {
        let mut v = base.clone();
        v[field] = json!(value);
        v
    };
    let (status, plain) = api.post("", &json!({"description": "Wifi valt weg"})).await;
    assert_eq!(status, 201, "[{backend}] {plain}");
    let plain = plain["id"].as_str().expect("id").to_string();
    let (status, body) = api
        .post("", &with(&triage, "description", "Printer stuk"))
        .await;
    assert_eq!(status, 201, "[{backend}] {body}");
    let triaged_id = body["id"].as_str().expect("id").to_string();

    let mut bodies: Vec<(String, Value)> = Vec::new();
    for field in [
        "summary",
        "description",
        "occurred_at",
        "reporter_name",
        "reporter_email",
        "reporter_phone",
    ] {
        let base = json!({"description": "Wifi valt weg"});
        bodies.push((String::new(), with(&base, field, NUL)));
    }
    // An override that differs from the matrix (person × no hindrance is p5), with its reason.
    let override_p1 = with(&triage, "priority_override", "p1");
    let create_override = with(&override_p1, "description", "Wifi valt weg");
    bodies.push((
        String::new(),
        with(&create_override, "override_reason", NUL),
    ));
    let create_no_incident = with(
        &with(&triage, "kind", "no_incident"),
        "description",
        "Vraag",
    );
    bodies.push((
        String::new(),
        with(&create_no_incident, "no_incident_reason", NUL),
    ));
    let p = format!("/{plain}");
    let t = format!("/{triaged_id}");
    bodies.push((
        format!("{p}/triage"),
        with(&override_p1, "override_reason", NUL),
    ));
    bodies.push((
        format!("{p}/triage"),
        with(
            &with(&triage, "kind", "no_incident"),
            "no_incident_reason",
            NUL,
        ),
    ));
    bodies.push((format!("{p}/notes"), json!({"text": NUL})));
    bodies.push((
        format!("{t}/status"),
        json!({"action": "wait", "reason": NUL}),
    ));
    bodies.push((
        format!("{t}/status"),
        json!({"action": "resolve", "resolution": NUL, "cause": "kabel"}),
    ));
    bodies.push((
        format!("{t}/status"),
        json!({"action": "resolve", "resolution": "vervangen", "cause": NUL}),
    ));
    for (path, body) in &bodies {
        let (status, answer) = api.post(path, body).await;
        assert_eq!(
            status, 422,
            "[{backend}] POST /api/v1/incidents{path} {body} refuses the NUL: {answer}"
        );
    }

    for query in [
        "?q=%00",
        "?q=a%00b",
        "?q=%22a%00b%22",
        "?q=%00%22%00",
        "?q=wifi%09%01",
    ] {
        let status = api.get(query).await;
        assert_eq!(status, 200, "[{backend}] GET /api/v1/incidents{query}");
    }
    for query in ["?after=%00", "?from=%00", "?status=%00", "/%00"] {
        let status = api.get(query).await;
        assert_eq!(status, 400, "[{backend}] GET /api/v1/incidents{query}");
    }

    // The UI register shares the search.
    let r = http
        .post(format!("{}/inloggen", server.base))
        .header("Origin", &server.base)
        .form(&[("email", EMAIL), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303, "[{backend}] login");
    for query in ["q=%00", "q=%22a%00b%22"] {
        let r = http
            .get(format!("{}/incidenten?{query}", server.base))
            .send()
            .await
            .expect("register");
        assert_eq!(
            r.status().as_u16(),
            200,
            "[{backend}] GET /incidenten?{query}"
        );
    }
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_in_text_never_answers_5xx_on_sqlite() {
    nul_never_answers_5xx("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_in_text_never_answers_5xx_on_postgres() {
    nul_never_answers_5xx("postgres").await;
}
