//! A board's own priority matrix drives triage, and changing it is audited; on both backends.

use meldpunt_app::accounts::NewUser;
use meldpunt_app::incidents::TriageInput;
use meldpunt_app::{Actor, AppConfig, AppError};
use meldpunt_core::auth::Role;
use meldpunt_core::incident::{Aspects, Category, Impact, Kind, Priority, Urgency};
use meldpunt_core::priority::PriorityMatrix;
use meldpunt_core::report::{NewReport, ReportInput};

#[tokio::test]
async fn board_matrix_drives_triage_and_is_audited() {
    for db in meldpunt_testkit::each_backend().await {
        let name = db.backend.name();
        let clock = meldpunt_testkit::test_clock();
        let app = meldpunt_testkit::app(&db, clock.clone(), AppConfig::default());
        let board = app
            .create_board(&Actor::Cli, "Stichting Test")
            .await
            .unwrap();
        let sd = app
            .add_user(
                &Actor::Cli,
                NewUser {
                    email: "sd@test.nl".into(),
                    name: "SD".into(),
                    password: "een-lang-wachtwoord".into(),
                    role: Role::ServiceDesk,
                    board: Some(board),
                    school: None,
                },
            )
            .await
            .unwrap();
        let sd = db.store.principal(sd).await.unwrap().unwrap();
        let report = NewReport::parse(
            &ReportInput {
                description: "Digibord in lokaal 4 doet het niet",
                ..Default::default()
            },
            app.now(),
        )
        .unwrap();
        let receipt = app
            .report_incident(&Actor::Reporter, report, Some(board), false)
            .await
            .unwrap();
        let triage = || TriageInput {
            kind: Kind::Disruption,
            aspects: Aspects {
                availability: true,
                ..Aspects::default()
            },
            category: Category::Outage,
            impact: Impact::Person,
            urgency: Urgency::NoDirectHindrance,
            priority_override: None,
            override_reason: None,
            no_incident_reason: None,
        };
        let i = app
            .triage(&sd, receipt.incident.id, triage(), None)
            .await
            .unwrap();
        assert_eq!(i.priority(), Some(Priority::P5), "[{name}] default matrix");

        // A service-desk user may not change the matrix.
        let own = PriorityMatrix::from_cells([[Priority::P4; 3]; 4]);
        assert!(
            matches!(
                app.set_priority_matrix(&Actor::User(&sd), board, own.clone())
                    .await,
                Err(AppError::Forbidden)
            ),
            "[{name}] service desk cannot change the matrix"
        );
        let before = db.store.recent_audit(1).await.unwrap()[0].seq;
        app.set_priority_matrix(&Actor::Cli, board, own.clone())
            .await
            .unwrap();
        let after = db.store.recent_audit(1).await.unwrap();
        assert_eq!(after[0].seq, before + 1, "[{name}] one audit entry");
        assert_eq!(after[0].record.action, "board.priority_matrix");
        assert_eq!(app.priority_matrix(board).await.unwrap(), own);

        let i = app
            .triage(&sd, receipt.incident.id, triage(), Some(i.version))
            .await
            .unwrap();
        assert_eq!(
            i.priority(),
            Some(Priority::P4),
            "[{name}] board's own matrix"
        );
        // The breach floor still applies on top of a board's matrix.
        let mut t = triage();
        t.kind = Kind::Breach;
        let i = app
            .triage(&sd, receipt.incident.id, t, Some(i.version))
            .await
            .unwrap();
        assert_eq!(i.priority(), Some(Priority::P2), "[{name}] breach floor");
        assert!(db.store.verify_audit().await.unwrap().is_ok());
    }
}
