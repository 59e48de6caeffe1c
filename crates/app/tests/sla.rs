//! Service levels, escalation, on-call and notifications (issue 4), on SQLite and PostgreSQL,
//! against a real SMTP server and a real HTTP receiver on loopback.
//!
//! `done_when_scenarios` is the scripted demo: run it with `--nocapture` to see the story.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use meldpunt_app::core::auth::{Principal, Role};
use meldpunt_app::core::calendar::{amsterdam, SchoolRegion};
use meldpunt_app::core::ids::IncidentId;
use meldpunt_app::core::incident::{Impact, Kind, PersonalDataAnswer, Urgency};
use meldpunt_app::jobs::Outcome;
use meldpunt_app::sla::Granularity;
use meldpunt_app::{Actor, App, AppConfig, AppError};
use meldpunt_testkit::http::HttpReceiver;
use meldpunt_testkit::SmtpServer;
use std::collections::HashMap;

fn ams(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    amsterdam()
        .to_timestamp(jiff::civil::date(y, m, d).at(h, min, 0, 0))
        .unwrap()
}

fn local(t: Timestamp) -> String {
    meldpunt_app::escalation::local(t)
}

fn config(smtp: &SmtpServer) -> AppConfig {
    AppConfig {
        smtp_url: Some(smtp.url.clone()),
        mail_from: "meldpunt@noord.nl".into(),
        public_base_url: "https://meldpunt.noord.nl".into(),
    }
}

/// Enqueues the periodic ticks for the clock's slot and runs every due job.
async fn tick(app: &App) -> usize {
    app.enqueue_periodic(&mut HashMap::new()).await.unwrap();
    drain(app).await
}

/// Runs due jobs until none is left; returns how many ran.
async fn drain(app: &App) -> usize {
    let mut n = 0;
    for _ in 0..500 {
        match app.run_one_job("test-worker").await.unwrap() {
            Outcome::Idle => return n,
            _ => n += 1,
        }
    }
    panic!("jobs keep coming");
}

async fn events_of(
    app: &App,
    id: IncidentId,
    kind: &str,
) -> Vec<meldpunt_app::store::incidents::Event> {
    app.store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == kind)
        .collect()
}

async fn setup_channels(fx: &Fx, hook: &HttpReceiver) -> (uuid::Uuid, uuid::Uuid) {
    let app = &fx.app;
    let mut s = app.sla_settings(fx.board).await.unwrap();
    s.webhook_hosts = vec!["127.0.0.1".into()];
    app.save_sla_settings(&Actor::Cli, fx.board, s)
        .await
        .unwrap();
    let oncall = app
        .add_webhook(
            &Actor::Cli,
            fx.board,
            "Bereikbaarheid",
            "generic",
            &format!("{}/hooks/oncall", hook.base),
            Some("geheim-voor-de-test"),
            false,
            true,
            false,
        )
        .await
        .unwrap();
    let crisis = app
        .add_webhook(
            &Actor::Cli,
            fx.board,
            "Crisisteam",
            "teams",
            &format!("{}/hooks/crisis", hook.base),
            None,
            true,
            false,
            true,
        )
        .await
        .unwrap();
    (oncall, crisis)
}

#[tokio::test]
async fn done_when_scenarios() {
    for db in meldpunt_testkit::each_backend().await {
        let smtp = SmtpServer::start();
        let hook = HttpReceiver::start();
        let fx = setup(&db, config(&smtp)).await;
        let (app, be) = (&fx.app, fx.be);
        println!("\n=== [{be}] Board 'Stichting Noord', region midden (default), Mon–Fri 07:30–17:00 ===");
        fx.clock.set(ams(2026, 10, 16, 16, 0));
        let (oncall_hook, _crisis_hook) = setup_channels(&fx, &hook).await;
        app.set_rota(&Actor::Cli, fx.board, vec![fx.sd.user_id, fx.im.user_id])
            .await
            .unwrap();
        drain(app).await;
        let rota = app.rota(&fx.im, fx.board, 2).await.unwrap();
        println!(
            "[{be}] rota: {} on call {} – {}, then {}",
            rota.now.as_ref().unwrap().1,
            local(rota.schedule[0].0.start),
            local(rota.now.as_ref().unwrap().2),
            rota.next.as_ref().unwrap().1
        );

        // --- Scenario 1: P2 on the Friday before the autumn holiday at 16:30.
        fx.clock.set(ams(2026, 10, 16, 16, 30));
        let p2 = report(
            app,
            fx.board,
            Some(fx.school1),
            "Digibord lokaal 4 valt uit",
            PersonalDataAnswer::No,
        )
        .await
        .incident;
        fx.clock.set(ams(2026, 10, 16, 16, 40));
        app.triage(
            &fx.sd,
            p2.id,
            triage_input(Kind::Disruption, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        fx.clock.set(ams(2026, 10, 16, 16, 45));
        app.assign(&fx.sd, p2.id, fx.handler.user_id, None)
            .await
            .unwrap();
        let row = app.store.incident_sla(p2.id).await.unwrap().unwrap();
        println!(
            "[{be}] P2 {} reported Fri 16-10-2026 16:30: response due {} (answered 16:40, {}), resolution due {}, at risk from {}",
            p2.number,
            local(row.response.due_at.unwrap()),
            row.response.state,
            local(row.resolution.due_at.unwrap()),
            local(row.resolution.at_risk_at.unwrap()),
        );
        assert_eq!(row.priority, "p2");
        assert_eq!(row.response.due_at, Some(ams(2026, 10, 26, 8, 0)), "[{be}]");
        assert_eq!(row.response.state, "met");
        assert_eq!(
            row.resolution.due_at,
            Some(ams(2026, 10, 26, 16, 30)),
            "[{be}]"
        );
        assert_eq!(
            row.resolution.at_risk_at,
            Some(ams(2026, 10, 26, 14, 7) + SignedDuration::from_secs(30))
        );
        assert_eq!(row.next_check_at, row.resolution.at_risk_at);
        // Nothing was alerted: a P2 in office hours without personal data.
        assert!(app
            .store
            .alerts_for_incident(p2.id)
            .await
            .unwrap()
            .is_empty());

        // --- Scenario 2: P1 at 02:00 on Saturday 17 October.
        let monitor = person(
            app,
            fx.board,
            None,
            Role::ServiceDesk,
            "monitoring@noord.nl",
        )
        .await;
        fx.clock.set(ams(2026, 10, 17, 2, 0));
        let p1 = app
            .report_incident(
                &Actor::User(&monitor),
                new_report("Netwerk alle scholen plat", None, PersonalDataAnswer::No),
                Some(fx.board),
                false,
            )
            .await
            .unwrap()
            .incident;
        app.triage(
            &monitor,
            p1.id,
            triage_input(Kind::Disruption, Impact::Board, Urgency::EducationStopped),
            None,
        )
        .await
        .unwrap();
        let ran = drain(app).await;
        let alerts = app.store.alerts_for_incident(p1.id).await.unwrap();
        assert_eq!(alerts.len(), 1, "[{be}] one alert");
        assert_eq!(alerts[0].user_id, Some(fx.sd.user_id));
        assert_eq!(alerts[0].ack_due_at, ams(2026, 10, 17, 2, 15));
        println!(
            "[{be}] P1 {} at Sat 17-10-2026 02:00 (outside working hours): {ran} jobs ran; on call alerted: {} (acknowledge before {})",
            p1.number,
            fx.sd.name,
            local(alerts[0].ack_due_at)
        );
        assert!(
            smtp.wait_for("To: sd@noord.nl", 10),
            "[{be}] e-mail to the person on call"
        );
        let received = hook.wait_for(2, 10);
        let oncall_req: Vec<_> = received
            .iter()
            .filter(|r| r.path == "/hooks/oncall")
            .collect();
        assert_eq!(oncall_req.len(), 1, "[{be}] one on-call webhook");
        let body: serde_json::Value = serde_json::from_slice(&oncall_req[0].body).unwrap();
        assert_eq!(body["event"], "oncall.alert");
        let sig = oncall_req[0].header("x-meldpunt-signature").unwrap();
        // Signed with the shared secret over "<t>.<body>"; t is the (test) clock's time.
        assert!(meldpunt_app::webhook::verify_signature(
            "geheim-voor-de-test",
            sig,
            &oncall_req[0].body,
            ams(2026, 10, 17, 2, 0).as_second(),
            60
        ));
        println!(
            "[{be}]   webhook {} → {} signed '{}…' (valid HMAC); e-mail to sd@noord.nl via SMTP",
            oncall_req[0].path,
            body["title"].as_str().unwrap(),
            &sig[..14]
        );
        let crisis: Vec<_> = received
            .iter()
            .filter(|r| r.path == "/hooks/crisis")
            .collect();
        assert_eq!(crisis.len(), 1, "[{be}] the crisis channel hears of the P1");
        assert!(crisis[0].text().contains("MessageCard"));

        // Not acknowledged within 15 minutes: the next in the chain.
        fx.clock.set(ams(2026, 10, 17, 2, 15));
        drain(app).await;
        let alerts = app.store.alerts_for_incident(p1.id).await.unwrap();
        assert_eq!(alerts.len(), 2, "[{be}] escalated to the next person");
        assert_eq!(alerts[1].user_id, Some(fx.im.user_id));
        assert!(smtp.wait_for("To: im@noord.nl", 10));
        let received = hook.wait_for(3, 10);
        let oncall_reqs: Vec<_> = received
            .iter()
            .filter(|r| r.path == "/hooks/oncall")
            .collect();
        assert_eq!(oncall_reqs.len(), 2);
        let second: serde_json::Value = serde_json::from_slice(&oncall_reqs[1].body).unwrap();
        println!(
            "[{be}] 02:15 not acknowledged → next in chain alerted: {} (\"{}\")",
            fx.im.name,
            second["text"]
                .as_str()
                .unwrap()
                .lines()
                .nth(2)
                .unwrap_or("")
        );
        // The incident manager acknowledges with the link in the message, without logging in.
        let link = second["ack_link"].as_str().unwrap().to_string();
        let token = link.rsplit('/').next().unwrap();
        fx.clock.set(ams(2026, 10, 17, 2, 18));
        assert!(app.acknowledge_by_token(token).await.unwrap());
        assert!(
            !app.acknowledge_by_token(token).await.unwrap(),
            "idempotent"
        );
        fx.clock.set(ams(2026, 10, 17, 2, 31));
        drain(app).await;
        let alerts = app.store.alerts_for_incident(p1.id).await.unwrap();
        assert_eq!(alerts.len(), 2, "[{be}] the chain stops once acknowledged");
        assert!(alerts.iter().all(|a| a.acknowledged_at.is_some()));
        println!("[{be}] 02:18 {} acknowledged via {link}", fx.im.name);
        assert_eq!(events_of(app, p1.id, "oncall_alert").await.len(), 2);
        assert_eq!(events_of(app, p1.id, "oncall_ack").await.len(), 1);

        // The P1's resolution clock (4 h, 24/7) escalates: at risk at 05:00, breached at 06:00.
        fx.clock.set(ams(2026, 10, 17, 5, 1));
        tick(app).await;
        fx.clock.set(ams(2026, 10, 17, 6, 1));
        tick(app).await;
        let esc = events_of(app, p1.id, "escalation").await;
        assert_eq!(esc.len(), 2, "[{be}] at risk, then breached");
        for e in &esc {
            println!(
                "[{be}] {} escalation: {}",
                local(e.at),
                e.body.as_deref().unwrap_or("")
            );
        }
        assert!(esc[1].body.as_deref().unwrap().contains("incidentmanager"));

        // During the autumn holiday the P2 clock stands still: no escalation.
        fx.clock.set(ams(2026, 10, 21, 12, 0));
        tick(app).await;
        assert!(
            events_of(app, p2.id, "escalation").await.is_empty(),
            "[{be}] holiday"
        );
        let (_, live, _) = app.incident_sla_status(&fx.im, p2.id).await.unwrap();
        assert_eq!(live.resolution.elapsed, SignedDuration::from_mins(30));

        // Monday 26 October 14:10: the P2 resolution is at risk.
        fx.clock.set(ams(2026, 10, 26, 14, 10));
        tick(app).await;
        let esc = events_of(app, p2.id, "escalation").await;
        assert_eq!(esc.len(), 1, "[{be}] P2 at risk");
        println!(
            "[{be}] {} escalation: {}",
            local(esc[0].at),
            esc[0].body.as_deref().unwrap()
        );

        // The dashboard shows both.
        let d = app
            .sla_dashboard(&fx.im, fx.board, Granularity::Month)
            .await
            .unwrap();
        println!(
            "[{be}] dashboard {}: open {} — op schema {}, dreigt te verlopen {}, verlopen {}",
            local(d.now),
            d.totals.total,
            d.totals.on_track,
            d.totals.at_risk,
            d.totals.breached
        );
        for a in &d.at_risk {
            println!(
                "[{be}]   {} {:<30} {} {:<10} {:<9} due {} time left {}",
                a.number,
                a.summary,
                a.priority.code().to_uppercase(),
                a.clock,
                a.state.code(),
                local(a.due_at.unwrap()),
                meldpunt_app::escalation::human_duration(a.remaining)
            );
        }
        assert_eq!(d.totals.total, 2);
        assert_eq!(d.totals.at_risk, 1);
        assert_eq!(d.totals.breached, 1);
        let numbers: Vec<&str> = d.at_risk.iter().map(|a| a.number.as_str()).collect();
        assert_eq!(numbers, vec![p1.number.to_string(), p2.number.to_string()]);
        let school = d.by_school.iter().find(|g| g.name == "De Linde").unwrap();
        assert_eq!(school.counts.at_risk, 1);
        let handler = d
            .by_handler
            .iter()
            .find(|g| g.id == Some(fx.handler.user_id.0))
            .unwrap();
        assert_eq!(handler.counts.at_risk, 1);
        let month = d.periods.last().unwrap();
        assert_eq!((month.responded, month.responded_in_time), (2, 2));

        // 16:31: breached → incident manager.
        fx.clock.set(ams(2026, 10, 26, 16, 31));
        tick(app).await;
        tick(app).await;
        assert_eq!(
            events_of(app, p2.id, "escalation").await.len(),
            2,
            "[{be}] once each"
        );

        // Every notification was delivered exactly once.
        let mut sent_per_job: HashMap<uuid::Uuid, usize> = HashMap::new();
        for id in [p1.id, p2.id] {
            for n in app.store.notifications_for_incident(id).await.unwrap() {
                if n.status == "sent" {
                    *sent_per_job
                        .entry(n.job_id.unwrap_or_default())
                        .or_default() += 1;
                }
            }
        }
        assert!(
            sent_per_job.values().all(|n| *n == 1),
            "[{be}] {sent_per_job:?}"
        );
        let all = hook.received();
        let mut ids: Vec<&str> = all
            .iter()
            .filter_map(|r| r.header("x-meldpunt-delivery"))
            .collect();
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), total, "[{be}] no webhook delivered twice");
        let _ = oncall_hook;
        println!(
            "[{be}] delivered: {} notifications (e-mail and webhook), {} webhook requests, each once",
            sent_per_job.len(),
            total
        );
        audit_entries(app, be).await;
    }
}

#[tokio::test]
async fn the_region_and_imported_holidays_set_the_calendar() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        fx.clock.set(ams(2026, 9, 1, 10, 0));
        // Region noord: the autumn holiday is a week earlier (10–18 October), so that Friday is
        // a holiday itself and the hour runs from Monday 19 October 07:30.
        let mut s = app.sla_settings(fx.board).await.unwrap();
        s.region = SchoolRegion::North;
        app.save_sla_settings(&Actor::Cli, fx.board, s)
            .await
            .unwrap();
        fx.clock.set(ams(2026, 10, 16, 16, 30));
        let r = report(app, fx.board, None, "Printer", PersonalDataAnswer::No)
            .await
            .incident;
        app.triage(
            &fx.sd,
            r.id,
            triage_input(Kind::Disruption, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        let row = app.store.incident_sla(r.id).await.unwrap().unwrap();
        assert_eq!(
            row.response.due_at,
            Some(ams(2026, 10, 19, 8, 30)),
            "[{be}]"
        );
        // An administrator imports other dates: a closing day on Monday 19 October.
        let admin = person(app, fx.board, None, Role::Admin, "admin@noord.nl").await;
        let items = meldpunt_app::sla::parse_holiday_csv(
            "alle;studiedag;19-10-2026;19-10-2026;Studiedag\n",
        )
        .unwrap();
        app.add_school_holidays(&Actor::User(&admin), fx.board, items, true)
            .await
            .unwrap();
        drain(app).await;
        let row = app.store.incident_sla(r.id).await.unwrap().unwrap();
        assert_eq!(
            row.response.due_at,
            Some(ams(2026, 10, 20, 8, 30)),
            "[{be}] recomputed"
        );
        let list = app.school_holidays(fx.board).await.unwrap();
        assert!(
            list.iter().any(|h| h.source == "official"),
            "seeded from the official table"
        );
        assert!(list
            .iter()
            .any(|h| h.kind == "closure" && h.region.is_none()));
        // A handler may not change the calendar.
        let err = app
            .add_school_holidays(&Actor::User(&fx.handler), fx.board, vec![], false)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{be}] {err:?}");
        // Deleting a row shown before seeding works by its stable id.
        let autumn = list
            .iter()
            .find(|h| {
                h.kind == "autumn"
                    && h.region.as_deref() == Some("north")
                    && h.school_year == "2026-2027"
            })
            .unwrap();
        app.delete_school_holiday(&Actor::User(&admin), fx.board, autumn.id)
            .await
            .unwrap();
        assert!(!app
            .school_holidays(fx.board)
            .await
            .unwrap()
            .iter()
            .any(|h| h.id == autumn.id));
    }
}

#[tokio::test]
async fn failed_webhooks_are_retried_with_backoff_and_logged() {
    for db in meldpunt_testkit::each_backend().await {
        let hook = HttpReceiver::start();
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        setup_channels(&fx, &hook).await;
        let r = report(app, fx.board, None, "Wifi", PersonalDataAnswer::No)
            .await
            .incident;
        app.triage(
            &fx.sd,
            r.id,
            triage_input(Kind::Disruption, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        drain(app).await;
        hook.fail_next(2);
        app.escalate_hierarchically(
            &fx.sd,
            r.id,
            Role::IncidentManager,
            "Beslissing nodig over vervanging",
        )
        .await
        .unwrap();
        drain(app).await;
        fx.clock.advance(SignedDuration::from_secs(31));
        drain(app).await;
        fx.clock.advance(SignedDuration::from_secs(121));
        drain(app).await;
        let log: Vec<_> = app
            .store
            .notifications_for_incident(r.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.channel == "webhook:teams")
            .collect();
        let statuses: Vec<&str> = log.iter().map(|n| n.status.as_str()).collect();
        assert_eq!(statuses, vec!["failed", "failed", "sent"], "[{be}] {log:?}");
        assert!(log[0].detail.as_deref().unwrap().contains("HTTP 503"));
        assert!(log[0].detail.as_deref().unwrap().contains("opnieuw"));
        assert_eq!(
            hook.received()
                .iter()
                .filter(|r| r.path == "/hooks/crisis")
                .count(),
            3
        );
        // Without SMTP the e-mails are recorded as not sent, never dropped.
        assert!(app
            .store
            .notifications_for_incident(r.id)
            .await
            .unwrap()
            .iter()
            .any(|n| n.channel == "email" && n.status == "not_sent"));
        let ev = events_of(app, r.id, "escalation").await;
        assert_eq!(ev.len(), 1);
        assert!(ev[0].body.as_deref().unwrap().contains("Beslissing nodig"));
    }
}

#[tokio::test]
async fn webhook_hosts_are_restricted_to_the_allow_list() {
    for db in meldpunt_testkit::each_backend().await {
        let hook = HttpReceiver::start();
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        let err = app
            .add_webhook(
                &Actor::Cli,
                fx.board,
                "x",
                "slack",
                "https://hooks.slack.com/x",
                None,
                true,
                false,
                false,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Validation(_)), "[{be}] {err:?}");
        setup_channels(&fx, &hook).await;
        // A second crisis channel is refused.
        let err = app
            .add_webhook(
                &Actor::Cli,
                fx.board,
                "y",
                "slack",
                &format!("{}/y", hook.base),
                None,
                false,
                false,
                true,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Validation(_)), "[{be}] {err:?}");
        // The allow-list changes afterwards: delivery is refused, not attempted.
        let mut s = app.sla_settings(fx.board).await.unwrap();
        s.webhook_hosts = vec!["hooks.slack.com".into()];
        app.save_sla_settings(&Actor::Cli, fx.board, s)
            .await
            .unwrap();
        let r = report(app, fx.board, None, "Wifi", PersonalDataAnswer::No)
            .await
            .incident;
        app.triage(
            &fx.sd,
            r.id,
            triage_input(Kind::Disruption, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        app.escalate_hierarchically(
            &fx.sd,
            r.id,
            Role::IbpOfficer,
            "Mogelijk beveiligingsincident",
        )
        .await
        .unwrap();
        drain(app).await;
        let n: Vec<_> = app
            .store
            .notifications_for_incident(r.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.channel.starts_with("webhook"))
            .collect();
        assert_eq!(n.len(), 1, "[{be}]");
        assert_eq!(n[0].status, "not_sent");
        assert!(n[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("not on the board's list"));
        assert!(hook.received().is_empty());
    }
}

#[tokio::test]
async fn personal_data_out_of_hours_alerts_on_call_and_the_ui_acknowledges() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        // No rota: the incident managers are told that nobody is on call.
        fx.clock.set(ams(2026, 11, 21, 23, 0));
        let r = report(
            app,
            fx.board,
            None,
            "Laptop met leerlingdossiers kwijt",
            PersonalDataAnswer::Yes,
        )
        .await
        .incident;
        drain(app).await;
        let alerts = app.store.alerts_for_incident(r.id).await.unwrap();
        assert_eq!(alerts.len(), 1, "[{be}]");
        assert_eq!(alerts[0].user_id, None);
        assert_eq!(alerts[0].trigger, "personal_data");
        let n = app.store.notifications_for_incident(r.id).await.unwrap();
        assert!(
            n.iter().any(|n| n.recipient == "im@noord.nl"),
            "[{be}] {n:?}"
        );
        // With a rota the person on call is alerted; a handler cannot acknowledge for them.
        app.set_rota(&Actor::Cli, fx.board, vec![fx.im.user_id])
            .await
            .unwrap();
        let r2 = report(
            app,
            fx.board,
            None,
            "Mail naar verkeerde ouders",
            PersonalDataAnswer::Unknown,
        )
        .await
        .incident;
        drain(app).await;
        let alerts = app.store.alerts_for_incident(r2.id).await.unwrap();
        assert_eq!(alerts[0].user_id, Some(fx.im.user_id));
        let err = app.acknowledge_in_ui(&fx.handler, r2.id).await.unwrap_err();
        assert!(
            matches!(err, AppError::Forbidden | AppError::NotFound),
            "[{be}] {err:?}"
        );
        assert!(app.acknowledge_in_ui(&fx.im, r2.id).await.unwrap());
        fx.clock.advance(SignedDuration::from_mins(20));
        drain(app).await;
        assert_eq!(app.store.alerts_for_incident(r2.id).await.unwrap().len(), 1);
        // During office hours nobody is paged.
        fx.clock.set(ams(2026, 11, 24, 10, 0));
        let r3 = report(
            app,
            fx.board,
            None,
            "USB-stick gevonden",
            PersonalDataAnswer::Yes,
        )
        .await
        .incident;
        drain(app).await;
        assert!(app
            .store
            .alerts_for_incident(r3.id)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn concurrent_scans_escalate_each_threshold_once() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        fx.clock.set(ams(2026, 11, 24, 9, 0));
        let mut ids = Vec::new();
        for k in 0..10 {
            let r = report(
                app,
                fx.board,
                None,
                &format!("Storing {k}"),
                PersonalDataAnswer::No,
            )
            .await
            .incident;
            ids.push(r.id);
        }
        // Untriaged reports run on P3: response 4 working hours, at risk at 3 h.
        fx.clock.set(ams(2026, 11, 24, 12, 30));
        let (a, b) = tokio::join!(app.run_sla_scan(), app.run_sla_scan());
        let total = a.unwrap().escalations + b.unwrap().escalations;
        assert_eq!(total, 10, "[{be}]");
        let (a, b) = tokio::join!(app.run_sla_scan(), app.run_sla_scan());
        assert_eq!(a.unwrap().escalations + b.unwrap().escalations, 0);
        // Every report got its SLA row in its own transaction; the backfill finds nothing.
        assert!(app
            .store
            .incidents_without_sla(10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(app.backfill_sla().await.unwrap(), 0);
        for id in &ids {
            let e = events_of(app, *id, "escalation").await;
            assert_eq!(e.len(), 1, "[{be}]");
            let d: serde_json::Value = serde_json::from_str(&e[0].details).unwrap();
            assert_eq!(d["escalation"], "at_risk");
            assert_eq!(d["priority"], "p3");
        }
        // Triage changes the level: a P1 now (4 h around the clock, at risk after 3 h, so
        // already), its own thresholds escalate afresh.
        app.triage(
            &fx.sd,
            ids[0],
            triage_input(Kind::Disruption, Impact::Board, Urgency::EducationStopped),
            None,
        )
        .await
        .unwrap();
        fx.clock.set(ams(2026, 11, 24, 12, 31));
        app.run_sla_scan().await.unwrap();
        let e = events_of(app, ids[0], "escalation").await;
        assert_eq!(e.len(), 2, "[{be}] P1 resolution at risk after 3 h");
    }
}

#[tokio::test]
async fn functional_escalation_reassigns_or_goes_to_a_supplier() {
    for db in meldpunt_testkit::each_backend().await {
        let smtp = SmtpServer::start();
        let fx = setup(&db, config(&smtp)).await;
        let (app, be) = (&fx.app, fx.be);
        let r = report(
            app,
            fx.board,
            None,
            "Roosterprogramma traag",
            PersonalDataAnswer::No,
        )
        .await
        .incident;
        app.triage(
            &fx.sd,
            r.id,
            triage_input(Kind::Disruption, Impact::School, Urgency::EducationHindered),
            None,
        )
        .await
        .unwrap();
        app.assign(&fx.sd, r.id, fx.sd.user_id, None).await.unwrap();
        let err = app
            .escalate_to_person(&fx.sd, r.id, fx.handler.user_id, "  ", None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Validation(_)));
        let i = app
            .escalate_to_person(
                &fx.sd,
                r.id,
                fx.handler.user_id,
                "Tweedelijns kennis nodig",
                None,
            )
            .await
            .unwrap();
        assert_eq!(i.assignee_id, Some(fx.handler.user_id));
        let sup = app
            .add_supplier(
                &Actor::Cli,
                fx.board,
                "Roosterleverancier BV",
                Some("support@rooster.nl"),
                None,
            )
            .await
            .unwrap();
        app.escalate_to_supplier(
            &fx.sd,
            r.id,
            sup,
            "Storing bij de leverancier gemeld, ticket 4711",
            true,
        )
        .await
        .unwrap();
        // A handler cannot escalate functionally.
        let err = app
            .escalate_to_supplier(&fx.handler, r.id, sup, "x", false)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden), "[{be}] {err:?}");
        drain(app).await;
        assert!(smtp.wait_for("To: handler@noord.nl", 10));
        assert!(smtp.wait_for("To: support@rooster.nl", 10));
        let e = events_of(app, r.id, "escalation").await;
        assert_eq!(e.len(), 2, "[{be}]");
        assert!(e[0]
            .body
            .as_deref()
            .unwrap()
            .contains("Tweedelijns kennis nodig"));
        assert_eq!(e[0].actor_label, fx.sd.name);
        assert!(e[1]
            .body
            .as_deref()
            .unwrap()
            .contains("Roosterleverancier BV"));
        let row = app.store.incident_sla(r.id).await.unwrap().unwrap();
        assert_eq!(
            row.assignee_id,
            Some(fx.handler.user_id),
            "dashboard follows the reassignment"
        );
    }
}

#[tokio::test]
async fn ical_feed_and_overrides() {
    for db in meldpunt_testkit::each_backend().await {
        let fx = setup(&db, AppConfig::default()).await;
        let (app, be) = (&fx.app, fx.be);
        fx.clock.set(ams(2026, 11, 24, 10, 0));
        app.set_rota(&Actor::Cli, fx.board, vec![fx.sd.user_id, fx.im.user_id])
            .await
            .unwrap();
        let err = app
            .set_rota(&Actor::Cli, fx.board, vec![fx.handler.user_id])
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Validation(_)),
            "[{be}] handlers see only their own incidents"
        );
        // The incident manager covers the service desk's Saturday.
        let o = app
            .add_override(
                &Actor::User(&fx.im),
                fx.board,
                fx.im.user_id,
                ams(2026, 11, 28, 0, 0),
                ams(2026, 11, 29, 0, 0),
                "ruil met Sam",
            )
            .await
            .unwrap();
        assert_eq!(
            app.on_call(fx.board, ams(2026, 11, 28, 12, 0))
                .await
                .unwrap(),
            Some(fx.im.user_id)
        );
        assert_eq!(
            app.on_call(fx.board, ams(2026, 11, 27, 12, 0))
                .await
                .unwrap(),
            Some(fx.sd.user_id)
        );
        let token = app.create_feed_token(&fx.im).await.unwrap();
        let doc = app.feed(&token).await.unwrap();
        assert!(doc.starts_with("BEGIN:VCALENDAR\r\n"), "[{be}]");
        assert!(
            doc.contains("DTSTART:20261127T230000Z"),
            "[{be}] the override\n{doc}"
        );
        assert!(
            doc.contains("DTSTART:20261130T080000Z"),
            "[{be}] next week's rota\n{doc}"
        );
        assert!(matches!(app.feed("nope").await, Err(AppError::NotFound)));
        // A new token replaces the old.
        let token2 = app.create_feed_token(&fx.im).await.unwrap();
        assert!(matches!(app.feed(&token).await, Err(AppError::NotFound)));
        assert!(app.feed(&token2).await.is_ok());
        app.remove_override(&Actor::User(&fx.im), fx.board, o)
            .await
            .unwrap();
        assert_eq!(
            app.on_call(fx.board, ams(2026, 11, 28, 12, 0))
                .await
                .unwrap(),
            Some(fx.sd.user_id)
        );
        let _ = Principal::clone(&fx.sd);
    }
}
