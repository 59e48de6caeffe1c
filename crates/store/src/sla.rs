//! Service levels: the board's calendar and SLA settings, school holidays, the per-incident SLA
//! clocks the periodic scan works from, suppliers and webhook channels.
//!
//! The JSON columns are opaque text here; `meldpunt-app` parses them into the core's types.

use crate::{on_conn, time, Result, Store, StoreError, Tx};
use jiff::Timestamp;
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId, UserId};
use sqlx::FromRow;
use uuid::Uuid;

/// A board's SLA settings as stored (JSON columns unparsed; `None` means the default).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SlaSettingsRow {
    /// School-holiday region code.
    pub region: String,
    /// `WeekSchedule` JSON.
    pub week_schedule: Option<String>,
    /// `HolidayRules` JSON.
    pub holiday_rules: Option<String>,
    /// `SlaPolicy` JSON.
    pub policy: Option<String>,
    /// Priority code untriaged reports run on.
    pub untriaged_priority: String,
    /// Escalation rules JSON.
    pub escalation: Option<String>,
    /// On-call settings JSON.
    pub oncall: Option<String>,
    /// Allowed webhook hosts, one per line.
    pub webhook_hosts: String,
    /// Whether the official school holidays were copied into `school_holidays`.
    pub holidays_seeded: bool,
}

const SETTINGS_COLS: &str = "region, week_schedule, holiday_rules, policy, untriaged_priority, escalation, oncall, webhook_hosts, holidays_seeded";

/// One school holiday or extra closing day of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRow {
    /// Id.
    pub id: Uuid,
    /// Board.
    pub board_id: BoardId,
    /// Region code; `None` for a closing day that applies whatever the region.
    pub region: Option<String>,
    /// `2026-2027`.
    pub school_year: String,
    /// `autumn` … `summer`, or `closure`.
    pub kind: String,
    /// Free name (e.g. "studiedag").
    pub name: String,
    /// First day, ISO.
    pub first_day: String,
    /// Last day (included), ISO.
    pub last_day: String,
    /// `official`, `manual` or `import`.
    pub source: String,
}

#[derive(FromRow)]
struct HolidayDb {
    id: Uuid,
    board_id: Uuid,
    region: Option<String>,
    school_year: String,
    kind: String,
    name: String,
    first_day: String,
    last_day: String,
    source: String,
}

impl From<HolidayDb> for HolidayRow {
    fn from(r: HolidayDb) -> Self {
        HolidayRow {
            id: r.id,
            board_id: BoardId(r.board_id),
            region: r.region,
            school_year: r.school_year,
            kind: r.kind,
            name: r.name,
            first_day: r.first_day,
            last_day: r.last_day,
            source: r.source,
        }
    }
}

const HOLIDAY_COLS: &str =
    "id, board_id, region, school_year, kind, name, first_day, last_day, source";

/// One SLA clock of an incident as last computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockRow {
    /// `on_track`, `at_risk`, `breached`, `met`, `not_applicable`.
    pub state: &'static str,
    /// Target in microseconds of clock time, `None` without a target.
    pub target_us: Option<i64>,
    /// Clock time counted at `computed_at`, microseconds.
    pub elapsed_us: i64,
    /// When the at-risk threshold passes (assuming no further pause).
    pub at_risk_at: Option<Timestamp>,
    /// When the target passes.
    pub due_at: Option<Timestamp>,
    /// When the clock stopped.
    pub stopped_at: Option<Timestamp>,
    /// The escalation level reached: 0 none, 1 at risk, 2.. the breach levels.
    pub level: i64,
}

/// The SLA row of one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSlaRow {
    /// Incident.
    pub incident_id: IncidentId,
    /// Board.
    pub board_id: BoardId,
    /// School, copied from the incident for the dashboard.
    pub school_id: Option<SchoolId>,
    /// Assignee, copied from the incident for the dashboard.
    pub assignee_id: Option<UserId>,
    /// Whether the incident is open.
    pub is_open: bool,
    /// An exercise.
    pub exercise: bool,
    /// Priority code the clocks run on.
    pub priority: String,
    /// Whether the incident was triaged (else `priority` is the untriaged default).
    pub triaged: bool,
    /// `working_hours` or `around_the_clock`.
    pub clock: String,
    /// Waiting on a third party at `computed_at`.
    pub paused: bool,
    /// Report time.
    pub reported_at: Timestamp,
    /// When this row was computed.
    pub computed_at: Timestamp,
    /// Response clock.
    pub response: ClockRow,
    /// Resolution clock.
    pub resolution: ClockRow,
    /// When the next unhandled threshold passes; `None` when nothing is pending.
    pub next_check_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct IncidentSlaDb {
    incident_id: Uuid,
    board_id: Uuid,
    school_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    is_open: bool,
    exercise: bool,
    priority: String,
    triaged: bool,
    clock: String,
    paused: bool,
    reported_at: i64,
    computed_at: i64,
    response_state: String,
    response_target: Option<i64>,
    response_elapsed: i64,
    response_at_risk_at: Option<i64>,
    response_due_at: Option<i64>,
    response_stopped_at: Option<i64>,
    response_level: i64,
    resolution_state: String,
    resolution_target: Option<i64>,
    resolution_elapsed: i64,
    resolution_at_risk_at: Option<i64>,
    resolution_due_at: Option<i64>,
    resolution_stopped_at: Option<i64>,
    resolution_level: i64,
    next_check_at: Option<i64>,
}

/// SLA rows per INSERT statement (28 parameters each).
const SLA_ROWS: usize = 500;

const SLA_COLS: &str = "incident_id, board_id, school_id, assignee_id, is_open, exercise, priority, triaged, clock, paused, reported_at, computed_at, response_state, response_target, response_elapsed, response_at_risk_at, response_due_at, response_stopped_at, response_level, resolution_state, resolution_target, resolution_elapsed, resolution_at_risk_at, resolution_due_at, resolution_stopped_at, resolution_level, next_check_at";

/// The stored state codes, interned so `ClockRow` stays `Copy`.
const STATES: &[&str] = &["on_track", "at_risk", "breached", "met", "not_applicable"];

fn state_code(s: &str) -> Result<&'static str> {
    STATES
        .iter()
        .find(|x| **x == s)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("sla state '{s}'")))
}

impl TryFrom<IncidentSlaDb> for IncidentSlaRow {
    type Error = StoreError;
    fn try_from(r: IncidentSlaDb) -> Result<Self> {
        Ok(IncidentSlaRow {
            incident_id: IncidentId(r.incident_id),
            board_id: BoardId(r.board_id),
            school_id: r.school_id.map(SchoolId),
            assignee_id: r.assignee_id.map(UserId),
            is_open: r.is_open,
            exercise: r.exercise,
            priority: r.priority,
            triaged: r.triaged,
            clock: r.clock,
            paused: r.paused,
            reported_at: time::from_db(r.reported_at),
            computed_at: time::from_db(r.computed_at),
            response: ClockRow {
                state: state_code(&r.response_state)?,
                target_us: r.response_target,
                elapsed_us: r.response_elapsed,
                at_risk_at: time::opt_from_db(r.response_at_risk_at),
                due_at: time::opt_from_db(r.response_due_at),
                stopped_at: time::opt_from_db(r.response_stopped_at),
                level: r.response_level,
            },
            resolution: ClockRow {
                state: state_code(&r.resolution_state)?,
                target_us: r.resolution_target,
                elapsed_us: r.resolution_elapsed,
                at_risk_at: time::opt_from_db(r.resolution_at_risk_at),
                due_at: time::opt_from_db(r.resolution_due_at),
                stopped_at: time::opt_from_db(r.resolution_stopped_at),
                level: r.resolution_level,
            },
            next_check_at: time::opt_from_db(r.next_check_at),
        })
    }
}

/// A status change on an incident's timeline: when, from, to (status codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// When.
    pub at: Timestamp,
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
}

fn transitions_from(rows: Vec<(i64, String)>) -> Vec<Transition> {
    rows.into_iter()
        .filter_map(|(at, details)| {
            let v: serde_json::Value = serde_json::from_str(&details).ok()?;
            let from = v.get("from")?.as_str()?.to_string();
            let to = v.get("to")?.as_str()?.to_string();
            (from != to).then(|| Transition {
                at: time::from_db(at),
                from,
                to,
            })
        })
        .collect()
}

/// A supplier (for functional escalation).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Supplier {
    /// Id.
    pub id: Uuid,
    /// Board.
    #[sqlx(skip)]
    pub board: Option<BoardId>,
    /// Name.
    pub name: String,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// In use.
    pub active: bool,
}

/// A webhook channel of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookChannel {
    /// Id.
    pub id: Uuid,
    /// Board.
    pub board_id: BoardId,
    /// Name shown in the UI and the delivery log.
    pub name: String,
    /// `teams`, `slack`, `mattermost`, `generic`.
    pub format: String,
    /// Target URL.
    pub url: String,
    /// HMAC secret for the generic format.
    pub secret: String,
    /// Receives SLA escalations.
    pub on_escalation: bool,
    /// Receives on-call alerts.
    pub on_oncall: bool,
    /// The board's crisis channel (P1 incidents, top-level escalations).
    pub crisis: bool,
    /// In use.
    pub active: bool,
}

#[derive(FromRow)]
struct WebhookDb {
    id: Uuid,
    board_id: Uuid,
    name: String,
    format: String,
    url: String,
    secret: String,
    on_escalation: bool,
    on_oncall: bool,
    crisis: bool,
    active: bool,
}

impl From<WebhookDb> for WebhookChannel {
    fn from(r: WebhookDb) -> Self {
        WebhookChannel {
            id: r.id,
            board_id: BoardId(r.board_id),
            name: r.name,
            format: r.format,
            url: r.url,
            secret: r.secret,
            on_escalation: r.on_escalation,
            on_oncall: r.on_oncall,
            crisis: r.crisis,
            active: r.active,
        }
    }
}

const WEBHOOK_COLS: &str =
    "id, board_id, name, format, url, secret, on_escalation, on_oncall, crisis, active";

/// One delivery-log line as (incident, channel, recipient, status, job).
pub type DeliveryLine = (Option<IncidentId>, String, String, String, Option<Uuid>);

/// A row of the in-time statistics: when a clock stopped and whether it was in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedClock {
    /// When it stopped.
    pub stopped_at: Timestamp,
    /// `met` or `breached` (or `not_applicable`).
    pub state: String,
}

impl Tx {
    /// The SLA settings of a board, if any were saved; `lock` takes the row lock for a
    /// read-modify-write (PostgreSQL).
    pub async fn sla_settings(
        &mut self,
        board: BoardId,
        lock: bool,
    ) -> Result<Option<SlaSettingsRow>> {
        let sql = format!(
            "SELECT {SETTINGS_COLS} FROM sla_settings WHERE board_id = $1{}",
            if lock {
                self.backend().for_update()
            } else {
                ""
            }
        );
        Ok(on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_optional(c).await?
        }))
    }

    /// Inserts or replaces the SLA settings of a board.
    pub async fn put_sla_settings(
        &mut self,
        board: BoardId,
        s: &SlaSettingsRow,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO sla_settings (board_id, region, week_schedule, holiday_rules, policy, untriaged_priority, escalation, oncall, webhook_hosts, holidays_seeded, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (board_id) DO UPDATE SET region = excluded.region, week_schedule = excluded.week_schedule, holiday_rules = excluded.holiday_rules, policy = excluded.policy, untriaged_priority = excluded.untriaged_priority, escalation = excluded.escalation, oncall = excluded.oncall, webhook_hosts = excluded.webhook_hosts, holidays_seeded = excluded.holidays_seeded, updated_at = excluded.updated_at")
                .bind(board.0)
                .bind(&s.region)
                .bind(&s.week_schedule)
                .bind(&s.holiday_rules)
                .bind(&s.policy)
                .bind(&s.untriaged_priority)
                .bind(&s.escalation)
                .bind(&s.oncall)
                .bind(&s.webhook_hosts)
                .bind(s.holidays_seeded)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// The school holidays and closing days of a board.
    pub async fn school_holidays(&mut self, board: BoardId) -> Result<Vec<HolidayRow>> {
        let sql = format!(
            "SELECT {HOLIDAY_COLS} FROM school_holidays WHERE board_id = $1 ORDER BY first_day, region"
        );
        let rows: Vec<HolidayDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Adds a school holiday or closing day.
    pub async fn insert_holiday(&mut self, h: &HolidayRow, now: Timestamp) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO school_holidays (id, board_id, region, school_year, kind, name, first_day, last_day, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(h.id)
                .bind(h.board_id.0)
                .bind(&h.region)
                .bind(&h.school_year)
                .bind(&h.kind)
                .bind(&h.name)
                .bind(&h.first_day)
                .bind(&h.last_day)
                .bind(&h.source)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Removes one holiday of a board; false when there was none.
    pub async fn delete_holiday(&mut self, board: BoardId, id: Uuid) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("DELETE FROM school_holidays WHERE id = $1 AND board_id = $2")
                .bind(id)
                .bind(board.0)
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes the holidays of a school year (of one region, or the closing days when `region`
    /// is `None`); returns how many.
    pub async fn delete_school_year(
        &mut self,
        board: BoardId,
        school_year: &str,
        region: Option<&str>,
    ) -> Result<u64> {
        Ok(on_conn!(tx self, |c| {
            match region {
                Some(r) => sqlx::query("DELETE FROM school_holidays WHERE board_id = $1 AND school_year = $2 AND region = $3")
                    .bind(board.0)
                    .bind(school_year)
                    .bind(r)
                    .execute(c)
                    .await?
                    .rows_affected(),
                None => sqlx::query("DELETE FROM school_holidays WHERE board_id = $1 AND school_year = $2 AND region IS NULL")
                    .bind(board.0)
                    .bind(school_year)
                    .execute(c)
                    .await?
                    .rows_affected(),
            }
        }))
    }

    /// The status changes of an incident (for the paused intervals), oldest first.
    pub async fn transitions(&mut self, id: IncidentId) -> Result<Vec<Transition>> {
        let rows: Vec<(i64, String)> = on_conn!(tx self, |c| {
            sqlx::query_as("SELECT at, details FROM incident_events WHERE incident_id = $1 ORDER BY at, id")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        Ok(transitions_from(rows))
    }

    /// The SLA row of an incident, locked on PostgreSQL.
    pub async fn incident_sla_for_update(
        &mut self,
        id: IncidentId,
    ) -> Result<Option<IncidentSlaRow>> {
        let sql = format!(
            "SELECT {SLA_COLS} FROM incident_sla WHERE incident_id = $1{}",
            self.backend().for_update()
        );
        let r: Option<IncidentSlaDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(IncidentSlaRow::try_from).transpose()
    }

    /// The SLA row of an incident whose next check is due, locked so that a concurrent scan
    /// skips it (PostgreSQL); `None` when it is not due (any more) or someone else holds it.
    pub async fn claim_due_sla(
        &mut self,
        id: IncidentId,
        now: Timestamp,
    ) -> Result<Option<IncidentSlaRow>> {
        let sql = format!(
            "SELECT {SLA_COLS} FROM incident_sla WHERE incident_id = $1 AND next_check_at <= $2{}",
            self.backend().for_update_skip_locked()
        );
        let r: Option<IncidentSlaDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql)
                .bind(id.0)
                .bind(time::to_db(now))
                .fetch_optional(c)
                .await?
        });
        r.map(IncidentSlaRow::try_from).transpose()
    }

    /// Writes the SLA row of an incident.
    pub async fn put_incident_sla(&mut self, r: &IncidentSlaRow, now: Timestamp) -> Result<()> {
        self.put_incident_slas(std::slice::from_ref(r), now).await
    }

    /// Stores several incidents' SLA rows in one statement (see `put_incident_sla`).
    pub async fn put_incident_slas(
        &mut self,
        rows: &[IncidentSlaRow],
        now: Timestamp,
    ) -> Result<()> {
        let backend = self.backend();
        for chunk in rows.chunks(SLA_ROWS) {
            let sql = format!(
                "INSERT INTO incident_sla ({SLA_COLS}, updated_at) VALUES {} ON CONFLICT (incident_id) DO UPDATE SET school_id = excluded.school_id, assignee_id = excluded.assignee_id, is_open = excluded.is_open, exercise = excluded.exercise, priority = excluded.priority, triaged = excluded.triaged, clock = excluded.clock, paused = excluded.paused, reported_at = excluded.reported_at, computed_at = excluded.computed_at, response_state = excluded.response_state, response_target = excluded.response_target, response_elapsed = excluded.response_elapsed, response_at_risk_at = excluded.response_at_risk_at, response_due_at = excluded.response_due_at, response_stopped_at = excluded.response_stopped_at, response_level = excluded.response_level, resolution_state = excluded.resolution_state, resolution_target = excluded.resolution_target, resolution_elapsed = excluded.resolution_elapsed, resolution_at_risk_at = excluded.resolution_at_risk_at, resolution_due_at = excluded.resolution_due_at, resolution_stopped_at = excluded.resolution_stopped_at, resolution_level = excluded.resolution_level, next_check_at = excluded.next_check_at, updated_at = excluded.updated_at",
                backend.values(chunk.len(), 28)
            );
            on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(r.incident_id.0)
                        .bind(r.board_id.0)
                        .bind(r.school_id.map(|s| s.0))
                        .bind(r.assignee_id.map(|u| u.0))
                        .bind(r.is_open)
                        .bind(r.exercise)
                        .bind(r.priority.as_str())
                        .bind(r.triaged)
                        .bind(r.clock.as_str())
                        .bind(r.paused)
                        .bind(time::to_db(r.reported_at))
                        .bind(time::to_db(r.computed_at))
                        .bind(r.response.state)
                        .bind(r.response.target_us)
                        .bind(r.response.elapsed_us)
                        .bind(time::opt_to_db(r.response.at_risk_at))
                        .bind(time::opt_to_db(r.response.due_at))
                        .bind(time::opt_to_db(r.response.stopped_at))
                        .bind(r.response.level)
                        .bind(r.resolution.state)
                        .bind(r.resolution.target_us)
                        .bind(r.resolution.elapsed_us)
                        .bind(time::opt_to_db(r.resolution.at_risk_at))
                        .bind(time::opt_to_db(r.resolution.due_at))
                        .bind(time::opt_to_db(r.resolution.stopped_at))
                        .bind(r.resolution.level)
                        .bind(time::opt_to_db(r.next_check_at))
                        .bind(time::to_db(now));
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    /// A supplier of a board.
    pub async fn supplier(&mut self, board: BoardId, id: Uuid) -> Result<Option<Supplier>> {
        let s: Option<Supplier> = on_conn!(tx self, |c| {
            sqlx::query_as("SELECT id, name, email, phone, active FROM suppliers WHERE id = $1 AND board_id = $2")
                .bind(id)
                .bind(board.0)
                .fetch_optional(c)
                .await?
        });
        Ok(s.map(|s| Supplier {
            board: Some(board),
            ..s
        }))
    }

    /// Adds a supplier.
    pub async fn insert_supplier(
        &mut self,
        board: BoardId,
        s: &Supplier,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO suppliers (id, board_id, name, email, phone, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(s.id)
                .bind(board.0)
                .bind(&s.name)
                .bind(&s.email)
                .bind(&s.phone)
                .bind(s.active)
                .bind(time::to_db(now))
                .execute(c)
                .await
                .map_err(|e| StoreError::from_unique(e, "supplier"))?;
        });
        Ok(())
    }

    /// Sets a supplier's active flag; false when there is no such supplier.
    pub async fn set_supplier_active(
        &mut self,
        board: BoardId,
        id: Uuid,
        active: bool,
    ) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("UPDATE suppliers SET active = $3 WHERE id = $1 AND board_id = $2")
                .bind(id)
                .bind(board.0)
                .bind(active)
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Adds a webhook channel.
    pub async fn insert_webhook(&mut self, w: &WebhookChannel, now: Timestamp) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO webhook_channels (id, board_id, name, format, url, secret, on_escalation, on_oncall, crisis, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(w.id)
                .bind(w.board_id.0)
                .bind(&w.name)
                .bind(&w.format)
                .bind(&w.url)
                .bind(&w.secret)
                .bind(w.on_escalation)
                .bind(w.on_oncall)
                .bind(w.crisis)
                .bind(w.active)
                .bind(time::to_db(now))
                .execute(c)
                .await
                .map_err(|e| StoreError::from_unique(e, "crisis channel"))?;
        });
        Ok(())
    }

    /// Deactivates a webhook channel of a board; false when there was none.
    pub async fn deactivate_webhook(&mut self, board: BoardId, id: Uuid) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("UPDATE webhook_channels SET active = FALSE WHERE id = $1 AND board_id = $2 AND active = TRUE")
                .bind(id)
                .bind(board.0)
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// The active webhook channels of a board.
    pub async fn webhooks_in_tx(&mut self, board: BoardId) -> Result<Vec<WebhookChannel>> {
        let sql = format!("SELECT {WEBHOOK_COLS} FROM webhook_channels WHERE board_id = $1 AND active = TRUE ORDER BY name, id");
        let rows: Vec<WebhookDb> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Whether a job with this unique key exists (pending, running, done or failed).
    pub async fn job_key_exists(&mut self, key: &str) -> Result<bool> {
        let n: i64 = on_conn!(tx self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE unique_key = $1")
                .bind(key)
                .fetch_one(c)
                .await?
        });
        Ok(n > 0)
    }
}

impl Store {
    /// The SLA settings of a board, if any were saved.
    pub async fn sla_settings(&self, board: BoardId) -> Result<Option<SlaSettingsRow>> {
        let sql = format!("SELECT {SETTINGS_COLS} FROM sla_settings WHERE board_id = $1");
        Ok(on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_optional(c).await?
        }))
    }

    /// The school holidays and closing days of a board.
    pub async fn school_holidays(&self, board: BoardId) -> Result<Vec<HolidayRow>> {
        let sql = format!(
            "SELECT {HOLIDAY_COLS} FROM school_holidays WHERE board_id = $1 ORDER BY first_day, region"
        );
        let rows: Vec<HolidayDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The status changes of an incident, oldest first.
    pub async fn transitions(&self, id: IncidentId) -> Result<Vec<Transition>> {
        let rows: Vec<(i64, String)> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT at, details FROM incident_events WHERE incident_id = $1 ORDER BY at, id")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        Ok(transitions_from(rows))
    }

    /// The SLA row of an incident.
    pub async fn incident_sla(&self, id: IncidentId) -> Result<Option<IncidentSlaRow>> {
        let sql = format!("SELECT {SLA_COLS} FROM incident_sla WHERE incident_id = $1");
        let r: Option<IncidentSlaDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(IncidentSlaRow::try_from).transpose()
    }

    /// Incidents whose next SLA threshold has passed, oldest first (uses the index on
    /// `next_check_at`).
    pub async fn due_sla_checks(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(IncidentId, Timestamp)>> {
        let rows: Vec<(Uuid, i64)> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT incident_id, next_check_at FROM incident_sla WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2")
                .bind(time::to_db(now))
                .bind(limit)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(i, t)| (IncidentId(i), time::from_db(t)))
            .collect())
    }

    /// The SLA rows of a board's open incidents (optionally of some schools only).
    pub async fn open_incident_slas(
        &self,
        board: BoardId,
        include_exercises: bool,
    ) -> Result<Vec<IncidentSlaRow>> {
        let sql = format!(
            "SELECT {SLA_COLS} FROM incident_sla WHERE board_id = $1 AND is_open = TRUE AND (exercise = FALSE OR $2)"
        );
        let rows: Vec<IncidentSlaDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(include_exercises)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(IncidentSlaRow::try_from).collect()
    }

    /// Open incidents without an SLA row (created before service levels existed), oldest first.
    pub async fn incidents_without_sla(&self, limit: i64) -> Result<Vec<IncidentId>> {
        let ids: Vec<Uuid> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT i.id FROM incidents i WHERE i.status IN ('reported', 'registered', 'in_progress', 'waiting') AND NOT EXISTS (SELECT 1 FROM incident_sla s WHERE s.incident_id = i.id) ORDER BY i.reported_at LIMIT $1")
                .bind(limit)
                .fetch_all(c)
                .await?
        });
        Ok(ids.into_iter().map(IncidentId).collect())
    }

    /// The open incidents of a board (ids), for recomputing after a settings change.
    pub async fn open_incident_ids(&self, board: BoardId) -> Result<Vec<IncidentId>> {
        let ids: Vec<Uuid> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT id FROM incidents WHERE board_id = $1 AND status IN ('reported', 'registered', 'in_progress', 'waiting') ORDER BY id")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(ids.into_iter().map(IncidentId).collect())
    }

    /// Clocks of a board that stopped in `[from, to)`, for the in-time statistics.
    /// `which` is `response` or `resolution`; `schools` limits to those schools when set.
    pub async fn stopped_clocks(
        &self,
        board: BoardId,
        which: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(StoppedClock, Option<SchoolId>)>> {
        let col = if which == "response" {
            "response"
        } else {
            "resolution"
        };
        let sql = format!(
            "SELECT {col}_stopped_at, {col}_state, school_id FROM incident_sla WHERE board_id = $1 AND exercise = FALSE AND {col}_stopped_at >= $2 AND {col}_stopped_at < $3"
        );
        let rows: Vec<(i64, String, Option<Uuid>)> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(time::to_db(from))
                .bind(time::to_db(to))
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, state, school)| {
                (
                    StoppedClock {
                        stopped_at: time::from_db(at),
                        state,
                    },
                    school.map(SchoolId),
                )
            })
            .collect())
    }

    /// The suppliers of a board.
    pub async fn suppliers(&self, board: BoardId) -> Result<Vec<Supplier>> {
        let rows: Vec<Supplier> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, name, email, phone, active FROM suppliers WHERE board_id = $1 ORDER BY name")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|s| Supplier {
                board: Some(board),
                ..s
            })
            .collect())
    }

    /// The active webhook channels of a board.
    pub async fn webhooks(&self, board: BoardId) -> Result<Vec<WebhookChannel>> {
        let sql = format!("SELECT {WEBHOOK_COLS} FROM webhook_channels WHERE board_id = $1 AND active = TRUE ORDER BY name, id");
        let rows: Vec<WebhookDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One webhook channel (active or not).
    pub async fn webhook(&self, id: Uuid) -> Result<Option<WebhookChannel>> {
        let sql = format!("SELECT {WEBHOOK_COLS} FROM webhook_channels WHERE id = $1");
        let r: Option<WebhookDb> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
        });
        Ok(r.map(Into::into))
    }

    /// The delivery log of a board, newest first; `status` filters when set.
    pub async fn delivery_log(
        &self,
        board: BoardId,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::jobs::Notification>> {
        let rows: Vec<DeliveryDb> = on_conn!(read self, |c| {
            match status {
                Some(s) => sqlx::query_as("SELECT id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at FROM notifications WHERE board_id = $1 AND status = $2 ORDER BY at DESC, id DESC LIMIT $3")
                    .bind(board.0)
                    .bind(s)
                    .bind(limit)
                    .fetch_all(c)
                    .await?,
                None => sqlx::query_as("SELECT id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at FROM notifications WHERE board_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
                    .bind(board.0)
                    .bind(limit)
                    .fetch_all(c)
                    .await?,
            }
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Per incident of a board, how many timeline events of `event_type` it has (monitoring
    /// and the exactly-once checks of the multi-instance test).
    pub async fn event_counts(
        &self,
        board: BoardId,
        event_type: &str,
    ) -> Result<Vec<(IncidentId, i64)>> {
        let rows: Vec<(Uuid, i64)> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT e.incident_id, COUNT(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.board_id = $1 AND e.event_type = $2 GROUP BY e.incident_id")
                .bind(board.0)
                .bind(event_type)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(|(i, n)| (IncidentId(i), n)).collect())
    }

    /// The delivery log of a board as (incident, channel, recipient, status, job) tuples, for
    /// counting deliveries.
    pub async fn delivery_summary(&self, board: BoardId) -> Result<Vec<DeliveryLine>> {
        type Raw = (Option<Uuid>, String, String, String, Option<Uuid>);
        let rows: Vec<Raw> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT incident_id, channel, recipient, status, job_id FROM notifications WHERE board_id = $1")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(i, a, b, c, d)| (i.map(IncidentId), a, b, c, d))
            .collect())
    }

    /// Delivery-log entries written by one job (all attempts), oldest first.
    pub async fn deliveries_of_job(&self, job: Uuid) -> Result<Vec<crate::jobs::Notification>> {
        let rows: Vec<DeliveryDb> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, board_id, incident_id, channel, recipient, subject, status, detail, job_id, at FROM notifications WHERE job_id = $1 ORDER BY at, id")
                .bind(job)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(FromRow)]
struct DeliveryDb {
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

impl From<DeliveryDb> for crate::jobs::Notification {
    fn from(r: DeliveryDb) -> Self {
        crate::jobs::Notification {
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
    fn transitions_skip_events_without_a_status_change() {
        let rows = vec![
            (1, r#"{"from":"in_progress","to":"waiting"}"#.to_string()),
            (2, r#"{"public":true}"#.to_string()),
            (3, r#"{"from":"waiting","to":"waiting"}"#.to_string()),
            (4, "not json".to_string()),
        ];
        let t = transitions_from(rows);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].to, "waiting");
    }
}
