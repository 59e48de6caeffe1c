//! Bulk path for generated data (`meldpunt dev seed`): multi-row INSERTs in large transactions.
//!
//! Each batch is one transaction holding its incidents, their timeline events and **one** audit
//! entry (`dev.seed`) with the batch's counts and number range, so the hash chain stays valid and
//! `meldpunt audit verify` passes; per-incident audit entries for invented history would only be
//! noise. On SQLite, [`Store::seed_begin`] switches the writer to `synchronous=OFF` and a large
//! page cache for the duration (a crash during seeding can lose the last batches, which is fine
//! for generated data); [`Store::seed_finish`] restores `synchronous=FULL` and runs `ANALYZE`.

use crate::incidents::{rank_of, search_text, Event, COLS};
use crate::{on_conn, time, Pools, Result, Store};
use jiff::Timestamp;
use meldpunt_core::audit::AuditRecord;
use meldpunt_core::ids::BoardId;
use meldpunt_core::incident::Incident;

/// One generated incident with the hash of its (never shown) follow-up token.
#[derive(Debug, Clone)]
pub struct SeedIncident {
    /// The incident, numbered.
    pub incident: Incident,
    /// Follow-up token hash (unique).
    pub followup_token_hash: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Rows written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SeedBatch {
    /// Incidents.
    pub incidents: Vec<SeedIncident>,
    /// Their timeline events.
    pub events: Vec<Event>,
}

/// Incident rows per INSERT statement (40 parameters each; SQLite allows 32,766).
const INCIDENT_ROWS: usize = 400;
/// Event rows per INSERT statement (9 parameters each).
const EVENT_ROWS: usize = 1600;

/// `(…), (…)` placeholders. SQLite gets anonymous `?`: with numbered `$N` every bind looks its
/// name up in a list (`sqlite3_bind_parameter_name`), quadratic in a 16,000-parameter statement.
fn values(rows: usize, cols: usize, positional: bool) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if positional {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            }
        }
        s.push(')');
    }
    s
}

macro_rules! bind_incident {
    ($q:expr, $s:expr) => {{
        let s = $s;
        let i = &s.incident;
        let c = i.classification.as_ref();
        let t = &i.timeline;
        $q.bind(i.id.0)
            .bind(i.board_id.0)
            .bind(i.school_id.map(|s| s.0))
            .bind(i64::from(i.number.year))
            .bind(i.number.seq)
            .bind(i.summary.as_str())
            .bind(i.description.as_str())
            .bind(i.personal_data.code())
            .bind(i.ongoing)
            .bind(i.reporter.name.as_deref())
            .bind(i.reporter.email.as_deref())
            .bind(i.reporter.phone.as_deref())
            .bind(i.status.code())
            .bind(c.map(|c| c.kind.code()))
            .bind(c.map(|c| c.aspects.code()))
            .bind(c.map(|c| c.category.code()))
            .bind(c.map(|c| c.impact.code()))
            .bind(c.map(|c| c.urgency.code()))
            .bind(c.map(|c| c.priority.code()))
            .bind(c.and_then(|c| c.priority_override_reason.as_deref()))
            .bind(i.assignee_id.map(|u| u.0))
            .bind(i.resolution.as_deref())
            .bind(i.cause.as_deref())
            .bind(i.evaluation.as_deref())
            .bind(i.no_incident_reason.as_deref())
            .bind(time::opt_to_db(t.occurred_at))
            .bind(time::opt_to_db(t.detected_at))
            .bind(time::to_db(t.reported_at.unwrap_or(s.updated_at)))
            .bind(time::opt_to_db(t.registered_at))
            .bind(time::opt_to_db(t.first_response_at))
            .bind(time::opt_to_db(t.contained_at))
            .bind(time::opt_to_db(t.resolved_at))
            .bind(time::opt_to_db(t.evaluated_at))
            .bind(time::opt_to_db(t.closed_at))
            .bind(i.exercise)
            .bind(i.version)
            .bind(s.followup_token_hash.as_str())
            .bind(search_text(i))
            .bind(rank_of(i))
            .bind(time::to_db(s.updated_at))
    }};
}

macro_rules! bind_event {
    ($q:expr, $e:expr) => {{
        let e = $e;
        $q.bind(e.id)
            .bind(e.incident_id.0)
            .bind(time::to_db(e.at))
            .bind(e.actor_id.map(|u| u.0))
            .bind(e.actor_label.as_str())
            .bind(e.event_type.as_str())
            .bind(e.public)
            .bind(e.body.as_deref())
            .bind(e.details.as_str())
    }};
}

impl Store {
    /// Prepares bulk loading (SQLite: no fsync per commit, 1 GiB page cache on the writer).
    pub async fn seed_begin(&self) -> Result<()> {
        if let Pools::Sqlite { write, .. } = &self.pools {
            sqlx::raw_sql("PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576;")
                .execute(write)
                .await?;
        }
        Ok(())
    }

    /// Reserves `count` consecutive numbers of a board's year; returns the first sequence number.
    pub async fn seed_reserve_numbers(&self, board: BoardId, year: i16, count: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        let last: i64 = on_conn!(tx &mut tx, |c| {
            sqlx::query_scalar("INSERT INTO incident_counters (board_id, year, last_seq) VALUES ($1, $2, $3) ON CONFLICT (board_id, year) DO UPDATE SET last_seq = incident_counters.last_seq + $3 RETURNING last_seq")
                .bind(board.0)
                .bind(i64::from(year))
                .bind(count)
                .fetch_one(c)
                .await?
        });
        tx.commit().await?;
        Ok(last - count + 1)
    }

    /// Writes one batch and its `dev.seed` audit entry in one transaction.
    pub async fn seed_batch(&self, batch: &SeedBatch, audit: AuditRecord) -> Result<()> {
        let positional = self.backend() == crate::Backend::Sqlite;
        let mut tx = self.begin().await?;
        for chunk in batch.incidents.chunks(INCIDENT_ROWS) {
            let sql = format!(
                "INSERT INTO incidents ({COLS}, followup_token_hash, search_text, priority_rank, updated_at) VALUES {}",
                values(chunk.len(), 40, positional)
            );
            on_conn!(tx &mut tx, |c| {
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = bind_incident!(q, s);
                }
                q.execute(c).await?;
            });
        }
        for chunk in batch.events.chunks(EVENT_ROWS) {
            let sql = format!(
                "INSERT INTO incident_events (id, incident_id, at, actor_id, actor_label, event_type, public, body, details) VALUES {}",
                values(chunk.len(), 9, positional)
            );
            on_conn!(tx &mut tx, |c| {
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = bind_event!(q, e);
                }
                q.execute(c).await?;
            });
        }
        tx.append_audit(audit).await?;
        tx.commit().await
    }

    /// Ends bulk loading: restores the writer's `synchronous=NORMAL` (SQLite; group commit syncs
    /// the WAL itself), checkpoints, and refreshes planner statistics.
    pub async fn seed_finish(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                sqlx::raw_sql("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
                    .execute(write)
                    .await?;
            }
            Pools::Postgres(p) => {
                sqlx::raw_sql("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }
}
