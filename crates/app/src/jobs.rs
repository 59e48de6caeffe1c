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
            let outcome = self.run_one_job(&worker).await;
            let pause = match outcome {
                Ok(Outcome::Done) => continue,
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
        let link = format!("{}/incidenten/{}", self.config.public_base_url, i.id);
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
        let (status, detail) = match (&self.config.smtp_url, recipients.is_empty()) {
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
                    to: recipients.clone(),
                    subject: subject.clone(),
                    text,
                    html: None,
                };
                // A bad SMTP URL or sender is recorded as a failed delivery too, never dropped silently.
                let sent = match Mailer::from_url(url, &self.config.mail_from) {
                    Ok(mailer) => mailer.send(&mail).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(answer) => ("sent", Some(answer)),
                    Err(e) => {
                        // Record the failed attempt, then let the runner retry with back-off.
                        self.record_notification(
                            job,
                            worker,
                            &i,
                            &recipients,
                            &subject,
                            "failed",
                            Some(e.to_string()),
                            false,
                        )
                        .await?;
                        return Err(AppError::Internal(e.to_string()));
                    }
                }
            }
        };
        self.record_notification(job, worker, &i, &recipients, &subject, status, detail, true)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_notification(
        &self,
        job: &Job,
        worker: &str,
        i: &meldpunt_core::incident::Incident,
        recipients: &[String],
        subject: &str,
        status: &str,
        detail: Option<String>,
        complete: bool,
    ) -> AppResult<()> {
        let now = self.now();
        let recipient = if recipients.is_empty() {
            "-".to_string()
        } else {
            recipients.join(", ")
        };
        let mut tx = self.store.begin().await?;
        tx.insert_notification(&Notification {
            id: uuid::Uuid::now_v7(),
            board_id: i.board_id,
            incident_id: Some(i.id),
            channel: "email".into(),
            recipient: recipient.clone(),
            subject: subject.to_string(),
            status: status.to_string(),
            detail: detail.clone(),
            job_id: Some(job.id),
            at: now,
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::System,
            "notification.email",
            Some(i.board_id.to_string()),
            Some(format!("incident:{}", i.id)),
            json!({ "to": recipient, "status": status, "detail": detail, "attempt": job.attempts }),
        ))
        .await?;
        if complete {
            tx.complete_job(job.id, worker, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
