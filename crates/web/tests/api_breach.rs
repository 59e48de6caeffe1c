//! The breach endpoints through the router, on SQLite and PostgreSQL: the walk-through, the
//! assessment of a known case, and access per role.

mod api_common;

use api_common::*;
use axum::http::Method;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::Role;
use meldpunt_app::Actor;
use serde_json::{json, Value};

async fn token(e: &Env, role: Role, email: &str) -> String {
    e.app
        .add_user(
            &Actor::Cli,
            NewUser {
                email: email.into(),
                name: format!("{role}"),
                password: "een-lang-genoeg-wachtwoord".into(),
                role,
                board: Some(e.a.id),
                school: None,
            },
        )
        .await
        .unwrap();
    e.app
        .create_api_token(&Actor::Cli, email, "t")
        .await
        .unwrap()
        .1
}

async fn put(e: &Env, uri: &str, token: &str, body: Value) -> Resp {
    call(&e.router, Method::PUT, uri, Some(token), Some(body)).await
}

#[tokio::test]
async fn usb_stick_walk_through_and_assessment() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let ibp = token(&e, Role::IbpOfficer, "ibp@alfa.nl").await;
        let i = create(
            &e.router,
            &ibp,
            json!({
                "summary": "USB-stick met zorgdossiers verloren in de trein",
                "description": "Een leerkracht is een USB-stick met zorgdossiers van groep 6 kwijtgeraakt in de trein.",
                "school_id": e.a.school.to_string(),
                "personal_data": "yes",
                "kind": "breach",
                "category": "lost_device",
                "impact": "school",
                "urgency": "education_hindered",
                "aspects": {"confidentiality": true}
            }),
        )
        .await;
        let base = format!("/api/v1/incidents/{}/breach", i["id"].as_str().unwrap());
        let r = get(&e.router, &base, &ibp).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["access"], "edit");
        assert_eq!(r.json["deadline"]["at"], "2026-11-27T09:15:00Z");
        assert_eq!(
            r.json["deadline"]["local"],
            "vrijdag 27 november 2026 om 10:15"
        );
        assert_eq!(r.json["decision_open"], true);
        assert_eq!(r.json["facts"]["incident_kind"], "device_lost_or_stolen");
        let version = r.json["version"].as_i64().unwrap();
        let r = put(
            &e,
            &base,
            &ibp,
            json!({
                "expected_version": version,
                "facts": {
                    "natures": ["read_by_unauthorised"],
                    "incident_kind": "device_lost_or_stolen",
                    "summary": "Onversleutelde USB-stick met zorgdossiers verloren in de trein.",
                    "groups": ["pupils"],
                    "people": {"exact": 28},
                    "data_categories": ["name", "date_of_birth", "pupil_care_data"],
                    "records": 28,
                    "prior_measure": "none",
                    "discovered_at": "2026-11-24T07:50:00Z"
                }
            }),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        // Unknown codes are 422 with the field named.
        let bad = put(&e, &base, &ibp, json!({"facts": {"natures": ["lost"]}})).await;
        bad.problem(422);
        let a = get(&e.router, &format!("{base}/assessment"), &ibp).await;
        assert_eq!(a.status.as_u16(), 200, "{}", a.text);
        assert_eq!(a.json["severity"]["score"], 4.5, "{}", a.text);
        assert_eq!(a.json["severity"]["level"], "very_high");
        assert_eq!(a.json["severity"]["ap_severity"], "zeer groot");
        assert_eq!(a.json["suggestion"], "notify_authority_and_data_subjects");
        let codes: Vec<&str> = a.json["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "care_data",
                "children",
                "confidentiality_lost",
                "enisa_severity"
            ]
        );
        assert!(a.json["reasons"][1]["text"]
            .as_str()
            .unwrap()
            .contains("kinderen"));
        assert_eq!(a.json["deadline"]["seconds_left"], 72 * 3600);
        // Risk answers change the assessment: the key of an encrypted stick was safe.
        let r = put(
            &e,
            &format!("{base}/risk-answers"),
            &ibp,
            json!({"key_safe": true}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(
            r.json["suggestion"], "notify_authority_and_data_subjects",
            "no prior encryption, so key_safe changes nothing"
        );
        // Decision: "no" needs reasoning.
        let r = post(
            &e.router,
            &format!("{base}/decision"),
            &ibp,
            json!({"notify": false}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), vec!["reasoning"]);
        let r = post(
            &e.router,
            &format!("{base}/decision"),
            &ibp,
            json!({"notify": true}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["notify_decision"]["notify"], true);
        let r = post(
            &e.router,
            &format!("{base}/ap-notification"),
            &ibp,
            json!({"notified_at": "2026-11-24T09:15:00Z", "reference": "M-2026-0042", "is_final": false}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["ap_notification"]["reference"], "M-2026-0042");
        assert_eq!(r.json["decision_open"], false);
        let r = post(
            &e.router,
            &format!("{base}/data-subjects"),
            &ibp,
            json!({"inform": false}),
        )
        .await;
        r.problem(422);
        let r = post(
            &e.router,
            &format!("{base}/data-subjects"),
            &ibp,
            json!({"inform": true, "informed_at": "2026-11-24T09:00:00Z", "channel": "letter", "count": 28}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["inform_data_subjects"], true);
        // Awareness changes need a reason.
        let r = post(
            &e.router,
            &format!("{base}/awareness"),
            &ibp,
            json!({"awareness_at": "2026-11-24T08:00:00Z", "reason": ""}),
        )
        .await;
        r.problem(422);
        let r = post(&e.router, &format!("{base}/awareness"), &ibp, json!({"awareness_at": "2026-11-24T08:00:00Z", "reason": "Melding kwam al om 09:00 binnen per telefoon."})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["deadline"]["at"], "2026-11-27T08:00:00Z");
    }
}

#[tokio::test]
async fn breach_access_per_role_over_the_api() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let ibp = token(&e, Role::IbpOfficer, "ibp@alfa.nl").await;
        let board = token(&e, Role::BoardMember, "bestuur@alfa.nl").await;
        let i = create(
            &e.router,
            &ibp,
            json!({
                "summary": "Lijst met adressen op de website",
                "description": "Een lijst met adressen van leerlingen stond een dag op de website.",
                "school_id": e.a.school.to_string(),
                "personal_data": "yes",
                "kind": "breach",
                "category": "published_by_mistake",
                "impact": "school",
                "urgency": "no_direct_hindrance"
            }),
        )
        .await;
        let id = i["id"].as_str().unwrap();
        // The handler is assigned but still sees no breach record (suppliers neither).
        let r = post(
            &e.router,
            &format!("/api/v1/incidents/{id}/assign"),
            &e.a.im,
            json!({"assignee_id": e.a.handler_id.to_string()}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        let base = format!("/api/v1/incidents/{id}/breach");
        let sd = get(&e.router, &base, &e.a.sd).await;
        assert_eq!(sd.status.as_u16(), 200, "{}", sd.text);
        assert_eq!(sd.json["access"], "existence");
        assert!(sd.json["facts"].is_null() && sd.json["assessment"].is_null());
        get(&e.router, &format!("{base}/assessment"), &e.a.sd)
            .await
            .problem(403);
        get(&e.router, &base, &e.a.handler).await.problem(403);
        get(&e.router, &format!("{base}/assessment"), &e.a.handler)
            .await
            .problem(403);
        get(&e.router, &base, &e.b.sd).await.problem(404);
        let fg = get(&e.router, &base, &e.a.dpo).await;
        assert_eq!(fg.json["access"], "advise", "{}", fg.text);
        assert!(fg.json["assessment"].is_object());
        put(&e, &base, &e.a.dpo, json!({"facts": {}}))
            .await
            .problem(403);
        post(
            &e.router,
            &format!("{base}/decision"),
            &e.a.dpo,
            json!({"notify": true}),
        )
        .await
        .problem(403);
        let r = post(
            &e.router,
            &format!("{base}/fg-advice"),
            &e.a.dpo,
            json!({"advice": "Melden; adressen van kinderen."}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["fg_advice"], "Melden; adressen van kinderen.");
        let b = get(&e.router, &base, &board).await;
        assert_eq!(b.json["access"], "read", "{}", b.text);
        put(&e, &base, &board, json!({"facts": {}}))
            .await
            .problem(403);
        let im = put(
            &e,
            &base,
            &e.a.im,
            json!({"facts": {"natures": ["read_by_unauthorised"]}}),
        )
        .await;
        assert_eq!(im.status.as_u16(), 200, "{}", im.text);
        // Unauthenticated.
        let r = call(&e.router, Method::GET, &base, None, None).await;
        r.problem(401);
    }
}
