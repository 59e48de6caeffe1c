//! The job queue and the service-desk notification, on SQLite and PostgreSQL, with a real SMTP server.

mod common;

use common::*;
use meldpunt_app::core::auth::Role;
use meldpunt_app::core::incident::PersonalDataAnswer;
use meldpunt_app::jobs::{Outcome, LEASE};
use meldpunt_app::store::jobs::{NewJob, Notification};
use meldpunt_app::{AppConfig, AppError};
use meldpunt_store::Backend;
use meldpunt_testkit::{SmtpServer, TestDb};

/// (status, attempts, run_at µs, last_error) of every job, oldest first.
async fn jobs(db: &TestDb) -> Vec<(String, i64, i64, Option<String>)> {
    use sqlx::Connection;
    let sql = "SELECT status, attempts, run_at, last_error FROM jobs ORDER BY created_at, id";
    match db.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
        }
    }
}

fn smtp(url: &str) -> AppConfig {
    AppConfig {
        smtp_url: Some(url.to_string()),
        mail_from: "meldpunt@noord.nl".into(),
        ..AppConfig::default()
    }
}

fn closed_port_url() -> String {
    format!("smtp://127.0.0.1:{}", meldpunt_testkit::free_port())
}

fn statuses(ns: &[Notification]) -> Vec<&str> {
    ns.iter().map(|n| n.status.as_str()).collect()
}

#[tokio::test]
async fn report_enqueues_exactly_one_notify_job() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(app, fx.board, None, "Printer", PersonalDataAnswer::No).await;
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("pending".into(), 1)],
            "[{be}]"
        );
        // The unique key keeps a second enqueue of the same notification out.
        let mut tx = app.store.begin().await.unwrap();
        let again = tx
            .enqueue(
                &NewJob {
                    kind: meldpunt_app::jobs::NOTIFY_SERVICE_DESK.into(),
                    payload: format!("{{\"incident_id\":\"{}\"}}", r.incident.id),
                    unique_key: Some(format!("notify_service_desk:{}", r.incident.id)),
                    run_at: app.now(),
                    max_attempts: 8,
                    urgent: false,
                },
                app.now(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(!again, "[{be}] duplicate unique key is not enqueued");
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("pending".into(), 1)],
            "[{be}]"
        );
        report(app, fx.board, None, "Beamer", PersonalDataAnswer::No).await;
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("pending".into(), 2)],
            "[{be}]"
        );
    }
}

#[tokio::test]
async fn without_smtp_the_notification_is_recorded_as_not_sent() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(app, fx.board, None, "Printer", PersonalDataAnswer::No).await;
        let audit = audit_entries(app, be).await;
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Idle,
            "[{be}]"
        );
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["not_sent"], "[{be}]");
        assert!(
            ns[0].detail.as_deref().unwrap_or("").contains("SMTP"),
            "[{be}] {:?}",
            ns[0].detail
        );
        assert_eq!(ns[0].board_id, fx.board, "[{be}]");
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".into(), 1)],
            "[{be}]"
        );
        let warnings = app
            .store
            .undelivered_notifications(fx.board, 10)
            .await
            .unwrap();
        assert_eq!(warnings.len(), 1, "[{be}] shown as a delivery warning");
        assert_eq!(
            audit_entries(app, be).await,
            audit + 1,
            "[{be}] notification audited"
        );
        let view = app.incident_view(&fx.sd, r.incident.id).await.unwrap();
        assert_eq!(view.notifications.len(), 1, "[{be}]");
    }
}

#[tokio::test]
async fn with_smtp_the_service_desk_gets_a_real_mail() {
    let server = SmtpServer::start();
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, smtp(&server.url)).await;
        let (app, be) = (&fx.app, fx.be);
        // A service desk of the other school does not hear about this school's reports.
        person(
            app,
            fx.board,
            Some(fx.school2),
            Role::ServiceDesk,
            "sd-anker@noord.nl",
        )
        .await;
        let summary = format!("Printer {be}");
        let r = report(
            app,
            fx.board,
            Some(fx.school1),
            &summary,
            PersonalDataAnswer::No,
        )
        .await;
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        let subject = format!(
            "Subject: [meldpunt] Nieuwe melding {}: {summary}",
            r.incident.number
        );
        assert!(
            server.wait_for(&subject, 10),
            "[{be}] mail received: {}",
            server.received()
        );
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["sent"], "[{be}]");
        assert_eq!(
            ns[0].recipient, "sd@noord.nl",
            "[{be}] only the board-wide service desk"
        );
        assert!(
            ns[0].subject.contains(&r.incident.number.to_string()),
            "[{be}]"
        );
        let got = server.received();
        let msg = got.rsplit("MESSAGE FOLLOWS").next().unwrap();
        assert!(msg.contains("To: sd@noord.nl"), "[{be}] recipient: {msg}");
        assert!(
            !msg.contains("sd-anker@noord.nl"),
            "[{be}] wrong school's desk: {msg}"
        );
        assert!(
            msg.contains("From: meldpunt@noord.nl"),
            "[{be}] sender: {msg}"
        );
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".into(), 1)],
            "[{be}]"
        );

        // The board's service-desk address takes precedence over accounts.
        let mut board = app.store.board(fx.board).await.unwrap().unwrap();
        board.service_desk_email = Some(format!("servicedesk-{be}@noord.nl"));
        app.update_board(&meldpunt_app::Actor::Cli, board)
            .await
            .unwrap();
        let r2 = report(
            app,
            fx.board,
            Some(fx.school1),
            &format!("Beamer {be}"),
            PersonalDataAnswer::Yes,
        )
        .await;
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        let subject = format!("Nieuwe melding {}: Beamer {be}", r2.incident.number);
        assert!(server.wait_for(&subject, 10), "[{be}] second mail");
        let got = server.received();
        let msg = got.rsplit("MESSAGE FOLLOWS").next().unwrap();
        assert!(
            msg.contains(&format!("To: servicedesk-{be}@noord.nl")),
            "[{be}] {msg}"
        );
        let ns = app
            .store
            .notifications_for_incident(r2.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["sent"], "[{be}]");
        assert_eq!(
            ns[0].recipient,
            format!("servicedesk-{be}@noord.nl"),
            "[{be}]"
        );
    }
}

#[tokio::test]
async fn smtp_failure_is_retried_with_backoff_until_the_server_is_up() {
    let server = SmtpServer::start();
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, smtp(&closed_port_url())).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(
            app,
            fx.board,
            None,
            &format!("Wifi {be}"),
            PersonalDataAnswer::No,
        )
        .await;
        let t0 = app.now();
        let out = app.run_one_job("w1").await.unwrap();
        assert!(matches!(out, Outcome::Failed(_)), "[{be}] {out:?}");
        let js = jobs(&db).await;
        assert_eq!(js.len(), 1, "[{be}]");
        assert_eq!(
            (js[0].0.as_str(), js[0].1),
            ("pending", 1),
            "[{be}] rescheduled"
        );
        assert_eq!(
            js[0].2,
            (t0 + secs(30)).as_microsecond(),
            "[{be}] back-off of 30 s"
        );
        assert!(js[0].3.is_some(), "[{be}] last error kept");
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["failed"], "[{be}] the failure is recorded");
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Idle,
            "[{be}] not due yet"
        );

        // The server is up now (same database, mail configured to reach it).
        let up = meldpunt_testkit::app(&db, fx.clock.clone(), smtp(&server.url));
        assert_eq!(
            up.run_one_job("w2").await.unwrap(),
            Outcome::Idle,
            "[{be}] still backing off"
        );
        fx.clock.advance(secs(31));
        assert_eq!(up.run_one_job("w2").await.unwrap(), Outcome::Done, "[{be}]");
        assert!(
            server.wait_for(
                &format!("Nieuwe melding {}: Wifi {be}", r.incident.number),
                10
            ),
            "[{be}]"
        );
        let ns = up
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["failed", "sent"], "[{be}]");
        let js = jobs(&db).await;
        assert_eq!((js[0].0.as_str(), js[0].1), ("done", 2), "[{be}]");
    }
}

#[tokio::test]
async fn a_misconfigured_sender_is_recorded_as_a_failed_delivery() {
    let server = SmtpServer::start();
    for db in meldpunt_testkit::each_backend().await {
        let config = AppConfig {
            mail_from: "geen adres".into(),
            ..smtp(&server.url)
        };
        let fx = setup(&db, config).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(app, fx.board, None, "Wifi", PersonalDataAnswer::No).await;
        let out = app.run_one_job("w1").await.unwrap();
        assert!(matches!(out, Outcome::Failed(_)), "[{be}] {out:?}");
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(
            statuses(&ns),
            ["failed"],
            "[{be}] the failure is visible in the delivery log"
        );
        assert!(
            ns[0].detail.as_deref().unwrap_or("").contains("geen adres"),
            "[{be}] {:?}",
            ns[0].detail
        );
        assert_eq!(
            app.store
                .undelivered_notifications(fx.board, 10)
                .await
                .unwrap()
                .len(),
            1,
            "[{be}]"
        );
        let js = jobs(&db).await;
        assert_eq!(
            (js[0].0.as_str(), js[0].1),
            ("pending", 1),
            "[{be}] retried later"
        );
    }
}

#[tokio::test]
async fn a_job_gives_up_after_its_last_attempt() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, smtp(&closed_port_url())).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(app, fx.board, None, "Wifi", PersonalDataAnswer::No).await;
        for attempt in 1..=8 {
            let out = app.run_one_job("w1").await.unwrap();
            assert!(
                matches!(out, Outcome::Failed(_)),
                "[{be}] attempt {attempt}: {out:?}"
            );
            fx.clock.advance(secs(7 * 3600));
        }
        assert_eq!(
            app.run_one_job("w1").await.unwrap(),
            Outcome::Idle,
            "[{be}] given up"
        );
        let js = jobs(&db).await;
        assert_eq!((js[0].0.as_str(), js[0].1), ("failed", 8), "[{be}]");
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(ns.len(), 8, "[{be}] every failed attempt recorded");
        assert!(ns.iter().all(|n| n.status == "failed"), "[{be}]");
    }
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_without_sending_twice() {
    let server = SmtpServer::start();
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, smtp(&server.url)).await;
        let (app, be) = (&fx.app, fx.be);

        // 1. A worker claimed the job and died before sending.
        let r = report(
            app,
            fx.board,
            None,
            &format!("Eerste {be}"),
            PersonalDataAnswer::No,
        )
        .await;
        let job = app
            .store
            .claim_job("dead", app.now(), LEASE)
            .await
            .unwrap()
            .expect("due job");
        assert_eq!(job.attempts, 1, "[{be}]");
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Idle,
            "[{be}] lease still held"
        );
        fx.clock.advance(LEASE + secs(1));
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Done,
            "[{be}] reclaimed"
        );
        let ns = app
            .store
            .notifications_for_incident(r.incident.id)
            .await
            .unwrap();
        assert_eq!(statuses(&ns), ["sent"], "[{be}]");
        assert_eq!(ns[0].job_id, Some(job.id), "[{be}]");
        let js = jobs(&db).await;
        assert_eq!((js[0].0.as_str(), js[0].1), ("done", 2), "[{be}]");

        // 2. A worker sent and recorded the mail, but lost its lease before completing the job.
        let r2 = report(
            app,
            fx.board,
            None,
            &format!("Tweede {be}"),
            PersonalDataAnswer::No,
        )
        .await;
        let job2 = app
            .store
            .claim_job("slow", app.now(), LEASE)
            .await
            .unwrap()
            .expect("due job");
        let mut tx = app.store.begin().await.unwrap();
        tx.insert_notification(&Notification {
            id: uuid::Uuid::now_v7(),
            board_id: fx.board,
            incident_id: Some(r2.incident.id),
            channel: "email".into(),
            recipient: "sd@noord.nl".into(),
            subject: "eerder verstuurd".into(),
            status: "sent".into(),
            detail: None,
            job_id: Some(job2.id),
            at: app.now(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        fx.clock.advance(LEASE + secs(1));
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Done,
            "[{be}] reclaimed"
        );
        let ns = app
            .store
            .notifications_for_incident(r2.incident.id)
            .await
            .unwrap();
        assert_eq!(ns.len(), 1, "[{be}] not sent again");
        // A later mail arrives; the second incident's never did (the server prints in order).
        let r3 = report(
            app,
            fx.board,
            None,
            &format!("Derde {be}"),
            PersonalDataAnswer::No,
        )
        .await;
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        assert!(
            server.wait_for(
                &format!("Nieuwe melding {}: Derde {be}", r3.incident.number),
                10
            ),
            "[{be}]"
        );
        let got = server.received();
        assert!(
            !got.contains(&format!("Tweede {be}")),
            "[{be}] the second mail was sent twice"
        );
        let first = format!(
            "Subject: [meldpunt] Nieuwe melding {}: Eerste {be}",
            r.incident.number
        );
        assert_eq!(got.matches(&first).count(), 1, "[{be}] first mail once");
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Idle,
            "[{be}]"
        );
        fx.clock.advance(LEASE * 3);
        assert_eq!(
            app.run_one_job("w2").await.unwrap(),
            Outcome::Idle,
            "[{be}] nothing left"
        );
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".into(), 3)],
            "[{be}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_run_each_job_exactly_once() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let mut ids = Vec::new();
        for k in 0..50 {
            ids.push(
                report(
                    app,
                    fx.board,
                    None,
                    &format!("r{k}"),
                    PersonalDataAnswer::No,
                )
                .await
                .incident
                .id,
            );
        }
        let worker = |name: &'static str| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut done = 0;
                loop {
                    match app.run_one_job(name).await {
                        Ok(Outcome::Done) => done += 1,
                        Ok(Outcome::Idle) => break,
                        Ok(Outcome::Failed(e)) => panic!("{name}: job failed: {e}"),
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
                done
            })
        };
        let (w1, w2) = (worker("w1"), worker("w2"));
        let (d1, d2) = (w1.await.unwrap(), w2.await.unwrap());
        // A worker may stop early when the rest was locked by the other; finish the queue.
        let mut rest = 0;
        while app.run_one_job("w3").await.unwrap() == Outcome::Done {
            rest += 1;
        }
        assert_eq!(d1 + d2 + rest, 50, "[{be}] w1 {d1}, w2 {d2}, rest {rest}");
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".into(), 50)],
            "[{be}]"
        );
        let mut job_ids = std::collections::BTreeSet::new();
        for id in ids {
            let ns = app.store.notifications_for_incident(id).await.unwrap();
            assert_eq!(
                ns.len(),
                1,
                "[{be}] incident {id}: {} notifications",
                ns.len()
            );
            assert!(
                job_ids.insert(ns[0].job_id.expect("job id")),
                "[{be}] one job per incident"
            );
        }
        assert!(
            jobs(&db).await.iter().all(|j| j.1 == 1),
            "[{be}] every job claimed once"
        );
        let _: Option<AppError> = None;
    }
}

/// A burst of new reports: one runner takes the notices together, sends each its own mail and
/// records them in one transaction; a failed server fails each notice on its own.
#[tokio::test]
async fn a_burst_of_notices_is_sent_one_mail_each_and_recorded_together() {
    let server = SmtpServer::start();
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, smtp(&server.url)).await;
        let (app, be) = (&fx.app, fx.be);
        let mut receipts = Vec::new();
        for k in 0..12 {
            let summary = format!("Burst {be} {k}");
            receipts.push(report(app, fx.board, None, &summary, PersonalDataAnswer::No).await);
        }
        let audit = audit_entries(app, be).await;
        assert_eq!(
            app.run_next_jobs("w1").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".into(), 12)],
            "[{be}] all twelve in one go"
        );
        for r in &receipts {
            let subject = format!(
                "Subject: [meldpunt] Nieuwe melding {}: {}",
                r.incident.number, r.incident.summary
            );
            assert!(server.wait_for(&subject, 10), "[{be}] mail for {subject}");
            let ns = app
                .store
                .notifications_for_incident(r.incident.id)
                .await
                .unwrap();
            assert_eq!(statuses(&ns), ["sent"], "[{be}] {}", r.incident.number);
        }
        assert_eq!(
            audit_entries(app, be).await,
            audit + 12,
            "[{be}] one audit entry per notice"
        );
        assert_eq!(
            app.run_next_jobs("w1").await.unwrap(),
            Outcome::Idle,
            "[{be}]"
        );

        // The same with a server that refuses: each notice fails and is retried on its own.
        let down = meldpunt_testkit::app(
            &db,
            meldpunt_testkit::test_clock(),
            smtp(&closed_port_url()),
        );
        let mut failed = Vec::new();
        for k in 0..3 {
            let summary = format!("Down {be} {k}");
            failed.push(report(&down, fx.board, None, &summary, PersonalDataAnswer::No).await);
        }
        assert_eq!(
            down.run_next_jobs("w1").await.unwrap(),
            Outcome::Done,
            "[{be}]"
        );
        for r in &failed {
            let ns = down
                .store
                .notifications_for_incident(r.incident.id)
                .await
                .unwrap();
            assert_eq!(statuses(&ns), ["failed"], "[{be}] {}", r.incident.number);
        }
        let pending: Vec<_> = jobs(&db)
            .await
            .into_iter()
            .filter(|(status, attempts, _, error)| {
                status == "pending" && *attempts == 1 && error.is_some()
            })
            .collect();
        assert_eq!(pending.len(), 3, "[{be}] each retried with back-off");
    }
}
