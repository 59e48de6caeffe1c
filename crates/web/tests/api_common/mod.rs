//! Shared setup for the API tests: two boards with people and tokens, and a request helper that
//! goes through the real router.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::{Actor, App, AppConfig, FixedClock};
use meldpunt_core::auth::Role;
use meldpunt_core::ids::{BoardId, SchoolId, UserId};
use meldpunt_testkit::TestDb;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// One board's people and their API tokens.
pub struct Board {
    pub id: BoardId,
    pub school: SchoolId,
    /// Service desk.
    pub sd: String,
    /// Incident manager.
    pub im: String,
    /// Handler.
    pub handler: String,
    pub handler_id: UserId,
    /// Data protection officer (FG).
    pub dpo: String,
}

/// A test environment on one backend.
pub struct Env {
    pub db: TestDb,
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    pub a: Board,
    pub b: Board,
}

async fn user(app: &App, board: BoardId, email: &str, role: Role) -> (UserId, String) {
    let id = app
        .add_user(
            &Actor::Cli,
            NewUser {
                email: email.into(),
                name: format!("{role} {email}"),
                password: "een-lang-genoeg-wachtwoord".into(),
                role,
                board: Some(board),
                school: None,
            },
        )
        .await
        .expect("add user");
    let (_, token) = app
        .create_api_token(&Actor::Cli, email, "test")
        .await
        .expect("token");
    (id, token)
}

async fn board(app: &App, name: &str, domain: &str) -> Board {
    let id = app.create_board(&Actor::Cli, name).await.expect("board");
    let school = app
        .add_school(&Actor::Cli, id, &format!("De Regenboog ({name})"), None)
        .await
        .expect("school");
    let (_, sd) = user(app, id, &format!("sd@{domain}"), Role::ServiceDesk).await;
    let (_, im) = user(app, id, &format!("im@{domain}"), Role::IncidentManager).await;
    let (handler_id, handler) = user(app, id, &format!("h@{domain}"), Role::Handler).await;
    let (_, dpo) = user(app, id, &format!("fg@{domain}"), Role::Dpo).await;
    Board {
        id,
        school,
        sd,
        im,
        handler,
        handler_id,
        dpo,
    }
}

/// Two boards, A and B, on a fresh database.
pub async fn env(db: TestDb) -> Env {
    let clock = meldpunt_testkit::test_clock();
    let app = meldpunt_testkit::app(&db, clock.clone(), AppConfig::default());
    let a = board(&app, "Stichting Alfa", "alfa.nl").await;
    let b = board(&app, "Stichting Beta", "beta.nl").await;
    let router = meldpunt_web::router(app.clone(), meldpunt_web::WebConfig::default());
    Env {
        db,
        app,
        clock,
        router,
        a,
        b,
    }
}

/// A response, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json response with this status; returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.text
        );
        assert_eq!(self.json["status"], status, "body: {}", self.text);
        assert!(self.json["type"].is_string(), "body: {}", self.text);
        assert!(self.json["title"].is_string(), "body: {}", self.text);
        assert!(self.json["detail"].is_string(), "body: {}", self.text);
        &self.json
    }

    /// The `field` of each entry in `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends a raw request through the router.
pub async fn send(router: &Router, req: Request<Body>) -> Resp {
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).to_string();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

/// Sends a request with an optional bearer token and an optional JSON body.
pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    send(router, req).await
}

pub async fn get(router: &Router, uri: &str, token: &str) -> Resp {
    call(router, Method::GET, uri, Some(token), None).await
}

pub async fn post(router: &Router, uri: &str, token: &str, body: Value) -> Resp {
    call(router, Method::POST, uri, Some(token), Some(body)).await
}

/// Creates an incident as `token` and returns its JSON (asserting 201).
pub async fn create(router: &Router, token: &str, body: Value) -> Value {
    let r = post(router, "/api/v1/incidents", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "create: {}", r.text);
    r.json
}
