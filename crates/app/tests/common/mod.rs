//! Shared fixtures for the use-case tests. Every test runs on both backends.
#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::{Principal, Role};
use meldpunt_app::core::ids::{BoardId, SchoolId};
use meldpunt_app::core::incident::{
    Aspects, Category, Impact, Kind, PersonalDataAnswer, Reporter, Urgency,
};
use meldpunt_app::core::report::NewReport;
use meldpunt_app::incidents::{Receipt, TriageInput};
use meldpunt_app::{Actor, App, AppConfig, FixedClock};
use meldpunt_store::Backend;
use meldpunt_testkit::TestDb;
use std::sync::Arc;

/// A password that satisfies the policy.
pub const PASSWORD: &str = "correct-horse-battery";

/// One board with two schools and the usual people.
pub struct Fx {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub be: &'static str,
    pub board: BoardId,
    pub school1: SchoolId,
    pub school2: SchoolId,
    /// Board-wide service desk.
    pub sd: Principal,
    /// Incident manager.
    pub im: Principal,
    /// Handler.
    pub handler: Principal,
}

pub fn be(db: &TestDb) -> &'static str {
    match db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

pub async fn setup(db: &TestDb, config: AppConfig) -> Fx {
    let clock = meldpunt_testkit::test_clock();
    let app = meldpunt_testkit::app(db, clock.clone(), config);
    let board = app
        .create_board(&Actor::Cli, "Stichting Noord")
        .await
        .unwrap();
    let school1 = app
        .add_school(&Actor::Cli, board, "De Linde", Some("12AB"))
        .await
        .unwrap();
    let school2 = app
        .add_school(&Actor::Cli, board, "Het Anker", None)
        .await
        .unwrap();
    let sd = person(&app, board, None, Role::ServiceDesk, "sd@noord.nl").await;
    let im = person(&app, board, None, Role::IncidentManager, "im@noord.nl").await;
    let handler = person(&app, board, None, Role::Handler, "handler@noord.nl").await;
    Fx {
        app,
        clock,
        be: be(db),
        board,
        school1,
        school2,
        sd,
        im,
        handler,
    }
}

/// Creates an account with one role and returns its principal.
pub async fn person(
    app: &App,
    board: BoardId,
    school: Option<SchoolId>,
    role: Role,
    email: &str,
) -> Principal {
    let id = app
        .add_user(
            &Actor::Cli,
            NewUser {
                email: email.into(),
                name: format!("Naam {email}"),
                password: PASSWORD.into(),
                role,
                board: Some(board),
                school,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("add_user {email}: {e}"));
    app.store.principal(id).await.unwrap().unwrap()
}

pub fn new_report(summary: &str, school: Option<SchoolId>, pd: PersonalDataAnswer) -> NewReport {
    NewReport {
        summary: summary.into(),
        description: format!("Beschrijving van {summary}"),
        occurred_at: None,
        school_id: school,
        personal_data: pd,
        ongoing: Some(true),
        reporter: Reporter {
            name: Some("Juf Annie".into()),
            email: Some("annie@linde.nl".into()),
            phone: None,
        },
    }
}

/// An anonymous-form report to a board.
pub async fn report(
    app: &App,
    board: BoardId,
    school: Option<SchoolId>,
    summary: &str,
    pd: PersonalDataAnswer,
) -> Receipt {
    app.report_incident(
        &Actor::Reporter,
        new_report(summary, school, pd),
        Some(board),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("report {summary}: {e}"))
}

pub fn triage_input(kind: Kind, impact: Impact, urgency: Urgency) -> TriageInput {
    TriageInput {
        kind,
        aspects: Aspects {
            availability: true,
            ..Aspects::default()
        },
        category: Category::Outage,
        impact,
        urgency,
        priority_override: None,
        override_reason: None,
        no_incident_reason: None,
    }
}

/// The number of audit entries, after checking the chain is intact.
pub async fn audit_entries(app: &App, be: &str) -> i64 {
    app.store
        .verify_audit()
        .await
        .unwrap()
        .unwrap_or_else(|b| panic!("[{be}] audit chain broken: {b}"))
        .entries
}

pub fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

pub fn now(app: &App) -> Timestamp {
    app.now()
}
