//! Service levels through the real router (HTML UI without JavaScript, and the JSON API), on
//! SQLite and PostgreSQL: dashboard, settings, holidays, rota, acknowledgement link, iCal feed,
//! the incident's SLA box and escalation forms, access checks and CSRF.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use jiff::Timestamp;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::{Principal, Role};
use meldpunt_app::core::calendar::amsterdam;
use meldpunt_app::core::ids::{BoardId, IncidentId};
use meldpunt_app::core::incident::{
    Aspects, Category, Impact, Kind, PersonalDataAnswer, Reporter, Urgency,
};
use meldpunt_app::core::report::NewReport;
use meldpunt_app::incidents::TriageInput;
use meldpunt_app::jobs::Outcome;
use meldpunt_app::{Actor, App, AppConfig, FixedClock};
use meldpunt_testkit as kit;
use meldpunt_testkit::http::HttpReceiver;
use meldpunt_web::WebConfig;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "correct-horse-battery";

fn ams(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    amsterdam()
        .to_timestamp(jiff::civil::date(y, m, d).at(h, min, 0, 0))
        .unwrap()
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn input(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\" value=\"");
        let i = self
            .body
            .find(&needle)
            .unwrap_or_else(|| panic!("no input {name}"));
        let rest = &self.body[i + needle.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Client {
    router: Router,
    cookies: BTreeMap<String, String>,
    bearer: Option<String>,
}

impl Client {
    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Resp {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        if let Some(t) = &self.bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        for c in headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((k, v)) = c.split(';').next().unwrap_or("").split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    async fn post_json(&mut self, path: &str, v: serde_json::Value) -> Resp {
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/json"),
            Body::from(v.to_string()),
        )
        .await
    }

    async fn login(&mut self, email: &str) {
        let r = self
            .post(
                "/inloggen",
                &[("email", email), ("password", PASSWORD), ("next", "/")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {email}: {}", r.body);
    }
}

struct World {
    app: App,
    clock: Arc<FixedClock>,
    board: BoardId,
    people: BTreeMap<&'static str, Principal>,
    be: &'static str,
}

async fn world(db: &kit::TestDb) -> World {
    let clock = kit::test_clock();
    let app = kit::app(db, clock.clone(), AppConfig::default());
    let board = app
        .create_board(&Actor::Cli, "Stichting Test")
        .await
        .unwrap();
    app.add_school(&Actor::Cli, board, "De Regenboog", Some("12AB"))
        .await
        .unwrap();
    let mut people = BTreeMap::new();
    for (email, name, role) in [
        ("sd@test.nl", "Sanne Servicedesk", Role::ServiceDesk),
        ("h1@test.nl", "Hamid Behandelaar", Role::Handler),
        ("im@test.nl", "Ilse Incidentmanager", Role::IncidentManager),
        ("admin@test.nl", "Anne Beheerder", Role::Admin),
    ] {
        let id = app
            .add_user(
                &Actor::Cli,
                NewUser {
                    email: email.into(),
                    name: name.into(),
                    password: PASSWORD.into(),
                    role,
                    board: Some(board),
                    school: None,
                },
            )
            .await
            .unwrap();
        people.insert(email, app.store.principal(id).await.unwrap().unwrap());
    }
    let be = match db.backend {
        meldpunt_store::Backend::Sqlite => "sqlite",
        meldpunt_store::Backend::Postgres => "postgres",
    };
    World {
        app,
        clock,
        board,
        people,
        be,
    }
}

fn client(w: &World) -> Client {
    Client {
        router: meldpunt_web::router(w.app.clone(), WebConfig::default()),
        cookies: BTreeMap::new(),
        bearer: None,
    }
}

async fn drain(app: &App) {
    for _ in 0..200 {
        if app.run_one_job("w").await.unwrap() == Outcome::Idle {
            return;
        }
    }
}

async fn p1(w: &World, summary: &str) -> IncidentId {
    let sd = &w.people["sd@test.nl"];
    let r = w
        .app
        .report_incident(
            &Actor::User(sd),
            NewReport {
                summary: summary.into(),
                description: format!("{summary}: details"),
                occurred_at: None,
                school_id: None,
                personal_data: PersonalDataAnswer::No,
                ongoing: Some(true),
                reporter: Reporter::default(),
            },
            Some(w.board),
            false,
        )
        .await
        .unwrap();
    w.app
        .triage(
            sd,
            r.incident.id,
            TriageInput {
                kind: Kind::Disruption,
                aspects: Aspects::default(),
                category: Category::Outage,
                impact: Impact::Board,
                urgency: Urgency::EducationStopped,
                priority_override: None,
                override_reason: None,
                no_incident_reason: None,
            },
            None,
        )
        .await
        .unwrap();
    r.incident.id
}

#[tokio::test]
async fn dashboard_and_incident_box_without_javascript() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let be = w.be;
        w.clock.set(ams(2026, 11, 24, 9, 0));
        let id = p1(&w, "Server onbereikbaar").await;
        // 4 h around the clock: at risk from 12:00.
        w.clock.set(ams(2026, 11, 24, 12, 5));
        w.app.run_sla_scan().await.unwrap();
        drain(&w.app).await;

        let mut anon = client(&w);
        let r = anon.get("/sla").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}]");
        assert!(r.location().starts_with("/inloggen"));

        let mut im = client(&w);
        im.login("im@test.nl").await;
        let r = im.get("/sla").await;
        assert_eq!(r.status, StatusCode::OK, "[{be}] {}", r.body);
        assert!(r.body.contains("SLA-overzicht"));
        assert!(r.body.contains("Dreigt te verlopen"));
        assert!(r.body.contains("2026-0001"), "[{be}] the at-risk list");
        assert!(!r.body.contains("<script"), "no JavaScript");
        assert!(r.body.contains("href=\"/sla\""), "navigation");
        let r = im.get("/sla?periode=week&lang=en").await;
        assert!(r.body.contains("SLA dashboard") && r.body.contains("Per week"));
        let r = im.get("/sla?lang=nl").await;
        assert_eq!(r.status, StatusCode::OK);

        // A handler has no dashboard; the navigation does not offer it.
        let mut h = client(&w);
        h.login("h1@test.nl").await;
        assert_eq!(h.get("/sla").await.status, StatusCode::FORBIDDEN, "[{be}]");
        assert!(!h.get("/incidenten").await.body.contains("href=\"/sla\""));

        // The incident page shows the clocks, the escalation and the forms.
        let r = im.get(&format!("/incidenten/{id}")).await;
        assert!(r.body.contains("Serviceniveau (SLA)"), "[{be}]");
        assert!(r.body.contains("Oplostijd"));
        assert!(r.body.contains("Escalatie"), "timeline label");
        assert!(r.body.contains("/sla/hierarchisch"));
        let csrf = r.input("csrf");
        // Without the CSRF token nothing happens.
        let r = im
            .post(
                &format!("/incidenten/{id}/sla/hierarchisch"),
                &[("role", "board"), ("reason", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = im
            .post(
                &format!("/incidenten/{id}/sla/hierarchisch"),
                &[
                    ("csrf", &csrf),
                    ("role", "board"),
                    ("reason", "Besluit over communicatie nodig"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        let r = im.get(&format!("/incidenten/{id}")).await;
        assert!(r.body.contains("Besluit over communicatie nodig"));
        // A handler who cannot see the incident cannot escalate it.
        let hcsrf = h.get("/incidenten").await.input("csrf");
        let r = h
            .post(
                &format!("/incidenten/{id}/sla/hierarchisch"),
                &[("csrf", &hcsrf), ("role", "board"), ("reason", "x")],
            )
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "[{be}] {}",
            r.status
        );
    }
}

#[tokio::test]
async fn settings_and_holidays_forms() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let be = w.be;
        let mut admin = client(&w);
        admin.login("admin@test.nl").await;
        let r = admin.get("/sla/instellingen").await;
        assert_eq!(r.status, StatusCode::OK, "[{be}] {}", r.body);
        let csrf = r.input("csrf");
        let board = w.board.to_string();
        // Post the form back as shown, with two changes.
        let mut form: Vec<(String, String)> = Vec::new();
        for cap in r.body.split("<input ").skip(1) {
            let attr = |a: &str| {
                cap.split(&format!("{a}=\""))
                    .nth(1)
                    .map(|x| x[..x.find('"').unwrap()].to_string())
            };
            if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
                if cap.contains("type=\"checkbox\"") && !cap.contains(" checked") {
                    continue;
                }
                form.push((n, v));
            }
        }
        for cap in r.body.split("<select ").skip(1) {
            let name = cap
                .split("name=\"")
                .nth(1)
                .map(|x| x[..x.find('"').unwrap()].to_string())
                .unwrap();
            let sel = cap
                .split("<option value=\"")
                .skip(1)
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .or_else(|| cap.split("<option value=\"").nth(1))
                .map(|o| o[..o.find('"').unwrap()].to_string())
                .unwrap();
            form.push((name, sel));
        }
        form.retain(|(k, _)| k != "at_risk_percent" && k != "region");
        form.push(("at_risk_percent".into(), "80".into()));
        form.push(("region".into(), "south".into()));
        form.push((
            "webhook_hosts".into(),
            "hooks.slack.com\n*.webhook.office.com".into(),
        ));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = admin.post("/sla/instellingen", &pairs).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        let s = w.app.sla_settings(w.board).await.unwrap();
        assert_eq!(s.policy.at_risk_percent, 80);
        assert_eq!(s.region.code(), "south");
        assert_eq!(
            s.webhook_hosts,
            vec!["hooks.slack.com", "*.webhook.office.com"]
        );
        // A bad value is shown with the form and a message, nothing saved.
        let mut bad = pairs.clone();
        bad.retain(|(k, _)| *k != "at_risk_percent");
        bad.push(("at_risk_percent", "100"));
        let r = admin.post("/sla/instellingen", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
        assert!(r.body.contains("tussen 1 en 99"));
        // CSRF.
        let r = admin
            .post(
                "/sla/instellingen",
                &[("board", &board), ("region", "north")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Holidays: official list, then a CSV import.
        let r = admin.get("/sla/vakanties").await;
        assert!(r.body.contains("herfstvakantie") && r.body.contains("Rijksoverheid"));
        let r = admin
            .post(
                "/sla/vakanties/import",
                &[("csrf", &csrf), ("board", &board), ("csv", "regio;soort;van;tot;naam\nalle;studiedag;2027-03-10;2027-03-10;Studiedag team\n")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        let r = admin.get("/sla/vakanties").await;
        assert!(r.body.contains("Studiedag team") && r.body.contains("10-03-2027"));
        let r = admin
            .post(
                "/sla/vakanties/import",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("csv", "zuid;carnaval;x;y"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Onbekende soort"));
        // Channels: a host outside the allow-list is refused with a message.
        let r = admin
            .post(
                "/sla/kanalen",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "Teams"),
                    ("format", "teams"),
                    ("url", "https://evil.example/x"),
                    ("on_escalation", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
        assert!(r.body.contains("niet in de lijst"));
        let r = admin
            .post(
                "/sla/kanalen",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "Teams IT"),
                    ("format", "teams"),
                    ("url", "https://org.webhook.office.com/x"),
                    ("on_escalation", "on"),
                    ("crisis", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        assert!(admin.get("/sla/kanalen").await.body.contains("Teams IT"));
        // The signed generic format needs a secret the receiver knows.
        let r = admin
            .post(
                "/sla/kanalen",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "SIEM"),
                    ("format", "generic"),
                    ("url", "https://hooks.slack.com/x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
        assert!(r.body.contains("minstens 16 tekens"));
        assert_eq!(admin.get("/sla/bezorging").await.status, StatusCode::OK);
        // A service-desk account may not configure.
        let mut sd = client(&w);
        sd.login("sd@test.nl").await;
        assert_eq!(
            sd.get("/sla/instellingen").await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn rota_ack_link_and_ical_feed() {
    for db in kit::each_backend().await {
        let hook = HttpReceiver::start();
        let w = world(&db).await;
        let be = w.be;
        let mut s = w.app.sla_settings(w.board).await.unwrap();
        s.webhook_hosts = vec!["127.0.0.1".into()];
        w.app
            .save_sla_settings(&Actor::Cli, w.board, s)
            .await
            .unwrap();
        w.app
            .add_webhook(
                &Actor::Cli,
                w.board,
                "Piket",
                "slack",
                &format!("{}/piket", hook.base),
                None,
                false,
                true,
                false,
            )
            .await
            .unwrap();
        let mut im = client(&w);
        im.login("im@test.nl").await;
        let r = im.get("/bereikbaarheid").await;
        assert_eq!(r.status, StatusCode::OK, "[{be}]");
        let csrf = r.input("csrf");
        let board = w.board.to_string();
        let sd_id = w.people["sd@test.nl"].user_id.to_string();
        let r = im
            .post(
                "/bereikbaarheid/rooster",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("member", &sd_id),
                    ("member", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        let r = im.get("/bereikbaarheid").await;
        assert!(r.body.contains("Sanne Servicedesk"), "[{be}] on call now");
        // An override through the form.
        let im_id = w.people["im@test.nl"].user_id.to_string();
        let r = im
            .post(
                "/bereikbaarheid/vervanging",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("user", &im_id),
                    ("from_date", "28-11-2026"),
                    ("from_time", "00:00"),
                    ("until_date", "29-11-2026"),
                    ("until_time", "00:00"),
                    ("reason", "ruil"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{be}] {}", r.body);
        // iCal: the link is shown once; the feed works without login.
        let r = im
            .post(
                "/bereikbaarheid/agenda",
                &[("csrf", &csrf), ("board", &board)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let start = r
            .body
            .find("http://127.0.0.1:8080/bereikbaarheid/")
            .expect("feed link");
        let url = &r.body[start..];
        let path = url[..url.find(".ics").unwrap() + 4]
            .trim_start_matches("http://127.0.0.1:8080")
            .to_string();
        let mut anon = client(&w);
        let r = anon.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "[{be}] {path}");
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        assert!(r.body.contains("BEGIN:VEVENT") && r.body.contains("Vervanging: ruil"));
        assert_eq!(
            anon.get("/bereikbaarheid/verkeerd-token-van-voldoende-lengte.ics")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // A P1 at night alerts Sanne; the link shows a button, only the POST acknowledges.
        w.clock.set(ams(2026, 11, 25, 2, 0));
        let id = p1(&w, "Alles plat").await;
        drain(&w.app).await;
        let msgs = hook.wait_for(1, 10);
        let text = serde_json::from_slice::<serde_json::Value>(&msgs[0].body).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string();
        let link = text
            .lines()
            .find(|l| l.starts_with("Bevestigen: "))
            .unwrap()
            .trim_start_matches("Bevestigen: ");
        let path = link.trim_start_matches("http://127.0.0.1:8080").to_string();
        let r = anon.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "[{be}]");
        assert!(r.body.contains("Ik pak dit op"));
        assert!(
            w.app.store.alerts_for_incident(id).await.unwrap()[0]
                .acknowledged_at
                .is_none(),
            "GET does not acknowledge"
        );
        let mut cross = client(&w);
        let r = cross
            .send(
                Request::post(path.as_str()).header("sec-fetch-site", "cross-site"),
                Body::empty(),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "cross-site POST refused");
        let r = anon.post(&path, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Bevestigd"));
        assert!(w.app.store.alerts_for_incident(id).await.unwrap()[0]
            .acknowledged_at
            .is_some());
        assert_eq!(
            anon.get("/bereikbaarheid/bevestigen/onzin").await.status,
            StatusCode::NOT_FOUND
        );
        // The incident's timeline says who acknowledged (a new session: the night passed).
        let mut im = client(&w);
        im.login("im@test.nl").await;
        let r = im.get(&format!("/incidenten/{id}")).await;
        assert!(
            r.body.contains("Alarm bevestigd door Sanne Servicedesk"),
            "[{be}]"
        );
    }
}

#[tokio::test]
async fn api_sla_endpoints() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let be = w.be;
        w.clock.set(ams(2026, 11, 24, 9, 0));
        let id = p1(&w, "Wifi weg").await;
        w.clock.set(ams(2026, 11, 24, 12, 5));
        w.app.run_sla_scan().await.unwrap();
        let (_, token) = w
            .app
            .create_api_token(&Actor::Cli, "im@test.nl", "test")
            .await
            .unwrap();
        let mut api = client(&w);
        assert_eq!(
            api.get(&format!("/api/v1/incidents/{id}/sla")).await.status,
            StatusCode::UNAUTHORIZED
        );
        api.bearer = Some(token);
        let r = api.get(&format!("/api/v1/incidents/{id}/sla")).await;
        assert_eq!(r.status, StatusCode::OK, "[{be}] {}", r.body);
        let v = r.json();
        assert_eq!(v["priority"], "p1");
        assert_eq!(v["clock"], "around_the_clock");
        assert_eq!(v["response"]["state"], "met");
        assert_eq!(v["resolution"]["state"], "at_risk");
        assert_eq!(v["resolution"]["due_at"], "2026-11-24T12:00:00Z");
        let r = api.get("/api/v1/sla/dashboard?period=week").await;
        assert_eq!(r.status, StatusCode::OK, "[{be}] {}", r.body);
        let v = r.json();
        assert_eq!(v["totals"]["at_risk"], 1);
        assert_eq!(v["at_risk"][0]["number"], "2026-0001");
        assert_eq!(v["periods"].as_array().unwrap().len(), 8);
        assert_eq!(
            api.get("/api/v1/sla/dashboard?period=year").await.status,
            StatusCode::BAD_REQUEST
        );
        let r = api.get("/api/v1/oncall").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["now"], serde_json::Value::Null);
        let sd = w.people["sd@test.nl"].user_id.to_string();
        let r = api
            .post_json(
                &format!("/api/v1/incidents/{id}/escalations"),
                serde_json::json!({"kind": "functional", "to_user_id": sd, "reason": "Kennis van het netwerk nodig"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{be}] {}", r.body);
        let r = api
            .post_json(
                &format!("/api/v1/incidents/{id}/escalations"),
                serde_json::json!({"kind": "sideways", "reason": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = api
            .post_json(
                &format!("/api/v1/incidents/{id}/oncall/acknowledge"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["acknowledged"], false);
        // A handler's token: no dashboard.
        let (_, ht) = w
            .app
            .create_api_token(&Actor::Cli, "h1@test.nl", "h")
            .await
            .unwrap();
        api.bearer = Some(ht);
        assert_eq!(
            api.get("/api/v1/sla/dashboard").await.status,
            StatusCode::FORBIDDEN,
            "[{be}]"
        );
    }
}
