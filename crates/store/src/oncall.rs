//! The on-call rota (*bereikbaarheidsdienst*): rotation members, overrides, private iCal feed
//! tokens and the alerts sent to the person on call.

use crate::{on_conn, time, Result, Store, StoreError, Tx};
use jiff::Timestamp;
use meldpunt_core::ids::{BoardId, IncidentId, UserId};
use sqlx::FromRow;
use uuid::Uuid;

/// An override of the rotation: `user_id` is on call in `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Id.
    pub id: Uuid,
    /// Board.
    pub board_id: BoardId,
    /// Who is on call instead.
    pub user_id: UserId,
    /// From.
    pub starts_at: Timestamp,
    /// Until (exclusive).
    pub ends_at: Timestamp,
    /// Why (swap, holiday, illness).
    pub reason: String,
    /// Who entered it.
    pub created_by: Option<UserId>,
}

#[derive(FromRow)]
struct OverrideDb {
    id: Uuid,
    board_id: Uuid,
    user_id: Uuid,
    starts_at: i64,
    ends_at: i64,
    reason: String,
    created_by: Option<Uuid>,
}

impl From<OverrideDb> for Override {
    fn from(r: OverrideDb) -> Self {
        Override {
            id: r.id,
            board_id: BoardId(r.board_id),
            user_id: UserId(r.user_id),
            starts_at: time::from_db(r.starts_at),
            ends_at: time::from_db(r.ends_at),
            reason: r.reason,
            created_by: r.created_by.map(UserId),
        }
    }
}

/// One alert to a person on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Id.
    pub id: Uuid,
    /// Board.
    pub board_id: BoardId,
    /// Incident.
    pub incident_id: IncidentId,
    /// `p1` or `personal_data` (why the on-call person was alerted).
    pub trigger: String,
    /// Position in the chain, 0 for the person on call.
    pub step: i64,
    /// Who was alerted; `None` when the chain was exhausted.
    pub user_id: Option<UserId>,
    /// When.
    pub alerted_at: Timestamp,
    /// When the next person is alerted if nobody acknowledges.
    pub ack_due_at: Timestamp,
    /// When acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// By whom.
    pub acknowledged_by: Option<UserId>,
    /// `link` or `ui`.
    pub ack_via: Option<String>,
}

#[derive(FromRow)]
struct AlertDb {
    id: Uuid,
    board_id: Uuid,
    incident_id: Uuid,
    trigger_kind: String,
    step: i64,
    user_id: Option<Uuid>,
    alerted_at: i64,
    ack_due_at: i64,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<Uuid>,
    ack_via: Option<String>,
}

impl From<AlertDb> for Alert {
    fn from(r: AlertDb) -> Self {
        Alert {
            id: r.id,
            board_id: BoardId(r.board_id),
            incident_id: IncidentId(r.incident_id),
            trigger: r.trigger_kind,
            step: r.step,
            user_id: r.user_id.map(UserId),
            alerted_at: time::from_db(r.alerted_at),
            ack_due_at: time::from_db(r.ack_due_at),
            acknowledged_at: time::opt_from_db(r.acknowledged_at),
            acknowledged_by: r.acknowledged_by.map(UserId),
            ack_via: r.ack_via,
        }
    }
}

const ALERT_COLS: &str = "id, board_id, incident_id, trigger_kind, step, user_id, alerted_at, ack_due_at, acknowledged_at, acknowledged_by, ack_via";
const OVERRIDE_COLS: &str = "id, board_id, user_id, starts_at, ends_at, reason, created_by";

impl Tx {
    /// Replaces the rotation of a board with `members`, in order.
    pub async fn set_oncall_members(&mut self, board: BoardId, members: &[UserId]) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("DELETE FROM oncall_members WHERE board_id = $1")
                .bind(board.0)
                .execute(&mut *c)
                .await?;
            for (i, u) in members.iter().enumerate() {
                sqlx::query("INSERT INTO oncall_members (board_id, position, user_id) VALUES ($1, $2, $3)")
                    .bind(board.0)
                    .bind(i64::try_from(i).unwrap_or(i64::MAX))
                    .bind(u.0)
                    .execute(&mut *c)
                    .await
                    .map_err(|e| StoreError::from_unique(e, "rota member"))?;
            }
        });
        Ok(())
    }

    /// The rotation of a board, in order.
    pub async fn oncall_members_in_tx(&mut self, board: BoardId) -> Result<Vec<UserId>> {
        let ids: Vec<Uuid> = on_conn!(tx self, |c| {
            sqlx::query_scalar("SELECT user_id FROM oncall_members WHERE board_id = $1 ORDER BY position")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// The overrides of a board that end after `from`.
    pub async fn oncall_overrides_in_tx(
        &mut self,
        board: BoardId,
        from: Timestamp,
    ) -> Result<Vec<Override>> {
        let sql = format!("SELECT {OVERRIDE_COLS} FROM oncall_overrides WHERE board_id = $1 AND ends_at > $2 ORDER BY starts_at, created_at");
        let rows: Vec<OverrideDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(time::to_db(from))
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Adds an override.
    pub async fn insert_override(&mut self, o: &Override, now: Timestamp) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO oncall_overrides (id, board_id, user_id, starts_at, ends_at, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(o.id)
                .bind(o.board_id.0)
                .bind(o.user_id.0)
                .bind(time::to_db(o.starts_at))
                .bind(time::to_db(o.ends_at))
                .bind(&o.reason)
                .bind(o.created_by.map(|u| u.0))
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Removes an override of a board; false when there was none.
    pub async fn delete_override(&mut self, board: BoardId, id: Uuid) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("DELETE FROM oncall_overrides WHERE id = $1 AND board_id = $2")
                .bind(id)
                .bind(board.0)
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Sets (or replaces) a person's iCal feed token hash.
    pub async fn set_feed_token(&mut self, user: UserId, hash: &str, now: Timestamp) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO oncall_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at")
                .bind(user.0)
                .bind(hash)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Records an alert; false when this step was already alerted (the unique key).
    pub async fn insert_alert(&mut self, a: &Alert, token_hash: &str) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO oncall_alerts (id, board_id, incident_id, trigger_kind, step, user_id, token_hash, alerted_at, ack_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (incident_id, trigger_kind, step) DO NOTHING")
                .bind(a.id)
                .bind(a.board_id.0)
                .bind(a.incident_id.0)
                .bind(&a.trigger)
                .bind(a.step)
                .bind(a.user_id.map(|u| u.0))
                .bind(token_hash)
                .bind(time::to_db(a.alerted_at))
                .bind(time::to_db(a.ack_due_at))
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// The alerts of an incident's chain, locked on PostgreSQL, in step order.
    pub async fn alerts_for_update(
        &mut self,
        incident: IncidentId,
        trigger: &str,
    ) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM oncall_alerts WHERE incident_id = $1 AND trigger_kind = $2 ORDER BY step{}",
            self.backend().for_update()
        );
        let rows: Vec<AlertDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql)
                .bind(incident.0)
                .bind(trigger)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The alert a link token belongs to, locked on PostgreSQL.
    pub async fn alert_by_token_for_update(&mut self, token_hash: &str) -> Result<Option<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM oncall_alerts WHERE token_hash = $1{}",
            self.backend().for_update()
        );
        let r: Option<AlertDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(c).await?
        });
        Ok(r.map(Into::into))
    }

    /// Marks every open alert of a chain acknowledged; returns how many.
    pub async fn acknowledge_alerts(
        &mut self,
        incident: IncidentId,
        trigger: &str,
        by: Option<UserId>,
        via: &str,
        now: Timestamp,
    ) -> Result<u64> {
        Ok(on_conn!(tx self, |c| {
            sqlx::query("UPDATE oncall_alerts SET acknowledged_at = $3, acknowledged_by = $4, ack_via = $5 WHERE incident_id = $1 AND trigger_kind = $2 AND acknowledged_at IS NULL")
                .bind(incident.0)
                .bind(trigger)
                .bind(time::to_db(now))
                .bind(by.map(|u| u.0))
                .bind(via)
                .execute(c)
                .await?
                .rows_affected()
        }))
    }
}

impl Store {
    /// The rotation of a board, in order.
    pub async fn oncall_members(&self, board: BoardId) -> Result<Vec<UserId>> {
        let ids: Vec<Uuid> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT user_id FROM oncall_members WHERE board_id = $1 ORDER BY position")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// The boards a person is a rotation member of.
    pub async fn oncall_boards_of(&self, user: UserId) -> Result<Vec<BoardId>> {
        let ids: Vec<Uuid> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT board_id FROM oncall_members WHERE user_id = $1")
                .bind(user.0)
                .fetch_all(c)
                .await?
        });
        Ok(ids.into_iter().map(BoardId).collect())
    }

    /// The overrides of a board that end after `from`.
    pub async fn oncall_overrides(&self, board: BoardId, from: Timestamp) -> Result<Vec<Override>> {
        let sql = format!("SELECT {OVERRIDE_COLS} FROM oncall_overrides WHERE board_id = $1 AND ends_at > $2 ORDER BY starts_at, created_at");
        let rows: Vec<OverrideDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(time::to_db(from))
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Whose iCal feed a token (hashed) opens.
    pub async fn feed_owner(&self, token_hash: &str) -> Result<Option<UserId>> {
        let id: Option<Uuid> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT user_id FROM oncall_feeds WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(c)
                .await?
        });
        Ok(id.map(UserId))
    }

    /// Whether a person has an iCal feed.
    pub async fn has_feed(&self, user: UserId) -> Result<bool> {
        let n: i64 = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM oncall_feeds WHERE user_id = $1")
                .bind(user.0)
                .fetch_one(c)
                .await?
        });
        Ok(n > 0)
    }

    /// The alerts of an incident, oldest first.
    pub async fn alerts_for_incident(&self, incident: IncidentId) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM oncall_alerts WHERE incident_id = $1 ORDER BY alerted_at, step"
        );
        let rows: Vec<AlertDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(incident.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A board's unacknowledged alerts, newest first.
    pub async fn open_alerts(&self, board: BoardId) -> Result<Vec<Alert>> {
        let sql = format!("SELECT {ALERT_COLS} FROM oncall_alerts WHERE board_id = $1 AND acknowledged_at IS NULL ORDER BY alerted_at DESC LIMIT 100");
        let rows: Vec<AlertDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The alert a link token belongs to.
    pub async fn alert_by_token(&self, token_hash: &str) -> Result<Option<Alert>> {
        let sql = format!("SELECT {ALERT_COLS} FROM oncall_alerts WHERE token_hash = $1");
        let r: Option<AlertDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(c).await?
        });
        Ok(r.map(Into::into))
    }
}
