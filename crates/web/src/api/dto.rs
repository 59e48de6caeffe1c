//! The API's request and response bodies. Domain types stay free of OpenAPI concerns; these
//! types map them onto stable English snake_case JSON.

use meldpunt_app::incidents::{Allowed, IncidentView};
use meldpunt_core::incident::{
    Aspects, Category, Classification, Impact, Incident, Kind, PersonalDataAnswer, Priority,
    Reporter, Status, Timeline, Urgency,
};
use meldpunt_store::incidents::Event;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use uuid::Uuid;

/// Wraps a domain vocabulary (`code()` / `from_code()` / `ALL`) so it is (de)serialised by its
/// code and documented as a string enum in the OpenAPI document.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident($inner:ty) as $schema:literal, $desc:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$inner>::from_code(&s).map($name).ok_or_else(|| {
                    let all: Vec<&str> = <$inner>::ALL.iter().map(|v| v.code()).collect();
                    serde::de::Error::custom(format!(
                        "unknown value `{s}`, expected one of: {}",
                        all.join(", ")
                    ))
                })
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($desc))
                    .enum_values(Some(<$inner>::ALL.iter().map(|v| v.code())))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema)
            }
        }
    };
}

code_type!(
    /// An incident kind by its code.
    KindCode(Kind) as "Kind",
    "What sort of incident it is: disruption (verstoring), security_incident (beveiligingsincident), cyber_incident (cyberbeveiligingsincident), breach (datalek), no_incident (geen incident)."
);
code_type!(
    /// A category by its code.
    CategoryCode(Category) as "Category",
    "What went wrong."
);
code_type!(
    /// An impact by its code.
    ImpactCode(Impact) as "Impact",
    "How far the effect reaches: the whole board, one school, a group (class, team) or one person."
);
code_type!(
    /// An urgency by its code.
    UrgencyCode(Urgency) as "Urgency",
    "How much education is hindered."
);
code_type!(
    /// A priority by its code.
    PriorityCode(Priority) as "Priority",
    "Priority p1 (critical) to p5 (planned)."
);
code_type!(
    /// A status by its code.
    StatusValue(Status) as "Status",
    "Where the incident is in its lifecycle."
);
code_type!(
    /// A personal-data answer by its code.
    PersonalDataCode(PersonalDataAnswer) as "PersonalDataAnswer",
    "The reporter's answer to \"may personal data be involved?\"."
);

/// A timestamp as an RFC 3339 UTC string.
fn ts(t: Option<jiff::Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

/// The harmed aspects (BIV).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Aspects)]
pub struct AspectsDto {
    /// Availability (beschikbaarheid) is harmed.
    #[serde(default)]
    pub availability: bool,
    /// Integrity (integriteit) is harmed.
    #[serde(default)]
    pub integrity: bool,
    /// Confidentiality (vertrouwelijkheid) is harmed.
    #[serde(default)]
    pub confidentiality: bool,
}

impl From<Aspects> for AspectsDto {
    fn from(a: Aspects) -> Self {
        Self {
            availability: a.availability,
            integrity: a.integrity,
            confidentiality: a.confidentiality,
        }
    }
}

impl From<AspectsDto> for Aspects {
    fn from(a: AspectsDto) -> Self {
        Self {
            availability: a.availability,
            integrity: a.integrity,
            confidentiality: a.confidentiality,
        }
    }
}

/// The reporter's contact details; all optional (anonymous reports are allowed).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Reporter)]
pub struct ReporterDto {
    /// Name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl From<&Reporter> for ReporterDto {
    fn from(r: &Reporter) -> Self {
        Self {
            name: r.name.clone(),
            email: r.email.clone(),
            phone: r.phone.clone(),
        }
    }
}

/// The result of triage.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Classification)]
pub struct ClassificationDto {
    /// Kind.
    pub kind: KindCode,
    /// Harmed aspects.
    pub aspects: AspectsDto,
    /// Category.
    pub category: CategoryCode,
    /// Impact.
    pub impact: ImpactCode,
    /// Urgency.
    pub urgency: UrgencyCode,
    /// The effective priority (from the matrix, or overridden with a reason).
    pub priority: PriorityCode,
    /// The reason for a manual priority override; null when the matrix value applies.
    pub priority_override_reason: Option<String>,
}

impl From<&Classification> for ClassificationDto {
    fn from(c: &Classification) -> Self {
        Self {
            kind: KindCode(c.kind),
            aspects: c.aspects.into(),
            category: CategoryCode(c.category),
            impact: ImpactCode(c.impact),
            urgency: UrgencyCode(c.urgency),
            priority: PriorityCode(c.priority),
            priority_override_reason: c.priority_override_reason.clone(),
        }
    }
}

/// The incident's timestamps (RFC 3339, UTC); null until the moment has happened.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Timestamps)]
pub struct TimestampsDto {
    /// When it happened (the reporter's estimate).
    #[schema(format = DateTime)]
    pub occurred_at: Option<String>,
    /// When it was noticed.
    #[schema(format = DateTime)]
    pub detected_at: Option<String>,
    /// When the report arrived.
    #[schema(format = DateTime)]
    pub reported_at: Option<String>,
    /// When triage registered it.
    #[schema(format = DateTime)]
    pub registered_at: Option<String>,
    /// The first response.
    #[schema(format = DateTime)]
    pub first_response_at: Option<String>,
    /// When the damage was contained.
    #[schema(format = DateTime)]
    pub contained_at: Option<String>,
    /// When it was resolved.
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// When the evaluation was recorded.
    #[schema(format = DateTime)]
    pub evaluated_at: Option<String>,
    /// When it was closed.
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
}

impl From<&Timeline> for TimestampsDto {
    fn from(t: &Timeline) -> Self {
        Self {
            occurred_at: ts(t.occurred_at),
            detected_at: ts(t.detected_at),
            reported_at: ts(t.reported_at),
            registered_at: ts(t.registered_at),
            first_response_at: ts(t.first_response_at),
            contained_at: ts(t.contained_at),
            resolved_at: ts(t.resolved_at),
            evaluated_at: ts(t.evaluated_at),
            closed_at: ts(t.closed_at),
        }
    }
}

/// An incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Incident)]
pub struct IncidentDto {
    /// Internal id (UUID).
    pub id: Uuid,
    /// The number people use: year and sequence per board.
    #[schema(example = "2026-0042")]
    pub number: String,
    /// The board (tenant).
    pub board_id: Uuid,
    /// The school, if one was named.
    pub school_id: Option<Uuid>,
    /// Lifecycle state.
    pub status: StatusValue,
    /// One-line summary.
    pub summary: String,
    /// What happened, in the reporter's words.
    pub description: String,
    /// May personal data be involved?
    pub personal_data: PersonalDataCode,
    /// Whether the reporter said it is still going on; null when unknown.
    pub ongoing: Option<bool>,
    /// Who reported.
    pub reporter: ReporterDto,
    /// The triage result; null before triage.
    pub classification: Option<ClassificationDto>,
    /// The assigned handler.
    pub assignee_id: Option<Uuid>,
    /// What was done to resolve it.
    pub resolution: Option<String>,
    /// What caused it.
    pub cause: Option<String>,
    /// The evaluation.
    pub evaluation: Option<String>,
    /// Why triage found it is not an incident.
    pub no_incident_reason: Option<String>,
    /// The timestamps.
    pub timestamps: TimestampsDto,
    /// Created in an exercise (oefening): handled like a real one, kept out of statistics.
    pub exercise: bool,
    /// Optimistic-concurrency version; send it back as `expected_version` to detect conflicts.
    pub version: i64,
}

impl From<&Incident> for IncidentDto {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.id.0,
            number: i.number.to_string(),
            board_id: i.board_id.0,
            school_id: i.school_id.map(|s| s.0),
            status: StatusValue(i.status),
            summary: i.summary.clone(),
            description: i.description.clone(),
            personal_data: PersonalDataCode(i.personal_data),
            ongoing: i.ongoing,
            reporter: (&i.reporter).into(),
            classification: i.classification.as_ref().map(Into::into),
            assignee_id: i.assignee_id.map(|u| u.0),
            resolution: i.resolution.clone(),
            cause: i.cause.clone(),
            evaluation: i.evaluation.clone(),
            no_incident_reason: i.no_incident_reason.clone(),
            timestamps: (&i.timeline).into(),
            exercise: i.exercise,
            version: i.version,
        }
    }
}

/// One event on the incident's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventDto {
    /// Id.
    pub id: Uuid,
    /// When (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// What happened: `reported`, `triage`, `assign`, `note`, `wait`, `resume`, `contain`,
    /// `resolve`, `evaluate`, `close`, `reopen`, `reporter_info`, …
    #[serde(rename = "type")]
    #[schema(example = "triage")]
    pub type_: String,
    /// The account that acted, if any.
    pub actor_id: Option<Uuid>,
    /// Who acted, as shown on the timeline.
    pub actor: String,
    /// Shown to the reporter on the follow-up page.
    pub public: bool,
    /// Free text (a note, a reason, a resolution), if any.
    pub body: Option<String>,
    /// Structured details, e.g. `{"from": "reported", "to": "registered", …}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&Event> for EventDto {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id,
            at: e.at.to_string(),
            type_: e.event_type.clone(),
            actor_id: e.actor_id.map(|u| u.0),
            actor: e.actor_label.clone(),
            public: e.public,
            body: e.body.clone(),
            details: serde_json::from_str(&e.details)
                .unwrap_or_else(|_| serde_json::Value::Object(Default::default())),
        }
    }
}

/// What the caller may do to the incident.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = AllowedActions)]
pub struct AllowedDto {
    /// Add notes.
    pub note: bool,
    /// Triage.
    pub triage: bool,
    /// Assign.
    pub assign: bool,
    /// Wait, resume, contain, resolve, reopen.
    pub work: bool,
    /// Evaluate.
    pub evaluate: bool,
    /// Close.
    pub close: bool,
}

impl From<Allowed> for AllowedDto {
    fn from(a: Allowed) -> Self {
        Self {
            note: a.note,
            triage: a.triage,
            assign: a.assign,
            work: a.work,
            evaluate: a.evaluate,
            close: a.close,
        }
    }
}

/// An incident with its timeline and what the caller may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IncidentDetail)]
pub struct IncidentDetailDto {
    /// The incident.
    #[serde(flatten)]
    pub incident: IncidentDto,
    /// The school's name.
    pub school_name: Option<String>,
    /// The assignee's name.
    pub assignee_name: Option<String>,
    /// What the caller may do.
    pub allowed: AllowedDto,
    /// The timeline, oldest first.
    pub events: Vec<EventDto>,
}

impl From<&IncidentView> for IncidentDetailDto {
    fn from(v: &IncidentView) -> Self {
        Self {
            incident: (&v.incident).into(),
            school_name: v.school.as_ref().map(|s| s.name.clone()),
            assignee_name: v.assignee_name.clone(),
            allowed: v.allowed.into(),
            events: v.events.iter().map(Into::into).collect(),
        }
    }
}

/// One page of the register.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IncidentPage)]
pub struct IncidentPageDto {
    /// The incidents on this page (at most `limit`; possibly fewer even when more follow).
    pub items: Vec<IncidentDto>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A new incident. Validation is the same as on the public report form.
///
/// With `kind`, the incident is created and triaged in one transaction (both or neither); then `category`, `impact` and
/// `urgency` are required as well (otherwise 422 naming the missing fields, and nothing is
/// created), and the caller must be allowed to triage. `category`, `impact`, `urgency`, `aspects`,
/// `priority_override`, `override_reason` and `no_incident_reason` are only accepted together with `kind`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    /// One-line summary (at most 200 characters); derived from the description when absent.
    pub summary: Option<String>,
    /// What happened (required, at most 10,000 characters).
    pub description: String,
    /// The school; determines the board. Required when the caller works for several boards.
    pub school_id: Option<Uuid>,
    /// When it happened: RFC 3339 (a value without offset is read as Europe/Amsterdam time).
    #[schema(format = DateTime, example = "2026-11-24T08:30:00+01:00")]
    pub occurred_at: Option<String>,
    /// May personal data be involved? Default `unknown`.
    pub personal_data: Option<PersonalDataCode>,
    /// Is it still going on? Absent means unknown.
    pub ongoing: Option<bool>,
    /// The reporter's name.
    pub reporter_name: Option<String>,
    /// The reporter's e-mail address.
    pub reporter_email: Option<String>,
    /// The reporter's phone number.
    pub reporter_phone: Option<String>,
    /// Created in an exercise (oefening). Default false.
    pub exercise: Option<bool>,
    /// Triage right away with this kind (see above).
    pub kind: Option<KindCode>,
    /// With `kind`: harmed aspects; default none.
    pub aspects: Option<AspectsDto>,
    /// With `kind`: category (required then).
    pub category: Option<CategoryCode>,
    /// With `kind`: impact (required then).
    pub impact: Option<ImpactCode>,
    /// With `kind`: urgency (required then).
    pub urgency: Option<UrgencyCode>,
    /// With `kind`: a priority other than the matrix's; needs `override_reason`.
    pub priority_override: Option<PriorityCode>,
    /// With `kind`: the reason for `priority_override`.
    pub override_reason: Option<String>,
    /// With kind `no_incident`: why it is not an incident (required then).
    pub no_incident_reason: Option<String>,
}

/// Triage: classify (or reclassify) the incident. The priority follows from the board's matrix
/// (impact × urgency; breaches and cyber incidents at least P2) unless overridden with a reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    /// Kind. `no_incident` ends the incident (status `not_an_incident`) and needs `no_incident_reason`.
    pub kind: KindCode,
    /// Harmed aspects; default none.
    #[serde(default)]
    pub aspects: AspectsDto,
    /// Category.
    pub category: CategoryCode,
    /// Impact.
    pub impact: ImpactCode,
    /// Urgency.
    pub urgency: UrgencyCode,
    /// A priority other than the matrix's; needs `override_reason`.
    pub priority_override: Option<PriorityCode>,
    /// The reason for `priority_override`.
    pub override_reason: Option<String>,
    /// Why it is not an incident (kind `no_incident`).
    pub no_incident_reason: Option<String>,
    /// The `version` the caller last saw; 409 when the incident changed since.
    pub expected_version: Option<i64>,
}

/// Assign the incident to a handler (the first assignment moves it to `in_progress`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The person to assign: an active handler, service-desk member, incident manager or IBP
    /// officer of the incident's board (and school).
    pub assignee_id: Uuid,
    /// The `version` the caller last saw; 409 when the incident changed since.
    pub expected_version: Option<i64>,
}

/// A note on the timeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The note (at most 10,000 characters).
    pub text: String,
    /// Also show it to the reporter on the follow-up page. Default false.
    pub public: Option<bool>,
}

/// A lifecycle step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    /// Wait on a third party (needs `reason`); the SLA clock pauses.
    Wait,
    /// Resume after waiting.
    Resume,
    /// Record that the damage is contained.
    Contain,
    /// Resolve (needs `resolution` and `cause`).
    Resolve,
    /// Record the evaluation (needs `evaluation`).
    Evaluate,
    /// Close. Security incidents, cyber incidents and breaches need an evaluation first.
    Close,
    /// Reopen a resolved, evaluated or closed incident (needs `reason`).
    Reopen,
}

/// Move the incident through its lifecycle.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// What to do.
    pub action: StatusAction,
    /// With `wait`: what is awaited; with `reopen`: why.
    pub reason: Option<String>,
    /// With `resolve`: what was done.
    pub resolution: Option<String>,
    /// With `resolve`: what caused it.
    pub cause: Option<String>,
    /// With `evaluate`: what happened, what went well, what can be better.
    pub evaluation: Option<String>,
    /// The `version` the caller last saw; 409 when the incident changed since.
    pub expected_version: Option<i64>,
}

/// Status filter values: a status code or `open` (reported, registered, in progress, waiting).
pub struct StatusFilter;

impl utoipa::PartialSchema for StatusFilter {
    fn schema() -> RefOr<Schema> {
        let mut values: Vec<&str> = vec!["open"];
        values.extend(Status::ALL.iter().map(|s| s.code()));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .into()
    }
}

impl ToSchema for StatusFilter {}

/// Register query parameters (documentation; parsing is in `incidents::parse_list_query`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Status filter: repeat the parameter or give a comma-separated list; `open` means
    /// reported, registered, in_progress and waiting. Default: all statuses.
    #[param(inline, explode = true, style = Form)]
    pub status: Option<Vec<StatusFilter>>,
    /// Kind.
    pub kind: Option<KindCode>,
    /// Priority.
    pub priority: Option<PriorityCode>,
    /// School.
    pub school_id: Option<Uuid>,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Reported at or after: RFC 3339, or a date `YYYY-MM-DD` (start of that day, Europe/Amsterdam).
    #[param(example = "2026-11-01")]
    pub from: Option<String>,
    /// Reported before: RFC 3339 (exclusive), or a date `YYYY-MM-DD` (that day included, Europe/Amsterdam).
    #[param(example = "2026-11-30")]
    pub until: Option<String>,
    /// Free text: all words (or "quoted phrases") must occur in number, summary or description.
    pub q: Option<String>,
    /// Sort order: `newest` (default), `oldest` or `priority` (untriaged first, then p1 … p5).
    #[param(inline)]
    pub sort: Option<SortParam>,
    /// Include exercises (default false).
    pub include_exercises: Option<bool>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
}

/// Sort order of the register.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    /// Newest report first.
    Newest,
    /// Oldest report first.
    Oldest,
    /// Untriaged first, then P1 … P5; newest first within a priority.
    Priority,
}
