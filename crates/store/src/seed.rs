//! Bulk path for generated data (`meldpunt dev seed`): multi-row INSERTs in large transactions.
//!
//! Each batch is one transaction holding its incidents, their timeline events and **one** audit
//! entry (`dev.seed`) with the batch's counts and number range, so the hash chain stays valid and
//! `meldpunt audit verify` passes; per-incident audit entries for invented history would only be
//! noise. On SQLite, [`Store::seed_begin`] switches the writer to `synchronous=OFF` and a large
//! page cache for the duration (a crash during seeding can lose the last batches, which is fine
//! for generated data); [`Store::seed_finish`] restores `synchronous=FULL` and runs `ANALYZE`.

use crate::incidents::{Event, IncidentInsert};
use crate::{Pools, Result, Store};
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
        let first = tx.reserve_incident_numbers(board, year, count).await?;
        tx.commit().await?;
        Ok(first)
    }

    /// Writes one batch and its `dev.seed` audit entry in one transaction.
    pub async fn seed_batch(&self, batch: &SeedBatch, audit: AuditRecord) -> Result<()> {
        let rows: Vec<IncidentInsert<'_>> = batch
            .incidents
            .iter()
            .map(|s| IncidentInsert {
                incident: &s.incident,
                followup_token_hash: &s.followup_token_hash,
                updated_at: s.updated_at,
            })
            .collect();
        let mut tx = self.begin().await?;
        tx.insert_incidents(&rows).await?;
        tx.insert_events(&batch.events).await?;
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
