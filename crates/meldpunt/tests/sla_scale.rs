//! Scale-out (issue 4 §7): two `meldpunt serve` processes share one PostgreSQL database while
//! 1,000 incidents cross their at-risk threshold. Every escalation must be recorded once and
//! every notification (e-mail to a real SMTP server, webhook to a real HTTP receiver) delivered
//! once, although both processes run the periodic SLA scan and the job runner.
//!
//! PostgreSQL only: several instances are a PostgreSQL deployment (SQLite is single-host).

use jiff::{SignedDuration, Timestamp};
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::Role;
use meldpunt_app::core::calendar::{ClockMode, WeekSchedule, WorkingHours};
use meldpunt_app::core::incident::{
    Aspects, Category, Impact, Kind, PersonalDataAnswer, Reporter, Urgency,
};
use meldpunt_app::core::report::NewReport;
use meldpunt_app::core::sla::Target;
use meldpunt_app::incidents::TriageInput;
use meldpunt_app::jobs::Outcome;
use meldpunt_app::{Actor, App, AppConfig, FixedClock};
use meldpunt_testkit::http::HttpReceiver;
use meldpunt_testkit::{free_port, SmtpServer};
use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meldpunt");
const INCIDENTS: usize = 1000;

/// A `meldpunt serve` process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db_url: &str, smtp: &str, dir: &std::path::Path) -> (Server, u16) {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .env("MELDPUNT_DATABASE_URL", db_url)
        .env("MELDPUNT_SMTP_URL", smtp)
        .env("MELDPUNT_MAIL_FROM", "meldpunt@noord.nl")
        .env("MELDPUNT_LOG", "warn,sqlx=error")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start meldpunt serve");
    (Server(child), port)
}

fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_escalate_and_notify_exactly_once() {
    let started = Instant::now();
    let db = meldpunt_testkit::postgres().await;
    // A throwaway database: commits need not wait for the disk (see `without_fsync`).
    let store = meldpunt_testkit::pg::without_fsync(&db).await;
    let smtp = SmtpServer::start();
    let hook = HttpReceiver::start();
    // The incidents were reported 3 h 5 min ago: past the at-risk threshold (3 h of a 4 h
    // resolution target, around the clock) and well before the breach.
    let reported = Timestamp::now() - SignedDuration::from_mins(185);
    let clock = Arc::new(FixedClock::new(reported));
    let app = App::new(store.clone(), clock.clone(), AppConfig::default());
    let board = app
        .create_board(&Actor::Cli, "Stichting Schaal")
        .await
        .unwrap();
    let mut ids = HashMap::new();
    for (role, email) in [
        (Role::ServiceDesk, "sd@schaal.nl"),
        (Role::IncidentManager, "im@schaal.nl"),
    ] {
        let id = app
            .add_user(
                &Actor::Cli,
                NewUser {
                    email: email.into(),
                    name: format!("Naam {email}"),
                    password: "correct-horse-battery".into(),
                    role,
                    board: Some(board),
                    school: None,
                },
            )
            .await
            .unwrap();
        ids.insert(role, id);
    }
    let sd = app
        .store
        .principal(ids[&Role::ServiceDesk])
        .await
        .unwrap()
        .unwrap();
    // Working hours all week (no on-call paging) and a P2 that runs around the clock.
    let mut s = app.sla_settings(board).await.unwrap();
    let day = Some(
        WorkingHours::new(jiff::civil::Time::midnight(), jiff::civil::Time::midnight()).unwrap(),
    );
    s.week = WeekSchedule::new([day; 7]).unwrap();
    s.policy.p2.clock = ClockMode::AroundTheClock;
    s.policy.p2.resolution = Target::Hours(4);
    s.webhook_hosts = vec!["127.0.0.1".into()];
    app.save_sla_settings(&Actor::Cli, board, s).await.unwrap();
    app.add_webhook(
        &Actor::Cli,
        board,
        "Servicedesk-kanaal",
        "generic",
        &format!("{}/hook", hook.base),
        Some("schaal-geheim-voor-de-test"),
        true,
        false,
        false,
    )
    .await
    .unwrap();

    // 1,000 incidents, created through the use cases by four workers (a use case may hold a
    // transaction and read through the pool, so more workers than half the pool would starve).
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (app, sd) = (app.clone(), sd.clone());
        tasks.push(tokio::spawn(async move {
            for k in (w..INCIDENTS).step_by(4) {
                let r = app
                    .report_incident(
                        &Actor::User(&sd),
                        NewReport {
                            summary: format!("Storing {k:04}"),
                            description: "Het digibord start niet op".into(),
                            occurred_at: None,
                            school_id: None,
                            personal_data: PersonalDataAnswer::No,
                            ongoing: Some(true),
                            reporter: Reporter::default(),
                        },
                        Some(board),
                        false,
                    )
                    .await
                    .unwrap();
                app.triage(
                    &sd,
                    r.incident.id,
                    TriageInput {
                        kind: Kind::Disruption,
                        aspects: Aspects::default(),
                        category: Category::Outage,
                        impact: Impact::School,
                        urgency: Urgency::EducationHindered,
                        priority_override: None,
                        override_reason: None,
                        no_incident_reason: None,
                    },
                    None,
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // The new-report notices to the service desk are not what this test counts: settle them
    // here (no SMTP in this process, so they are recorded as not sent).
    let mut tasks = Vec::new();
    for w in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            while app.run_one_job(&format!("prep-{w}")).await.unwrap() != Outcome::Idle {}
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let prepared = started.elapsed();

    // Two instances, one database.
    let dir = tempfile::tempdir().unwrap();
    let (a, port_a) = serve(&db.url, &smtp.url, dir.path());
    let (b, port_b) = serve(&db.url, &smtp.url, dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(healthy(port_a) && healthy(port_b)) {
        assert!(Instant::now() < deadline, "servers did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Wait until every escalation is notified on both channels.
    let want = 2 * INCIDENTS;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut sent = 0;
    while Instant::now() < deadline {
        let log = store.delivery_summary(board).await.unwrap();
        sent = log
            .iter()
            .filter(|(i, ..)| i.is_some())
            .filter(|(_, _, _, st, _)| st == "sent")
            .filter(|(_, _, to, _, _)| to != "sd@schaal.nl")
            .count();
        if sent >= want && hook.received().len() >= INCIDENTS {
            break;
        }
        if std::env::var("SLA_SCALE_PROGRESS").is_ok() {
            let esc = store.event_counts(board, "escalation").await.unwrap().len();
            println!(
                "{:>5.1?}: {esc} escalations, {sent} notifications sent",
                started.elapsed()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A little longer, to catch anything sent twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop((a, b));
    let elapsed = started.elapsed();

    // Escalations: one event per incident.
    let events = store.event_counts(board, "escalation").await.unwrap();
    assert_eq!(events.len(), INCIDENTS, "every incident escalated");
    assert!(
        events.iter().all(|(_, n)| *n == 1),
        "each once: {:?}",
        events
            .iter()
            .filter(|(_, n)| *n != 1)
            .take(5)
            .collect::<Vec<_>>()
    );

    // Delivery log: one sent e-mail to the incident manager and one sent webhook per incident,
    // each from its own job, nothing failed.
    let log = store.delivery_summary(board).await.unwrap();
    let ours: Vec<_> = log
        .iter()
        .filter(|(_, _, to, _, _)| to != "sd@schaal.nl")
        .collect();
    assert!(
        ours.iter().all(|(.., st, _)| st == "sent"),
        "all sent: {:?}",
        ours.iter()
            .filter(|(.., st, _)| st != "sent")
            .take(5)
            .collect::<Vec<_>>()
    );
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for (i, ch, to, _, _) in &ours {
        *per.entry((
            i.map(|i| i.to_string()).unwrap_or_default(),
            format!("{ch}:{to}"),
        ))
        .or_default() += 1;
    }
    assert_eq!(
        per.len(),
        want,
        "one e-mail and one webhook per incident, sent {sent}"
    );
    assert!(
        per.values().all(|n| *n == 1),
        "no duplicates in the delivery log"
    );
    let jobs: BTreeSet<_> = ours.iter().filter_map(|(.., j)| *j).collect();
    assert_eq!(jobs.len(), want);

    // The receivers: 1,000 distinct webhook deliveries and 1,000 e-mails, one per incident.
    let got = hook.received();
    assert_eq!(got.len(), INCIDENTS, "webhook requests");
    let deliveries: BTreeSet<_> = got
        .iter()
        .filter_map(|r| r.header("x-meldpunt-delivery"))
        .collect();
    assert_eq!(deliveries.len(), INCIDENTS);
    let incidents: BTreeSet<String> = got
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert!(meldpunt_app::webhook::verify_signature(
                "schaal-geheim-voor-de-test",
                r.header("x-meldpunt-signature").unwrap(),
                &r.body,
                Timestamp::now().as_second(),
                600
            ));
            v["incident_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(incidents.len(), INCIDENTS, "each incident once");
    let mail = smtp.received();
    let subjects: Vec<&str> = mail
        .lines()
        .filter(|l| l.starts_with("Subject: [meldpunt] SLA dreigt te verlopen"))
        .collect();
    let distinct: BTreeSet<&str> = subjects.iter().copied().collect();
    assert_eq!(subjects.len(), INCIDENTS, "e-mails received");
    assert_eq!(distinct.len(), INCIDENTS, "one e-mail per incident");

    println!(
        "two instances: {INCIDENTS} incidents prepared in {:.1?}; {} escalations, {} notifications ({} e-mails, {} webhooks) each exactly once; total {:.1?}",
        prepared,
        events.len(),
        per.len(),
        subjects.len(),
        got.len(),
        elapsed
    );
    let _ = clock;
}
