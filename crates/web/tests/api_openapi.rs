//! The OpenAPI document: served without authentication, valid OpenAPI 3.1, and identical to the
//! committed `docs/openapi.json`.

mod api_common;

use api_common::*;
use axum::http::Method;
use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

/// Fails when the served document differs from `docs/openapi.json`.
/// `UPDATE_OPENAPI=1 scripts/with-postgres cargo test -p meldpunt-web --test api_openapi`
/// rewrites the file.
#[tokio::test]
async fn openapi_served_spec_matches_committed_file() {
    for db in meldpunt_testkit::each_backend().await {
        let backend = db.backend;
        let env = env(db).await;
        let r = call(&env.router, Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(r.status.as_u16(), 200, "{backend:?}: {}", r.text);
        assert!(r.content_type().starts_with("application/json"));
        assert_eq!(r.text, meldpunt_web::api::openapi_json());
        let path = committed_path();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, format!("{}\n", r.text)).expect("write docs/openapi.json");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed.trim_end() == r.text.trim_end(),
            "docs/openapi.json is out of date with the API code ({backend:?}). Regenerate it with \
             `UPDATE_OPENAPI=1 scripts/with-postgres cargo test -p meldpunt-web --test api_openapi` \
             (or `cargo run -p meldpunt -- openapi > docs/openapi.json`) and commit the result."
        );
    }
}

#[tokio::test]
async fn openapi_is_valid_3_1_json_with_bearer_scheme() {
    for db in meldpunt_testkit::each_backend().await {
        let env = env(db).await;
        let r = call(&env.router, Method::GET, "/api/openapi.json", None, None).await;
        let spec: serde_json::Value = serde_json::from_str(&r.text).expect("valid JSON");
        assert!(
            spec["openapi"].as_str().unwrap_or("").starts_with("3.1"),
            "{}",
            spec["openapi"]
        );
        let bearer = &spec["components"]["securitySchemes"]["bearer"];
        assert_eq!(bearer["type"], "http");
        assert_eq!(bearer["scheme"], "bearer");
        let paths = spec["paths"].as_object().expect("paths");
        for p in [
            "/api/v1/incidents",
            "/api/v1/incidents/{id}",
            "/api/v1/incidents/{id}/triage",
            "/api/v1/incidents/{id}/assign",
            "/api/v1/incidents/{id}/notes",
            "/api/v1/incidents/{id}/status",
        ] {
            let item = paths.get(p).unwrap_or_else(|| panic!("missing path {p}"));
            for (method, op) in item.as_object().expect("path item") {
                assert_eq!(
                    op["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{method} {p} declares bearer security"
                );
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses
                        .get("401")
                        .is_some_and(|r| r["content"].get("application/problem+json").is_some()),
                    "{method} {p} documents 401 as problem+json"
                );
            }
        }
        // Every $ref points at a defined schema.
        let text = r.text.clone();
        for part in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or("");
            assert!(
                spec["components"]["schemas"].get(name).is_some(),
                "dangling $ref to {name}"
            );
        }
        // Enumerations are the domain's codes.
        let kinds = &spec["components"]["schemas"]["Kind"]["enum"];
        assert!(kinds
            .as_array()
            .is_some_and(|k| k.iter().any(|v| v == "security_incident")));
    }
}
