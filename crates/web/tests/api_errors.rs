//! Malformed input, authentication, authorisation and board separation: always a 4xx
//! `application/problem+json`, never a 5xx or text/plain. On SQLite and PostgreSQL.

mod api_common;

use api_common::*;
use axum::body::Body;
use axum::http::{header, Method, Request};
use meldpunt_app::Actor;
use serde_json::json;

fn raw(
    method: Method,
    uri: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(body.into()).expect("request")
}

#[tokio::test]
async fn malformed_input_gives_4xx_problem_json() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let t = e.a.sd.as_str();
        let i = create(&e.router, t, json!({"description": "Beamer kapot"})).await;
        let status_uri = format!("/api/v1/incidents/{}/status", i["id"].as_str().unwrap());
        let json_ct = Some("application/json");
        // JSON syntax error.
        let r = send(
            &e.router,
            raw(
                Method::POST,
                "/api/v1/incidents",
                t,
                json_ct,
                "{\"description\": ",
            ),
        )
        .await;
        r.problem(400);
        let r = send(
            &e.router,
            raw(
                Method::POST,
                "/api/v1/incidents",
                t,
                json_ct,
                "{\"description\": \"x\"} trailing",
            ),
        )
        .await;
        r.problem(400);
        // Missing body, with and without a content type.
        let r = send(
            &e.router,
            raw(Method::POST, "/api/v1/incidents", t, json_ct, ""),
        )
        .await;
        r.problem(400);
        let r = send(
            &e.router,
            raw(Method::POST, "/api/v1/incidents", t, None, ""),
        )
        .await;
        r.problem(415);
        // Wrong content type.
        let r = send(
            &e.router,
            raw(
                Method::POST,
                "/api/v1/incidents",
                t,
                Some("text/plain"),
                "{\"description\": \"x\"}",
            ),
        )
        .await;
        r.problem(415);
        let r = send(
            &e.router,
            raw(
                Method::POST,
                "/api/v1/incidents",
                t,
                Some("application/x-www-form-urlencoded"),
                "description=x",
            ),
        )
        .await;
        r.problem(415);
        // `application/json; charset=utf-8` is fine.
        let r = send(
            &e.router,
            raw(
                Method::POST,
                "/api/v1/incidents",
                t,
                Some("application/json; charset=utf-8"),
                "{\"description\": \"x\"}",
            ),
        )
        .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        // A JSON value that is not an object.
        post(&e.router, "/api/v1/incidents", t, json!([1, 2]))
            .await
            .problem(422);
        // Wrong field types.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": 42}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["description"]);
        assert_eq!(r.json["errors"][0]["code"], "invalid_type");
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": "x", "ongoing": "misschien"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["ongoing"]);
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": "x", "school_id": "geen-uuid"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["school_id"]);
        // Missing required field and unknown field.
        let r = post(&e.router, "/api/v1/incidents", t, json!({"summary": "x"})).await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["description"]);
        assert_eq!(r.json["errors"][0]["code"], "required");
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": "x", "summmary": "typo"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["summmary"]);
        assert_eq!(r.json["errors"][0]["code"], "unknown_field");
        // Unknown enumeration values.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": "x", "personal_data": "misschien"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["personal_data"]);
        assert_eq!(r.json["errors"][0]["code"], "invalid_value");
        let r = post(&e.router, &status_uri, t, json!({"action": "explode"})).await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["action"]);
        let r = post(&e.router, &status_uri, t, json!({})).await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["action"]);
        let triage_uri = status_uri.replace("/status", "/triage");
        let r = post(
            &e.router,
            &triage_uri,
            t,
            json!({"kind": "rampje", "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["kind"]);
        let r = post(
            &e.router,
            &triage_uri,
            t,
            json!({"kind": "disruption", "aspects": {"availability": "ja"}, "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["aspects.availability"]);
        // Bad path ids.
        get(&e.router, "/api/v1/incidents/not-a-uuid", t)
            .await
            .problem(400);
        get(&e.router, "/api/v1/incidents/2026-abc", t)
            .await
            .problem(400);
        post(
            &e.router,
            "/api/v1/incidents/12345/notes",
            t,
            json!({"text": "x"}),
        )
        .await
        .problem(400);
        // Too large.
        let big = json!({"description": "x".repeat(300 * 1024)});
        post(&e.router, "/api/v1/incidents", t, big)
            .await
            .problem(413);
        // Too long for the field, but within the body limit.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            t,
            json!({"description": "x".repeat(10_001)}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.json["errors"][0]["code"], "too_long");
        // Unknown path and wrong method under /api.
        get(&e.router, "/api/v1/nothing-here", t).await.problem(404);
        call(
            &e.router,
            Method::DELETE,
            "/api/v1/incidents",
            Some(t),
            None,
        )
        .await
        .problem(405);
        call(
            &e.router,
            Method::PUT,
            &status_uri,
            Some(t),
            Some(json!({})),
        )
        .await
        .problem(405);
        // Note text empty.
        let note_uri = status_uri.replace("/status", "/notes");
        let r = post(&e.router, &note_uri, t, json!({"text": "  "})).await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["text"]);
    }
}

#[tokio::test]
async fn authentication_401_with_bearer_challenge() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        // No token.
        let r = call(&e.router, Method::GET, "/api/v1/incidents", None, None).await;
        r.problem(401);
        let challenge = r.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        let r = call(
            &e.router,
            Method::POST,
            "/api/v1/incidents",
            None,
            Some(json!({"description": "x"})),
        )
        .await;
        r.problem(401);
        // Unknown token, wrong scheme.
        let r = get(&e.router, "/api/v1/incidents", "mp_onzin").await;
        r.problem(401);
        assert!(r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
        let req = Request::builder()
            .uri("/api/v1/incidents")
            .header(header::AUTHORIZATION, format!("Basic {}", e.a.sd))
            .body(Body::empty())
            .unwrap();
        send(&e.router, req).await.problem(401);
        // A revoked token.
        let (id, token) = e
            .app
            .create_api_token(&Actor::Cli, "im@alfa.nl", "tijdelijk")
            .await
            .unwrap();
        assert_eq!(
            get(&e.router, "/api/v1/incidents", &token)
                .await
                .status
                .as_u16(),
            200
        );
        e.app.revoke_api_token(&Actor::Cli, id).await.unwrap();
        let r = get(&e.router, "/api/v1/incidents", &token).await;
        r.problem(401);
        assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
        // The spec is public.
        let r = call(&e.router, Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(r.status.as_u16(), 200);
    }
}

#[tokio::test]
async fn forbidden_403_for_roles_that_may_not() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        // The FG (dpo) and a handler may not create incidents.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.dpo,
            json!({"description": "x"}),
        )
        .await;
        assert_eq!(r.problem(403)["type"], "urn:meldpunt:problem:forbidden");
        post(
            &e.router,
            "/api/v1/incidents",
            &e.a.handler,
            json!({"description": "x"}),
        )
        .await
        .problem(403);
        // The service desk may create but not evaluate.
        let i = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Wifi weg", "personal_data": "no"}),
        )
        .await;
        let base = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
        post(
            &e.router,
            &format!("{base}/status"),
            &e.a.sd,
            json!({"action": "evaluate", "evaluation": "x"}),
        )
        .await
        .problem(403);
        // The dpo may not see (nor triage) a disruption of their own board: 403, not 404.
        get(&e.router, &base, &e.a.dpo).await.problem(403);
        post(
            &e.router,
            &format!("{base}/triage"),
            &e.a.dpo,
            json!({"kind": "disruption", "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
        )
        .await
        .problem(403);
    }
}

#[tokio::test]
async fn boards_are_separated() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let mine = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Alfa: beamer kapot"}),
        )
        .await;
        let theirs = create(
            &e.router,
            &e.b.sd,
            json!({"description": "Beta: printer kapot", "school_id": e.b.school.to_string()}),
        )
        .await;
        let theirs_id = theirs["id"].as_str().unwrap();
        // Board A's token gets 404 on board B's incident, by id and by number, for reads and writes.
        get(
            &e.router,
            &format!("/api/v1/incidents/{theirs_id}"),
            &e.a.im,
        )
        .await
        .problem(404);
        let r = get(&e.router, "/api/v1/incidents/2026-0001", &e.a.im).await;
        assert_eq!(
            r.json["id"], mine["id"],
            "the number resolves within the caller's board"
        );
        for (path, body) in [
            (
                "triage",
                json!({"kind": "disruption", "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
            ),
            ("assign", json!({"assignee_id": e.b.handler_id.to_string()})),
            ("notes", json!({"text": "gluren"})),
            ("status", json!({"action": "contain"})),
        ] {
            post(
                &e.router,
                &format!("/api/v1/incidents/{theirs_id}/{path}"),
                &e.a.im,
                body,
            )
            .await
            .problem(404);
        }
        // B's incidents never appear in A's register, whatever the filters.
        for query in [
            "",
            "?include_exercises=true",
            "?q=printer",
            "?status=open",
            "?sort=priority",
        ] {
            let r = get(&e.router, &format!("/api/v1/incidents{query}"), &e.a.im).await;
            let ids: Vec<&str> = r.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap())
                .collect();
            assert!(!ids.contains(&theirs_id), "{query}: {ids:?}");
        }
        let r = get(
            &e.router,
            &format!("/api/v1/incidents?school_id={}", e.b.school),
            &e.a.im,
        )
        .await;
        assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
        // A cannot create in B's school, nor assign B's people.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({"description": "x", "school_id": e.b.school.to_string()}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["school_id"]);
        let mine_id = mine["id"].as_str().unwrap();
        post(
            &e.router,
            &format!("/api/v1/incidents/{mine_id}/triage"),
            &e.a.im,
            json!({"kind": "disruption", "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
        )
        .await;
        let r = post(
            &e.router,
            &format!("/api/v1/incidents/{mine_id}/assign"),
            &e.a.im,
            json!({"assignee_id": e.b.handler_id.to_string()}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["assignee_id"]);
    }
}
