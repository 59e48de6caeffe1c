//! The incident endpoints end to end through the router, on SQLite and PostgreSQL.

mod api_common;

use api_common::*;
use serde_json::json;

#[tokio::test]
async fn create_returns_201_with_number_and_location() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({
                "description": "De printer in de hal print leerlinglijsten uit\nal de hele ochtend",
                "school_id": e.a.school.to_string(),
                "occurred_at": "2026-11-24T08:30:00+01:00",
                "personal_data": "yes",
                "ongoing": true,
                "reporter_name": "Juf Anna",
                "reporter_email": "anna@alfa.nl",
                "reporter_phone": "06-12345678"
            }),
        )
        .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        assert!(r.content_type().starts_with("application/json"));
        let i = &r.json;
        assert_eq!(i["number"], "2026-0001");
        assert_eq!(i["status"], "reported");
        assert_eq!(
            i["summary"],
            "De printer in de hal print leerlinglijsten uit"
        );
        assert_eq!(i["personal_data"], "yes");
        assert_eq!(i["ongoing"], true);
        assert_eq!(i["reporter"]["email"], "anna@alfa.nl");
        assert_eq!(i["board_id"], e.a.id.to_string());
        assert_eq!(i["school_id"], e.a.school.to_string());
        assert_eq!(i["classification"], serde_json::Value::Null);
        assert_eq!(i["timestamps"]["occurred_at"], "2026-11-24T07:30:00Z");
        assert_eq!(i["timestamps"]["reported_at"], "2026-11-24T09:15:00Z");
        assert_eq!(i["exercise"], false);
        assert_eq!(i["version"], 1);
        let id = i["id"].as_str().expect("id");
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/api/v1/incidents/{id}")
        );
        // Numbers count up per board.
        let second = create(&e.router, &e.a.im, json!({"description": "Wifi valt uit"})).await;
        assert_eq!(second["number"], "2026-0002");
        let other_board = create(&e.router, &e.b.sd, json!({"description": "Wifi valt uit"})).await;
        assert_eq!(other_board["number"], "2026-0001");
    }
}

#[tokio::test]
async fn create_validates_like_the_form() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({
                "description": "   ",
                "reporter_email": "geen-adres",
                "reporter_phone": "abc",
                "occurred_at": "2030-01-01T00:00:00Z"
            }),
        )
        .await;
        let p = r.problem(422);
        assert_eq!(p["type"], "urn:meldpunt:problem:validation");
        let fields = r.error_fields();
        for f in [
            "description",
            "reporter_email",
            "reporter_phone",
            "occurred_at",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
        let desc = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["field"] == "description")
            .unwrap();
        assert_eq!(desc["code"], "required");
        assert_eq!(desc["message"], "This field is required.");
        // Unknown school.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({"description": "x", "school_id": e.b.school.to_string()}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["school_id"]);
        // Nothing was created.
        let list = get(&e.router, "/api/v1/incidents", &e.a.im).await;
        assert_eq!(list.json["items"].as_array().unwrap().len(), 0);
    }
}

#[tokio::test]
async fn create_with_kind_triages_or_names_missing_fields() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        // kind without category/impact/urgency: 422 and nothing created.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({"description": "Phishingmail ontvangen", "kind": "cyber_incident"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["category", "impact", "urgency"]);
        // triage fields without kind.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({"description": "Phishingmail ontvangen", "category": "phishing"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["kind"]);
        let list = get(&e.router, "/api/v1/incidents", &e.a.im).await;
        assert_eq!(
            list.json["items"].as_array().unwrap().len(),
            0,
            "{}",
            list.text
        );
        // Complete: created and triaged; cyber incidents are at least P2.
        let i = create(
            &e.router,
            &e.a.sd,
            json!({
                "description": "Phishingmail ontvangen",
                "kind": "cyber_incident",
                "aspects": {"confidentiality": true},
                "category": "phishing",
                "impact": "person",
                "urgency": "no_direct_hindrance"
            }),
        )
        .await;
        assert_eq!(i["status"], "registered");
        assert_eq!(i["classification"]["kind"], "cyber_incident");
        assert_eq!(i["classification"]["priority"], "p2");
        assert_eq!(i["classification"]["aspects"]["confidentiality"], true);
        assert_eq!(i["classification"]["aspects"]["availability"], false);
        assert_eq!(i["number"], "2026-0001");
        // Override without reason: 422 before creating.
        let r = post(
            &e.router,
            "/api/v1/incidents",
            &e.a.sd,
            json!({
                "description": "Storing",
                "kind": "disruption",
                "category": "outage",
                "impact": "person",
                "urgency": "no_direct_hindrance",
                "priority_override": "p1"
            }),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["override_reason"]);
        let list = get(&e.router, "/api/v1/incidents", &e.a.im).await;
        assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn get_by_id_and_by_number() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let i = create(&e.router, &e.a.sd, json!({"description": "Beamer kapot"})).await;
        let id = i["id"].as_str().unwrap();
        let by_id = get(&e.router, &format!("/api/v1/incidents/{id}"), &e.a.sd).await;
        assert_eq!(by_id.status.as_u16(), 200, "{}", by_id.text);
        assert_eq!(by_id.json["id"], id);
        assert_eq!(by_id.json["number"], "2026-0001");
        let events = by_id.json["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "reported");
        assert_eq!(events[0]["at"], "2026-11-24T09:15:00Z");
        assert_eq!(events[0]["details"]["number"], "2026-0001");
        assert_eq!(by_id.json["allowed"]["triage"], true);
        let by_number = get(&e.router, "/api/v1/incidents/2026-0001", &e.a.sd).await;
        assert_eq!(by_number.status.as_u16(), 200, "{}", by_number.text);
        assert_eq!(by_number.json["id"], id);
        // Unknown number and unknown id.
        get(&e.router, "/api/v1/incidents/2026-0099", &e.a.sd)
            .await
            .problem(404);
        get(
            &e.router,
            "/api/v1/incidents/0193a1b2-0000-7000-8000-000000000000",
            &e.a.sd,
        )
        .await
        .problem(404);
    }
}

#[tokio::test]
async fn full_lifecycle_through_close() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let i = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Wifi valt uit in lokaal 12"}),
        )
        .await;
        let base = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
        // Triage.
        let r = post(
            &e.router,
            &format!("{base}/triage"),
            &e.a.sd,
            json!({
                "kind": "disruption",
                "aspects": {"availability": true, "integrity": false, "confidentiality": false},
                "category": "outage",
                "impact": "school",
                "urgency": "education_hindered",
                "expected_version": 1
            }),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["status"], "registered");
        assert_eq!(r.json["classification"]["priority"], "p2");
        assert_eq!(
            r.json["timestamps"]["registered_at"],
            "2026-11-24T09:15:00Z"
        );
        let v = r.json["version"].as_i64().unwrap();
        // A stale version: 409.
        post(
            &e.router,
            &format!("{base}/assign"),
            &e.a.sd,
            json!({"assignee_id": e.a.handler_id.to_string(), "expected_version": v - 1}),
        )
        .await
        .problem(409);
        // Assign (by number).
        let r = post(
            &e.router,
            "/api/v1/incidents/2026-0001/assign",
            &e.a.sd,
            json!({"assignee_id": e.a.handler_id.to_string(), "expected_version": v}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["status"], "in_progress");
        assert_eq!(r.json["assignee_id"], e.a.handler_id.to_string());
        // The handler now sees it and adds a public note.
        let r = post(
            &e.router,
            &format!("{base}/notes"),
            &e.a.handler,
            json!({"text": "Access point wordt vervangen", "public": true}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        e.clock.advance(jiff::SignedDuration::from_mins(30));
        for (body, status) in [
            (
                json!({"action": "wait", "reason": "Leverancier levert morgen"}),
                "waiting",
            ),
            (json!({"action": "resume"}), "in_progress"),
            (json!({"action": "contain"}), "in_progress"),
            (
                json!({"action": "resolve", "resolution": "Access point vervangen", "cause": "Defect"}),
                "resolved",
            ),
        ] {
            let r = post(&e.router, &format!("{base}/status"), &e.a.handler, body).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.text);
            assert_eq!(r.json["status"], status);
        }
        // The handler may not close; the incident manager may.
        post(
            &e.router,
            &format!("{base}/status"),
            &e.a.handler,
            json!({"action": "close"}),
        )
        .await
        .problem(403);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "close"}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.json["status"], "closed");
        assert_eq!(r.json["resolution"], "Access point vervangen");
        assert_eq!(r.json["cause"], "Defect");
        assert_eq!(r.json["timestamps"]["contained_at"], "2026-11-24T09:45:00Z");
        assert_eq!(r.json["timestamps"]["closed_at"], "2026-11-24T09:45:00Z");
        // Reopen needs a reason.
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "reopen"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["reason"]);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "reopen", "reason": "Valt weer uit"}),
        )
        .await;
        assert_eq!(r.json["status"], "in_progress", "{}", r.text);
        // The timeline holds every step.
        let d = get(&e.router, &base, &e.a.im).await;
        let types: Vec<&str> = d.json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "reported", "triage", "assign", "note", "wait", "resume", "contain", "resolve",
                "close", "reopen"
            ]
        );
        assert_eq!(d.json["assignee_name"], "handler h@alfa.nl");
    }
}

#[tokio::test]
async fn lifecycle_errors_are_422_problems() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let i = create(
            &e.router,
            &e.a.im,
            json!({"description": "Laptop met leerlingdossiers kwijt"}),
        )
        .await;
        let base = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
        // Assign before triage.
        let r = post(
            &e.router,
            &format!("{base}/assign"),
            &e.a.im,
            json!({"assignee_id": e.a.handler_id.to_string()}),
        )
        .await;
        assert_eq!(r.problem(422)["code"], "not_triaged");
        // Resume while not waiting.
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "resume"}),
        )
        .await;
        let p = r.problem(422);
        assert_eq!(p["type"], "urn:meldpunt:problem:lifecycle");
        assert_eq!(p["code"], "not_allowed");
        // A breach cannot be closed without an evaluation.
        post(
            &e.router,
            &format!("{base}/triage"),
            &e.a.im,
            json!({"kind": "breach", "aspects": {"confidentiality": true}, "category": "lost_device", "impact": "group", "urgency": "no_direct_hindrance"}),
        )
        .await;
        let r = post(
            &e.router,
            &format!("{base}/assign"),
            &e.a.im,
            json!({"assignee_id": e.a.handler_id.to_string()}),
        )
        .await;
        assert_eq!(r.json["status"], "in_progress", "{}", r.text);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "resolve", "resolution": "Laptop op afstand gewist", "cause": "Laten liggen in trein"}),
        )
        .await;
        assert_eq!(r.json["status"], "resolved", "{}", r.text);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "close"}),
        )
        .await;
        let p = r.problem(422);
        assert_eq!(p["code"], "evaluation_required");
        assert!(p["detail"].as_str().unwrap().contains("evaluation"), "{p}");
        // Text fields: missing, and not applicable to the action.
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "evaluate"}),
        )
        .await;
        assert_eq!(r.error_fields(), ["evaluation"]);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "close", "evaluation": "x"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["evaluation"]);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "evaluate", "evaluation": "Versleuteling werkte; melding AP niet nodig"}),
        )
        .await;
        assert_eq!(r.json["status"], "evaluated", "{}", r.text);
        // A breach closes only once the decision on notifying the AP is recorded.
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "close"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.json["code"], "breach_decision_open", "{}", r.text);
        let r = post(
            &e.router,
            &format!("{base}/breach/decision"),
            &e.a.im,
            json!({"notify": false, "reasoning": "Versleuteling werkte; geen risico"}),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        let r = post(
            &e.router,
            &format!("{base}/status"),
            &e.a.im,
            json!({"action": "close"}),
        )
        .await;
        assert_eq!(r.json["status"], "closed", "{}", r.text);
        // Unknown assignee, override below floor.
        let j = create(&e.router, &e.a.im, json!({"description": "Storing"})).await;
        let jb = format!("/api/v1/incidents/{}", j["id"].as_str().unwrap());
        let r = post(
            &e.router,
            &format!("{jb}/triage"),
            &e.a.im,
            json!({"kind": "breach", "category": "mis_sent", "impact": "person", "urgency": "no_direct_hindrance", "priority_override": "p4", "override_reason": "klein"}),
        )
        .await;
        r.problem(422);
        assert_eq!(r.error_fields(), ["priority_override"]);
        let r = post(
            &e.router,
            &format!("{jb}/triage"),
            &e.a.im,
            json!({"kind": "no_incident", "category": "other", "impact": "person", "urgency": "no_direct_hindrance"}),
        )
        .await;
        assert_eq!(r.error_fields(), ["no_incident_reason"], "{}", r.text);
    }
}
