//! The audit trail in the database: appended inside the use case's transaction, verified in a stream.

use crate::{on_conn, time, Result, Store, Tx};
use futures_core::stream::BoxStream;
use meldpunt_core::audit::{append, AuditEntry, AuditRecord, ChainBreak, ChainVerifier};
use sqlx::FromRow;

#[derive(FromRow)]
struct Row {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    board_id: Option<String>,
    subject: Option<String>,
    details: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            seq: r.seq,
            record: AuditRecord {
                at: time::from_db(r.at),
                actor: r.actor,
                action: r.action,
                board_id: r.board_id,
                subject: r.subject,
                details: r.details,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Audit rows per INSERT statement (9 parameters each).
const AUDIT_ROWS: usize = 1000;

impl Tx {
    /// Appends one chained entry. Locks the head row, so concurrent transactions chain in order;
    /// the head moves by trigger with the INSERT.
    pub async fn append_audit(&mut self, record: AuditRecord) -> Result<AuditEntry> {
        let mut entries = self.append_audit_many(vec![record]).await?;
        entries
            .pop()
            .ok_or_else(|| crate::StoreError::Corrupt("no audit entry appended".into()))
    }

    /// Appends chained entries in order, several rows per statement (one head read).
    pub async fn append_audit_many(
        &mut self,
        records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditEntry>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.backend();
        let sql = format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            backend.for_update()
        );
        let (mut seq, mut hash): (i64, String) =
            on_conn!(tx self, |c| sqlx::query_as(&sql).fetch_one(c).await?);
        let mut entries = Vec::with_capacity(records.len());
        for r in records {
            let e = append(seq, &hash, r);
            seq = e.seq;
            hash.clone_from(&e.hash);
            entries.push(e);
        }
        for chunk in entries.chunks(AUDIT_ROWS) {
            let sql = format!(
                "INSERT INTO audit_log (seq, at, actor, action, board_id, subject, details, prev_hash, hash) VALUES {}",
                backend.values(chunk.len(), 9)
            );
            on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(e.seq)
                        .bind(time::to_db(e.record.at))
                        .bind(e.record.actor.as_str())
                        .bind(e.record.action.as_str())
                        .bind(e.record.board_id.as_deref())
                        .bind(e.record.subject.as_deref())
                        .bind(e.record.details.as_str())
                        .bind(e.prev_hash.as_str())
                        .bind(e.hash.as_str());
                }
                q.execute(c).await?;
            });
        }
        // The head follows by trigger (migration 0005), row by row in insertion order.
        Ok(entries)
    }
}

/// The outcome of a full verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: i64,
}

impl Store {
    /// Verifies the whole chain against the head, streaming the entries in sequence order.
    pub async fn verify_audit(&self) -> Result<Result<AuditReport, ChainBreak>> {
        // Head and entries from one snapshot: read separately, an append committed in between
        // would look like tampering (a chain longer than its head).
        let mut snap = match &self.pools {
            crate::Pools::Sqlite { read, .. } => {
                Tx::Sqlite(crate::SqliteTx::Plain(read.begin().await?))
            }
            crate::Pools::Postgres(p) => {
                let mut t = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *t)
                    .await?;
                Tx::Postgres(t)
            }
        };
        let (head_seq, head_hash): (i64, String) = on_conn!(tx &mut snap, |c| {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(c)
                .await?
        });
        let mut verifier = ChainVerifier::default();
        let outcome = on_conn!(tx &mut snap, |c| {
            let mut rows: BoxStream<'_, Result<Row, sqlx::Error>> = sqlx::query_as::<_, Row>(
                "SELECT seq, at, actor, action, board_id, subject, details, prev_hash, hash FROM audit_log ORDER BY seq",
            )
            .fetch(c);
            let mut outcome = Ok(());
            while let Some(row) = futures_util::StreamExt::next(&mut rows).await {
                let entry: AuditEntry = row?.into();
                if let Err(b) = verifier.push(&entry) {
                    outcome = Err(b);
                    break;
                }
            }
            outcome
        });
        snap.commit().await?;
        if let Err(b) = outcome {
            return Ok(Err(b));
        }
        Ok(verifier
            .finish(head_seq, &head_hash)
            .map(|entries| AuditReport { entries }))
    }

    /// Audit entries about one subject, oldest first.
    pub async fn audit_for_subject(&self, subject: &str) -> Result<Vec<AuditEntry>> {
        let rows: Vec<Row> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT seq, at, actor, action, board_id, subject, details, prev_hash, hash FROM audit_log WHERE subject = $1 ORDER BY seq")
                .bind(subject)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The most recent audit entries, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<Row> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT seq, at, actor, action, board_id, subject, details, prev_hash, hash FROM audit_log ORDER BY seq DESC LIMIT $1")
                .bind(limit)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Test helper: the number of rows in one of meldpunt's tables.
    #[doc(hidden)]
    pub async fn count_rows(&self, table: &str) -> Result<i64> {
        const TABLES: &[&str] = &[
            "incidents",
            "incident_events",
            "incident_sla",
            "jobs",
            "audit_log",
            "notifications",
        ];
        let Some(table) = TABLES.iter().find(|t| **t == table) else {
            return Err(crate::StoreError::Corrupt(format!(
                "unknown table '{table}'"
            )));
        };
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(on_conn!(read self, |c| sqlx::query_scalar(&sql).fetch_one(c).await?))
    }

    /// Test and demo helper: runs one raw statement (used to tamper with rows in tests).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_conn!(tx &mut tx, |c| sqlx::raw_sql(sql).execute(c).await?.rows_affected());
        tx.commit().await?;
        Ok(n)
    }
}
