//! Creating and triaging in one request is one transaction: both happen or neither does.

use meldpunt_app::accounts::NewUser;
use meldpunt_app::incidents::{RegisterQuery, TriageInput};
use meldpunt_app::{Actor, AppConfig, AppError};
use meldpunt_core::auth::Role;
use meldpunt_core::incident::{Aspects, Category, Impact, Kind, PersonalDataAnswer, Urgency};
use meldpunt_core::report::{NewReport, ReportInput};

fn triage(kind: Kind) -> TriageInput {
    TriageInput {
        kind,
        aspects: Aspects {
            availability: true,
            ..Aspects::default()
        },
        category: Category::Outage,
        impact: Impact::School,
        urgency: Urgency::EducationHindered,
        priority_override: None,
        override_reason: None,
        no_incident_reason: None,
    }
}

#[tokio::test]
async fn report_and_triage_is_all_or_nothing() {
    for db in meldpunt_testkit::each_backend().await {
        let name = db.backend.name();
        let app = meldpunt_testkit::app(&db, meldpunt_testkit::test_clock(), AppConfig::default());
        let board = app
            .create_board(&Actor::Cli, "Stichting Test")
            .await
            .unwrap();
        let mut people = Vec::new();
        for (email, role) in [
            ("sd@t.nl", Role::ServiceDesk),
            ("ibp@t.nl", Role::IbpOfficer),
        ] {
            let id = app
                .add_user(
                    &Actor::Cli,
                    NewUser {
                        email: email.into(),
                        name: email.into(),
                        password: "een-lang-wachtwoord".into(),
                        role,
                        board: Some(board),
                        school: None,
                    },
                )
                .await
                .unwrap();
            people.push(db.store.principal(id).await.unwrap().unwrap());
        }
        let (sd, ibp) = (&people[0], &people[1]);
        let report = |text: &str, pd: &str| {
            NewReport::parse(
                &ReportInput {
                    description: text,
                    personal_data: Some(pd),
                    ..Default::default()
                },
                app.now(),
            )
            .unwrap()
        };
        let audit_before = db.store.recent_audit(1).await.unwrap()[0].seq;

        // The IBP officer may create, but may not triage a report without personal data:
        // nothing is created, no number is used, no audit entry is written.
        let err = app
            .report_incident_triaged(
                ibp,
                report("Beamer kapot", "no"),
                Some(board),
                false,
                triage(Kind::Disruption),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{name}] {err:?}");
        let page = app.register(sd, RegisterQuery::default()).await.unwrap();
        assert!(page.items.is_empty(), "[{name}] nothing was created");
        assert_eq!(
            db.store.recent_audit(1).await.unwrap()[0].seq,
            audit_before,
            "[{name}] no audit entry"
        );

        // Allowed: one incident, triaged, with the first number of the year.
        let r = app
            .report_incident_triaged(
                sd,
                report("Wifi valt uit", "unknown"),
                Some(board),
                false,
                triage(Kind::Disruption),
            )
            .await
            .unwrap();
        assert_eq!(
            r.incident.number.seq, 1,
            "[{name}] the failed attempt used no number"
        );
        assert_eq!(r.incident.kind(), Some(Kind::Disruption));
        assert_eq!(r.incident.personal_data, PersonalDataAnswer::Unknown);
        let stored = db.store.incident(r.incident.id).await.unwrap().unwrap();
        assert_eq!(stored, r.incident, "[{name}] stored as returned");
        let actions: Vec<String> = db
            .store
            .audit_for_subject(&format!("incident:{}", r.incident.id))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.record.action)
            .collect();
        assert_eq!(actions, ["incident.report", "incident.triage"], "[{name}]");
        assert!(db.store.verify_audit().await.unwrap().is_ok());
    }
}
