//! `/api/v1/incidents/{id}/breach…`: read and write the breach record (AVG art. 33/34), its
//! assessment and deadline, and the decisions. Access as in the UI: the FG reads and advises, the
//! IBP officer and incident manager edit, the service desk sees only that a breach exists unless
//! the board allows more, handlers and suppliers see nothing.

use super::extract::{ApiJson, Caller, IncidentRef};
use super::problem::{ApiError, FieldProblem, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use meldpunt_app::breach::{BreachView, InformInput};
use meldpunt_app::core::auth::Principal;
use meldpunt_app::core::breach::assessment::{Mitigation, PeopleCount};
use meldpunt_app::core::breach::enisa::{
    AvailabilityLoss, ConfidentialityLoss, DpcAdjustment, DpcFactor, EaseOfIdentification,
    IntegrityLoss,
};
use meldpunt_app::core::breach::record::{
    AssessmentAnswers, BreachAccess, BreachFacts, BreachRecord, InformChannel, InformGround,
};
use meldpunt_app::core::breach::{
    dutch_reason, render_moment_nl, render_time_left_nl, time_left, ApIncidentKind, BreachNature,
    Consequence, DataCategory, DataSubjectGroup, EnisaDataClass, PriorMeasure, RiskAssessment,
    SeverityLevel, Suggestion,
};
use meldpunt_app::core::ids::IncidentId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

macro_rules! code_type {
    ($name:ident($inner:ty) as $schema:literal, $desc:literal) => {
        #[doc = $desc]
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

code_type!(NatureCode(BreachNature) as "BreachNature", "What happened to the data (AP form ch. 5).");
code_type!(ApKindCode(ApIncidentKind) as "BreachIncidentKind", "The kind of incident as the AP form asks it (ch. 5).");
code_type!(GroupCode(DataSubjectGroup) as "DataSubjectGroup", "A group of data subjects.");
code_type!(DataCode(DataCategory) as "DataCategory", "A category of personal data (AP form ch. 6).");
code_type!(PriorCode(PriorMeasure) as "PriorMeasure", "Whether the data were unintelligible beforehand (AP form ch. 8); ransomware encryption does not count.");
code_type!(ConsequenceCode(Consequence) as "Consequence", "A possible consequence for the people (AP form ch. 9).");
code_type!(EiCode(EaseOfIdentification) as "EaseOfIdentification", "ENISA ease of identification.");
code_type!(ConfCode(ConfidentialityLoss) as "ConfidentialityLoss", "ENISA loss of confidentiality.");
code_type!(IntCode(IntegrityLoss) as "IntegrityLoss", "ENISA loss of integrity.");
code_type!(AvailCode(AvailabilityLoss) as "AvailabilityLoss", "ENISA loss of availability.");
code_type!(ClassCode(EnisaDataClass) as "EnisaDataClass", "ENISA data class.");
code_type!(DpcCode(DpcFactor) as "DpcFactor", "ENISA data-processing-context adjustment factor.");
code_type!(GroundCode(InformGround) as "InformGround", "Why data subjects are not informed (art. 34(3)).");
code_type!(ChannelCode(InformChannel) as "InformChannel", "How data subjects were informed.");
code_type!(LevelCode(SeverityLevel) as "SeverityLevel", "ENISA severity level: low, medium, high, very_high (AP: verwaarloosbaar, beperkt, aanzienlijk, zeer groot).");
code_type!(SuggestionCode(Suggestion) as "BreachSuggestion", "register_only, notify_authority or notify_authority_and_data_subjects.");

fn ts(t: Option<jiff::Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

/// The number of people affected: exact, a range, or unknown (all fields null).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleDto {
    /// Exact number.
    #[serde(default)]
    pub exact: Option<u64>,
    /// Minimum of a range.
    #[serde(default)]
    pub min: Option<u64>,
    /// Maximum of a range.
    #[serde(default)]
    pub max: Option<u64>,
}

/// The facts of a breach (AP form chapters 2 and 4–10).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachFactsDto {
    /// What happened to the data.
    #[serde(default)]
    pub natures: Vec<NatureCode>,
    /// The kind of incident.
    #[serde(default)]
    pub incident_kind: Option<ApKindCode>,
    /// Summary for the AP.
    #[serde(default)]
    pub summary: Option<String>,
    /// Start of the breach (RFC 3339).
    #[serde(default)]
    pub started_at: Option<String>,
    /// End of the breach (RFC 3339).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Still going on.
    #[serde(default)]
    pub ongoing: bool,
    /// When discovered (RFC 3339).
    #[serde(default)]
    pub discovered_at: Option<String>,
    /// How discovered.
    #[serde(default)]
    pub discovery: Option<String>,
    /// Groups of data subjects.
    #[serde(default)]
    pub groups: Vec<GroupCode>,
    /// Description of the groups.
    #[serde(default)]
    pub groups_description: Option<String>,
    /// Number of people.
    #[serde(default)]
    pub people: PeopleDto,
    /// Categories of personal data.
    #[serde(default)]
    pub data_categories: Vec<DataCode>,
    /// Number of records (estimate).
    #[serde(default)]
    pub records: Option<u64>,
    /// Whether the data were unintelligible beforehand.
    #[serde(default)]
    pub prior_measure: Option<PriorCode>,
    /// How.
    #[serde(default)]
    pub prior_measure_how: Option<String>,
    /// The processor involved.
    #[serde(default)]
    pub processor: Option<String>,
    /// When the processor informed the board (RFC 3339).
    #[serde(default)]
    pub processor_informed_at: Option<String>,
    /// People in other countries affected.
    #[serde(default)]
    pub abroad: Option<bool>,
    /// Which countries.
    #[serde(default)]
    pub abroad_countries: Option<String>,
    /// Possible consequences for the people.
    #[serde(default)]
    pub consequences: Vec<ConsequenceCode>,
    /// Consequences explained.
    #[serde(default)]
    pub consequences_text: Option<String>,
    /// Measures taken.
    #[serde(default)]
    pub measures: Option<String>,
}

/// `PUT /breach`: the facts, with optimistic concurrency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBreachRequest {
    /// The facts (replaced as a whole).
    pub facts: BreachFactsDto,
    /// The record's version as read; 409 when it changed meanwhile.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

/// An ENISA DPC adjustment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DpcAdjustmentDto {
    /// The factor.
    pub factor: DpcCode,
    /// 1–3 points (up or down by the factor).
    pub points: u8,
}

/// The answers to the risk questions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskAnswersDto {
    /// What leaked credentials open (null: unknown).
    #[serde(default)]
    pub credentials_open: Option<ClassCode>,
    /// DPC adjustments.
    #[serde(default)]
    pub adjustments: Vec<DpcAdjustmentDto>,
    /// Ease of identification (default maximum).
    #[serde(default)]
    pub identification: Option<EiCode>,
    /// Loss of confidentiality (null: follows the nature).
    #[serde(default)]
    pub confidentiality: Option<ConfCode>,
    /// Loss of integrity (null: follows the nature).
    #[serde(default)]
    pub integrity: Option<IntCode>,
    /// Loss of availability (null: follows the nature).
    #[serde(default)]
    pub availability: Option<AvailCode>,
    /// Malicious intent.
    #[serde(default)]
    pub malicious: bool,
    /// Being in the data reveals something sensitive.
    #[serde(default)]
    pub controller_reveals_more: bool,
    /// The encryption key is safe.
    #[serde(default)]
    pub key_safe: bool,
    /// Restored quickly from a current back-up.
    #[serde(default)]
    pub restored_from_backup: bool,
    /// Exfiltration ruled out.
    #[serde(default)]
    pub exfiltration_ruled_out: bool,
    /// A trusted recipient deleted the data.
    #[serde(default)]
    pub trusted_recipient_deleted: bool,
    /// The record's version as read.
    #[serde(default)]
    #[schema(nullable = false)]
    pub expected_version: Option<i64>,
}

/// ENISA severity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityDto {
    /// `SE = DPC × EI + CB`, e.g. `3.5`.
    pub score: f64,
    /// The level.
    pub level: LevelCode,
    /// The AP's word for the level.
    pub ap_severity: String,
    /// Data processing context (1–4).
    pub dpc: u8,
    /// Circumstances of the breach.
    pub cb: f64,
}

/// One reason for the suggestion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonDto {
    /// Stable code, e.g. `children`.
    pub code: String,
    /// The reason in plain Dutch.
    pub text: String,
}

/// The 72-hour deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineDto {
    /// Awareness (RFC 3339).
    pub awareness_at: String,
    /// Awareness + 72 hours (RFC 3339).
    pub at: String,
    /// The deadline in Dutch local time, e.g. `dinsdag 27 oktober 2026 om 09:00`.
    pub local: String,
    /// Seconds left (negative when passed).
    pub seconds_left: i64,
    /// Time left in Dutch.
    pub time_left: String,
    /// Passed.
    pub overdue: bool,
}

/// The assessment of a breach.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentDto {
    /// ENISA severity.
    pub severity: SeverityDto,
    /// What the assessment suggests; people decide.
    pub suggestion: SuggestionCode,
    /// Why, in plain Dutch.
    pub reasons: Vec<ReasonDto>,
    /// The deadline.
    pub deadline: DeadlineDto,
}

/// A recorded decision to notify the AP.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifyDecisionDto {
    /// Notify?
    pub notify: bool,
    /// Reasoning.
    pub reasoning: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// When (RFC 3339).
    pub decided_at: String,
}

/// The notification to the AP.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApNotificationDto {
    /// When (RFC 3339).
    pub notified_at: String,
    /// Meldnummer.
    pub reference: Option<String>,
    /// Final (else preliminary).
    pub is_final: bool,
    /// Reason for a late notification.
    pub delay_reason: Option<String>,
}

/// The breach record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreachDto {
    /// The incident.
    pub incident_id: String,
    /// The incident's number.
    pub number: String,
    /// What the caller may do: `existence`, `read`, `advise` or `edit`.
    pub access: String,
    /// Version for optimistic concurrency (null for `existence`).
    pub version: Option<i64>,
    /// The deadline.
    pub deadline: DeadlineDto,
    /// No art. 33 decision yet.
    pub decision_open: bool,
    /// First signal (RFC 3339; null for `existence`).
    pub first_signal_at: Option<String>,
    /// The facts (null for `existence`).
    pub facts: Option<BreachFactsDto>,
    /// The art. 33 decision.
    pub notify_decision: Option<NotifyDecisionDto>,
    /// The AP notification.
    pub ap_notification: Option<ApNotificationDto>,
    /// The FG's advice.
    pub fg_advice: Option<String>,
    /// The art. 34 decision: inform the data subjects?
    pub inform_data_subjects: Option<bool>,
    /// The assessment (null for `existence`).
    pub assessment: Option<AssessmentDto>,
}

/// Opens a breach record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBreachRequest {
    /// Awareness (RFC 3339); default now.
    #[serde(default)]
    pub awareness_at: Option<String>,
}

/// Changes awareness.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwarenessRequest {
    /// The new moment of awareness (RFC 3339).
    pub awareness_at: String,
    /// Why (audited).
    pub reason: String,
}

/// The art. 33 decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Notify the AP?
    pub notify: bool,
    /// Reasoning; mandatory when `notify` is false.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// The record's version as read.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

/// The notification to the AP.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApNotificationRequest {
    /// When the form was submitted (RFC 3339).
    pub notified_at: String,
    /// The AP's reference (meldnummer).
    #[serde(default)]
    pub reference: Option<String>,
    /// Final (else preliminary).
    #[serde(default)]
    pub is_final: bool,
    /// Reason for the delay; mandatory after the deadline.
    #[serde(default)]
    pub delay_reason: Option<String>,
}

/// The FG's advice.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FgAdviceRequest {
    /// The advice.
    pub advice: String,
    /// Date of the advice (RFC 3339); default now.
    #[serde(default)]
    pub given_at: Option<String>,
}

/// The art. 34 decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSubjectsRequest {
    /// Inform the data subjects?
    pub inform: bool,
    /// Ground when not (mandatory then).
    #[serde(default)]
    pub ground: Option<GroundCode>,
    /// Explanation.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Public communication (ground `disproportionate_effort`).
    #[serde(default)]
    pub public_communication: Option<String>,
    /// When informed (RFC 3339).
    #[serde(default)]
    pub informed_at: Option<String>,
    /// How.
    #[serde(default)]
    pub channel: Option<ChannelCode>,
    /// How many people.
    #[serde(default)]
    pub count: Option<u64>,
    /// The text used.
    #[serde(default)]
    pub text: Option<String>,
    /// The record's version as read.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

fn parse_ts(field: &str, v: Option<&str>, errs: &mut Vec<FieldProblem>) -> Option<jiff::Timestamp> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match v.parse::<jiff::Timestamp>() {
        Ok(t) => Some(t),
        Err(_) => {
            errs.push(FieldProblem::from_key(field, "error-invalid-datetime"));
            None
        }
    }
}

fn check(errs: Vec<FieldProblem>) -> Result<(), ApiError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errs))
    }
}

async fn resolve(s: &AppState, p: &Principal, r: IncidentRef) -> Result<IncidentId, ApiError> {
    match r {
        IncidentRef::Id(id) => Ok(id),
        IncidentRef::Number(n) => {
            for b in p.boards() {
                if let Some(i) = s
                    .app
                    .store
                    .incident_by_number(b, n)
                    .await
                    .map_err(meldpunt_app::AppError::from)?
                {
                    return Ok(i.id);
                }
            }
            Err(meldpunt_app::AppError::NotFound.into())
        }
    }
}

fn facts_dto(f: &BreachFacts) -> BreachFactsDto {
    let people = match f.people {
        PeopleCount::Unknown => PeopleDto::default(),
        PeopleCount::Exact { count } => PeopleDto {
            exact: Some(count),
            ..PeopleDto::default()
        },
        PeopleCount::Range { min, max } => PeopleDto {
            exact: None,
            min: Some(min),
            max: Some(max),
        },
    };
    BreachFactsDto {
        natures: f.natures.iter().map(|x| NatureCode(*x)).collect(),
        incident_kind: f.incident_kind.map(ApKindCode),
        summary: f.summary.clone(),
        started_at: ts(f.started_at),
        ended_at: ts(f.ended_at),
        ongoing: f.ongoing,
        discovered_at: ts(f.discovered_at),
        discovery: f.discovery.clone(),
        groups: f.groups.iter().map(|x| GroupCode(*x)).collect(),
        groups_description: f.groups_description.clone(),
        people,
        data_categories: f.data.iter().map(|x| DataCode(*x)).collect(),
        records: f.records,
        prior_measure: f.prior_measure.map(PriorCode),
        prior_measure_how: f.prior_measure_how.clone(),
        processor: f.processor.clone(),
        processor_informed_at: ts(f.processor_informed_at),
        abroad: f.abroad,
        abroad_countries: f.abroad_countries.clone(),
        consequences: f.consequences.iter().map(|x| ConsequenceCode(*x)).collect(),
        consequences_text: f.consequences_text.clone(),
        measures: f.measures.clone(),
    }
}

fn facts_from(d: BreachFactsDto) -> Result<BreachFacts, ApiError> {
    let mut errs = Vec::new();
    let people = match (d.people.exact, d.people.min, d.people.max) {
        (Some(count), None, None) => PeopleCount::Exact { count },
        (None, Some(min), Some(max)) => PeopleCount::Range { min, max },
        (None, None, None) => PeopleCount::Unknown,
        _ => {
            errs.push(FieldProblem::new(
                "facts.people",
                "invalid_value",
                "Give either `exact`, or both `min` and `max`, or nothing (unknown).",
            ));
            PeopleCount::Unknown
        }
    };
    let f = BreachFacts {
        natures: d.natures.into_iter().map(|x| x.0).collect(),
        incident_kind: d.incident_kind.map(|x| x.0),
        summary: d.summary,
        started_at: parse_ts("facts.started_at", d.started_at.as_deref(), &mut errs),
        ended_at: parse_ts("facts.ended_at", d.ended_at.as_deref(), &mut errs),
        ongoing: d.ongoing,
        discovered_at: parse_ts("facts.discovered_at", d.discovered_at.as_deref(), &mut errs),
        discovery: d.discovery,
        groups: d.groups.into_iter().map(|x| x.0).collect(),
        groups_description: d.groups_description,
        people,
        data: d.data_categories.into_iter().map(|x| x.0).collect(),
        records: d.records,
        prior_measure: d.prior_measure.map(|x| x.0),
        prior_measure_how: d.prior_measure_how,
        processor: d.processor,
        processor_informed_at: parse_ts(
            "facts.processor_informed_at",
            d.processor_informed_at.as_deref(),
            &mut errs,
        ),
        abroad: d.abroad,
        abroad_countries: d.abroad_countries,
        consequences: d.consequences.into_iter().map(|x| x.0).collect(),
        consequences_text: d.consequences_text,
        measures: d.measures,
    };
    check(errs)?;
    Ok(f)
}

fn quarters(q: u16) -> f64 {
    f64::from(q) / 4.0
}

fn deadline_dto(awareness: jiff::Timestamp, now: jiff::Timestamp) -> DeadlineDto {
    let at = meldpunt_app::core::breach::deadline(awareness);
    let left = time_left(at, now);
    DeadlineDto {
        awareness_at: awareness.to_string(),
        at: at.to_string(),
        local: render_moment_nl(at),
        seconds_left: left.as_secs(),
        time_left: render_time_left_nl(left),
        overdue: left.is_negative(),
    }
}

fn assessment_dto(b: &BreachRecord, a: &RiskAssessment, now: jiff::Timestamp) -> AssessmentDto {
    AssessmentDto {
        severity: SeverityDto {
            score: quarters(a.severity.score.quarters()),
            level: LevelCode(a.severity.level),
            ap_severity: a.severity.level.ap_severity().dutch().to_string(),
            dpc: a.severity.dpc,
            cb: quarters(a.severity.cb.quarters()),
        },
        suggestion: SuggestionCode(a.suggestion),
        reasons: a
            .reasons
            .iter()
            .map(|r| ReasonDto {
                code: r
                    .key()
                    .strip_prefix("breach-reason-")
                    .unwrap_or(r.key())
                    .replace('-', "_"),
                text: dutch_reason(r),
            })
            .collect(),
        deadline: deadline_dto(b.awareness_at, now),
    }
}

fn breach_dto(v: &BreachView, now: jiff::Timestamp) -> BreachDto {
    let r = v.record.as_ref();
    BreachDto {
        incident_id: v.incident.id.to_string(),
        number: v.incident.number.to_string(),
        access: match v.access {
            BreachAccess::None => "none",
            BreachAccess::Existence => "existence",
            BreachAccess::Read => "read",
            BreachAccess::Advise => "advise",
            BreachAccess::Edit => "edit",
        }
        .into(),
        version: r.map(|r| r.version),
        deadline: deadline_dto(v.summary.awareness_at, now),
        decision_open: v.summary.decision_open,
        first_signal_at: r.map(|r| r.first_signal_at.to_string()),
        facts: r.map(|r| facts_dto(&r.facts)),
        notify_decision: r
            .and_then(|r| r.notify.as_ref())
            .map(|d| NotifyDecisionDto {
                notify: d.notify,
                reasoning: d.reasoning.clone(),
                decided_by: d.decided_by.clone(),
                decided_at: d.decided_at.to_string(),
            }),
        ap_notification: r.and_then(|r| r.ap.as_ref()).map(|a| ApNotificationDto {
            notified_at: a.notified_at.to_string(),
            reference: a.reference.clone(),
            is_final: a.is_final,
            delay_reason: a.delay_reason.clone(),
        }),
        fg_advice: r.and_then(|r| r.fg_advice.as_ref()).map(|a| a.text.clone()),
        inform_data_subjects: r.and_then(|r| r.inform.as_ref()).map(|d| d.inform),
        assessment: match (r, &v.assessment) {
            (Some(r), Some(a)) => Some(assessment_dto(r, a, now)),
            _ => None,
        },
    }
}

async fn view(s: &AppState, p: &Principal, id: IncidentId) -> Result<Json<BreachDto>, ApiError> {
    let v = s.app.breach_view(p, id).await?;
    Ok(Json(breach_dto(&v, s.app.now())))
}

/// The breach record of an incident.
///
/// The service desk (unless the board allows more) gets only the deadline and whether the
/// decision is open; `facts` and `assessment` are then null.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/breach",
    tag = "breaches",
    operation_id = "get_breach",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    responses(
        (status = 200, description = "The breach record.", body = BreachDto),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's roles do not allow seeing breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident, or it has no breach record.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_breach(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    view(&s, &p, id).await
}

/// Open a breach record for an incident (when personal data turn out to be involved).
///
/// Incidents triaged as `breach` get one automatically.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach",
    tag = "breaches",
    operation_id = "open_breach",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = OpenBreachRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Opened.", body = BreachDto),
        (status = 403, description = "Only the IBP officer and incident manager open breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The incident already has a breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn open_breach(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<OpenBreachRequest>,
) -> Result<Response, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let mut errs = Vec::new();
    let at = parse_ts("awareness_at", req.awareness_at.as_deref(), &mut errs);
    check(errs)?;
    s.app.open_breach(&p, id, at).await?;
    let body = view(&s, &p, id).await?;
    Ok((StatusCode::CREATED, body).into_response())
}

/// Replace the facts of the breach.
#[utoipa::path(
    put,
    path = "/api/v1/incidents/{id}/breach",
    tag = "breaches",
    operation_id = "put_breach",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = PutBreachRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_breach(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<PutBreachRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let facts = facts_from(req.facts)?;
    s.app
        .update_breach_facts(&p, id, facts, req.expected_version)
        .await?;
    view(&s, &p, id).await
}

/// The assessment: ENISA severity, the suggestion with its reasons in plain Dutch, and the deadline.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/breach/assessment",
    tag = "breaches",
    operation_id = "get_breach_assessment",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    responses(
        (status = 200, description = "The assessment.", body = AssessmentDto),
        (status = 403, description = "The caller may not see the assessment.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_assessment(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
) -> Result<Json<AssessmentDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let v = s.app.breach_view(&p, id).await?;
    match (&v.record, &v.assessment) {
        (Some(b), Some(a)) => Ok(Json(assessment_dto(b, a, s.app.now()))),
        _ => Err(meldpunt_app::AppError::Forbidden.into()),
    }
}

/// Record the answers to the risk questions.
#[utoipa::path(
    put,
    path = "/api/v1/incidents/{id}/breach/risk-answers",
    tag = "breaches",
    operation_id = "put_breach_risk_answers",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = RiskAnswersDto, content_type = "application/json"),
    responses(
        (status = 200, description = "The new assessment.", body = AssessmentDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_risk_answers(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<RiskAnswersDto>,
) -> Result<Json<AssessmentDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    if req.adjustments.iter().any(|a| !(1..=3).contains(&a.points)) {
        return Err(ApiError::validation(vec![FieldProblem::new(
            "adjustments",
            "invalid_value",
            "Points are 1, 2 or 3.",
        )]));
    }
    let answers = AssessmentAnswers {
        credentials_open: req.credentials_open.map(|x| x.0),
        adjustments: req
            .adjustments
            .iter()
            .map(|a| DpcAdjustment {
                factor: a.factor.0,
                points: a.points,
            })
            .collect(),
        identification: req
            .identification
            .map(|x| x.0)
            .unwrap_or(EaseOfIdentification::Maximum),
        confidentiality: req.confidentiality.map(|x| x.0),
        integrity: req.integrity.map(|x| x.0),
        availability: req.availability.map(|x| x.0),
        malicious: req.malicious,
        controller_reveals_more: req.controller_reveals_more,
        mitigation: Mitigation {
            key_safe: req.key_safe,
            restored_from_backup: req.restored_from_backup,
            exfiltration_ruled_out: req.exfiltration_ruled_out,
            trusted_recipient_deleted: req.trusted_recipient_deleted,
        },
    };
    let b = s
        .app
        .update_breach_assessment(&p, id, answers, req.expected_version)
        .await?;
    Ok(Json(assessment_dto(&b, &b.assessment(), s.app.now())))
}

/// Change the moment of awareness; the reason is audited.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach/awareness",
    tag = "breaches",
    operation_id = "set_breach_awareness",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = AwarenessRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a reason is required).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_awareness(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<AwarenessRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let mut errs = Vec::new();
    let at = parse_ts("awareness_at", Some(&req.awareness_at), &mut errs);
    if req.awareness_at.trim().is_empty() {
        errs.push(FieldProblem::from_key("awareness_at", "error-required"));
    }
    check(errs)?;
    if let Some(at) = at {
        s.app.set_breach_awareness(&p, id, at, &req.reason).await?;
    }
    view(&s, &p, id).await
}

/// Record the decision whether to notify the AP (art. 33); reasoning is mandatory when not.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach/decision",
    tag = "breaches",
    operation_id = "decide_breach_notification",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    s.app
        .decide_breach_notification(
            &p,
            id,
            req.notify,
            req.reasoning.as_deref(),
            req.expected_version,
        )
        .await?;
    view(&s, &p, id).await
}

/// Record the notification to the AP; after the deadline a `delay_reason` is required.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach/ap-notification",
    tag = "breaches",
    operation_id = "record_ap_notification",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = ApNotificationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: no decision to notify yet, or late without a reason.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ap_notification(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<ApNotificationRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let mut errs = Vec::new();
    let at = parse_ts("notified_at", Some(&req.notified_at), &mut errs);
    if req.notified_at.trim().is_empty() {
        errs.push(FieldProblem::from_key("notified_at", "error-required"));
    }
    check(errs)?;
    if let Some(at) = at {
        s.app
            .record_ap_notification(
                &p,
                id,
                at,
                req.reference.as_deref(),
                req.is_final,
                req.delay_reason.as_deref(),
            )
            .await?;
    }
    view(&s, &p, id).await
}

/// Record the FG's advice (the FG; or an editor on the FG's behalf).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach/fg-advice",
    tag = "breaches",
    operation_id = "record_fg_advice",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = FgAdviceRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not record advice.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn fg_advice(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<FgAdviceRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let mut errs = Vec::new();
    let at = parse_ts("given_at", req.given_at.as_deref(), &mut errs);
    check(errs)?;
    s.app.record_fg_advice(&p, id, &req.advice, at).await?;
    view(&s, &p, id).await
}

/// Record the decision whether to inform the data subjects (art. 34).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/breach/data-subjects",
    tag = "breaches",
    operation_id = "decide_breach_data_subjects",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = DataSubjectsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record.", body = BreachDto),
        (status = 403, description = "The caller may not edit breach records.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident or breach record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a ground is required when not informing).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn data_subjects(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<DataSubjectsRequest>,
) -> Result<Json<BreachDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let mut errs = Vec::new();
    let informed_at = parse_ts("informed_at", req.informed_at.as_deref(), &mut errs);
    check(errs)?;
    let input = InformInput {
        inform: req.inform,
        ground: req.ground.map(|g| g.0),
        reasoning: req.reasoning,
        public_communication: req.public_communication,
        informed_at,
        channel: req.channel.map(|c| c.0),
        count: req.count,
        text: req.text,
    };
    s.app
        .decide_breach_inform(&p, id, input, req.expected_version)
        .await
        .map_err(|e| {
            ApiError::from(e)
                .rename_fields(&[("inform_reasoning", "reasoning"), ("inform_text", "text")])
        })?;
    view(&s, &p, id).await
}
