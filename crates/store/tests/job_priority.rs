//! Urgent jobs are claimed before older bulk jobs, on SQLite and PostgreSQL.

use jiff::{SignedDuration, Timestamp};
use meldpunt_store::jobs::NewJob;

fn job(kind: &str, key: &str, run_at: Timestamp, urgent: bool) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: "{}".into(),
        unique_key: Some(key.into()),
        run_at,
        max_attempts: 3,
        urgent,
    }
}

#[tokio::test]
async fn an_urgent_job_goes_before_a_queue_of_notices() {
    for db in meldpunt_testkit::each_backend().await {
        let be = db.backend.name();
        let store = &db.store;
        let t0: Timestamp = "2026-11-24T09:00:00Z".parse().unwrap();
        let mut tx = store.begin().await.unwrap();
        let mut jobs: Vec<NewJob> = (0..5)
            .map(|k| {
                job(
                    "notify_service_desk",
                    &format!("n{k}"),
                    t0 + SignedDuration::from_secs(k),
                    false,
                )
            })
            .collect();
        // The alert is the newest due job, and one urgent job is not due yet.
        jobs.push(job(
            "oncall_alert",
            "a",
            t0 + SignedDuration::from_secs(10),
            true,
        ));
        jobs.push(job(
            "oncall_alert",
            "later",
            t0 + SignedDuration::from_hours(1),
            true,
        ));
        assert_eq!(tx.enqueue_many(&jobs, t0).await.unwrap(), 7, "[{be}]");
        tx.commit().await.unwrap();

        let now = t0 + SignedDuration::from_mins(1);
        let lease = SignedDuration::from_mins(5);
        let first = store.claim_job("w", now, lease).await.unwrap().unwrap();
        assert_eq!(first.kind, "oncall_alert", "[{be}] the urgent job first");
        // Then the notices, oldest first; the urgent job that is not due stays queued.
        let rest = store.claim_jobs("w", now, lease, 10, None).await.unwrap();
        let kinds: Vec<&str> = rest.iter().map(|j| j.kind.as_str()).collect();
        assert_eq!(kinds, vec!["notify_service_desk"; 5], "[{be}]");
        assert!(
            store.claim_job("w", now, lease).await.unwrap().is_none(),
            "[{be}]"
        );
        let later = now + SignedDuration::from_hours(1);
        let last = store.claim_job("w", later, lease).await.unwrap().unwrap();
        assert_eq!(last.kind, "oncall_alert", "[{be}] due an hour later");
    }
}
