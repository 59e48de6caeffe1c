//! The register (`GET /api/v1/incidents`): filters and keyset paging, on SQLite and PostgreSQL.

mod api_common;

use api_common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

fn numbers(r: &Resp) -> Vec<String> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {}", r.text))
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_string())
        .collect()
}

async fn triage(e: &Env, id: &str, kind: &str, impact: &str, urgency: &str) -> Value {
    let r = post(
        &e.router,
        &format!("/api/v1/incidents/{id}/triage"),
        &e.a.im,
        json!({"kind": kind, "category": "other", "impact": impact, "urgency": urgency}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    r.json
}

/// Walks all pages with `limit` and returns the numbers in order.
async fn walk(e: &Env, query: &str, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let mut uri = format!("/api/v1/incidents?limit={limit}{query}");
        if let Some(c) = &after {
            uri.push_str(&format!("&after={c}"));
        }
        let r = get(&e.router, &uri, &e.a.im).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        let page = numbers(&r);
        assert!(page.len() <= limit);
        all.extend(page);
        match r.json["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => return all,
        }
    }
    panic!("paging does not end");
}

#[tokio::test]
async fn keyset_paging_has_no_duplicates_or_gaps() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let mut ids = Vec::new();
        for n in 0..23 {
            // Some share a reported_at moment, so the id breaks ties.
            if n % 3 == 0 {
                e.clock.advance(jiff::SignedDuration::from_mins(7));
            }
            let i = create(
                &e.router,
                &e.a.sd,
                json!({"description": format!("Melding {n}")}),
            )
            .await;
            ids.push(i["id"].as_str().unwrap().to_string());
        }
        // Triage a few, so the priority sort has several ranks.
        triage(&e, &ids[2], "disruption", "board", "education_stopped").await;
        triage(&e, &ids[5], "disruption", "person", "no_direct_hindrance").await;
        triage(&e, &ids[9], "disruption", "group", "education_hindered").await;
        triage(&e, &ids[17], "breach", "person", "no_direct_hindrance").await;
        for sort in ["newest", "oldest", "priority"] {
            for limit in [1, 5, 7, 50] {
                let all = walk(&e, &format!("&sort={sort}"), limit).await;
                let unique: HashSet<_> = all.iter().collect();
                assert_eq!(all.len(), 23, "{sort}/{limit}: {all:?}");
                assert_eq!(unique.len(), 23, "{sort}/{limit}: duplicates in {all:?}");
                let one_page = walk(&e, &format!("&sort={sort}"), 500).await;
                assert_eq!(
                    all, one_page,
                    "{sort}/{limit}: pages agree with one big page"
                );
            }
        }
        let newest = walk(&e, "", 50).await;
        let mut oldest = walk(&e, "&sort=oldest", 50).await;
        oldest.reverse();
        assert_eq!(
            newest, oldest,
            "oldest is newest reversed (ties broken by id)"
        );
        let prio = walk(&e, "&sort=priority", 50).await;
        // Untriaged first, then p1 (0003), p2 (0018 breach), p3 (0010), p5 (0006).
        assert_eq!(
            &prio[19..],
            ["2026-0003", "2026-0018", "2026-0010", "2026-0006"]
        );
    }
}

#[tokio::test]
async fn filters() {
    for db in meldpunt_testkit::each_backend().await {
        let e = env(db).await;
        let a = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Printer in de hal kapot", "school_id": e.a.school.to_string()}),
        )
        .await;
        e.clock.advance(jiff::SignedDuration::from_hours(24));
        let b = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Phishingmail bij de administratie"}),
        )
        .await;
        e.clock.advance(jiff::SignedDuration::from_mins(1));
        let c = create(
            &e.router,
            &e.a.sd,
            json!({"description": "Oefening: ransomware", "exercise": true}),
        )
        .await;
        let a_id = a["id"].as_str().unwrap();
        let b_id = b["id"].as_str().unwrap();
        triage(&e, a_id, "disruption", "school", "education_hindered").await;
        triage(&e, b_id, "cyber_incident", "person", "no_direct_hindrance").await;
        post(
            &e.router,
            &format!("/api/v1/incidents/{b_id}/assign"),
            &e.a.im,
            json!({"assignee_id": e.a.handler_id.to_string()}),
        )
        .await;
        let a_num = a["number"].as_str().unwrap();
        let b_num = b["number"].as_str().unwrap();
        let c_num = c["number"].as_str().unwrap();
        let q = |query: &'static str| {
            let router = e.router.clone();
            let token = e.a.im.clone();
            async move {
                let r = get(&router, &format!("/api/v1/incidents?{query}"), &token).await;
                assert_eq!(r.status.as_u16(), 200, "{query}: {}", r.text);
                numbers(&r)
            }
        };
        assert_eq!(q("").await, [b_num, a_num], "exercises left out by default");
        assert_eq!(q("include_exercises=true").await, [c_num, b_num, a_num]);
        assert_eq!(q("kind=cyber_incident").await, [b_num]);
        assert_eq!(q("priority=p2").await, [b_num, a_num]);
        assert_eq!(q("status=registered").await, [a_num]);
        assert_eq!(
            q("status=in_progress&status=registered").await,
            [b_num, a_num]
        );
        assert_eq!(
            q("status=in_progress,reported&include_exercises=1").await,
            [c_num, b_num]
        );
        assert_eq!(q("status=open").await, [b_num, a_num]);
        assert_eq!(q("status=closed").await, Vec::<String>::new());
        assert_eq!(
            q(Box::leak(
                format!("school_id={}", e.a.school).into_boxed_str()
            ))
            .await,
            [a_num]
        );
        assert_eq!(
            q(Box::leak(
                format!("assignee_id={}", e.a.handler_id).into_boxed_str()
            ))
            .await,
            [b_num]
        );
        assert_eq!(q("q=printer").await, [a_num]);
        assert_eq!(q("q=PHISHING%20administratie").await, [b_num]);
        assert_eq!(q("from=2026-11-25").await, [b_num]);
        assert_eq!(q("until=2026-11-24").await, [a_num]);
        assert_eq!(
            q("from=2026-11-24T09:15:00Z&until=2026-11-24T09:15:01Z").await,
            [a_num]
        );
        assert_eq!(q("sort=oldest").await, [a_num, b_num]);
        // The handler sees only what is assigned to them.
        let r = get(&e.router, "/api/v1/incidents", &e.a.handler).await;
        assert_eq!(numbers(&r), [b_num]);
        // Each invalid parameter is named.
        let r = get(
            &e.router,
            "/api/v1/incidents?status=bogus&kind=x&limit=0&sort=up&from=gisteren&after=zzz&school_id=1&colour=red",
            &e.a.im,
        )
        .await;
        r.problem(400);
        let fields: HashSet<String> = r.error_fields().into_iter().collect();
        let expected: HashSet<String> = [
            "status",
            "kind",
            "limit",
            "sort",
            "from",
            "after",
            "school_id",
            "colour",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(fields, expected, "{}", r.text);
        get(&e.router, "/api/v1/incidents?limit=501", &e.a.im)
            .await
            .problem(400);
    }
}
