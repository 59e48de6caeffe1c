//! Concurrent reports go through the intake batch writer: every report is acknowledged with its
//! own consecutive number, and each has its incident, SLA row, timeline event, audit entry and
//! service-desk job — on both backends.

use meldpunt_app::{Actor, AppConfig};
use meldpunt_core::ids::IncidentNumber;
use meldpunt_core::report::{NewReport, ReportInput};
use meldpunt_store::incidents::Filter;
use std::collections::BTreeSet;

const REPORTS: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reports_are_each_written_whole() {
    for db in meldpunt_testkit::each_backend().await {
        let name = db.backend.name();
        let clock = meldpunt_testkit::test_clock();
        let app = meldpunt_testkit::app(&db, clock, AppConfig::default());
        let board = app
            .create_board(&Actor::Cli, "Stichting Test")
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for k in 0..REPORTS {
            let app = app.clone();
            let now = app.now();
            tasks.push(tokio::spawn(async move {
                let text = format!("Melding {k}: de digiborden in lokaal {k} doen het niet");
                let report = NewReport::parse(
                    &ReportInput {
                        description: &text,
                        personal_data: Some(if k % 3 == 0 { "unknown" } else { "no" }),
                        ..ReportInput::default()
                    },
                    now,
                )
                .unwrap();
                app.report_incident(&Actor::Reporter, report, Some(board), false)
                    .await
            }));
        }
        let mut numbers = BTreeSet::new();
        let mut tokens = BTreeSet::new();
        for t in tasks {
            let receipt = t.await.unwrap().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                numbers.insert(receipt.incident.number.seq),
                "{name}: number reused"
            );
            assert!(
                tokens.insert(receipt.followup_token.clone()),
                "{name}: token reused"
            );
            let stored = app
                .store
                .incident(receipt.incident.id)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{name}: acknowledged report missing"));
            assert_eq!(stored.number, receipt.incident.number, "{name}");
            assert_eq!(stored.summary, receipt.incident.summary, "{name}");
        }
        let expected: BTreeSet<i64> = (1..=REPORTS as i64).collect();
        assert_eq!(
            numbers, expected,
            "{name}: numbers 1..={REPORTS} without gaps"
        );
        let last = IncidentNumber {
            year: 2026,
            seq: REPORTS as i64,
        };
        let i = app.store.incident_by_number(board, last).await.unwrap();
        assert!(i.is_some(), "{name}");

        // Every report has its SLA row, its "reported" event and its service-desk job.
        let sla = db.store.count_rows("incident_sla").await.unwrap();
        let events = db.store.count_rows("incident_events").await.unwrap();
        let jobs = db.store.count_rows("jobs").await.unwrap();
        assert_eq!(sla, REPORTS as i64, "{name}: SLA rows");
        assert_eq!(events, REPORTS as i64, "{name}: events");
        assert_eq!(jobs, REPORTS as i64, "{name}: jobs");
        let page = app
            .store
            .list_incidents(&Filter {
                boards: vec![board],
                limit: 500,
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), REPORTS, "{name}: register");
        // The chain holds the board's creation and one entry per report.
        let audit = app.store.verify_audit().await.unwrap().unwrap();
        assert_eq!(audit.entries, 1 + REPORTS as i64, "{name}: audit entries");
    }
}
