//! Breach records, their child rows (AP follow-ups, other notifications, letters, deadline
//! warnings) and the boards' breach settings.

use crate::{on_conn, time, Result, Store, StoreError, Tx};
use jiff::Timestamp;
use meldpunt_core::breach::assessment::PeopleCount;
use meldpunt_core::breach::record::{
    ApNotification, BreachRecord, FgAdvice, FollowupKind, InformChannel, InformDecision,
    InformGround, LetterAudience, NotifyDecision, OtherRecipient,
};
use meldpunt_core::breach::WarningKind;
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId};
use sqlx::FromRow;
use uuid::Uuid;

const COLS: &str = "incident_id, board_id, school_id, exercise, first_signal_at, awareness_at, ap_incident_kind, natures, summary, started_at, ended_at, ongoing, discovered_at, discovery, subject_groups, groups_description, people_kind, people_min, people_max, data_categories, records_count, prior_measure, prior_measure_how, processor, processor_informed_at, abroad, abroad_countries, consequences, consequences_text, measures, assessment, notify_decision, notify_reasoning, decided_by, decided_at, fg_advice, fg_advice_at, fg_advice_by, ap_notified_at, ap_reference, ap_final, delay_reason, inform_decision, inform_ground, inform_reasoning, public_communication, informed_at, inform_channel, informed_count, inform_text, inform_decided_by, version";

#[derive(FromRow)]
struct Row {
    incident_id: Uuid,
    board_id: Uuid,
    school_id: Option<Uuid>,
    exercise: bool,
    first_signal_at: i64,
    awareness_at: i64,
    ap_incident_kind: Option<String>,
    natures: String,
    summary: Option<String>,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    ongoing: bool,
    discovered_at: Option<i64>,
    discovery: Option<String>,
    subject_groups: String,
    groups_description: Option<String>,
    people_kind: String,
    people_min: Option<i64>,
    people_max: Option<i64>,
    data_categories: String,
    records_count: Option<i64>,
    prior_measure: Option<String>,
    prior_measure_how: Option<String>,
    processor: Option<String>,
    processor_informed_at: Option<i64>,
    abroad: Option<bool>,
    abroad_countries: Option<String>,
    consequences: String,
    consequences_text: Option<String>,
    measures: Option<String>,
    assessment: String,
    notify_decision: Option<bool>,
    notify_reasoning: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    fg_advice: Option<String>,
    fg_advice_at: Option<i64>,
    fg_advice_by: Option<String>,
    ap_notified_at: Option<i64>,
    ap_reference: Option<String>,
    ap_final: Option<bool>,
    delay_reason: Option<String>,
    inform_decision: Option<bool>,
    inform_ground: Option<String>,
    inform_reasoning: Option<String>,
    public_communication: Option<String>,
    informed_at: Option<i64>,
    inform_channel: Option<String>,
    informed_count: Option<i64>,
    inform_text: Option<String>,
    inform_decided_by: Option<String>,
    version: i64,
}

fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("breach {what}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn code<T>(what: &str, v: Option<String>, f: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
    v.map(|s| f(&s).ok_or_else(|| StoreError::Corrupt(format!("breach {what} '{s}'"))))
        .transpose()
}

fn u(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

fn i(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

impl TryFrom<Row> for BreachRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        use meldpunt_core::breach::record::BreachFacts;
        let people = match r.people_kind.as_str() {
            "exact" => PeopleCount::Exact {
                count: u(r.people_min).unwrap_or(0),
            },
            "range" => PeopleCount::Range {
                min: u(r.people_min).unwrap_or(0),
                max: u(r.people_max).unwrap_or(0),
            },
            _ => PeopleCount::Unknown,
        };
        let facts = BreachFacts {
            natures: json("natures", &r.natures)?,
            incident_kind: code(
                "ap_incident_kind",
                r.ap_incident_kind,
                meldpunt_core::breach::ApIncidentKind::from_code,
            )?,
            summary: r.summary,
            started_at: time::opt_from_db(r.started_at),
            ended_at: time::opt_from_db(r.ended_at),
            ongoing: r.ongoing,
            discovered_at: time::opt_from_db(r.discovered_at),
            discovery: r.discovery,
            groups: json("groups", &r.subject_groups)?,
            groups_description: r.groups_description,
            people,
            data: json("data_categories", &r.data_categories)?,
            records: u(r.records_count),
            prior_measure: code(
                "prior_measure",
                r.prior_measure,
                meldpunt_core::breach::PriorMeasure::from_code,
            )?,
            prior_measure_how: r.prior_measure_how,
            processor: r.processor,
            processor_informed_at: time::opt_from_db(r.processor_informed_at),
            abroad: r.abroad,
            abroad_countries: r.abroad_countries,
            consequences: json("consequences", &r.consequences)?,
            consequences_text: r.consequences_text,
            measures: r.measures,
        };
        let notify = match (r.notify_decision, r.decided_at) {
            (Some(notify), Some(at)) => Some(NotifyDecision {
                notify,
                reasoning: r.notify_reasoning,
                decided_by: r.decided_by.unwrap_or_default(),
                decided_at: time::from_db(at),
            }),
            _ => None,
        };
        let fg_advice = match (r.fg_advice, r.fg_advice_at) {
            (Some(text), Some(at)) => Some(FgAdvice {
                text,
                given_at: time::from_db(at),
                recorded_by: r.fg_advice_by.unwrap_or_default(),
            }),
            _ => None,
        };
        let ap = r.ap_notified_at.map(|at| ApNotification {
            notified_at: time::from_db(at),
            reference: r.ap_reference,
            is_final: r.ap_final.unwrap_or(false),
            delay_reason: r.delay_reason,
        });
        let inform = match r.inform_decision {
            Some(inform) => Some(InformDecision {
                inform,
                ground: code("inform_ground", r.inform_ground, InformGround::from_code)?,
                reasoning: r.inform_reasoning,
                public_communication: r.public_communication,
                informed_at: time::opt_from_db(r.informed_at),
                channel: code("inform_channel", r.inform_channel, InformChannel::from_code)?,
                count: u(r.informed_count),
                text: r.inform_text,
                decided_by: r.inform_decided_by.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(BreachRecord {
            incident_id: IncidentId(r.incident_id),
            board_id: BoardId(r.board_id),
            school_id: r.school_id.map(SchoolId),
            exercise: r.exercise,
            first_signal_at: time::from_db(r.first_signal_at),
            awareness_at: time::from_db(r.awareness_at),
            facts,
            answers: json("assessment", &r.assessment)?,
            notify,
            fg_advice,
            ap,
            inform,
            version: r.version,
        })
    }
}

/// The breach register's filters; exercises are always left out.
#[derive(Debug, Clone, Default)]
pub struct BreachFilter {
    /// Boards to list.
    pub boards: Vec<BoardId>,
    /// Only these schools (school-scoped roles).
    pub only_schools: Option<Vec<SchoolId>>,
    /// One school.
    pub school: Option<SchoolId>,
    /// Awareness at or after.
    pub from: Option<Timestamp>,
    /// Awareness before.
    pub until: Option<Timestamp>,
}

/// A follow-up to an AP notification, or another notification (Inspectie, police, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachNote {
    /// Id.
    pub id: Uuid,
    /// The breach.
    pub incident_id: IncidentId,
    /// Follow-up kind (`supplement`/`amend`/`withdraw`) or recipient code.
    pub what: String,
    /// When.
    pub at: Timestamp,
    /// Reference number.
    pub reference: Option<String>,
    /// Remark.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
}

#[derive(FromRow)]
struct NoteRow {
    id: Uuid,
    incident_id: Uuid,
    what: String,
    at: i64,
    reference: Option<String>,
    note: Option<String>,
    recorded_by: String,
}

impl From<NoteRow> for BreachNote {
    fn from(r: NoteRow) -> Self {
        BreachNote {
            id: r.id,
            incident_id: IncidentId(r.incident_id),
            what: r.what,
            at: time::from_db(r.at),
            reference: r.reference,
            note: r.note,
            recorded_by: r.recorded_by,
        }
    }
}

/// A letter to data subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// To whom.
    pub audience: LetterAudience,
    /// The text.
    pub body: String,
    /// When sent; None while a draft.
    pub sent_at: Option<Timestamp>,
    /// Who last changed it.
    pub updated_by: String,
    /// When.
    pub updated_at: Timestamp,
}

/// A deadline warning as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRow {
    /// The breach.
    pub incident_id: IncidentId,
    /// Which warning.
    pub kind: WarningKind,
    /// When it was due.
    pub due_at: Timestamp,
    /// `sent` / `not_sent` / `failed`, or None while the job is pending.
    pub status: Option<String>,
    /// When it went out.
    pub sent_at: Option<Timestamp>,
}

/// The breach settings of a board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreachSettings {
    /// The board's postal address.
    pub address: Option<String>,
    /// Contact person for the AP: name.
    pub contact_name: Option<String>,
    /// Function.
    pub contact_function: Option<String>,
    /// E-mail.
    pub contact_email: Option<String>,
    /// Phone.
    pub contact_phone: Option<String>,
    /// May the service desk read breach records including the assessment?
    pub service_desk_sees_assessment: bool,
}

#[derive(FromRow)]
struct SettingsRow {
    address: Option<String>,
    contact_name: Option<String>,
    contact_function: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    service_desk_sees_assessment: bool,
}

fn people_cols(p: PeopleCount) -> (&'static str, Option<i64>, Option<i64>) {
    match p {
        PeopleCount::Unknown => ("unknown", None, None),
        PeopleCount::Exact { count } => ("exact", i(Some(count)), i(Some(count))),
        PeopleCount::Range { min, max } => ("range", i(Some(min)), i(Some(max))),
    }
}

macro_rules! bind_record {
    ($q:expr, $b:expr) => {{
        let b: &BreachRecord = $b;
        let f = &b.facts;
        let (pk, pmin, pmax) = people_cols(f.people);
        let a = b.assessment();
        $q.bind(b.incident_id.0)
            .bind(b.board_id.0)
            .bind(b.school_id.map(|s| s.0))
            .bind(b.exercise)
            .bind(time::to_db(b.first_signal_at))
            .bind(time::to_db(b.awareness_at))
            .bind(f.incident_kind.map(|k| k.code()))
            .bind(to_json(&f.natures))
            .bind(f.summary.clone())
            .bind(time::opt_to_db(f.started_at))
            .bind(time::opt_to_db(f.ended_at))
            .bind(f.ongoing)
            .bind(time::opt_to_db(f.discovered_at))
            .bind(f.discovery.clone())
            .bind(to_json(&f.groups))
            .bind(f.groups_description.clone())
            .bind(pk)
            .bind(pmin)
            .bind(pmax)
            .bind(to_json(&f.data))
            .bind(i(f.records))
            .bind(f.prior_measure.map(|m| m.code()))
            .bind(f.prior_measure_how.clone())
            .bind(f.processor.clone())
            .bind(time::opt_to_db(f.processor_informed_at))
            .bind(f.abroad)
            .bind(f.abroad_countries.clone())
            .bind(to_json(&f.consequences))
            .bind(f.consequences_text.clone())
            .bind(f.measures.clone())
            .bind(to_json(&b.answers))
            .bind(b.notify.as_ref().map(|d| d.notify))
            .bind(b.notify.as_ref().and_then(|d| d.reasoning.clone()))
            .bind(b.notify.as_ref().map(|d| d.decided_by.clone()))
            .bind(b.notify.as_ref().map(|d| time::to_db(d.decided_at)))
            .bind(b.fg_advice.as_ref().map(|d| d.text.clone()))
            .bind(b.fg_advice.as_ref().map(|d| time::to_db(d.given_at)))
            .bind(b.fg_advice.as_ref().map(|d| d.recorded_by.clone()))
            .bind(b.ap.as_ref().map(|d| time::to_db(d.notified_at)))
            .bind(b.ap.as_ref().and_then(|d| d.reference.clone()))
            .bind(b.ap.as_ref().map(|d| d.is_final))
            .bind(b.ap.as_ref().and_then(|d| d.delay_reason.clone()))
            .bind(b.inform.as_ref().map(|d| d.inform))
            .bind(b.inform.as_ref().and_then(|d| d.ground.map(|g| g.code())))
            .bind(b.inform.as_ref().and_then(|d| d.reasoning.clone()))
            .bind(
                b.inform
                    .as_ref()
                    .and_then(|d| d.public_communication.clone()),
            )
            .bind(
                b.inform
                    .as_ref()
                    .and_then(|d| time::opt_to_db(d.informed_at)),
            )
            .bind(b.inform.as_ref().and_then(|d| d.channel.map(|c| c.code())))
            .bind(b.inform.as_ref().and_then(|d| i(d.count)))
            .bind(b.inform.as_ref().and_then(|d| d.text.clone()))
            .bind(b.inform.as_ref().map(|d| d.decided_by.clone()))
            .bind(b.version)
            .bind(time::to_db(b.deadline()))
            .bind(i64::from(a.severity.score.quarters()))
            .bind(a.severity.level.code())
            .bind(a.suggestion.code())
    }};
}

/// `$1, $2, …, $n`.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const NCOLS: usize = 52;

impl Tx {
    /// Stores a new breach record.
    pub async fn insert_breach(
        &mut self,
        b: &BreachRecord,
        next_warning_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO breaches ({COLS}, deadline_at, severity_quarters, severity_level, suggestion, next_warning_at, created_at, updated_at) VALUES ({})",
            placeholders(1, NCOLS + 7)
        );
        let nw = time::opt_to_db(next_warning_at);
        let now = time::to_db(now);
        on_conn!(tx self, |c| {
            bind_record!(sqlx::query(&sql), b)
                .bind(nw)
                .bind(now)
                .bind(now)
                .execute(c)
                .await
                .map_err(|e| StoreError::from_unique(e, "breach record"))?;
        });
        Ok(())
    }

    /// Writes a changed record (its version already bumped) if nobody changed it since
    /// `expected_version`.
    pub async fn update_breach(
        &mut self,
        b: &BreachRecord,
        expected_version: i64,
        next_warning_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let sets: Vec<String> = COLS
            .split(", ")
            .chain([
                "deadline_at",
                "severity_quarters",
                "severity_level",
                "suggestion",
                "next_warning_at",
                "updated_at",
            ])
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE breaches SET {} WHERE incident_id = $1 AND version = ${}",
            sets.join(", "),
            NCOLS + 7
        );
        let nw = time::opt_to_db(next_warning_at);
        let n = on_conn!(tx self, |c| {
            bind_record!(sqlx::query(&sql), b)
                .bind(nw)
                .bind(time::to_db(now))
                .bind(expected_version)
                .execute(c)
                .await?
                .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Stale)
        }
    }

    /// Reads a breach record inside the transaction, locking it on PostgreSQL.
    pub async fn breach_for_update(&mut self, id: IncidentId) -> Result<Option<BreachRecord>> {
        let sql = format!(
            "SELECT {COLS} FROM breaches WHERE incident_id = $1{}",
            self.backend().for_update()
        );
        let r: Option<Row> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(BreachRecord::try_from).transpose()
    }

    /// Sets when the next deadline warning is due.
    pub async fn set_next_breach_warning(
        &mut self,
        id: IncidentId,
        at: Option<Timestamp>,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE breaches SET next_warning_at = $2 WHERE incident_id = $1")
                .bind(id.0)
                .bind(time::opt_to_db(at))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Records an AP follow-up (`table` = followups) or another notification.
    async fn insert_note(
        &mut self,
        table: &str,
        col: &str,
        n: &BreachNote,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!("INSERT INTO {table} (id, incident_id, {col}, at, reference, note, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        on_conn!(tx self, |c| {
            sqlx::query(&sql)
                .bind(n.id)
                .bind(n.incident_id.0)
                .bind(&n.what)
                .bind(time::to_db(n.at))
                .bind(&n.reference)
                .bind(&n.note)
                .bind(&n.recorded_by)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Records a follow-up to the AP notification.
    pub async fn insert_breach_followup(&mut self, n: &BreachNote, now: Timestamp) -> Result<()> {
        debug_assert!(FollowupKind::from_code(&n.what).is_some());
        self.insert_note("breach_followups", "kind", n, now).await
    }

    /// Records another notification (Inspectie, police, insurer, School-CERT).
    pub async fn insert_breach_other_notification(
        &mut self,
        n: &BreachNote,
        now: Timestamp,
    ) -> Result<()> {
        debug_assert!(OtherRecipient::from_code(&n.what).is_some());
        self.insert_note("breach_other_notifications", "recipient", n, now)
            .await
    }

    /// A letter inside the transaction.
    pub async fn breach_letter(
        &mut self,
        id: IncidentId,
        audience: LetterAudience,
    ) -> Result<Option<Letter>> {
        let r: Option<LetterRow> = on_conn!(tx self, |c| {
            sqlx::query_as("SELECT audience, body, sent_at, updated_by, updated_at FROM breach_letters WHERE incident_id = $1 AND audience = $2")
                .bind(id.0)
                .bind(audience.code())
                .fetch_optional(c)
                .await?
        });
        r.map(Letter::try_from).transpose()
    }

    /// Saves a letter (draft or sent).
    pub async fn upsert_breach_letter(&mut self, id: IncidentId, l: &Letter) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO breach_letters (incident_id, audience, body, sent_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (incident_id, audience) DO UPDATE SET body = excluded.body, sent_at = excluded.sent_at, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(id.0)
                .bind(l.audience.code())
                .bind(&l.body)
                .bind(time::opt_to_db(l.sent_at))
                .bind(&l.updated_by)
                .bind(time::to_db(l.updated_at))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Claims a deadline warning: true when this call recorded it (so it must be sent), false
    /// when it was claimed before (by this or another instance).
    pub async fn claim_breach_warning(
        &mut self,
        id: IncidentId,
        kind: WarningKind,
        due_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO breach_warnings (incident_id, kind, due_at, enqueued_at) VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id, kind) DO NOTHING")
                .bind(id.0)
                .bind(kind.code())
                .bind(time::to_db(due_at))
                .bind(time::to_db(now))
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Records how a warning went out.
    pub async fn mark_breach_warning(
        &mut self,
        id: IncidentId,
        kind: WarningKind,
        status: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE breach_warnings SET status = $3, sent_at = $4 WHERE incident_id = $1 AND kind = $2")
                .bind(id.0)
                .bind(kind.code())
                .bind(status)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// The warnings of a breach inside the transaction.
    pub async fn breach_warnings_tx(&mut self, id: IncidentId) -> Result<Vec<WarningRow>> {
        let rows: Vec<WarningDbRow> = on_conn!(tx self, |c| {
            sqlx::query_as("SELECT incident_id, kind, due_at, status, sent_at FROM breach_warnings WHERE incident_id = $1 ORDER BY due_at")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(WarningRow::try_from).collect()
    }

    /// Saves a board's breach settings.
    pub async fn upsert_breach_settings(
        &mut self,
        board: BoardId,
        s: &BreachSettings,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO breach_settings (board_id, address, contact_name, contact_function, contact_email, contact_phone, service_desk_sees_assessment, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (board_id) DO UPDATE SET address = excluded.address, contact_name = excluded.contact_name, contact_function = excluded.contact_function, contact_email = excluded.contact_email, contact_phone = excluded.contact_phone, service_desk_sees_assessment = excluded.service_desk_sees_assessment, updated_at = excluded.updated_at")
                .bind(board.0)
                .bind(&s.address)
                .bind(&s.contact_name)
                .bind(&s.contact_function)
                .bind(&s.contact_email)
                .bind(&s.contact_phone)
                .bind(s.service_desk_sees_assessment)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }
}

#[derive(FromRow)]
struct LetterRow {
    audience: String,
    body: String,
    sent_at: Option<i64>,
    updated_by: String,
    updated_at: i64,
}

impl TryFrom<LetterRow> for Letter {
    type Error = StoreError;
    fn try_from(r: LetterRow) -> Result<Self> {
        Ok(Letter {
            audience: LetterAudience::from_code(&r.audience)
                .ok_or_else(|| StoreError::Corrupt(format!("letter audience '{}'", r.audience)))?,
            body: r.body,
            sent_at: time::opt_from_db(r.sent_at),
            updated_by: r.updated_by,
            updated_at: time::from_db(r.updated_at),
        })
    }
}

#[derive(FromRow)]
struct WarningDbRow {
    incident_id: Uuid,
    kind: String,
    due_at: i64,
    status: Option<String>,
    sent_at: Option<i64>,
}

impl TryFrom<WarningDbRow> for WarningRow {
    type Error = StoreError;
    fn try_from(r: WarningDbRow) -> Result<Self> {
        Ok(WarningRow {
            incident_id: IncidentId(r.incident_id),
            kind: WarningKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("warning kind '{}'", r.kind)))?,
            due_at: time::from_db(r.due_at),
            status: r.status,
            sent_at: time::opt_from_db(r.sent_at),
        })
    }
}

impl Store {
    /// The breach record of an incident, if it has one.
    pub async fn breach(&self, id: IncidentId) -> Result<Option<BreachRecord>> {
        let sql = format!("SELECT {COLS} FROM breaches WHERE incident_id = $1");
        let r: Option<Row> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(BreachRecord::try_from).transpose()
    }

    /// The breach register: records of the boards, oldest awareness first; never exercises.
    pub async fn breaches(&self, f: &BreachFilter) -> Result<Vec<BreachRecord>> {
        if f.boards.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = format!("SELECT {COLS} FROM breaches WHERE exercise = FALSE");
        let mut uuids: Vec<Uuid> = Vec::new();
        let mut n = 0usize;
        let mut ph = || {
            n += 1;
            format!("${n}")
        };
        let boards: Vec<String> = f
            .boards
            .iter()
            .map(|b| {
                uuids.push(b.0);
                ph()
            })
            .collect();
        sql.push_str(&format!(" AND board_id IN ({})", boards.join(", ")));
        if let Some(only) = &f.only_schools {
            if only.is_empty() {
                return Ok(Vec::new());
            }
            let ps: Vec<String> = only
                .iter()
                .map(|s| {
                    uuids.push(s.0);
                    ph()
                })
                .collect();
            sql.push_str(&format!(" AND school_id IN ({})", ps.join(", ")));
        }
        if let Some(s) = f.school {
            uuids.push(s.0);
            let p = ph();
            sql.push_str(&format!(" AND school_id = {p}"));
        }
        let mut ints: Vec<i64> = Vec::new();
        if let Some(t) = f.from {
            ints.push(time::to_db(t));
            let p = ph();
            sql.push_str(&format!(" AND awareness_at >= {p}"));
        }
        if let Some(t) = f.until {
            ints.push(time::to_db(t));
            let p = ph();
            sql.push_str(&format!(" AND awareness_at < {p}"));
        }
        sql.push_str(" ORDER BY awareness_at, incident_id");
        let rows: Vec<Row> = on_conn!(read self, |c| {
            let mut q = sqlx::query_as(&sql);
            for u in &uuids {
                q = q.bind(*u);
            }
            for v in &ints {
                q = q.bind(*v);
            }
            q.fetch_all(c).await?
        });
        rows.into_iter().map(BreachRecord::try_from).collect()
    }

    /// Breaches whose next deadline warning is due.
    pub async fn breaches_due_warning(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<BreachRecord>> {
        let sql = format!("SELECT {COLS} FROM breaches WHERE next_warning_at IS NOT NULL AND next_warning_at <= $1 ORDER BY next_warning_at LIMIT $2");
        let rows: Vec<Row> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(time::to_db(now))
                .bind(limit)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(BreachRecord::try_from).collect()
    }

    async fn notes(&self, table: &str, col: &str, id: IncidentId) -> Result<Vec<BreachNote>> {
        let sql = format!("SELECT id, incident_id, {col} AS what, at, reference, note, recorded_by FROM {table} WHERE incident_id = $1 ORDER BY at, id");
        let rows: Vec<NoteRow> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Follow-ups to the AP notification, oldest first.
    pub async fn breach_followups(&self, id: IncidentId) -> Result<Vec<BreachNote>> {
        self.notes("breach_followups", "kind", id).await
    }

    /// Other notifications, oldest first.
    pub async fn breach_other_notifications(&self, id: IncidentId) -> Result<Vec<BreachNote>> {
        self.notes("breach_other_notifications", "recipient", id)
            .await
    }

    /// The letters of a breach.
    pub async fn breach_letters(&self, id: IncidentId) -> Result<Vec<Letter>> {
        let rows: Vec<LetterRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT audience, body, sent_at, updated_by, updated_at FROM breach_letters WHERE incident_id = $1 ORDER BY audience")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(Letter::try_from).collect()
    }

    /// The deadline warnings of a breach.
    pub async fn breach_warnings(&self, id: IncidentId) -> Result<Vec<WarningRow>> {
        let rows: Vec<WarningDbRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT incident_id, kind, due_at, status, sent_at FROM breach_warnings WHERE incident_id = $1 ORDER BY due_at")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(WarningRow::try_from).collect()
    }

    /// A board's breach settings (defaults when never saved).
    pub async fn breach_settings(&self, board: BoardId) -> Result<BreachSettings> {
        let r: Option<SettingsRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT address, contact_name, contact_function, contact_email, contact_phone, service_desk_sees_assessment FROM breach_settings WHERE board_id = $1")
                .bind(board.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.map(|r| BreachSettings {
            address: r.address,
            contact_name: r.contact_name,
            contact_function: r.contact_function,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            service_desk_sees_assessment: r.service_desk_sees_assessment,
        })
        .unwrap_or_default())
    }
}
