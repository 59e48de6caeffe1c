//! Incidents through the use cases, on SQLite and PostgreSQL.

mod common;

use common::*;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::Role;
use meldpunt_app::core::ids::{IncidentId, IncidentNumber};
use meldpunt_app::core::incident::{Impact, Kind, PersonalDataAnswer, Priority, Status, Urgency};
use meldpunt_app::core::lifecycle::{Command, LifecycleError};
use meldpunt_app::incidents::RegisterQuery;
use meldpunt_app::{Actor, AppConfig, AppError};
use std::collections::BTreeSet;

fn resolve_cmd() -> Command {
    Command::Resolve {
        resolution: "Wachtwoorden gereset".into(),
        cause: "Phishingmail".into(),
    }
}

#[tokio::test]
async fn full_lifecycle_stores_every_timestamp() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let mut nr = new_report(
            "Phishing bij administratie",
            Some(fx.school1),
            PersonalDataAnswer::Yes,
        );
        let occurred = app.now() - secs(3600);
        nr.occurred_at = Some(occurred);
        let t0 = app.now();
        let r = app
            .report_incident(&Actor::Reporter, nr, None, false)
            .await
            .unwrap();
        let id = r.incident.id;
        assert_eq!(r.incident.status, Status::Reported, "[{be}]");
        let mut times = Vec::new();
        let step = |_: &str| {
            fx.clock.advance(secs(60));
            app.now()
        };
        let t1 = step("triage");
        let i = app
            .triage(
                &fx.im,
                id,
                triage_input(
                    Kind::SecurityIncident,
                    Impact::School,
                    Urgency::EducationHindered,
                ),
                Some(1),
            )
            .await
            .unwrap();
        assert_eq!(i.status, Status::Registered, "[{be}]");
        times.push(t1);
        let t2 = step("assign");
        let i = app
            .assign(&fx.im, id, fx.handler.user_id, Some(i.version))
            .await
            .unwrap();
        assert_eq!(i.status, Status::InProgress, "[{be}]");
        let t3 = step("wait");
        let i = app
            .act(
                &fx.handler,
                id,
                Command::Wait {
                    reason: "leverancier".into(),
                },
                Some(i.version),
            )
            .await
            .unwrap();
        assert_eq!(i.status, Status::Waiting, "[{be}]");
        let _t4 = step("resume");
        let i = app
            .act(&fx.handler, id, Command::Resume, Some(i.version))
            .await
            .unwrap();
        assert_eq!(i.status, Status::InProgress, "[{be}]");
        let t5 = step("contain");
        let i = app
            .act(&fx.handler, id, Command::Contain, Some(i.version))
            .await
            .unwrap();
        let t6 = step("resolve");
        let i = app
            .act(&fx.handler, id, resolve_cmd(), Some(i.version))
            .await
            .unwrap();
        assert_eq!(i.status, Status::Resolved, "[{be}]");
        // A security incident cannot be closed before its evaluation.
        let err = app
            .act(&fx.im, id, Command::Close, Some(i.version))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Lifecycle(LifecycleError::EvaluationRequired)),
            "[{be}] {err:?}"
        );
        let t7 = step("evaluate");
        let i = app
            .act(
                &fx.im,
                id,
                Command::Evaluate {
                    evaluation: "Sneller wachtwoorden resetten".into(),
                },
                Some(i.version),
            )
            .await
            .unwrap();
        let t8 = step("close");
        let closed = app
            .act(&fx.im, id, Command::Close, Some(i.version))
            .await
            .unwrap();
        assert_eq!(closed.status, Status::Closed, "[{be}]");

        let stored = app.store.incident(id).await.unwrap().unwrap();
        assert_eq!(
            stored, closed,
            "[{be}] stored incident equals the returned one"
        );
        let t = &stored.timeline;
        assert_eq!(t.occurred_at, Some(occurred), "[{be}] occurred_at");
        assert_eq!(t.reported_at, Some(t0), "[{be}] reported_at");
        assert_eq!(t.registered_at, Some(t1), "[{be}] registered_at");
        assert_eq!(t.first_response_at, Some(t1), "[{be}] first_response_at");
        assert_eq!(t.contained_at, Some(t5), "[{be}] contained_at");
        assert_eq!(t.resolved_at, Some(t6), "[{be}] resolved_at");
        assert_eq!(t.evaluated_at, Some(t7), "[{be}] evaluated_at");
        assert_eq!(t.closed_at, Some(t8), "[{be}] closed_at");
        assert!(t2 > t1 && t3 > t2, "[{be}] clock advanced");
        assert_eq!(stored.assignee_id, Some(fx.handler.user_id), "[{be}]");
        assert_eq!(
            stored.resolution.as_deref(),
            Some("Wachtwoorden gereset"),
            "[{be}]"
        );
        assert_eq!(stored.cause.as_deref(), Some("Phishingmail"), "[{be}]");
        assert_eq!(
            stored.evaluation.as_deref(),
            Some("Sneller wachtwoorden resetten"),
            "[{be}]"
        );
        assert_eq!(stored.version, 9, "[{be}] one version per change");
        let events: Vec<String> = app
            .store
            .events(id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(
            events,
            [
                "reported", "triage", "assign", "wait", "resume", "contain", "resolve", "evaluate",
                "close"
            ],
            "[{be}] timeline"
        );
        let audit: Vec<String> = app
            .store
            .audit_for_subject(&format!("incident:{id}"))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.record.action)
            .collect();
        assert_eq!(
            audit,
            [
                "incident.report",
                "incident.triage",
                "incident.assign",
                "incident.wait",
                "incident.resume",
                "incident.contain",
                "incident.resolve",
                "incident.evaluate",
                "incident.close"
            ],
            "[{be}] audit trail"
        );
        let _ = times;
    }
}

#[tokio::test]
async fn each_use_case_writes_exactly_one_audit_entry() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let mut n = audit_entries(app, be).await;
        macro_rules! one {
            ($what:literal, $e:expr) => {{
                let r = $e;
                let m = audit_entries(app, be).await;
                assert_eq!(m, n + 1, "[{be}] {} writes exactly one audit entry", $what);
                n = m;
                r
            }};
        }
        let r = one!(
            "report",
            report(
                app,
                fx.board,
                Some(fx.school1),
                "Printer",
                PersonalDataAnswer::No
            )
            .await
        );
        let id = r.incident.id;
        one!(
            "triage",
            app.triage(
                &fx.sd,
                id,
                triage_input(Kind::Disruption, Impact::Group, Urgency::EducationHindered),
                None
            )
            .await
            .unwrap()
        );
        one!(
            "assign",
            app.assign(&fx.sd, id, fx.handler.user_id, None)
                .await
                .unwrap()
        );
        one!(
            "note",
            app.add_note(&fx.handler, id, "Toner besteld", false)
                .await
                .unwrap()
        );
        one!(
            "followup info",
            app.add_followup_info(&r.followup_token, "Nog steeds kapot?")
                .await
                .unwrap()
        );
        one!(
            "resolve",
            app.act(&fx.handler, id, resolve_cmd(), None).await.unwrap()
        );
        one!(
            "close",
            app.act(&fx.sd, id, Command::Close, None).await.unwrap()
        );
        one!(
            "add_school",
            app.add_school(&Actor::Cli, fx.board, "De Wilg", None)
                .await
                .unwrap()
        );
        one!(
            "add_user",
            app.add_user(
                &Actor::Cli,
                NewUser {
                    email: "nieuw@noord.nl".into(),
                    name: "Nieuw".into(),
                    password: PASSWORD.into(),
                    role: Role::Handler,
                    board: Some(fx.board),
                    school: None,
                },
            )
            .await
            .unwrap()
        );
        one!(
            "login success",
            app.login("nieuw@noord.nl", PASSWORD).await.unwrap()
        );
        one!("login failure", {
            let e = app
                .login("nieuw@noord.nl", "wrong-password-123")
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Unauthenticated), "[{be}] {e:?}");
        });
        let _ = n;
    }
}

#[tokio::test]
async fn numbering_is_sequential_per_board_and_year() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let other = app
            .create_board(&Actor::Cli, "Stichting Zuid")
            .await
            .unwrap();
        let num = |r: &meldpunt_app::incidents::Receipt| r.incident.number.to_string();
        let a1 = report(app, fx.board, None, "a1", PersonalDataAnswer::No).await;
        let a2 = report(
            app,
            fx.board,
            Some(fx.school2),
            "a2",
            PersonalDataAnswer::No,
        )
        .await;
        let b1 = report(app, other, None, "b1", PersonalDataAnswer::No).await;
        let a3 = report(app, fx.board, None, "a3", PersonalDataAnswer::No).await;
        let b2 = report(app, other, None, "b2", PersonalDataAnswer::No).await;
        assert_eq!(
            [num(&a1), num(&a2), num(&a3), num(&b1), num(&b2)],
            [
                "2026-0001",
                "2026-0002",
                "2026-0003",
                "2026-0001",
                "2026-0002"
            ],
            "[{be}]"
        );
        // The year is the Dutch calendar year: 23:30 UTC on 31 December is already January in Amsterdam.
        fx.clock.set("2026-12-31T23:30:00Z".parse().unwrap());
        let a4 = report(app, fx.board, None, "nieuwjaar", PersonalDataAnswer::No).await;
        assert_eq!(num(&a4), "2027-0001", "[{be}] new year in Amsterdam");
        fx.clock.set("2026-12-31T22:30:00Z".parse().unwrap());
        let a5 = report(app, fx.board, None, "oudjaar", PersonalDataAnswer::No).await;
        assert_eq!(
            num(&a5),
            "2026-0004",
            "[{be}] still the old year in Amsterdam"
        );
        let found = app
            .incident_by_number(&fx.sd, IncidentNumber { year: 2026, seq: 2 })
            .await
            .unwrap();
        assert_eq!(found.id, a2.incident.id, "[{be}]");
        let stored = app
            .store
            .incident_by_number(other, IncidentNumber { year: 2026, seq: 1 })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.id, b1.incident.id, "[{be}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbers_are_unique_under_concurrency() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let mut tasks = Vec::new();
        for k in 0..20 {
            let app = fx.app.clone();
            let board = fx.board;
            tasks.push(tokio::spawn(async move {
                app.report_incident(
                    &Actor::Reporter,
                    new_report(&format!("gelijktijdig {k}"), None, PersonalDataAnswer::No),
                    Some(board),
                    false,
                )
                .await
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            let r = t
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("[{be}] concurrent report failed: {e}"));
            assert_eq!(r.incident.number.year, 2026, "[{be}]");
            seqs.push(r.incident.number.seq);
        }
        seqs.sort();
        assert_eq!(
            seqs,
            (1..=20).collect::<Vec<i64>>(),
            "[{be}] numbers 1..20 without duplicates"
        );
        assert_eq!(
            audit_entries(&fx.app, be).await,
            3 + 3 + 20,
            "[{be}] audit chain intact"
        );
        let counts = fx.app.store.job_counts().await.unwrap();
        assert_eq!(
            counts,
            vec![("pending".to_string(), 20)],
            "[{be}] one job per report"
        );
    }
}

#[tokio::test]
async fn stale_version_is_a_conflict_and_writes_nothing() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let id = report(app, fx.board, None, "Wifi", PersonalDataAnswer::No)
            .await
            .incident
            .id;
        let t = app
            .triage(
                &fx.sd,
                id,
                triage_input(Kind::Disruption, Impact::School, Urgency::EducationStopped),
                Some(1),
            )
            .await
            .unwrap();
        assert_eq!(t.version, 2, "[{be}]");
        let audit = audit_entries(app, be).await;
        let events = app.store.events(id).await.unwrap().len();
        let err = app
            .assign(&fx.sd, id, fx.handler.user_id, Some(1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Conflict(_)),
            "[{be}] stale assign: {err:?}"
        );
        let err = app
            .act(&fx.sd, id, Command::Contain, Some(1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Conflict(_)),
            "[{be}] stale contain: {err:?}"
        );
        let err = app
            .triage(
                &fx.sd,
                id,
                triage_input(Kind::Breach, Impact::School, Urgency::EducationStopped),
                Some(3),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Conflict(_)),
            "[{be}] future version: {err:?}"
        );
        let stored = app.store.incident(id).await.unwrap().unwrap();
        assert_eq!(stored, t, "[{be}] unchanged after conflicts");
        assert_eq!(
            app.store.events(id).await.unwrap().len(),
            events,
            "[{be}] no event"
        );
        assert_eq!(audit_entries(app, be).await, audit, "[{be}] no audit entry");
    }
}

#[tokio::test]
async fn invalid_transitions_are_refused_and_write_nothing() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let id = report(app, fx.board, None, "Laptop kwijt", PersonalDataAnswer::Yes)
            .await
            .incident
            .id;
        let check =
            |what: &'static str, r: Result<meldpunt_app::core::incident::Incident, AppError>| {
                let e = r.expect_err(what);
                assert!(matches!(e, AppError::Lifecycle(_)), "[{be}] {what}: {e:?}");
            };
        let before = app.store.incident(id).await.unwrap().unwrap();
        let audit = audit_entries(app, be).await;
        let events = app.store.events(id).await.unwrap().len();
        check(
            "resolve untriaged",
            app.act(&fx.im, id, resolve_cmd(), None).await,
        );
        check(
            "close untriaged",
            app.act(&fx.im, id, Command::Close, None).await,
        );
        check(
            "resume untriaged",
            app.act(&fx.im, id, Command::Resume, None).await,
        );
        check(
            "contain untriaged",
            app.act(&fx.im, id, Command::Contain, None).await,
        );
        check(
            "evaluate untriaged",
            app.act(
                &fx.im,
                id,
                Command::Evaluate {
                    evaluation: "x".into(),
                },
                None,
            )
            .await,
        );
        let e = app
            .assign(&fx.im, id, fx.handler.user_id, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Lifecycle(LifecycleError::NotTriaged)),
            "[{be}] assign untriaged: {e:?}"
        );
        check(
            "reopen untriaged",
            app.act(&fx.im, id, Command::Reopen { reason: "x".into() }, None)
                .await,
        );
        assert_eq!(
            app.store.incident(id).await.unwrap().unwrap(),
            before,
            "[{be}] unchanged"
        );
        assert_eq!(audit_entries(app, be).await, audit, "[{be}] no audit entry");
        assert_eq!(
            app.store.events(id).await.unwrap().len(),
            events,
            "[{be}] no event"
        );

        // A breach, resolved but not evaluated, cannot be closed; containment only once.
        app.triage(
            &fx.im,
            id,
            triage_input(Kind::Breach, Impact::Person, Urgency::NoDirectHindrance),
            None,
        )
        .await
        .unwrap();
        app.assign(&fx.im, id, fx.handler.user_id, None)
            .await
            .unwrap();
        app.act(&fx.im, id, Command::Contain, None).await.unwrap();
        app.act(&fx.im, id, resolve_cmd(), None).await.unwrap();
        let before = app.store.incident(id).await.unwrap().unwrap();
        let audit = audit_entries(app, be).await;
        let events = app.store.events(id).await.unwrap().len();
        let e = app.act(&fx.im, id, Command::Close, None).await.unwrap_err();
        assert!(
            matches!(e, AppError::Lifecycle(LifecycleError::EvaluationRequired)),
            "[{be}] {e:?}"
        );
        check(
            "wait resolved",
            app.act(&fx.im, id, Command::Wait { reason: "x".into() }, None)
                .await,
        );
        check(
            "resolve twice",
            app.act(&fx.im, id, resolve_cmd(), None).await,
        );
        let e = app
            .act(&fx.im, id, Command::Contain, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Lifecycle(_)),
            "[{be}] contain resolved: {e:?}"
        );
        let e = app
            .triage(
                &fx.im,
                id,
                meldpunt_app::incidents::TriageInput {
                    no_incident_reason: Some("toch niet".into()),
                    ..triage_input(Kind::NoIncident, Impact::Person, Urgency::NoDirectHindrance)
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Lifecycle(_)),
            "[{be}] triage resolved: {e:?}"
        );
        assert_eq!(
            app.store.incident(id).await.unwrap().unwrap(),
            before,
            "[{be}] unchanged"
        );
        assert_eq!(audit_entries(app, be).await, audit, "[{be}] no audit entry");
        assert_eq!(
            app.store.events(id).await.unwrap().len(),
            events,
            "[{be}] no event"
        );
    }
}

#[tokio::test]
async fn triage_priority_comes_from_the_matrix() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let mut ids = Vec::new();
        for k in 0..6 {
            ids.push(
                report(
                    app,
                    fx.board,
                    None,
                    &format!("m{k}"),
                    PersonalDataAnswer::Unknown,
                )
                .await
                .incident
                .id,
            );
        }
        let cases = [
            (
                Kind::Disruption,
                Impact::School,
                Urgency::EducationStopped,
                Priority::P1,
            ),
            (
                Kind::Disruption,
                Impact::Group,
                Urgency::EducationHindered,
                Priority::P3,
            ),
            (
                Kind::Disruption,
                Impact::Person,
                Urgency::NoDirectHindrance,
                Priority::P5,
            ),
            (
                Kind::Breach,
                Impact::Person,
                Urgency::NoDirectHindrance,
                Priority::P2,
            ),
            (
                Kind::CyberIncident,
                Impact::Group,
                Urgency::NoDirectHindrance,
                Priority::P2,
            ),
            (
                Kind::Breach,
                Impact::Board,
                Urgency::EducationStopped,
                Priority::P1,
            ),
        ];
        for (id, (kind, impact, urgency, want)) in ids.iter().zip(cases) {
            let i = app
                .triage(&fx.sd, *id, triage_input(kind, impact, urgency), None)
                .await
                .unwrap();
            assert_eq!(
                i.priority(),
                Some(want),
                "[{be}] {kind:?} {impact:?} {urgency:?}"
            );
            let stored = app.store.incident(*id).await.unwrap().unwrap();
            assert_eq!(stored.priority(), Some(want), "[{be}] stored priority");
            assert_eq!(
                stored.classification.unwrap().priority_override_reason,
                None,
                "[{be}]"
            );
        }
        // Override without a reason: refused, nothing written.
        let id = ids[2];
        let before = app.store.incident(id).await.unwrap().unwrap();
        let audit = audit_entries(app, be).await;
        let mut input = triage_input(Kind::Disruption, Impact::Person, Urgency::NoDirectHindrance);
        input.priority_override = Some(Priority::P1);
        input.override_reason = Some("   ".into());
        let e = app
            .triage(&fx.sd, id, input.clone(), None)
            .await
            .unwrap_err();
        match &e {
            AppError::Validation(v) => assert_eq!(
                v.for_field("override_reason"),
                Some("error-override-reason-required"),
                "[{be}]"
            ),
            other => panic!("[{be}] expected a validation error, got {other:?}"),
        }
        assert_eq!(
            app.store.incident(id).await.unwrap().unwrap(),
            before,
            "[{be}] unchanged"
        );
        assert_eq!(audit_entries(app, be).await, audit, "[{be}] no audit entry");
        // With a reason: accepted and kept.
        input.override_reason = Some("  directeur is getroffen ".into());
        let i = app.triage(&fx.sd, id, input, None).await.unwrap();
        let stored = app.store.incident(id).await.unwrap().unwrap();
        assert_eq!(stored, i, "[{be}]");
        let c = stored.classification.unwrap();
        assert_eq!(c.priority, Priority::P1, "[{be}]");
        assert_eq!(
            c.priority_override_reason.as_deref(),
            Some("directeur is getroffen"),
            "[{be}]"
        );
        // A breach cannot go below P2, even with a reason.
        let mut input = triage_input(Kind::Breach, Impact::Person, Urgency::NoDirectHindrance);
        input.priority_override = Some(Priority::P4);
        input.override_reason = Some("klein lek".into());
        let e = app.triage(&fx.sd, ids[3], input, None).await.unwrap_err();
        match &e {
            AppError::Validation(v) => {
                assert_eq!(
                    v.for_field("priority"),
                    Some("error-priority-below-floor"),
                    "[{be}]"
                )
            }
            other => panic!("[{be}] expected a validation error, got {other:?}"),
        }
        assert_eq!(
            app.store
                .incident(ids[3])
                .await
                .unwrap()
                .unwrap()
                .priority(),
            Some(Priority::P2),
            "[{be}] unchanged"
        );
        // Re-triage without override clears the old reason.
        let i = app
            .triage(
                &fx.sd,
                id,
                triage_input(Kind::Disruption, Impact::Person, Urgency::NoDirectHindrance),
                None,
            )
            .await
            .unwrap();
        assert_eq!(i.priority(), Some(Priority::P5), "[{be}]");
        let stored = app.store.incident(id).await.unwrap().unwrap();
        assert_eq!(
            stored.classification.unwrap().priority_override_reason,
            None,
            "[{be}]"
        );
    }
}

#[tokio::test]
async fn followup_token_shows_public_timeline_and_takes_reporter_info() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(
            app,
            fx.board,
            Some(fx.school1),
            "Mail verkeerd verstuurd",
            PersonalDataAnswer::Yes,
        )
        .await;
        let id = r.incident.id;
        let (i, events) = app.followup(&r.followup_token).await.unwrap();
        assert_eq!(i.id, id, "[{be}]");
        assert_eq!(i.reporter.name.as_deref(), Some("Juf Annie"), "[{be}]");
        assert_eq!(
            i.reporter.email.as_deref(),
            Some("annie@linde.nl"),
            "[{be}]"
        );
        assert_eq!(events.len(), 1, "[{be}] the report itself");
        let e = app.followup("niet-het-goede-token").await.unwrap_err();
        assert!(matches!(e, AppError::NotFound), "[{be}] {e:?}");
        let e = app.followup("").await.unwrap_err();
        assert!(matches!(e, AppError::NotFound), "[{be}] {e:?}");

        app.add_note(&fx.sd, id, "Intern: check logs", false)
            .await
            .unwrap();
        app.add_note(&fx.sd, id, "We kijken ernaar", true)
            .await
            .unwrap();
        app.add_followup_info(
            &format!("  {}  ", r.followup_token),
            "Het ging om 30 leerlingen",
        )
        .await
        .unwrap();
        let (_, events) = app.followup(&r.followup_token).await.unwrap();
        let bodies: Vec<Option<String>> = events.iter().map(|e| e.body.clone()).collect();
        assert_eq!(
            bodies,
            vec![
                None,
                Some("We kijken ernaar".into()),
                Some("Het ging om 30 leerlingen".into())
            ],
            "[{be}] the reporter sees public events only"
        );
        let view = app.incident_view(&fx.sd, id).await.unwrap();
        let info = view
            .events
            .iter()
            .find(|e| e.event_type == "reporter_info")
            .expect("reporter info");
        assert_eq!(info.actor_id, None, "[{be}]");
        assert_eq!(
            info.body.as_deref(),
            Some("Het ging om 30 leerlingen"),
            "[{be}]"
        );
        let audit = app
            .store
            .audit_for_subject(&format!("incident:{id}"))
            .await
            .unwrap();
        assert_eq!(
            audit.last().unwrap().record.action,
            "incident.reporter_info",
            "[{be}]"
        );
        assert_eq!(audit.last().unwrap().record.actor, "reporter", "[{be}]");
        let e = app
            .add_followup_info(&r.followup_token, "   ")
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Validation(_)), "[{be}] {e:?}");
        let e = app.add_followup_info("fout", "tekst").await.unwrap_err();
        assert!(matches!(e, AppError::NotFound), "[{be}] {e:?}");
    }
}

fn ids(page: &meldpunt_store::incidents::Page) -> BTreeSet<IncidentId> {
    page.items.iter().map(|i| i.id).collect()
}

fn all() -> RegisterQuery {
    RegisterQuery {
        limit: Some(500),
        ..RegisterQuery::default()
    }
}

#[tokio::test]
async fn boards_are_separated() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let other = app
            .create_board(&Actor::Cli, "Stichting Zuid")
            .await
            .unwrap();
        let other_school = app
            .add_school(&Actor::Cli, other, "De Eik", None)
            .await
            .unwrap();
        let other_im = person(app, other, None, Role::IncidentManager, "im@zuid.nl").await;
        let other_handler = person(app, other, None, Role::Handler, "h@zuid.nl").await;
        let mine = report(app, fx.board, None, "Van ons", PersonalDataAnswer::Yes)
            .await
            .incident;
        let theirs = report(
            app,
            other,
            Some(other_school),
            "Van hen",
            PersonalDataAnswer::Yes,
        )
        .await
        .incident;
        assert_eq!(mine.number, theirs.number, "[{be}] both 2026-0001");
        app.triage(
            &other_im,
            theirs.id,
            triage_input(Kind::Breach, Impact::School, Urgency::EducationStopped),
            None,
        )
        .await
        .unwrap();

        let page = app.register(&fx.im, all()).await.unwrap();
        assert_eq!(
            ids(&page),
            BTreeSet::from([mine.id]),
            "[{be}] register of board A"
        );
        let page = app.register(&other_im, all()).await.unwrap();
        assert_eq!(
            ids(&page),
            BTreeSet::from([theirs.id]),
            "[{be}] register of board B"
        );
        let q = RegisterQuery {
            text: Some("van".into()),
            ..all()
        };
        assert_eq!(
            ids(&app.register(&fx.im, q).await.unwrap()),
            BTreeSet::from([mine.id]),
            "[{be}]"
        );

        let audit = audit_entries(app, be).await;
        let nf = |what: &str, e: AppError| {
            assert!(matches!(e, AppError::NotFound), "[{be}] {what}: {e:?}")
        };
        nf(
            "view",
            app.incident_view(&fx.im, theirs.id).await.unwrap_err(),
        );
        nf(
            "note",
            app.add_note(&fx.im, theirs.id, "hallo", false)
                .await
                .unwrap_err(),
        );
        nf(
            "triage",
            app.triage(
                &fx.im,
                theirs.id,
                triage_input(Kind::Disruption, Impact::School, Urgency::EducationStopped),
                None,
            )
            .await
            .unwrap_err(),
        );
        nf(
            "assign to own handler",
            app.assign(&fx.im, theirs.id, fx.handler.user_id, None)
                .await
                .unwrap_err(),
        );
        nf(
            "assign to their handler",
            app.assign(&fx.im, theirs.id, other_handler.user_id, None)
                .await
                .unwrap_err(),
        );
        nf(
            "act",
            app.act(&fx.im, theirs.id, Command::Contain, None)
                .await
                .unwrap_err(),
        );
        let found = app.incident_by_number(&fx.im, theirs.number).await.unwrap();
        assert_eq!(
            found.id, mine.id,
            "[{be}] same number resolves within own board"
        );
        assert_eq!(
            audit_entries(app, be).await,
            audit,
            "[{be}] nothing written"
        );
        assert_eq!(
            app.store
                .incident(theirs.id)
                .await
                .unwrap()
                .unwrap()
                .version,
            2,
            "[{be}] their incident untouched"
        );
        // Assigning their incident to someone of my board is refused on their side too.
        let e = app
            .assign(&other_im, theirs.id, fx.handler.user_id, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation(_)),
            "[{be}] foreign assignee: {e:?}"
        );
    }
}

#[tokio::test]
async fn register_is_scoped_by_role() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let b = fx.board;
        let handler2 = person(app, b, None, Role::Handler, "h2@noord.nl").await;
        let dpo = person(app, b, None, Role::Dpo, "fg@noord.nl").await;
        let admin = person(app, b, None, Role::Admin, "admin@noord.nl").await;
        let sd1 = person(app, b, Some(fx.school1), Role::ServiceDesk, "sd1@noord.nl").await;
        let ibp = person(app, b, None, Role::IbpOfficer, "ibp@noord.nl").await;
        let rep = |s, school, pd| report(app, b, school, s, pd);
        let a = rep("a", Some(fx.school1), PersonalDataAnswer::No)
            .await
            .incident
            .id;
        let bb = rep("b", Some(fx.school2), PersonalDataAnswer::Yes)
            .await
            .incident
            .id;
        let c = rep("c", None, PersonalDataAnswer::Unknown)
            .await
            .incident
            .id;
        let d = rep("d", Some(fx.school1), PersonalDataAnswer::No)
            .await
            .incident
            .id;
        let e = rep("e", Some(fx.school2), PersonalDataAnswer::No)
            .await
            .incident
            .id;
        let f = rep("f", Some(fx.school1), PersonalDataAnswer::Yes)
            .await
            .incident
            .id;
        let g = rep("g", Some(fx.school2), PersonalDataAnswer::No)
            .await
            .incident
            .id;
        let tri = |id, kind| {
            app.triage(
                &fx.im,
                id,
                triage_input(kind, Impact::School, Urgency::EducationHindered),
                None,
            )
        };
        tri(d, Kind::Breach).await.unwrap();
        tri(e, Kind::Disruption).await.unwrap();
        tri(f, Kind::Disruption).await.unwrap();
        tri(g, Kind::Breach).await.unwrap();
        app.assign(&fx.im, d, fx.handler.user_id, None)
            .await
            .unwrap();
        app.assign(&fx.im, e, fx.handler.user_id, None)
            .await
            .unwrap();
        app.assign(&fx.im, g, handler2.user_id, None).await.unwrap();

        let everyone = BTreeSet::from([a, bb, c, d, e, f, g]);
        let cases = [
            ("incident manager", &fx.im, everyone.clone()),
            ("service desk", &fx.sd, everyone.clone()),
            ("handler", &fx.handler, BTreeSet::from([d, e])),
            ("handler2", &handler2, BTreeSet::from([g])),
            ("dpo", &dpo, BTreeSet::from([bb, c, d, g])),
            ("ibp officer", &ibp, BTreeSet::from([bb, c, d, g])),
            ("admin", &admin, BTreeSet::new()),
            ("school service desk", &sd1, BTreeSet::from([a, d, f])),
        ];
        for (who, p, want) in cases {
            let page = app.register(p, all()).await.unwrap();
            assert_eq!(ids(&page), want, "[{be}] register of {who}");
            assert!(page.next.is_none(), "[{be}] {who}: one page");
            for id in &everyone {
                let r = app.incident_view(p, *id).await;
                if want.contains(id) {
                    assert!(r.is_ok(), "[{be}] {who} may view {id}: {:?}", r.err());
                } else {
                    let e = r
                        .err()
                        .unwrap_or_else(|| panic!("[{be}] {who} must not view {id}"));
                    assert!(
                        matches!(e, AppError::Forbidden),
                        "[{be}] {who} viewing {id}: {e:?}"
                    );
                }
            }
        }
        // A handler cannot act on someone else's incident, nor assign.
        let err = app
            .add_note(&fx.handler, g, "mag niet", false)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{be}] {err:?}");
        let err = app
            .assign(&fx.handler, d, handler2.user_id, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{be}] {err:?}");
        // The DPO reads but does not triage.
        let err = app
            .triage(
                &dpo,
                bb,
                triage_input(Kind::Breach, Impact::School, Urgency::EducationHindered),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{be}] {err:?}");
    }
}
