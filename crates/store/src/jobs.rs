//! The durable job queue and the delivery log of notifications.
//!
//! Jobs are enqueued inside the use case's transaction, so a committed change always has its job.
//! Workers claim a due job with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL); a job whose worker
//! died is claimed again once the lease runs out, so handlers must be idempotent.

use crate::{on_conn, time, Result, Store, Tx};
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::ids::{BoardId, IncidentId};
use sqlx::FromRow;
use uuid::Uuid;

/// A job to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: Uuid,
    /// What to do, e.g. `notify_service_desk`.
    pub kind: String,
    /// Arguments as JSON.
    pub payload: String,
    /// Attempts so far, including the current one once claimed.
    pub attempts: i64,
    /// Give up after this many.
    pub max_attempts: i64,
}

/// A job waiting to be enqueued.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do.
    pub kind: String,
    /// Arguments as JSON.
    pub payload: String,
    /// Deduplication key: a second job with the same key is not enqueued.
    pub unique_key: Option<String>,
    /// Not before.
    pub run_at: Timestamp,
    /// Give up after this many attempts.
    pub max_attempts: i64,
    /// Claimed before any non-urgent due job: a flood of new-report notices (not urgent) must
    /// not hold up an on-call alert or an escalation.
    pub urgent: bool,
}

#[derive(FromRow)]
struct ClaimedRow {
    id: Uuid,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
}

/// Job rows per INSERT statement (11 parameters each).
const JOB_ROWS: usize = 1000;

/// Job status values.
pub mod status {
    /// Waiting to run (or to be retried).
    pub const PENDING: &str = "pending";
    /// Claimed by a worker.
    pub const RUNNING: &str = "running";
    /// Done.
    pub const DONE: &str = "done";
    /// Gave up after the last attempt.
    pub const FAILED: &str = "failed";
}

/// Backoff before attempt `n + 1`: 30 s, 2 min, 8 min, … capped at 6 hours.
pub fn backoff(attempts: i64) -> SignedDuration {
    let exp = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    let secs = 30i64.saturating_mul(4i64.saturating_pow(exp.saturating_sub(1)));
    SignedDuration::from_secs(secs.min(6 * 3600))
}

impl Tx {
    /// Enqueues a job; returns false when a job with the same unique key already exists.
    pub async fn enqueue(&mut self, job: &NewJob, now: Timestamp) -> Result<bool> {
        Ok(self.enqueue_many(std::slice::from_ref(job), now).await? == 1)
    }

    /// Enqueues several jobs in one statement; returns how many were new (see `enqueue`).
    pub async fn enqueue_many(&mut self, jobs: &[NewJob], now: Timestamp) -> Result<u64> {
        let backend = self.backend();
        let mut fresh = 0;
        for chunk in jobs.chunks(JOB_ROWS) {
            let sql = format!(
                "INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, max_attempts, created_at, updated_at, priority) VALUES {} ON CONFLICT (unique_key) DO NOTHING",
                backend.values(chunk.len(), 11)
            );
            fresh += on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for job in chunk {
                    q = q
                        .bind(Uuid::now_v7())
                        .bind(job.kind.as_str())
                        .bind(job.payload.as_str())
                        .bind(job.unique_key.as_deref())
                        .bind("pending")
                        .bind(time::to_db(job.run_at))
                        .bind(0_i64)
                        .bind(job.max_attempts)
                        .bind(time::to_db(now))
                        .bind(time::to_db(now))
                        .bind(i16::from(job.urgent));
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(fresh)
    }

    /// Records a notification in the delivery log.
    pub async fn insert_notification(&mut self, n: &Notification) -> Result<()> {
        self.insert_notifications(std::slice::from_ref(n)).await
    }

    /// Records several notifications in one statement.
    pub async fn insert_notifications(&mut self, list: &[Notification]) -> Result<()> {
        let backend = self.backend();
        for chunk in list.chunks(JOB_ROWS) {
            let sql = format!(
                "INSERT INTO notifications (id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at) VALUES {}",
                backend.values(chunk.len(), 10)
            );
            on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for n in chunk {
                    q = q
                        .bind(n.id)
                        .bind(n.board_id.0)
                        .bind(n.incident_id.map(|i| i.0))
                        .bind(n.channel.as_str())
                        .bind(n.recipient.as_str())
                        .bind(n.subject.as_str())
                        .bind(n.status.as_str())
                        .bind(n.detail.as_deref())
                        .bind(n.job_id)
                        .bind(time::to_db(n.at));
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    /// Marks claimed jobs done (those this worker still holds); returns how many.
    pub async fn complete_jobs(
        &mut self,
        ids: &[Uuid],
        worker: &str,
        now: Timestamp,
    ) -> Result<u64> {
        let mut done = 0;
        // Numbered placeholders on both backends: few enough per statement to be cheap on SQLite.
        for chunk in ids.chunks(100) {
            let list: Vec<String> = (1..=chunk.len()).map(|k| format!("${k}")).collect();
            let sql = format!(
                "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = ${} WHERE id IN ({}) AND locked_by = ${} AND status = 'running'",
                chunk.len() + 2,
                list.join(", "),
                chunk.len() + 1
            );
            done += on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.bind(worker)
                    .bind(time::to_db(now))
                    .execute(c)
                    .await?
                    .rows_affected()
            });
        }
        Ok(done)
    }

    /// Marks a claimed job done (only while this worker still holds it).
    pub async fn complete_job(&mut self, id: Uuid, worker: &str, now: Timestamp) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
                .bind(id)
                .bind(worker)
                .bind(time::to_db(now))
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}

impl Store {
    /// Claims the next due job for `worker` with a lease of `lease`.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<Job>> {
        Ok(self.claim_jobs(worker, now, lease, 1, None).await?.pop())
    }

    /// Claims up to `limit` due jobs (of `kind`, when given), oldest first, for `worker` with a
    /// lease of `lease`.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
        limit: i64,
        kind: Option<&str>,
    ) -> Result<Vec<Job>> {
        let mut tx = self.begin().await?;
        let lock = tx.backend().for_update_skip_locked();
        // Picked and leased in one statement (one round trip on the writer): first due urgent
        // jobs (a small partial index), then any due pending job, or a running one whose
        // worker's lease ran out, oldest first.
        let urgent = format!(
            "UPDATE jobs SET status = 'running', locked_by = $2, locked_until = $3, attempts = attempts + 1, updated_at = $1 WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND priority > 0 AND run_at <= $1 AND ($5 IS NULL OR kind = $5) ORDER BY run_at LIMIT $4{lock}) RETURNING id, kind, payload, attempts, max_attempts, run_at"
        );
        let any = format!(
            "UPDATE jobs SET status = 'running', locked_by = $2, locked_until = $3, attempts = attempts + 1, updated_at = $1 WHERE id IN (SELECT id FROM jobs WHERE ((status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)) AND ($5 IS NULL OR kind = $5) ORDER BY run_at LIMIT $4{lock}) RETURNING id, kind, payload, attempts, max_attempts, run_at"
        );
        let mut rows: Vec<ClaimedRow> = Vec::new();
        // A caller that asks for one kind gets it oldest first (one kind has one urgency).
        let passes = if kind.is_some() {
            vec![&any]
        } else {
            vec![&urgent, &any]
        };
        for sql in passes {
            rows = on_conn!(tx &mut tx, |c| {
                sqlx::query_as(sql)
                    .bind(time::to_db(now))
                    .bind(worker)
                    .bind(time::to_db(now + lease))
                    .bind(limit)
                    .bind(kind)
                    .fetch_all(c)
                    .await?
            });
            if !rows.is_empty() {
                break;
            }
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        tx.commit().await?;
        // RETURNING gives no order: oldest first, as claimed.
        rows.sort_by_key(|r| (r.run_at, r.id));
        Ok(rows
            .into_iter()
            .map(|r| Job {
                id: r.id,
                kind: r.kind,
                payload: r.payload,
                attempts: r.attempts,
                max_attempts: r.max_attempts,
            })
            .collect())
    }

    /// Whether a job is done (a handler may complete its job in its own transaction).
    pub async fn job_done(&self, id: Uuid) -> Result<bool> {
        let status: Option<String> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        Ok(status.as_deref() == Some("done"))
    }

    /// Records a failed attempt: retried after a backoff, or failed for good after the last attempt.
    pub async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        let give_up = job.attempts >= job.max_attempts;
        let status = if give_up { "failed" } else { "pending" };
        let run_at = now + backoff(job.attempts);
        let mut tx = self.begin().await?;
        on_conn!(tx &mut tx, |c| {
            sqlx::query("UPDATE jobs SET status = $3, run_at = $4, locked_by = NULL, locked_until = NULL, last_error = $5, updated_at = $6 WHERE id = $1 AND locked_by = $2")
                .bind(job.id)
                .bind(worker)
                .bind(status)
                .bind(time::to_db(run_at))
                .bind(error)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        tx.commit().await?;
        Ok(())
    }

    /// Removes finished (done) jobs last updated before `before`; failed jobs stay for inspection.
    /// Periodic jobs' unique keys go with them, which is safe: their slots lie in the past.
    pub async fn purge_finished_jobs(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_conn!(tx &mut tx, |c| {
            sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
                .bind(time::to_db(before))
                .execute(c)
                .await?
                .rows_affected()
        });
        tx.commit().await?;
        Ok(n)
    }

    /// Count of jobs per status (for health and tests).
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(on_conn!(read self, |c| {
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
                .fetch_all(c)
                .await?
        }))
    }

    /// The delivery log of an incident, oldest first.
    pub async fn notifications_for_incident(&self, id: IncidentId) -> Result<Vec<Notification>> {
        let rows: Vec<NotificationRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at FROM notifications WHERE incident_id = $1 ORDER BY at")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Notifications of a board that were not sent or failed, newest first.
    pub async fn undelivered_notifications(
        &self,
        board: BoardId,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows: Vec<NotificationRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at FROM notifications WHERE board_id = $1 AND status <> 'sent' ORDER BY at DESC LIMIT $2")
                .bind(board.0)
                .bind(limit)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// One entry of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id.
    pub id: Uuid,
    /// Board.
    pub board_id: BoardId,
    /// Incident, if about one.
    pub incident_id: Option<IncidentId>,
    /// `email`, `webhook`, …
    pub channel: String,
    /// Address or target.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// `sent`, `not_sent` (no channel configured) or `failed`.
    pub status: String,
    /// Why not sent, or the server's answer.
    pub detail: Option<String>,
    /// The job that sent it.
    pub job_id: Option<Uuid>,
    /// When.
    pub at: Timestamp,
}

#[derive(FromRow)]
struct NotificationRow {
    id: Uuid,
    board_id: Uuid,
    incident_id: Option<Uuid>,
    channel: String,
    recipient: String,
    subject: String,
    status: String,
    detail: Option<String>,
    job_id: Option<Uuid>,
    at: i64,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            id: r.id,
            board_id: BoardId(r.board_id),
            incident_id: r.incident_id.map(IncidentId),
            channel: r.channel,
            recipient: r.recipient,
            subject: r.subject,
            status: r.status,
            detail: r.detail,
            job_id: r.job_id,
            at: time::from_db(r.at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), SignedDuration::from_secs(30));
        assert_eq!(backoff(2), SignedDuration::from_secs(120));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(50), SignedDuration::from_secs(6 * 3600));
    }
}
