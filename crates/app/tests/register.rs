//! The register: keyset paging under each sort, and every filter, on SQLite and PostgreSQL.

mod common;

use common::*;
use meldpunt_app::core::auth::Principal;
use meldpunt_app::core::ids::{IncidentId, SchoolId, UserId};
use meldpunt_app::core::incident::{
    Impact, Incident, Kind, PersonalDataAnswer, Priority, Status, Urgency,
};
use meldpunt_app::core::lifecycle::Command;
use meldpunt_app::incidents::{RegisterQuery, TriageInput};
use meldpunt_app::store::incidents::{Cursor, Sort};
use meldpunt_app::{Actor, App, AppConfig};
use std::collections::BTreeSet;

const SUMMARIES: [&str; 8] = [
    "Printer lokaal 12 kapot",
    "Wifi storing gebouw B",
    "Lokaal 3 en 12 geen wifi",
    "Phishing: 50% korting",
    "Bestand a_b gedeeld",
    "Bestand axb gedeeld",
    "Korting 500 euro",
    "PRINTER in de hal",
];

struct Data {
    all: Vec<Incident>,
    exercise: IncidentId,
}

async fn populate(fx: &Fx) -> Data {
    let app = &fx.app;
    let schools = [None, Some(fx.school1), Some(fx.school2)];
    let pds = [
        PersonalDataAnswer::Yes,
        PersonalDataAnswer::No,
        PersonalDataAnswer::Unknown,
    ];
    let mut ids = Vec::new();
    for k in 0..120usize {
        if k % 5 != 0 {
            // Every fifth report arrives at the same instant as the previous one (ties on time).
            fx.clock.advance(secs(60 * ((k as i64 * 37) % 11 + 1)));
        }
        let r = report(app, fx.board, schools[k % 3], SUMMARIES[k % 8], pds[k % 3]).await;
        ids.push(r.incident.id);
    }
    fx.clock.advance(secs(60));
    let exercise = app
        .report_incident(
            &Actor::Reporter,
            new_report("Oefening printer", None, PersonalDataAnswer::No),
            Some(fx.board),
            true,
        )
        .await
        .unwrap()
        .incident
        .id;
    let impacts = [Impact::Board, Impact::School, Impact::Group, Impact::Person];
    let urgencies = [
        Urgency::EducationStopped,
        Urgency::EducationHindered,
        Urgency::NoDirectHindrance,
    ];
    for (k, id) in ids.iter().enumerate() {
        fx.clock.advance(secs(1));
        let kind = match k % 6 {
            0 => continue,
            2 => Kind::Breach,
            5 => Kind::NoIncident,
            _ => Kind::Disruption,
        };
        let input = TriageInput {
            no_incident_reason: (kind == Kind::NoIncident).then(|| "vraag".to_string()),
            ..triage_input(kind, impacts[k % 4], urgencies[(k / 4) % 3])
        };
        app.triage(&fx.im, *id, input, None).await.unwrap();
        if matches!(k % 6, 3 | 4) {
            app.assign(&fx.im, *id, fx.handler.user_id, None)
                .await
                .unwrap();
        }
        if k % 6 == 4 {
            app.act(
                &fx.im,
                *id,
                Command::Resolve {
                    resolution: "ok".into(),
                    cause: "x".into(),
                },
                None,
            )
            .await
            .unwrap();
            app.act(&fx.im, *id, Command::Close, None).await.unwrap();
        }
    }
    let mut all = Vec::new();
    for id in ids {
        all.push(app.store.incident(id).await.unwrap().unwrap());
    }
    Data { all, exercise }
}

fn rank(i: &Incident) -> u8 {
    i.priority().map(Priority::rank).unwrap_or(0)
}

fn expected(all: &[Incident], sort: Sort) -> Vec<IncidentId> {
    let mut v: Vec<&Incident> = all.iter().collect();
    let t = |i: &Incident| i.timeline.reported_at.unwrap();
    match sort {
        Sort::Newest => v.sort_by_key(|i| std::cmp::Reverse((t(i), i.id))),
        Sort::Oldest => v.sort_by_key(|i| (t(i), i.id)),
        Sort::Priority => {
            v.sort_by(|a, b| rank(a).cmp(&rank(b)).then((t(b), b.id).cmp(&(t(a), a.id))))
        }
    }
    v.into_iter().map(|i| i.id).collect()
}

/// Pages through the register, `limit` at a time, passing the cursor on as text like the web does.
async fn page_through(
    app: &App,
    p: &Principal,
    q: RegisterQuery,
    limit: i64,
    be: &str,
) -> Vec<IncidentId> {
    let mut out = Vec::new();
    let mut after: Option<Cursor> = None;
    for round in 0..1000 {
        let page = app
            .register(
                p,
                RegisterQuery {
                    after: after.clone(),
                    limit: Some(limit),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        out.extend(page.items.iter().map(|i| i.id));
        match page.next {
            Some(c) => {
                assert_eq!(
                    page.items.len() as i64,
                    limit,
                    "[{be}] page {round} is full when more follow"
                );
                after = Some(Cursor::decode(&c.encode()).expect("cursor round-trips"));
            }
            None => return out,
        }
    }
    panic!("[{be}] paging does not end");
}

async fn everything(app: &App, p: &Principal, q: RegisterQuery) -> BTreeSet<IncidentId> {
    let page = app
        .register(
            p,
            RegisterQuery {
                limit: Some(500),
                ..q
            },
        )
        .await
        .unwrap();
    assert!(page.next.is_none());
    page.items.iter().map(|i| i.id).collect()
}

fn set(all: &[Incident], f: impl Fn(&Incident) -> bool) -> BTreeSet<IncidentId> {
    all.iter().filter(|i| f(i)).map(|i| i.id).collect()
}

#[tokio::test]
async fn paging_under_each_sort_has_no_gaps_or_duplicates() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let data = populate(&fx).await;
        let all = &data.all;
        assert!(
            rank_variety(all) >= 5,
            "[{be}] fixture covers untriaged and several priorities"
        );
        for sort in [Sort::Newest, Sort::Oldest, Sort::Priority] {
            let want = expected(all, sort);
            for limit in [7, 1, 120, 500] {
                let got = page_through(
                    app,
                    &fx.im,
                    RegisterQuery {
                        sort,
                        ..RegisterQuery::default()
                    },
                    limit,
                    be,
                )
                .await;
                let unique: BTreeSet<_> = got.iter().collect();
                assert_eq!(
                    unique.len(),
                    got.len(),
                    "[{be}] {sort:?} limit {limit}: duplicates"
                );
                assert_eq!(got, want, "[{be}] {sort:?} limit {limit}: order");
            }
            // Paging combined with a filter.
            let q = RegisterQuery {
                sort,
                statuses: meldpunt_app::incidents::OPEN_STATUSES.to_vec(),
                ..RegisterQuery::default()
            };
            let got = page_through(app, &fx.im, q, 7, be).await;
            let open: Vec<IncidentId> = want
                .iter()
                .copied()
                .filter(|id| all.iter().any(|i| i.id == *id && i.status.is_open()))
                .collect();
            assert_eq!(got, open, "[{be}] {sort:?} open only");
            // Paging combined with free text: small pages fill from the first rows walked (on
            // PostgreSQL the probe answers them), the last page does not (the index does).
            for (needle, limit) in [("printer", 4), ("printer", 29), ("\"geen wifi\"", 3)] {
                let q = RegisterQuery {
                    sort,
                    text: Some(needle.into()),
                    ..RegisterQuery::default()
                };
                let got = page_through(app, &fx.im, q, limit, be).await;
                let words = needle.trim_matches('"').to_lowercase();
                let matching: Vec<IncidentId> = want
                    .iter()
                    .copied()
                    .filter(|id| {
                        all.iter().any(|i| {
                            i.id == *id
                                && format!("{} {}", i.summary, i.description)
                                    .to_lowercase()
                                    .contains(&words)
                        })
                    })
                    .collect();
                assert!(
                    matching.len() > limit as usize,
                    "[{be}] {needle}: several pages"
                );
                assert_eq!(got, matching, "[{be}] {sort:?} text {needle} limit {limit}");
            }
        }
        // Exercises stay out unless asked for.
        let q = RegisterQuery {
            include_exercises: true,
            ..RegisterQuery::default()
        };
        let with = page_through(app, &fx.im, q, 7, be).await;
        assert_eq!(with.len(), 121, "[{be}]");
        assert_eq!(with[0], data.exercise, "[{be}] the exercise is the newest");
    }
}

fn rank_variety(all: &[Incident]) -> usize {
    all.iter().map(rank).collect::<BTreeSet<_>>().len()
}

#[tokio::test]
async fn register_filters() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let data = populate(&fx).await;
        let all = &data.all;
        let q = RegisterQuery::default;
        let check = |what: &str, got: BTreeSet<IncidentId>, want: BTreeSet<IncidentId>| {
            assert!(!want.is_empty(), "[{be}] {what}: fixture yields matches");
            assert_eq!(got, want, "[{be}] filter {what}");
        };

        for s in [
            Status::Reported,
            Status::Registered,
            Status::InProgress,
            Status::Closed,
            Status::NotAnIncident,
        ] {
            let got = everything(
                app,
                &fx.im,
                RegisterQuery {
                    statuses: vec![s],
                    ..q()
                },
            )
            .await;
            check(s.code(), got, set(all, |i| i.status == s));
        }
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                statuses: vec![Status::Closed, Status::Reported],
                ..q()
            },
        )
        .await;
        check(
            "closed+reported",
            got,
            set(all, |i| {
                matches!(i.status, Status::Closed | Status::Reported)
            }),
        );
        for k in [Kind::Breach, Kind::Disruption, Kind::NoIncident] {
            let got = everything(
                app,
                &fx.im,
                RegisterQuery {
                    kind: Some(k),
                    ..q()
                },
            )
            .await;
            check(k.code(), got, set(all, |i| i.kind() == Some(k)));
        }
        for p in [Priority::P1, Priority::P2, Priority::P3, Priority::P5] {
            let got = everything(
                app,
                &fx.im,
                RegisterQuery {
                    priority: Some(p),
                    ..q()
                },
            )
            .await;
            check(p.code(), got, set(all, |i| i.priority() == Some(p)));
        }
        let school: SchoolId = fx.school1;
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                school: Some(school),
                ..q()
            },
        )
        .await;
        check("school", got, set(all, |i| i.school_id == Some(school)));
        let h: UserId = fx.handler.user_id;
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                assignee: Some(h),
                ..q()
            },
        )
        .await;
        check("assignee", got, set(all, |i| i.assignee_id == Some(h)));
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                assignee: Some(h),
                statuses: vec![Status::Closed],
                kind: Some(Kind::Disruption),
                ..q()
            },
        )
        .await;
        check(
            "assignee+closed+disruption",
            got,
            set(all, |i| {
                i.assignee_id == Some(h)
                    && i.status == Status::Closed
                    && i.kind() == Some(Kind::Disruption)
            }),
        );

        // from is inclusive, until exclusive.
        let mut times: Vec<_> = all
            .iter()
            .map(|i| i.timeline.reported_at.unwrap())
            .collect();
        times.sort();
        let (from, until) = (times[30], times[80]);
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                from: Some(from),
                until: Some(until),
                ..q()
            },
        )
        .await;
        check(
            "from/until",
            got,
            set(all, |i| {
                let t = i.timeline.reported_at.unwrap();
                t >= from && t < until
            }),
        );
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                from: Some(times[119]),
                ..q()
            },
        )
        .await;
        check(
            "from last",
            got,
            set(all, |i| i.timeline.reported_at == Some(times[119])),
        );

        // Free text: words (all must occur, any case), "quoted phrases", literal % and _.
        let text =
            |i: &Incident| format!("{} {}\n{}", i.number, i.summary, i.description).to_lowercase();
        type Pred<'a> = &'a dyn Fn(&str) -> bool;
        let cases: &[(&str, Pred)] = &[
            ("printer", &|t| t.contains("printer")),
            ("PrInTeR", &|t| t.contains("printer")),
            ("wifi lokaal", &|t| {
                t.contains("wifi") && t.contains("lokaal")
            }),
            ("\"lokaal 12\"", &|t| t.contains("lokaal 12")),
            ("lokaal 12", &|t| t.contains("lokaal") && t.contains("12")),
            ("50%", &|t| t.contains("50%")),
            ("%", &|t| t.contains('%')),
            ("a_b", &|t| t.contains("a_b")),
            ("_", &|t| t.contains('_')),
            ("\"bestand a_b\"", &|t| t.contains("bestand a_b")),
            ("2026-0007", &|t| t.contains("2026-0007")),
        ];
        for (needle, pred) in cases {
            let got = everything(
                app,
                &fx.im,
                RegisterQuery {
                    text: Some(needle.to_string()),
                    ..q()
                },
            )
            .await;
            check(&format!("text {needle}"), got, set(all, |i| pred(&text(i))));
        }
        for none in ["zzz", "\"12 kapot printer\"", "5_0", "a%b"] {
            let got = everything(
                app,
                &fx.im,
                RegisterQuery {
                    text: Some(none.to_string()),
                    ..q()
                },
            )
            .await;
            assert!(
                got.is_empty(),
                "[{be}] text {none} matches nothing, got {}",
                got.len()
            );
        }
        let got = everything(
            app,
            &fx.im,
            RegisterQuery {
                text: Some("   ".into()),
                ..q()
            },
        )
        .await;
        assert_eq!(got.len(), 120, "[{be}] blank text is no filter");
    }
}
