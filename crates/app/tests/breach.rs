//! Breach use cases on SQLite and PostgreSQL: the record, awareness and deadline, decisions,
//! closing, access per role, deadline warnings over real SMTP, the register and its exports.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use meldpunt_app::breach::{BreachRegisterQuery, InformInput};
use meldpunt_app::core::auth::{Principal, Role};
use meldpunt_app::core::breach::assessment::PeopleCount;
use meldpunt_app::core::breach::enisa::ConfidentialityLoss;
use meldpunt_app::core::breach::record::{
    AssessmentAnswers, BreachAccess, BreachFacts, BreachRecord, InformGround,
};
use meldpunt_app::core::breach::{
    dutch_reason, ApIncidentKind, BreachNature, Consequence, DataCategory, DataSubjectGroup,
    PriorMeasure, Suggestion,
};
use meldpunt_app::core::ids::IncidentId;
use meldpunt_app::core::incident::{Category, Impact, Kind, PersonalDataAnswer, Urgency};
use meldpunt_app::core::lifecycle::{Command, LifecycleError};
use meldpunt_app::jobs::Outcome;
use meldpunt_app::store::breach::BreachSettings;
use meldpunt_app::{Actor, App, AppConfig, AppError};
use meldpunt_testkit::SmtpServer;

struct People {
    ibp: Principal,
    dpo: Principal,
    board: Principal,
}

async fn people(fx: &Fx) -> People {
    People {
        ibp: person(&fx.app, fx.board, None, Role::IbpOfficer, "ibp@noord.nl").await,
        dpo: person(&fx.app, fx.board, None, Role::Dpo, "fg@noord.nl").await,
        board: person(
            &fx.app,
            fx.board,
            None,
            Role::BoardMember,
            "bestuur@noord.nl",
        )
        .await,
    }
}

/// Reports "USB stick lost" and triages it as a breach as `who`.
async fn usb_breach(
    fx: &Fx,
    who: &Principal,
    school: Option<meldpunt_app::core::ids::SchoolId>,
) -> IncidentId {
    let r = report(
        &fx.app,
        fx.board,
        school,
        "USB-stick met zorgdossiers leerlingen verloren in de trein",
        PersonalDataAnswer::Yes,
    )
    .await;
    let mut t = triage_input(Kind::Breach, Impact::School, Urgency::EducationHindered);
    t.category = Category::LostDevice;
    t.aspects.confidentiality = true;
    t.aspects.availability = false;
    fx.app
        .triage(who, r.incident.id, t, None)
        .await
        .expect("triage as breach");
    r.incident.id
}

fn usb_facts() -> BreachFacts {
    BreachFacts {
        natures: vec![BreachNature::ReadByUnauthorised],
        incident_kind: Some(ApIncidentKind::DeviceLostOrStolen),
        summary: Some(
            "Een leerkracht verloor een onversleutelde USB-stick met zorgdossiers in de trein."
                .into(),
        ),
        groups: vec![DataSubjectGroup::Pupils],
        people: PeopleCount::Exact { count: 28 },
        data: vec![
            DataCategory::Name,
            DataCategory::DateOfBirth,
            DataCategory::PupilCareData,
        ],
        records: Some(28),
        prior_measure: Some(PriorMeasure::NoMeasure),
        measures: Some(
            "Stick is niet teruggevonden; USB-sticks worden voortaan versleuteld.".into(),
        ),
        ..BreachFacts::default()
    }
}

async fn drain(app: &App) {
    for _ in 0..100 {
        let (a, b) = tokio::join!(app.run_one_job("w1"), app.run_one_job("w2"));
        if a.unwrap() == Outcome::Idle && b.unwrap() == Outcome::Idle {
            return;
        }
    }
    panic!("jobs did not drain");
}

#[tokio::test]
async fn triage_as_breach_opens_the_record_with_the_deadline() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let before = audit_entries(&fx.app, be).await;
        let id = usb_breach(&fx, &pp.ibp, None).await;
        // One transaction for triage + record: report and triage are the only two audit entries.
        assert_eq!(audit_entries(&fx.app, be).await, before + 2, "[{be}]");
        let v = fx.app.breach_view(&pp.ibp, id).await.unwrap();
        let r = v.record.clone().expect("record");
        let now = fx.app.now();
        assert_eq!(
            r.awareness_at, now,
            "[{be}] awareness defaults to triage time"
        );
        assert_eq!(
            r.first_signal_at,
            v.incident.timeline.reported_at.unwrap(),
            "[{be}]"
        );
        assert_eq!(
            v.summary.deadline,
            now + SignedDuration::from_hours(72),
            "[{be}]"
        );
        assert_eq!(
            r.facts.incident_kind,
            Some(ApIncidentKind::DeviceLostOrStolen),
            "[{be}]"
        );
        assert_eq!(
            r.facts.natures,
            vec![BreachNature::ReadByUnauthorised],
            "[{be}]"
        );
        assert!(v.summary.decision_open);
        // Facts and answers round-trip through the store.
        let b = fx
            .app
            .update_breach_facts(&pp.ibp, id, usb_facts(), Some(r.version))
            .await
            .unwrap();
        let stored = fx.app.store.breach(id).await.unwrap().unwrap();
        assert_eq!(stored.facts, usb_facts(), "[{be}]");
        assert_eq!(stored.version, b.version);
        let a = fx
            .app
            .update_breach_assessment(
                &pp.ibp,
                id,
                AssessmentAnswers {
                    malicious: false,
                    ..AssessmentAnswers::default()
                },
                Some(b.version),
            )
            .await
            .unwrap();
        assert_eq!(
            a.assessment().suggestion,
            Suggestion::NotifyAuthorityAndDataSubjects,
            "[{be}]"
        );
        // A stale version is refused.
        let stale = fx
            .app
            .update_breach_facts(&pp.ibp, id, usb_facts(), Some(1))
            .await;
        assert!(
            matches!(stale, Err(AppError::Conflict(_))),
            "[{be}] {stale:?}"
        );
        // Awareness changes need a reason, which the audit trail keeps.
        let earlier = now - SignedDuration::from_hours(5);
        let no_reason = fx.app.set_breach_awareness(&pp.ibp, id, earlier, " ").await;
        assert!(matches!(no_reason, Err(AppError::Validation(_))), "[{be}]");
        let moved = fx
            .app
            .set_breach_awareness(
                &pp.ibp,
                id,
                earlier,
                "De leerkracht meldde het verlies al om 05:15 per app.",
            )
            .await
            .unwrap();
        assert_eq!(moved.deadline(), earlier + SignedDuration::from_hours(72));
        let trail = fx
            .app
            .store
            .audit_for_subject(&format!("incident:{id}"))
            .await
            .unwrap();
        let aw = trail
            .iter()
            .find(|e| e.record.action == "breach.awareness")
            .expect("audited");
        assert!(aw.record.details.contains("05:15 per app"), "[{be}]");
        // Opening a second record is a conflict.
        let again = fx.app.open_breach(&pp.ibp, id, None).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "[{be}]");
    }
}

#[tokio::test]
async fn decisions_late_notification_and_closing() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let app = &fx.app;
        let id = usb_breach(&fx, &pp.ibp, None).await;
        // Work it through to evaluated; closing is refused while the decision is open.
        app.assign(&fx.im, id, fx.handler.user_id, None)
            .await
            .unwrap();
        app.act(
            &fx.im,
            id,
            Command::Resolve {
                resolution: "Geen herstel mogelijk".into(),
                cause: "Onversleutelde stick".into(),
            },
            None,
        )
        .await
        .unwrap();
        app.act(
            &fx.im,
            id,
            Command::Evaluate {
                evaluation: "Versleuteling verplicht".into(),
            },
            None,
        )
        .await
        .unwrap();
        let close = app.act(&fx.im, id, Command::Close, None).await;
        assert!(
            matches!(
                close,
                Err(AppError::Lifecycle(LifecycleError::BreachDecisionOpen))
            ),
            "[{be}] {close:?}"
        );
        // Notifying without a decision is refused; "no" needs reasoning.
        let early = app
            .record_ap_notification(&pp.ibp, id, app.now(), Some("M1"), false, None)
            .await;
        assert!(
            matches!(&early, Err(AppError::Validation(v)) if v.for_field("notified_at") == Some("error-breach-decide-first")),
            "[{be}] {early:?}"
        );
        let no = app
            .decide_breach_notification(&pp.ibp, id, false, None, None)
            .await;
        assert!(
            matches!(&no, Err(AppError::Validation(v)) if v.for_field("reasoning") == Some("error-breach-reasoning-required")),
            "[{be}]"
        );
        app.decide_breach_notification(&pp.ibp, id, true, None, None)
            .await
            .unwrap();
        // After the deadline the delay needs a reason.
        fx.clock.advance(SignedDuration::from_hours(73));
        let late = app
            .record_ap_notification(&pp.ibp, id, app.now(), Some("M-2026-1234"), false, None)
            .await;
        assert!(
            matches!(&late, Err(AppError::Validation(v)) if v.for_field("delay_reason") == Some("error-breach-delay-reason-required")),
            "[{be}] {late:?}"
        );
        let b = app
            .record_ap_notification(
                &pp.ibp,
                id,
                app.now(),
                Some("M-2026-1234"),
                false,
                Some("De FG was ziek; het advies kwam pas op vrijdag."),
            )
            .await
            .unwrap();
        assert_eq!(
            b.ap.as_ref().unwrap().reference.as_deref(),
            Some("M-2026-1234")
        );
        // Once notified, the decision cannot become "no".
        let back = app
            .decide_breach_notification(&pp.ibp, id, false, Some("toch niet"), None)
            .await;
        assert!(matches!(back, Err(AppError::Validation(_))), "[{be}]");
        // Follow-ups are child records.
        app.add_ap_followup(
            &pp.ibp,
            id,
            meldpunt_app::core::breach::record::FollowupKind::Supplement,
            app.now(),
            Some("M-2026-1234"),
            Some("Aantal definitief: 28"),
        )
        .await
        .unwrap();
        app.add_breach_other_notification(
            &pp.ibp,
            id,
            meldpunt_app::core::breach::record::OtherRecipient::Police,
            app.now(),
            Some("PL0900-2026"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(app.store.breach_followups(id).await.unwrap().len(), 1);
        assert_eq!(
            app.store
                .breach_other_notifications(id)
                .await
                .unwrap()
                .len(),
            1
        );
        // Art. 34: "no" needs a ground; ground c needs the public communication.
        let r = app
            .decide_breach_inform(
                &pp.ibp,
                id,
                InformInput {
                    inform: false,
                    ..InformInput::default()
                },
                None,
            )
            .await;
        assert!(
            matches!(&r, Err(AppError::Validation(v)) if v.for_field("ground").is_some()),
            "[{be}]"
        );
        let r = app
            .decide_breach_inform(
                &pp.ibp,
                id,
                InformInput {
                    inform: false,
                    ground: Some(InformGround::DisproportionateEffort),
                    ..InformInput::default()
                },
                None,
            )
            .await;
        assert!(
            matches!(&r, Err(AppError::Validation(v)) if v.for_field("public_communication").is_some()),
            "[{be}]"
        );
        app.decide_breach_inform(
            &pp.ibp,
            id,
            InformInput {
                inform: true,
                informed_at: Some(app.now()),
                count: Some(28),
                ..InformInput::default()
            },
            None,
        )
        .await
        .unwrap();
        // Letters: a draft is generated, saved, then frozen once sent.
        let v = app.breach_view(&pp.ibp, id).await.unwrap();
        let draft = app
            .breach_letter_text(
                &v,
                meldpunt_app::core::breach::record::LetterAudience::Parents,
            )
            .unwrap();
        assert!(
            draft.body.starts_with("Beste ouder of verzorger"),
            "{}",
            draft.body
        );
        assert!(
            draft.body.contains("leerlingvolg- en zorggegevens")
                || draft.body.contains("Welke gegevens")
        );
        app.save_breach_letter(
            &pp.ibp,
            id,
            meldpunt_app::core::breach::record::LetterAudience::Parents,
            &draft.body,
            true,
        )
        .await
        .unwrap();
        let again = app
            .save_breach_letter(
                &pp.ibp,
                id,
                meldpunt_app::core::breach::record::LetterAudience::Parents,
                "anders",
                false,
            )
            .await;
        assert!(matches!(again, Err(AppError::Validation(_))), "[{be}]");
        // With the decision recorded the incident closes.
        app.act(&fx.im, id, Command::Close, None)
            .await
            .expect("close after decision");
        audit_entries(app, be).await;
    }
}

#[tokio::test]
async fn access_per_role() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let app = &fx.app;
        let id = usb_breach(&fx, &pp.ibp, Some(fx.school1)).await;
        app.assign(&fx.im, id, fx.handler.user_id, None)
            .await
            .unwrap();
        let admin = person(app, fx.board, None, Role::Admin, "admin@noord.nl").await;
        let other_school_ibp = person(
            app,
            fx.board,
            Some(fx.school2),
            Role::IbpOfficer,
            "ibp2@noord.nl",
        )
        .await;
        let other_board = app
            .create_board(&Actor::Cli, "Stichting Zuid")
            .await
            .unwrap();
        let stranger = person(app, other_board, None, Role::IbpOfficer, "ibp@zuid.nl").await;
        let access = |p: &Principal| {
            let p = p.clone();
            async move {
                app.breach_view(&p, id)
                    .await
                    .map(|v| (v.access, v.record.is_some(), v.assessment.is_some()))
            }
        };
        assert_eq!(
            access(&pp.ibp).await.unwrap(),
            (BreachAccess::Edit, true, true),
            "[{be}]"
        );
        assert_eq!(
            access(&fx.im).await.unwrap(),
            (BreachAccess::Edit, true, true),
            "[{be}]"
        );
        assert_eq!(
            access(&pp.dpo).await.unwrap(),
            (BreachAccess::Advise, true, true),
            "[{be}]"
        );
        assert_eq!(
            access(&pp.board).await.unwrap(),
            (BreachAccess::Read, true, true),
            "[{be}]"
        );
        assert_eq!(
            access(&fx.sd).await.unwrap(),
            (BreachAccess::Existence, false, false),
            "[{be}] service desk sees only that it exists"
        );
        assert!(
            matches!(access(&fx.handler).await, Err(AppError::Forbidden)),
            "[{be}] handlers/suppliers never"
        );
        assert!(
            matches!(access(&admin).await, Err(AppError::Forbidden)),
            "[{be}]"
        );
        assert!(
            matches!(access(&other_school_ibp).await, Err(AppError::Forbidden)),
            "[{be}]"
        );
        assert!(
            matches!(access(&stranger).await, Err(AppError::NotFound)),
            "[{be}]"
        );
        // The FG advises and does nothing else.
        app.record_fg_advice(&pp.dpo, id, "Melden: zorggegevens van kinderen.", None)
            .await
            .unwrap();
        let fg_edit = app
            .update_breach_facts(&pp.dpo, id, usb_facts(), None)
            .await;
        assert!(matches!(fg_edit, Err(AppError::Forbidden)), "[{be}]");
        let fg_decide = app
            .decide_breach_notification(&pp.dpo, id, true, None, None)
            .await;
        assert!(matches!(fg_decide, Err(AppError::Forbidden)), "[{be}]");
        // Board members and the service desk read only.
        for p in [&pp.board, &fx.sd, &fx.handler] {
            let r = app.update_breach_facts(p, id, usb_facts(), None).await;
            assert!(matches!(r, Err(AppError::Forbidden)), "[{be}] {}", p.name);
            let r = app.record_fg_advice(p, id, "x", None).await;
            assert!(matches!(r, Err(AppError::Forbidden)), "[{be}] {}", p.name);
        }
        // The board may let the service desk read the assessment.
        let s = BreachSettings {
            service_desk_sees_assessment: true,
            ..BreachSettings::default()
        };
        assert!(matches!(
            app.update_breach_settings(&Actor::User(&fx.sd), fx.board, s.clone())
                .await,
            Err(AppError::Forbidden)
        ));
        app.update_breach_settings(&Actor::User(&admin), fx.board, s)
            .await
            .unwrap();
        assert_eq!(
            access(&fx.sd).await.unwrap(),
            (BreachAccess::Read, true, true),
            "[{be}]"
        );
        // Register: handlers get nothing; the FG and board see it.
        assert!(matches!(
            app.breach_register(&fx.handler, BreachRegisterQuery::default())
                .await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(
            app.breach_register(&pp.dpo, BreachRegisterQuery::default())
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.breach_register(&stranger, BreachRegisterQuery::default())
                .await
                .unwrap()
                .len(),
            0
        );
    }
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[tokio::test]
async fn deadline_warnings_by_mail_exactly_once_with_two_workers() {
    for db in meldpunt_testkit::each_backend().await {
        let smtp = SmtpServer::start();
        let config = AppConfig {
            smtp_url: Some(smtp.url.clone()),
            mail_from: "meldpunt@noord.nl".into(),
            ..AppConfig::default()
        };
        let fx = setup(&db, config).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let app = &fx.app;
        // A second app instance on the same database, as with several servers.
        let app2 = App::new(app.store.clone(), fx.clock.clone(), (*app.config).clone());
        let id = usb_breach(&fx, &pp.ibp, None).await;
        let number = app
            .store
            .incident(id)
            .await
            .unwrap()
            .unwrap()
            .number
            .to_string();
        let awareness = app.store.breach(id).await.unwrap().unwrap().awareness_at;
        let deadline = awareness + SignedDuration::from_hours(72);
        let step = |at: Timestamp| {
            fx.clock.set(at);
            async {
                let mut s1 = std::collections::HashMap::new();
                let mut s2 = std::collections::HashMap::new();
                app.enqueue_periodic(&mut s1).await.unwrap();
                app2.enqueue_periodic(&mut s2).await.unwrap();
                for _ in 0..50 {
                    let (a, b) = tokio::join!(app.run_one_job("w1"), app2.run_one_job("w2"));
                    if a.unwrap() == Outcome::Idle && b.unwrap() == Outcome::Idle {
                        break;
                    }
                }
                // A second scan finds nothing new.
                assert_eq!(app2.scan_breach_warnings().await.unwrap(), 0);
            }
        };
        step(awareness).await;
        let subj = |s: &str| format!("Datalek {number}: {s}");
        assert!(
            smtp.wait_for(&subj("geregistreerd"), 10),
            "[{be}] registered warning"
        );
        step(deadline - SignedDuration::from_hours(24) + SignedDuration::from_mins(1)).await;
        assert!(smtp.wait_for(&subj("nog 24 uur"), 10), "[{be}] 24h warning");
        step(deadline - SignedDuration::from_hours(6)).await;
        assert!(smtp.wait_for(&subj("nog 6 uur"), 10), "[{be}] 6h warning");
        step(deadline + SignedDuration::from_mins(2)).await;
        assert!(
            smtp.wait_for(&subj("termijn verlopen"), 10),
            "[{be}] expiry warning"
        );
        step(deadline + SignedDuration::from_hours(5)).await;
        drain(app).await;
        std::thread::sleep(std::time::Duration::from_millis(300));
        let got = smtp.received();
        for s in [
            "geregistreerd",
            "nog 24 uur",
            "nog 6 uur",
            "termijn verlopen",
        ] {
            assert_eq!(
                count(&got, &format!("Subject: [meldpunt] {}", subj(s))),
                1,
                "[{be}] exactly one '{s}'\n{got}"
            );
        }
        // Recipients: IBP officer, FG, incident manager; the board member only at expiry.
        let ns = app.store.notifications_for_incident(id).await.unwrap();
        let warn: Vec<_> = ns
            .iter()
            .filter(|n| n.subject.contains("Datalek"))
            .collect();
        assert_eq!(warn.len(), 4, "[{be}] {warn:?}");
        assert!(warn.iter().all(|n| n.status == "sent"), "[{be}]");
        for n in &warn {
            assert!(
                n.recipient.contains("ibp@noord.nl")
                    && n.recipient.contains("fg@noord.nl")
                    && n.recipient.contains("im@noord.nl"),
                "[{be}] {}",
                n.recipient
            );
            assert_eq!(
                n.recipient.contains("bestuur@noord.nl"),
                n.subject.contains("termijn verlopen"),
                "[{be}] {}",
                n.recipient
            );
            assert!(
                !n.recipient.contains("handler@noord.nl") && !n.recipient.contains("sd@noord.nl")
            );
        }
        let ws = app.store.breach_warnings(id).await.unwrap();
        assert_eq!(ws.len(), 4, "[{be}]");
        assert!(ws.iter().all(|w| w.status.as_deref() == Some("sent")));
        let audited = app
            .store
            .audit_for_subject(&format!("incident:{id}"))
            .await
            .unwrap()
            .iter()
            .filter(|e| e.record.action == "breach.warning")
            .count();
        assert_eq!(audited, 4, "[{be}]");
        assert!(app.store.breach(id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn no_warnings_after_a_decision_and_not_sent_without_smtp() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let app = &fx.app;
        let id = usb_breach(&fx, &pp.ibp, None).await;
        drain(app).await;
        let ws = app.store.breach_warnings(id).await.unwrap();
        assert_eq!(ws.len(), 1, "[{be}]");
        assert_eq!(
            ws[0].status.as_deref(),
            Some("not_sent"),
            "[{be}] recorded as not sent without SMTP"
        );
        app.decide_breach_notification(
            &pp.ibp,
            id,
            false,
            Some("Stick teruggevonden, verzegeld in de kluis van de conducteur."),
            None,
        )
        .await
        .unwrap();
        fx.clock.advance(SignedDuration::from_hours(71));
        assert_eq!(app.scan_breach_warnings().await.unwrap(), 0, "[{be}]");
        assert_eq!(app.store.breach_warnings(id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn register_filters_and_exports() {
    use calamine::Reader;
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let be = fx.be;
        let pp = people(&fx).await;
        let app = &fx.app;
        let a = usb_breach(&fx, &pp.ibp, Some(fx.school1)).await;
        app.update_breach_facts(&pp.ibp, a, usb_facts(), None)
            .await
            .unwrap();
        app.decide_breach_notification(&pp.ibp, a, true, None, None)
            .await
            .unwrap();
        app.record_ap_notification(&pp.ibp, a, app.now(), Some("M-0001"), true, None)
            .await
            .unwrap();
        fx.clock.advance(SignedDuration::from_hours(24 * 40));
        let b = usb_breach(&fx, &pp.ibp, Some(fx.school2)).await;
        app.decide_breach_notification(
            &pp.ibp,
            b,
            false,
            Some("Geen risico: lijst met alleen voornamen, direct verwijderd."),
            None,
        )
        .await
        .unwrap();
        // An exercise is never in the register.
        let ex = app
            .report_incident(
                &Actor::User(&pp.ibp),
                new_report("Oefening datalek", None, PersonalDataAnswer::Yes),
                Some(fx.board),
                true,
            )
            .await
            .unwrap();
        app.triage(
            &pp.ibp,
            ex.incident.id,
            triage_input(Kind::Breach, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        let all = app
            .breach_register(&pp.ibp, BreachRegisterQuery::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "[{be}] exercises excluded");
        let by_school = app
            .breach_register(
                &pp.ibp,
                BreachRegisterQuery {
                    school: Some(fx.school2),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            by_school
                .iter()
                .map(|e| e.record.incident_id)
                .collect::<Vec<_>>(),
            vec![b],
            "[{be}]"
        );
        let first_month = app
            .breach_register(
                &pp.ibp,
                BreachRegisterQuery {
                    from: Some(app.now() - SignedDuration::from_hours(24 * 45)),
                    until: Some(app.now() - SignedDuration::from_hours(24 * 30)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            first_month
                .iter()
                .map(|e| e.record.incident_id)
                .collect::<Vec<_>>(),
            vec![a],
            "[{be}]"
        );
        let csv = meldpunt_app::breach::export::csv(&all);
        let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 3, "[{be}] {csv}");
        assert!(
            lines[0]
                .trim_start_matches('\u{feff}')
                .starts_with("Nummer,School,"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("M-0001") && lines[1].contains("De Linde"),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains("Geen risico"), "{}", lines[2]);
        let bytes = meldpunt_app::breach::export::xlsx(&all, app.now()).unwrap();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx opens");
        let range = wb.worksheet_range("Register datalekken").expect("sheet");
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows[0][0], "Nummer");
        assert_eq!(rows[0].len(), meldpunt_app::breach::export::COLUMNS.len());
        let numbers: Vec<String> = all.iter().map(|e| e.incident.number.to_string()).collect();
        assert_eq!(rows[1][0], numbers[0], "[{be}]");
        assert_eq!(rows[2][0], numbers[1], "[{be}]");
        assert_eq!(rows[1][19], "M-0001");
        assert_eq!(rows[2][17], "nee");
        assert!(
            rows[1][15].contains("aanzienlijk")
                || rows[1][15].contains("zeer groot")
                || rows[1][15].contains("beperkt"),
            "{:?}",
            rows[1]
        );
    }
}

/// The AP pack: chapters in order, what is missing, the controller's details; the PDF.
#[tokio::test]
async fn pack_and_pdf() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let pp = people(&fx).await;
        let app = &fx.app;
        let id = usb_breach(&fx, &pp.ibp, Some(fx.school1)).await;
        let v = app.breach_view(&pp.ibp, id).await.unwrap();
        let p = meldpunt_app::breach::pack::build(
            v.record.as_ref().unwrap(),
            &v.incident,
            &v.board,
            v.school.as_ref(),
            &v.settings,
            &v.others,
            &v.followups,
        );
        let titles: Vec<&str> = p.chapters.iter().map(|c| c.title).collect();
        assert_eq!(titles, meldpunt_app::breach::pack::CHAPTERS.to_vec());
        let missing = p.missing();
        assert!(
            missing.iter().any(|m| m.contains("KvK-nummer")),
            "{missing:?}"
        );
        assert!(
            missing
                .iter()
                .any(|m| m.contains("Soorten persoonsgegevens")),
            "{missing:?}"
        );
        let pdf = meldpunt_app::breach::pdf::render(&p, "ontbreekt nog", "test");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        for t in titles {
            assert!(text.contains(t), "{t} in the PDF");
        }
    }
}

/// Five example breaches and what the assessment says about them (run with `--nocapture`).
#[test]
fn five_example_assessments() {
    use meldpunt_app::core::breach::record::AssessmentAnswers as A;
    let base = |kind,
                natures: Vec<BreachNature>,
                data: Vec<DataCategory>,
                groups: Vec<DataSubjectGroup>,
                people: u64| BreachFacts {
        natures,
        incident_kind: Some(kind),
        groups,
        people: PeopleCount::Exact { count: people },
        data,
        prior_measure: Some(PriorMeasure::NoMeasure),
        ..BreachFacts::default()
    };
    let mk = |facts: BreachFacts, answers: A| {
        let r = BreachRecord {
            incident_id: IncidentId::new_v7(Timestamp::UNIX_EPOCH),
            board_id: meldpunt_app::core::ids::BoardId::new_v7(Timestamp::UNIX_EPOCH),
            school_id: None,
            exercise: false,
            first_signal_at: Timestamp::UNIX_EPOCH,
            awareness_at: Timestamp::UNIX_EPOCH,
            facts,
            answers,
            notify: None,
            fg_advice: None,
            ap: None,
            inform: None,
            version: 1,
        };
        r.assessment()
    };
    let cases = vec![
        (
            "1. USB-stick met zorgdossiers van 28 leerlingen verloren in de trein (onversleuteld)",
            mk(base(ApIncidentKind::DeviceLostOrStolen, vec![BreachNature::ReadByUnauthorised], vec![DataCategory::Name, DataCategory::DateOfBirth, DataCategory::PupilCareData], vec![DataSubjectGroup::Pupils], 28), A { malicious: false, ..A::default() }),
            Suggestion::NotifyAuthorityAndDataSubjects,
        ),
        (
            "2. Klassenlijst (namen, leerlingnummers) naar één verkeerde ouder gemaild, die hem verwijderde",
            mk(base(ApIncidentKind::EmailWrongRecipient, vec![BreachNature::ReadByUnauthorised], vec![DataCategory::Name, DataCategory::PupilNumber], vec![DataSubjectGroup::Pupils], 27), A { confidentiality: Some(ConfidentialityLoss::KnownRecipients), mitigation: meldpunt_app::core::breach::Mitigation { trusted_recipient_deleted: true, ..Default::default() }, ..A::default() }),
            Suggestion::RegisterOnly,
        ),
        (
            "3. Ransomware op de administratieserver; back-up teruggezet, exfiltratie uitgesloten",
            mk(base(ApIncidentKind::HackingMalwarePhishing, vec![BreachNature::TemporarilyUnavailable], vec![DataCategory::Name, DataCategory::Address, DataCategory::BankAccount], vec![DataSubjectGroup::Staff, DataSubjectGroup::ParentsGuardians], 1200), A { malicious: true, mitigation: meldpunt_app::core::breach::Mitigation { restored_from_backup: true, exfiltration_ruled_out: true, ..Default::default() }, ..A::default() }),
            Suggestion::RegisterOnly,
        ),
        (
            "4. Gestolen versleutelde laptop met personeelsdossiers (BitLocker, sleutel veilig)",
            mk({
                let mut f = base(ApIncidentKind::DeviceLostOrStolen, vec![BreachNature::ReadByUnauthorised], vec![DataCategory::Name, DataCategory::Bsn, DataCategory::Health], vec![DataSubjectGroup::Staff], 85);
                f.prior_measure = Some(PriorMeasure::Encrypted);
                f
            }, A { malicious: true, mitigation: meldpunt_app::core::breach::Mitigation { key_safe: true, ..Default::default() }, ..A::default() }),
            Suggestion::RegisterOnly,
        ),
        (
            "5. Phishing: inloggegevens van de leerlingadministratie buitgemaakt, 2.300 ouders met BSN",
            mk({
                let mut f = base(ApIncidentKind::HackingMalwarePhishing, vec![BreachNature::ReadByUnauthorised], vec![DataCategory::LoginCredentials, DataCategory::Bsn, DataCategory::Address], vec![DataSubjectGroup::ParentsGuardians, DataSubjectGroup::Pupils], 2300);
                f.consequences = vec![Consequence::IdentityFraud];
                f
            }, A { malicious: true, credentials_open: Some(meldpunt_app::core::breach::EnisaDataClass::Financial), ..A::default() }),
            Suggestion::NotifyAuthorityAndDataSubjects,
        ),
    ];
    for (title, a, want) in cases {
        println!("\n{title}");
        println!(
            "  suggestie: {} ({})\n  ENISA: score {} — niveau {} — AP: {}",
            a.suggestion.dutch(),
            a.suggestion.code(),
            a.severity.score.dutch(),
            a.severity.level.dutch(),
            a.severity.level.ap_severity().dutch()
        );
        for r in &a.reasons {
            println!("  - {}", dutch_reason(r));
        }
        assert_eq!(a.suggestion, want, "{title}: {:?}", a.reasons);
    }
}
