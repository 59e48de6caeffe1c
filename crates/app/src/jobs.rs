//! The job runner and the job handlers.
//!
//! Each process runs one runner loop; several processes may share a PostgreSQL database. A job is
//! claimed with a lease; a handler must be idempotent because a job whose worker died mid-way runs
//! again when the lease expires.

use crate::audit::{record, Actor};
use crate::mail::{Mail, Mailer};
use crate::{App, AppError, AppResult};
use jiff::SignedDuration;
use meldpunt_core::auth::Role;
use meldpunt_core::ids::IncidentId;
use meldpunt_store::jobs::{Job, Notification};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// Job kind: tell the board's service desk about a new report.
pub const NOTIFY_SERVICE_DESK: &str = "notify_service_desk";

/// Job kind: remove finished jobs after a week (periodic).
pub const PURGE_FINISHED_JOBS: &str = "purge_finished_jobs";

/// Periodic work as (kind, period). Each period is enqueued once with a unique key derived from
/// the period's slot, so with several instances every tick still runs exactly once. Features add
/// their scans here (and a handler arm in `handle`).
pub const PERIODIC: &[(&str, SignedDuration)] = &[
    (PURGE_FINISHED_JOBS, SignedDuration::from_hours(1)),
    (
        crate::breach::BREACH_WARNING_SCAN,
        SignedDuration::from_mins(1),
    ),
    (crate::sla::SLA_SCAN, crate::sla::SCAN_PERIOD),
    (crate::sla::SLA_BACKFILL, SignedDuration::from_hours(1)),
];

/// Service-desk notices a runner takes at once (see `App::run_next_jobs`).
const NOTICE_BATCH: i64 = 16;

/// How long a runner waits after a part-full batch of notices (see `App::run_jobs`).
const NOTICE_GATHER: Duration = Duration::from_millis(10);

/// How long a claimed job is reserved for its worker.
pub const LEASE: SignedDuration = SignedDuration::from_mins(5);

/// What running one job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was due.
    Idle,
    /// A job ran and succeeded.
    Done,
    /// A job failed and will be retried (or was given up).
    Failed(String),
}

impl App {
    /// Claims and runs one due job.
    pub async fn run_one_job(&self, worker: &str) -> AppResult<Outcome> {
        let now = self.now();
        let Some(job) = self.store.claim_job(worker, now, LEASE).await? else {
            return Ok(Outcome::Idle);
        };
        self.run_claimed(job, worker).await
    }

    /// Claims and runs the next due job; when it is a first attempt of a service-desk notice,
    /// also up to `NOTICE_BATCH - 1` more of those, run together (`notify_service_desk_batch`).
    /// Other kinds run one at a time, so slow deliveries of several runners do not queue behind
    /// each other.
    pub async fn run_next_jobs(&self, worker: &str) -> AppResult<Outcome> {
        Ok(self.run_next(worker).await?.0)
    }

    /// `run_next_jobs`, also saying how many notices ran together.
    async fn run_next(&self, worker: &str) -> AppResult<(Outcome, usize)> {
        let now = self.now();
        let Some(job) = self.store.claim_job(worker, now, LEASE).await? else {
            return Ok((Outcome::Idle, 0));
        };
        if job.kind != NOTIFY_SERVICE_DESK || job.attempts != 1 {
            return Ok((self.run_claimed(job, worker).await?, 0));
        }
        let more = self
            .store
            .claim_jobs(
                worker,
                now,
                LEASE,
                NOTICE_BATCH - 1,
                Some(NOTIFY_SERVICE_DESK),
            )
            .await?;
        let (mut notices, others): (Vec<Job>, Vec<Job>) =
            more.into_iter().partition(|j| j.attempts == 1);
        notices.insert(0, job);
        let n = notices.len();
        self.notify_service_desk_batch(notices, worker).await;
        for job in others {
            self.run_claimed(job, worker).await?;
        }
        Ok((Outcome::Done, n))
    }

    /// Runs a claimed job and completes it, or records the failed attempt.
    async fn run_claimed(&self, job: Job, worker: &str) -> AppResult<Outcome> {
        match self.handle(&job, worker).await {
            Ok(()) => {
                // Handlers that record their result may complete the job in their own
                // transaction; then a read saves a write transaction on the single writer.
                if !self.store.job_done(job.id).await? {
                    let mut tx = self.store.begin().await?;
                    tx.complete_job(job.id, worker, self.now()).await?;
                    tx.commit().await?;
                }
                Ok(Outcome::Done)
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %msg, "job failed");
                self.store.fail_job(&job, worker, &msg, self.now()).await?;
                Ok(Outcome::Failed(msg))
            }
        }
    }

    /// Runs jobs until `shutdown` turns true; sleeps `idle` when nothing is due.
    pub async fn run_jobs(
        &self,
        worker: String,
        idle: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_slots = std::collections::HashMap::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.enqueue_periodic(&mut last_slots).await {
                tracing::error!(error = %e, "cannot enqueue periodic work");
            }
            let outcome = self.run_next(&worker).await;
            let pause = match outcome {
                // A part-full batch of notices means reports are trickling in: let a few more
                // arrive, so a burst costs a recording transaction per batch, not per notice.
                Ok((Outcome::Done, n)) if n > 0 && n < NOTICE_BATCH as usize => NOTICE_GATHER,
                Ok((Outcome::Done, _)) => continue,
                Ok(_) => idle,
                Err(e) => {
                    tracing::error!(error = %e, "job runner error");
                    idle * 5
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Enqueues the periodic jobs whose slot this process has not enqueued yet. The unique key
    /// makes a slot that another instance enqueued first a no-op here.
    pub async fn enqueue_periodic(
        &self,
        last_slots: &mut std::collections::HashMap<&'static str, i64>,
    ) -> AppResult<usize> {
        let now = self.now();
        let due: Vec<(&'static str, i64)> = PERIODIC
            .iter()
            .map(|(kind, period)| (*kind, now.as_second().div_euclid(period.as_secs().max(1))))
            .filter(|(kind, slot)| last_slots.get(kind) != Some(slot))
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let mut enqueued = 0;
        for (kind, slot) in &due {
            let fresh = tx
                .enqueue(
                    &meldpunt_store::jobs::NewJob {
                        kind: (*kind).to_string(),
                        payload: json!({ "slot": slot }).to_string(),
                        unique_key: Some(format!("tick:{kind}:{slot}")),
                        run_at: now,
                        max_attempts: 3,
                        urgent: *kind != PURGE_FINISHED_JOBS,
                    },
                    now,
                )
                .await?;
            enqueued += usize::from(fresh);
        }
        tx.commit().await?;
        last_slots.extend(due);
        Ok(enqueued)
    }

    async fn handle(&self, job: &Job, worker: &str) -> AppResult<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload)
            .map_err(|e| AppError::Internal(format!("bad payload: {e}")))?;
        match job.kind.as_str() {
            NOTIFY_SERVICE_DESK => {
                let id: IncidentId = payload["incident_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| AppError::Internal("payload without incident_id".into()))?;
                self.notify_service_desk(job, worker, id).await
            }
            PURGE_FINISHED_JOBS => {
                let before = self.now() - SignedDuration::from_hours(24 * 7);
                let n = self.store.purge_finished_jobs(before).await?;
                tracing::debug!(removed = n, "finished jobs purged");
                Ok(())
            }
            crate::breach::BREACH_WARNING_SCAN => {
                let n = self.scan_breach_warnings().await?;
                tracing::debug!(enqueued = n, "breach warnings scanned");
                Ok(())
            }
            crate::breach::BREACH_WARNING => self.send_breach_warning(job, worker, &payload).await,
            crate::sla::SLA_SCAN => {
                let n = self.enqueue_sla_checks().await?;
                tracing::debug!(enqueued = n, "SLA scan");
                Ok(())
            }
            crate::sla::SLA_BACKFILL => {
                let n = self.backfill_sla().await?;
                tracing::debug!(backfilled = n, "SLA rows backfilled");
                Ok(())
            }
            crate::sla::SLA_CHECK => {
                let id: IncidentId = payload["incident_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| AppError::Internal("payload without incident_id".into()))?;
                self.run_sla_check(id).await
            }
            crate::sla::SLA_RECOMPUTE => {
                let board = payload["board_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| AppError::Internal("payload without board_id".into()))?;
                self.recompute_board_sla(board).await.map(|_| ())
            }
            crate::notify::DELIVER => self.deliver(job, worker).await,
            crate::oncall::ONCALL_ALERT => {
                let id: IncidentId = payload["incident_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| AppError::Internal("payload without incident_id".into()))?;
                let trigger = payload["trigger"].as_str().unwrap_or_default().to_string();
                let step = payload["step"].as_i64().unwrap_or(0);
                self.oncall_step(id, &trigger, step).await
            }
            other => Err(AppError::Internal(format!("unknown job kind '{other}'"))),
        }
    }

    /// The addresses that hear about new reports: the board's service-desk address, else every
    /// service-desk account of the board (and school).
    async fn service_desk_recipients(
        &self,
        i: &meldpunt_core::incident::Incident,
    ) -> AppResult<Vec<String>> {
        let board = self
            .store
            .board(i.board_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(e) = board.service_desk_email.filter(|e| !e.is_empty()) {
            return Ok(vec![e]);
        }
        let mut out: Vec<String> = self
            .store
            .users_in_board(i.board_id)
            .await?
            .into_iter()
            .filter(|(u, grants)| {
                u.active
                    && grants.iter().any(|g| {
                        g.board_id == i.board_id
                            && g.role == Role::ServiceDesk
                            && (g.school_id.is_none() || g.school_id == i.school_id)
                    })
            })
            .map(|(u, _)| u.email)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn notify_service_desk(&self, job: &Job, worker: &str, id: IncidentId) -> AppResult<()> {
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        // Idempotence: a retried or re-claimed job does not send twice. A first attempt cannot
        // have sent before, so the log is only read on later attempts.
        let sent_before = job.attempts > 1
            && self
                .store
                .notifications_for_incident(id)
                .await?
                .iter()
                .any(|n| n.job_id == Some(job.id) && n.status != "failed");
        if sent_before {
            let mut tx = self.store.begin().await?;
            tx.complete_job(job.id, worker, self.now()).await?;
            tx.commit().await?;
            return Ok(());
        }
        let recipients = self.service_desk_recipients(&i).await?;
        let notice = Notice::new(job.clone(), i, recipients, &self.config.public_base_url);
        // A failed send is on record; the runner schedules the retry.
        match self.deliver_and_record(vec![notice], worker).await?.pop() {
            Some((_, msg)) => Err(AppError::Internal(msg)),
            None => Ok(()),
        }
    }

    /// Runs first attempts of service-desk notices together: each is sent on its own, and the
    /// results are recorded in one transaction (multi-row INSERTs), so a burst of new reports
    /// does not cost a write transaction per notice. Later attempts go the single-job way.
    async fn notify_service_desk_batch(&self, jobs: Vec<Job>, worker: &str) {
        let id_of = |job: &Job| -> AppResult<IncidentId> {
            let payload: serde_json::Value = serde_json::from_str(&job.payload)
                .map_err(|e| AppError::Internal(format!("bad payload: {e}")))?;
            payload["incident_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| AppError::Internal("payload without incident_id".into()))
        };
        // The incidents in one read.
        let ids: Vec<IncidentId> = jobs.iter().filter_map(|j| id_of(j).ok()).collect();
        let mut incidents: HashMap<IncidentId, meldpunt_core::incident::Incident> =
            match self.store.incidents_by_ids(&ids).await {
                Ok(list) => list.into_iter().map(|i| (i.id, i)).collect(),
                Err(e) => {
                    for job in &jobs {
                        self.job_failed(job, worker, &e.to_string()).await;
                    }
                    return;
                }
            };
        let mut recipients_of = HashMap::new();
        let mut notices = Vec::with_capacity(jobs.len());
        for job in jobs {
            let prepared = async {
                let id = id_of(&job)?;
                let i = incidents.remove(&id).ok_or(AppError::NotFound)?;
                let key = (i.board_id, i.school_id);
                let recipients = match recipients_of.get(&key) {
                    Some(r) => Vec::clone(r),
                    None => {
                        let r = self.service_desk_recipients(&i).await?;
                        recipients_of.insert(key, r.clone());
                        r
                    }
                };
                AppResult::Ok(Notice::new(
                    job.clone(),
                    i,
                    recipients,
                    &self.config.public_base_url,
                ))
            }
            .await;
            match prepared {
                Ok(n) => notices.push(n),
                Err(e) => self.job_failed(&job, worker, &e.to_string()).await,
            }
        }
        match self.deliver_and_record(notices, worker).await {
            Ok(failed) => {
                for (job, msg) in failed {
                    self.job_failed(&job, worker, &msg).await;
                }
            }
            // Nothing recorded, nothing completed: the leases run out and the jobs run again
            // (the log check on later attempts keeps a sent notice from going out twice).
            Err(e) => tracing::error!(error = %e, "cannot record service-desk notices"),
        }
    }

    /// Sends each notice (when SMTP is configured) and records the outcomes in one transaction
    /// that also completes the jobs of the notices that went out (or had nowhere to go).
    /// Returns the jobs whose sending failed, with the error: recorded as failed, for the caller
    /// to retry with back-off; the others are not held up by them.
    async fn deliver_and_record(
        &self,
        notices: Vec<Notice>,
        worker: &str,
    ) -> AppResult<Vec<(Job, String)>> {
        let mut outcomes = Vec::with_capacity(notices.len());
        // One transport for the whole batch (lettre keeps its connection for the next mail).
        let mut mailer = None;
        for n in notices {
            let (status, detail) = match (&self.config.smtp_url, n.recipients.is_empty()) {
                (None, _) => (
                    "not_sent",
                    Some("SMTP is not configured (MELDPUNT_SMTP_URL)".to_string()),
                ),
                (Some(_), true) => (
                    "not_sent",
                    Some("no service-desk address or account for this board".to_string()),
                ),
                (Some(url), false) => {
                    let mail = Mail {
                        to: n.recipients.clone(),
                        subject: n.subject.clone(),
                        text: n.text.clone(),
                        html: None,
                    };
                    // A bad SMTP URL or sender is recorded as a failed delivery too, never
                    // dropped silently.
                    let m = mailer.get_or_insert_with(|| {
                        Mailer::from_url(url, &self.config.mail_from).map_err(|e| e.to_string())
                    });
                    let sent = match m {
                        Ok(m) => m.send(&mail).await.map_err(|e| e.to_string()),
                        Err(msg) => Err(msg.clone()),
                    };
                    match sent {
                        Ok(answer) => ("sent", Some(answer)),
                        Err(e) => ("failed", Some(e)),
                    }
                }
            };
            outcomes.push((n, status, detail));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut records = Vec::with_capacity(outcomes.len());
        let mut audits = Vec::with_capacity(outcomes.len());
        let mut completed = Vec::with_capacity(outcomes.len());
        for (n, status, detail) in &outcomes {
            let recipient = if n.recipients.is_empty() {
                "-".to_string()
            } else {
                n.recipients.join(", ")
            };
            records.push(Notification {
                id: uuid::Uuid::now_v7(),
                board_id: n.incident.board_id,
                incident_id: Some(n.incident.id),
                channel: "email".into(),
                recipient: recipient.clone(),
                subject: n.subject.clone(),
                status: status.to_string(),
                detail: detail.clone(),
                job_id: Some(n.job.id),
                at: now,
            });
            audits.push(record(
                now,
                &Actor::System,
                "notification.email",
                Some(n.incident.board_id.to_string()),
                Some(format!("incident:{}", n.incident.id)),
                json!({ "to": recipient, "status": status, "detail": detail, "attempt": n.job.attempts }),
            ));
            if *status != "failed" {
                completed.push(n.job.id);
            }
        }
        tx.insert_notifications(&records).await?;
        tx.append_audit_many(audits).await?;
        tx.complete_jobs(&completed, worker, now).await?;
        tx.commit().await?;
        Ok(outcomes
            .into_iter()
            .filter(|(_, status, _)| *status == "failed")
            .map(|(n, _, detail)| (n.job, detail.unwrap_or_default()))
            .collect())
    }

    /// Records a failed attempt (retry with back-off, or give up after the last one).
    async fn job_failed(&self, job: &Job, worker: &str, msg: &str) {
        tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %msg, "job failed");
        if let Err(e) = self.store.fail_job(job, worker, msg, self.now()).await {
            tracing::error!(job = %job.id, error = %e, "cannot record the failed attempt");
        }
    }
}

/// A new-report notice for the service desk, ready to send and record.
struct Notice {
    job: Job,
    incident: meldpunt_core::incident::Incident,
    recipients: Vec<String>,
    subject: String,
    text: String,
}

impl Notice {
    fn new(
        job: Job,
        i: meldpunt_core::incident::Incident,
        recipients: Vec<String>,
        base_url: &str,
    ) -> Self {
        let link = format!("{base_url}/incidenten/{}", i.id);
        let subject = format!("[meldpunt] Nieuwe melding {}: {}", i.number, i.summary);
        let text = format!(
            "Er is een nieuwe melding binnengekomen.\n\nNummer: {}\nSamenvatting: {}\nPersoonsgegevens betrokken: {}\n\nBekijk en behandel de melding: {link}\n\nDit bericht bevat bewust geen details; log in om de melding te lezen.\n",
            i.number,
            i.summary,
            match i.personal_data {
                meldpunt_core::incident::PersonalDataAnswer::Yes => "ja",
                meldpunt_core::incident::PersonalDataAnswer::No => "nee",
                meldpunt_core::incident::PersonalDataAnswer::Unknown => "weet niet",
            }
        );
        Notice {
            job,
            incident: i,
            recipients,
            subject,
            text,
        }
    }
}
