//! Incidents, their numbers and their timeline events.

use crate::{on_conn, time, Backend, Result, Store, StoreError, Tx};
use jiff::Timestamp;
use meldpunt_core::ids::{BoardId, IncidentId, IncidentNumber, SchoolId, UserId};
use meldpunt_core::incident::{
    Aspects, Category, Classification, Impact, Incident, Kind, PersonalDataAnswer, Priority,
    Reporter, Status, Timeline, Urgency,
};
use sqlx::FromRow;
use uuid::Uuid;

/// A new incident row for `Tx::insert_incidents`.
#[derive(Debug, Clone, Copy)]
pub struct IncidentInsert<'a> {
    /// The incident, numbered.
    pub incident: &'a Incident,
    /// Hash of its follow-up token (unique).
    pub followup_token_hash: &'a str,
    /// Last change (also the report moment when the timeline has none).
    pub updated_at: Timestamp,
}

/// Incident rows per INSERT statement (40 parameters each; SQLite allows 32,766).
const INCIDENT_ROWS: usize = 400;
/// Event rows per INSERT statement (9 parameters each).
const EVENT_ROWS: usize = 1600;

pub(crate) const COLS: &str = "id, board_id, school_id, number_year, number_seq, summary, description, personal_data, ongoing, reporter_name, reporter_email, reporter_phone, status, kind, aspects, category, impact, urgency, priority, priority_override_reason, assignee_id, resolution, cause, evaluation, no_incident_reason, occurred_at, detected_at, reported_at, registered_at, first_response_at, contained_at, resolved_at, evaluated_at, closed_at, exercise, version";

#[derive(FromRow)]
struct Row {
    id: Uuid,
    board_id: Uuid,
    school_id: Option<Uuid>,
    number_year: i64,
    number_seq: i64,
    summary: String,
    description: String,
    personal_data: String,
    ongoing: Option<bool>,
    reporter_name: Option<String>,
    reporter_email: Option<String>,
    reporter_phone: Option<String>,
    status: String,
    kind: Option<String>,
    aspects: Option<String>,
    category: Option<String>,
    impact: Option<String>,
    urgency: Option<String>,
    priority: Option<String>,
    priority_override_reason: Option<String>,
    assignee_id: Option<Uuid>,
    resolution: Option<String>,
    cause: Option<String>,
    evaluation: Option<String>,
    no_incident_reason: Option<String>,
    occurred_at: Option<i64>,
    detected_at: Option<i64>,
    reported_at: i64,
    registered_at: Option<i64>,
    first_response_at: Option<i64>,
    contained_at: Option<i64>,
    resolved_at: Option<i64>,
    evaluated_at: Option<i64>,
    closed_at: Option<i64>,
    exercise: bool,
    version: i64,
}

fn parse<T>(what: &str, v: &str, f: impl Fn(&str) -> Option<T>) -> Result<T> {
    f(v).ok_or_else(|| StoreError::Corrupt(format!("{what} '{v}'")))
}

impl TryFrom<Row> for Incident {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let classification = match (r.kind, r.category, r.impact, r.urgency, r.priority) {
            (Some(k), Some(c), Some(i), Some(u), Some(p)) => Some(Classification {
                kind: parse("kind", &k, Kind::from_code)?,
                aspects: Aspects::from_code(r.aspects.as_deref().unwrap_or("")),
                category: parse("category", &c, Category::from_code)?,
                impact: parse("impact", &i, Impact::from_code)?,
                urgency: parse("urgency", &u, Urgency::from_code)?,
                priority: parse("priority", &p, Priority::from_code)?,
                priority_override_reason: r.priority_override_reason,
            }),
            _ => None,
        };
        Ok(Incident {
            id: IncidentId(r.id),
            board_id: BoardId(r.board_id),
            school_id: r.school_id.map(SchoolId),
            number: IncidentNumber {
                year: i16::try_from(r.number_year)
                    .map_err(|_| StoreError::Corrupt("number year".into()))?,
                seq: r.number_seq,
            },
            summary: r.summary,
            description: r.description,
            personal_data: parse(
                "personal_data",
                &r.personal_data,
                PersonalDataAnswer::from_code,
            )?,
            ongoing: r.ongoing,
            reporter: Reporter {
                name: r.reporter_name,
                email: r.reporter_email,
                phone: r.reporter_phone,
            },
            status: parse("status", &r.status, Status::from_code)?,
            classification,
            assignee_id: r.assignee_id.map(UserId),
            resolution: r.resolution,
            cause: r.cause,
            evaluation: r.evaluation,
            no_incident_reason: r.no_incident_reason,
            timeline: Timeline {
                occurred_at: time::opt_from_db(r.occurred_at),
                detected_at: time::opt_from_db(r.detected_at),
                reported_at: Some(time::from_db(r.reported_at)),
                registered_at: time::opt_from_db(r.registered_at),
                first_response_at: time::opt_from_db(r.first_response_at),
                contained_at: time::opt_from_db(r.contained_at),
                resolved_at: time::opt_from_db(r.resolved_at),
                evaluated_at: time::opt_from_db(r.evaluated_at),
                closed_at: time::opt_from_db(r.closed_at),
            },
            exercise: r.exercise,
            version: r.version,
        })
    }
}

/// The lower-cased text free-text search looks in.
pub(crate) fn search_text(i: &Incident) -> String {
    format!("{} {}\n{}", i.number, i.summary, i.description).to_lowercase()
}

/// A timeline event on an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Id.
    pub id: Uuid,
    /// Incident.
    pub incident_id: IncidentId,
    /// When.
    pub at: Timestamp,
    /// Who (an account), if anyone.
    pub actor_id: Option<UserId>,
    /// Who, as shown (name, "melder", "systeem").
    pub actor_label: String,
    /// `reported`, `note`, `triage`, `assign`, `status`, `reporter_info`, `notification`, …
    pub event_type: String,
    /// Shown to the reporter on the follow-up page.
    pub public: bool,
    /// Free text (a note), if any.
    pub body: Option<String>,
    /// Structured details as JSON.
    pub details: String,
}

#[derive(FromRow)]
struct EventRow {
    id: Uuid,
    incident_id: Uuid,
    at: i64,
    actor_id: Option<Uuid>,
    actor_label: String,
    event_type: String,
    public: bool,
    body: Option<String>,
    details: String,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            incident_id: IncidentId(r.incident_id),
            at: time::from_db(r.at),
            actor_id: r.actor_id.map(UserId),
            actor_label: r.actor_label,
            event_type: r.event_type,
            public: r.public,
            body: r.body,
            details: r.details,
        }
    }
}

/// Sort orders of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest report first (default).
    #[default]
    Newest,
    /// Oldest report first.
    Oldest,
    /// Most urgent first (untriaged first, then P1 … P5), newest within a priority.
    Priority,
}

impl Sort {
    /// Parses `newest` / `oldest` / `priority`.
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "newest" => Some(Sort::Newest),
            "oldest" => Some(Sort::Oldest),
            "priority" => Some(Sort::Priority),
            _ => None,
        }
    }

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Priority => "priority",
        }
    }
}

/// Where the previous page ended: the sort key and id of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Priority rank (only for `Sort::Priority`).
    pub rank: i64,
    /// Reported-at microseconds.
    pub reported_at: i64,
    /// Id.
    pub id: Uuid,
}

impl Cursor {
    /// Opaque text form for URLs.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.rank, self.reported_at, self.id.simple())
    }

    /// Parses the text form.
    pub fn decode(s: &str) -> Option<Self> {
        let mut it = s.split('.');
        let rank = it.next()?.parse().ok()?;
        let reported_at = it.next()?.parse().ok()?;
        let id = Uuid::parse_str(it.next()?).ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(Cursor {
            rank,
            reported_at,
            id,
        })
    }
}

/// The register's filters. The visibility scope comes from the caller's grants.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Boards the caller may see the register of.
    pub boards: Vec<BoardId>,
    /// When set, only these schools (school-scoped roles); board-wide incidents excluded.
    pub only_schools: Option<Vec<SchoolId>>,
    /// When set, only incidents assigned to this person (handlers).
    pub only_assignee: Option<UserId>,
    /// When set, only these kinds (IBP officer, FG, board member); untriaged reports with
    /// possible personal data are included when `include_untriaged_personal_data`.
    pub only_kinds: Option<Vec<Kind>>,
    /// See `only_kinds`.
    pub include_untriaged_personal_data: bool,
    /// With `only_kinds`: also incidents assigned to this person (a handler who is also IBP officer).
    pub or_assignee: Option<UserId>,
    /// Status filter; `open` is expressed by several statuses.
    pub statuses: Vec<Status>,
    /// Kind filter.
    pub kind: Option<Kind>,
    /// Priority filter.
    pub priority: Option<Priority>,
    /// School filter.
    pub school: Option<SchoolId>,
    /// Assignee filter.
    pub assignee: Option<UserId>,
    /// Reported at or after.
    pub from: Option<Timestamp>,
    /// Reported before.
    pub until: Option<Timestamp>,
    /// Free text (all words must occur).
    pub text: Option<String>,
    /// Include exercises.
    pub include_exercises: bool,
    /// Sort order.
    pub sort: Sort,
    /// Continue after this row.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: i64,
}

/// A value to bind, so dynamic SQL can be built once and bound on either backend.
#[derive(Debug, Clone)]
enum Value {
    Uuid(Uuid),
    I64(i64),
    Text(String),
}

struct Sql {
    text: String,
    args: Vec<Value>,
}

impl Sql {
    fn arg(&mut self, v: Value) -> String {
        self.args.push(v);
        format!("${}", self.args.len())
    }
}

/// Escapes LIKE wildcards in user text.
fn like_pattern(word: &str) -> String {
    let mut p = String::from("%");
    for ch in word.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Splits free text into words and quoted phrases, lower-cased. Control characters separate
/// words like spaces: stored text has none, and PostgreSQL refuses NUL in a parameter.
pub fn search_terms(text: &str) -> Vec<String> {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut terms = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let (phrase, after) = r.split_once('"').unwrap_or((r, ""));
            let phrase = phrase.trim();
            if !phrase.is_empty() {
                terms.push(phrase.to_lowercase());
            }
            rest = after.trim_start();
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            terms.push(rest[..end].to_lowercase());
            rest = rest[end..].trim_start();
        }
    }
    terms.truncate(10);
    terms
}

/// How the full-text index pre-filters the register (see `fts::condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextPlan {
    /// Start from the index matches (few of them): look them up, then sort.
    Lookup,
    /// Many matches: walk the register in sort order and test each row with LIKE alone; a common word fills a page within a few hundred rows, while materialising all its
    /// index matches (worse: checking a phrase's positions in them) would cost far more.
    Scan,
    /// Like `Scan`, but over at most this many rows of the register (in sort order): the page
    /// it returns is the true page only when it is full (see `list_incidents`).
    Probe(i64),
}

/// Rows of the register a PostgreSQL text search walks before it turns to the index.
const PROBE_ROWS: i64 = 10_000;

fn build_list(f: &Filter, backend: Backend, plan: TextPlan) -> Sql {
    let mut q = Sql {
        text: format!("SELECT {COLS}, priority_rank FROM incidents WHERE "),
        args: Vec::new(),
    };
    let mut conds: Vec<String> = Vec::new();
    if f.boards.is_empty() {
        conds.push("1 = 0".into());
    } else {
        let ps: Vec<String> = f.boards.iter().map(|b| q.arg(Value::Uuid(b.0))).collect();
        conds.push(format!("board_id IN ({})", ps.join(", ")));
    }
    if let Some(schools) = &f.only_schools {
        if schools.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let ps: Vec<String> = schools.iter().map(|s| q.arg(Value::Uuid(s.0))).collect();
            conds.push(format!("school_id IN ({})", ps.join(", ")));
        }
    }
    if let Some(a) = f.only_assignee {
        let p = q.arg(Value::Uuid(a.0));
        conds.push(format!("assignee_id = {p}"));
    }
    if let Some(kinds) = &f.only_kinds {
        let ps: Vec<String> = kinds
            .iter()
            .map(|k| q.arg(Value::Text(k.code().into())))
            .collect();
        let mut c = if ps.is_empty() {
            "1 = 0".to_string()
        } else {
            format!("kind IN ({})", ps.join(", "))
        };
        if f.include_untriaged_personal_data {
            c = format!("({c} OR (kind IS NULL AND personal_data <> 'no'))");
        }
        if let Some(a) = f.or_assignee {
            let p = q.arg(Value::Uuid(a.0));
            c = format!("({c} OR assignee_id = {p})");
        }
        conds.push(c);
    }
    if !f.statuses.is_empty() {
        let ps: Vec<String> = f
            .statuses
            .iter()
            .map(|s| q.arg(Value::Text(s.code().into())))
            .collect();
        conds.push(format!("status IN ({})", ps.join(", ")));
    }
    if let Some(k) = f.kind {
        let p = q.arg(Value::Text(k.code().into()));
        conds.push(format!("kind = {p}"));
    }
    if let Some(pr) = f.priority {
        let p = q.arg(Value::Text(pr.code().into()));
        conds.push(format!("priority = {p}"));
    }
    if let Some(s) = f.school {
        let p = q.arg(Value::Uuid(s.0));
        conds.push(format!("school_id = {p}"));
    }
    if let Some(a) = f.assignee {
        let p = q.arg(Value::Uuid(a.0));
        conds.push(format!("assignee_id = {p}"));
    }
    if let Some(t) = f.from {
        let p = q.arg(Value::I64(time::to_db(t)));
        conds.push(format!("reported_at >= {p}"));
    }
    if let Some(t) = f.until {
        let p = q.arg(Value::I64(time::to_db(t)));
        conds.push(format!("reported_at < {p}"));
    }
    if !f.include_exercises {
        conds.push("exercise = FALSE".into());
    }
    let mut text_conds: Vec<String> = Vec::new();
    if let Some(text) = &f.text {
        let terms = search_terms(text);
        // The full-text index narrows the candidates; LIKE keeps the exact meaning.
        if plan == TextPlan::Lookup {
            if let Some(c) = crate::fts::condition(backend, &terms, |v| q.arg(Value::Text(v))) {
                conds.push(c);
            }
        }
        for term in terms {
            let p = q.arg(Value::Text(like_pattern(&term)));
            text_conds.push(format!("search_text LIKE {p} ESCAPE '\\'"));
        }
    }
    let order = match f.sort {
        Sort::Newest => {
            if let Some(c) = &f.after {
                let a = q.arg(Value::I64(c.reported_at));
                let b = q.arg(Value::Uuid(c.id));
                conds.push(format!("(reported_at, id) < ({a}, {b})"));
            }
            "reported_at DESC, id DESC"
        }
        Sort::Oldest => {
            if let Some(c) = &f.after {
                let a = q.arg(Value::I64(c.reported_at));
                let b = q.arg(Value::Uuid(c.id));
                conds.push(format!("(reported_at, id) > ({a}, {b})"));
            }
            "reported_at ASC, id ASC"
        }
        Sort::Priority => {
            if let Some(c) = &f.after {
                let r = q.arg(Value::I64(c.rank));
                let a = q.arg(Value::I64(c.reported_at));
                let b = q.arg(Value::Uuid(c.id));
                // rank ascending, then newest first within a rank.
                conds.push(format!(
                    "(priority_rank > {r} OR (priority_rank = {r} AND (reported_at, id) < ({a}, {b})))"
                ));
            }
            "priority_rank ASC, reported_at DESC, id DESC"
        }
    };
    let limit = q.arg(Value::I64(f.limit.clamp(1, 500) + 1));
    match plan {
        TextPlan::Probe(rows) => {
            // The first `rows` of the register in order, then LIKE on those: the outer LIMIT
            // stops the walk as soon as the page is full.
            let rows = q.arg(Value::I64(rows));
            let text = if text_conds.is_empty() {
                "TRUE".to_string()
            } else {
                text_conds.join(" AND ")
            };
            q.text = format!(
                "SELECT {COLS}, priority_rank FROM (SELECT * FROM incidents WHERE {} ORDER BY {order} LIMIT {rows}) AS probe WHERE {text} ORDER BY {order} LIMIT {limit}",
                conds.join(" AND ")
            );
        }
        TextPlan::Lookup | TextPlan::Scan => {
            conds.extend(text_conds);
            q.text.push_str(&format!(
                "{} ORDER BY {order} LIMIT {limit}",
                conds.join(" AND ")
            ));
        }
    }
    q
}

/// One page of the register.
#[derive(Debug, Clone)]
pub struct Page {
    /// The incidents on this page.
    pub items: Vec<Incident>,
    /// Cursor for the next page, when there is one.
    pub next: Option<Cursor>,
}

pub(crate) fn rank_of(i: &Incident) -> i64 {
    i.priority().map(|p| i64::from(p.rank())).unwrap_or(0)
}

fn cursor_of(i: &Incident) -> Cursor {
    Cursor {
        rank: rank_of(i),
        reported_at: i.timeline.reported_at.map(time::to_db).unwrap_or(0),
        id: i.id.0,
    }
}

macro_rules! bind_values {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for v in $args {
            q = match v {
                Value::Uuid(u) => q.bind(*u),
                Value::I64(n) => q.bind(*n),
                Value::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}

impl Tx {
    /// The next number of a board's year.
    pub async fn next_incident_number(
        &mut self,
        board: BoardId,
        year: i16,
    ) -> Result<IncidentNumber> {
        let seq = self.reserve_incident_numbers(board, year, 1).await?;
        Ok(IncidentNumber { year, seq })
    }

    /// Reserves `count` consecutive numbers of a board's year; returns the first sequence number.
    pub async fn reserve_incident_numbers(
        &mut self,
        board: BoardId,
        year: i16,
        count: i64,
    ) -> Result<i64> {
        let last: i64 = on_conn!(tx self, |c| {
            sqlx::query_scalar("INSERT INTO incident_counters (board_id, year, last_seq) VALUES ($1, $2, $3) ON CONFLICT (board_id, year) DO UPDATE SET last_seq = incident_counters.last_seq + $3 RETURNING last_seq")
                .bind(board.0)
                .bind(i64::from(year))
                .bind(count)
                .fetch_one(c)
                .await?
        });
        Ok(last - count + 1)
    }

    /// Stores a new incident with the hash of its follow-up token.
    pub async fn insert_incident(
        &mut self,
        i: &Incident,
        followup_token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.insert_incidents(&[IncidentInsert {
            incident: i,
            followup_token_hash,
            updated_at: now,
        }])
        .await
    }

    /// Stores new incidents, several rows per statement (intake batches, seeding).
    pub async fn insert_incidents(&mut self, rows: &[IncidentInsert<'_>]) -> Result<()> {
        let backend = self.backend();
        for chunk in rows.chunks(INCIDENT_ROWS) {
            let sql = format!(
                "INSERT INTO incidents ({COLS}, followup_token_hash, search_text, priority_rank, updated_at) VALUES {}",
                backend.values(chunk.len(), 40)
            );
            on_conn!(tx self, |conn| {
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    let i = r.incident;
                    let c = i.classification.as_ref();
                    let t = &i.timeline;
                    q = q
                        .bind(i.id.0)
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
                        .bind(time::to_db(t.reported_at.unwrap_or(r.updated_at)))
                        .bind(time::opt_to_db(t.registered_at))
                        .bind(time::opt_to_db(t.first_response_at))
                        .bind(time::opt_to_db(t.contained_at))
                        .bind(time::opt_to_db(t.resolved_at))
                        .bind(time::opt_to_db(t.evaluated_at))
                        .bind(time::opt_to_db(t.closed_at))
                        .bind(i.exercise)
                        .bind(i.version)
                        .bind(r.followup_token_hash)
                        .bind(search_text(i))
                        .bind(rank_of(i))
                        .bind(time::to_db(r.updated_at));
                }
                q.execute(conn).await?;
            });
        }
        Ok(())
    }

    /// Writes a changed incident if nobody else changed it since `expected_version`.
    pub async fn update_incident(
        &mut self,
        i: &Incident,
        expected_version: i64,
        now: Timestamp,
    ) -> Result<()> {
        let c = i.classification.as_ref();
        let t = &i.timeline;
        let n = on_conn!(tx self, |conn| {
            sqlx::query("UPDATE incidents SET school_id = $2, summary = $3, description = $4, status = $5, kind = $6, aspects = $7, category = $8, impact = $9, urgency = $10, priority = $11, priority_override_reason = $12, assignee_id = $13, resolution = $14, cause = $15, evaluation = $16, no_incident_reason = $17, occurred_at = $18, detected_at = $19, registered_at = $20, first_response_at = $21, contained_at = $22, resolved_at = $23, evaluated_at = $24, closed_at = $25, version = $26, search_text = $27, priority_rank = $28, updated_at = $29 WHERE id = $1 AND version = $30")
                .bind(i.id.0)
                .bind(i.school_id.map(|s| s.0))
                .bind(&i.summary)
                .bind(&i.description)
                .bind(i.status.code())
                .bind(c.map(|c| c.kind.code()))
                .bind(c.map(|c| c.aspects.code()))
                .bind(c.map(|c| c.category.code()))
                .bind(c.map(|c| c.impact.code()))
                .bind(c.map(|c| c.urgency.code()))
                .bind(c.map(|c| c.priority.code()))
                .bind(c.and_then(|c| c.priority_override_reason.clone()))
                .bind(i.assignee_id.map(|u| u.0))
                .bind(&i.resolution)
                .bind(&i.cause)
                .bind(&i.evaluation)
                .bind(&i.no_incident_reason)
                .bind(time::opt_to_db(t.occurred_at))
                .bind(time::opt_to_db(t.detected_at))
                .bind(time::opt_to_db(t.registered_at))
                .bind(time::opt_to_db(t.first_response_at))
                .bind(time::opt_to_db(t.contained_at))
                .bind(time::opt_to_db(t.resolved_at))
                .bind(time::opt_to_db(t.evaluated_at))
                .bind(time::opt_to_db(t.closed_at))
                .bind(i.version)
                .bind(search_text(i))
                .bind(rank_of(i))
                .bind(time::to_db(now))
                .bind(expected_version)
                .execute(conn)
                .await?
                .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Stale)
        }
    }

    /// Reads an incident inside the transaction without locking it. On SQLite this sees the
    /// writes of earlier members of the same commit group, which a read through the pool would not.
    pub async fn incident(&mut self, id: IncidentId) -> Result<Option<Incident>> {
        let sql = format!("SELECT {COLS} FROM incidents WHERE id = $1");
        let r: Option<Row> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(Incident::try_from).transpose()
    }

    /// Reads an incident inside the transaction, locking it on PostgreSQL.
    pub async fn incident_for_update(&mut self, id: IncidentId) -> Result<Option<Incident>> {
        let sql = format!(
            "SELECT {COLS} FROM incidents WHERE id = $1{}",
            self.backend().for_update()
        );
        let r: Option<Row> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(Incident::try_from).transpose()
    }

    /// Appends a timeline event.
    pub async fn insert_event(&mut self, e: &Event) -> Result<()> {
        self.insert_events(std::slice::from_ref(e)).await
    }

    /// Appends timeline events, several rows per statement.
    pub async fn insert_events(&mut self, events: &[Event]) -> Result<()> {
        let backend = self.backend();
        for chunk in events.chunks(EVENT_ROWS) {
            let sql = format!(
                "INSERT INTO incident_events (id, incident_id, at, actor_id, actor_label, event_type, public, body, details) VALUES {}",
                backend.values(chunk.len(), 9)
            );
            on_conn!(tx self, |c| {
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(e.id)
                        .bind(e.incident_id.0)
                        .bind(time::to_db(e.at))
                        .bind(e.actor_id.map(|u| u.0))
                        .bind(e.actor_label.as_str())
                        .bind(e.event_type.as_str())
                        .bind(e.public)
                        .bind(e.body.as_deref())
                        .bind(e.details.as_str());
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }
}

impl Store {
    /// One incident.
    pub async fn incident(&self, id: IncidentId) -> Result<Option<Incident>> {
        let sql = format!("SELECT {COLS} FROM incidents WHERE id = $1");
        let r: Option<Row> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        r.map(Incident::try_from).transpose()
    }

    /// Several incidents by id, in one query (ids not found are left out; order is not kept).
    pub async fn incidents_by_ids(&self, ids: &[IncidentId]) -> Result<Vec<Incident>> {
        let mut out = Vec::with_capacity(ids.len());
        // Numbered placeholders: few per statement, so cheap on SQLite too.
        for chunk in ids.chunks(100) {
            let list: Vec<String> = (1..=chunk.len()).map(|k| format!("${k}")).collect();
            let sql = format!(
                "SELECT {COLS} FROM incidents WHERE id IN ({})",
                list.join(", ")
            );
            let rows: Vec<Row> = on_conn!(read self, |c| {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.fetch_all(c).await?
            });
            for r in rows {
                out.push(Incident::try_from(r)?);
            }
        }
        Ok(out)
    }

    /// One incident by board and number.
    pub async fn incident_by_number(
        &self,
        board: BoardId,
        number: IncidentNumber,
    ) -> Result<Option<Incident>> {
        let sql =
            format!("SELECT {COLS} FROM incidents WHERE board_id = $1 AND number_year = $2 AND number_seq = $3");
        let r: Option<Row> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(i64::from(number.year))
                .bind(number.seq)
                .fetch_optional(c)
                .await?
        });
        r.map(Incident::try_from).transpose()
    }

    /// The incident a follow-up token (hashed) belongs to.
    pub async fn incident_by_followup(&self, token_hash: &str) -> Result<Option<Incident>> {
        let sql = format!("SELECT {COLS} FROM incidents WHERE followup_token_hash = $1");
        let r: Option<Row> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(c).await?
        });
        r.map(Incident::try_from).transpose()
    }

    /// The timeline of an incident, oldest first.
    pub async fn events(&self, id: IncidentId) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, incident_id, at, actor_id, actor_label, event_type, public, body, details FROM incident_events WHERE incident_id = $1 ORDER BY at, id")
                .bind(id.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One page of the register.
    pub async fn list_incidents(&self, f: &Filter) -> Result<Page> {
        let backend = self.backend();
        let mut plan = TextPlan::Lookup;
        let query = f
            .text
            .as_deref()
            .and_then(|t| crate::fts::match_text(backend, &search_terms(t)));
        if query.is_some() && backend == Backend::Postgres {
            // PostgreSQL reads a word's whole GIN posting list before it can return one match
            // (bitmap scan), which for common words and phrases costs 100 ms and more at a
            // million rows. So first walk the newest rows testing LIKE: a full page is the
            // answer (the rows before it were all tested); otherwise the term is rare and the
            // index lookup is cheap.
            let probe = build_list(f, backend, TextPlan::Probe(PROBE_ROWS));
            let rows: Vec<Row> = on_conn!(read self, |c| {
                bind_values!(sqlx::query_as(&probe.text), &probe.args)
                    .fetch_all(c)
                    .await?
            });
            let limit = usize::try_from(f.limit.clamp(1, 500)).unwrap_or(50);
            if rows.len() > limit {
                return page_of(rows, limit);
            }
        } else if let Some(query) = query {
            // SQLite: count the index matches, up to a bound (the FTS5 doclist walk stops
            // early), to choose between driving the query from them (rare words) and walking the
            // register in order testing LIKE (common ones). SQLite has no statistics on the index.
            let sql = crate::fts::SQLITE_COUNT_SQL;
            let n: i64 = on_conn!(read self, |c| {
                sqlx::query_scalar(sql)
                    .bind(query)
                    .bind(crate::fts::LOOKUP_MAX + 1)
                    .fetch_one(c)
                    .await?
            });
            if n > crate::fts::LOOKUP_MAX {
                plan = TextPlan::Scan;
            }
        }
        let q = build_list(f, backend, plan);
        let rows: Vec<Row> = on_conn!(read self, |c| {
            bind_values!(sqlx::query_as(&q.text), &q.args)
                .fetch_all(c)
                .await?
        });
        let limit = usize::try_from(f.limit.clamp(1, 500)).unwrap_or(50);
        page_of(rows, limit)
    }
}

/// A page of `limit` from up to `limit + 1` rows (one more means there is a next page).
fn page_of(rows: Vec<Row>, limit: usize) -> Result<Page> {
    let mut items = rows
        .into_iter()
        .map(Incident::try_from)
        .collect::<Result<Vec<_>>>()?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor_of)
    } else {
        None
    };
    Ok(Page { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_split_words_and_phrases() {
        assert_eq!(
            search_terms(r#"Wifi "lokaal 12"  PRINTER"#),
            vec!["wifi", "lokaal 12", "printer"]
        );
        assert_eq!(search_terms(r#""open"#), vec!["open"]);
        assert!(search_terms("   ").is_empty());
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_pattern("50%_a"), r"%50\%\_a%");
    }

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            rank: 2,
            reported_at: 123,
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("x.y.z"), None);
    }
}
