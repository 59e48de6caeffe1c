//! Service levels in the JSON API: an incident's SLA clocks and on-call alerts, escalations,
//! acknowledging an alert, the SLA dashboard and who is on call.

use super::extract::{ApiJson, Caller, IncidentRef, QueryPairs};
use super::problem::{ApiError, FieldProblem, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::Timestamp;
use meldpunt_app::core::auth::{Principal, Role};
use meldpunt_app::core::ids::{BoardId, IncidentId, UserId};
use meldpunt_app::core::sla::{SlaReading, SlaState};
use meldpunt_app::sla::{Dashboard, Granularity, StateCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

async fn resolve(s: &AppState, p: &Principal, r: IncidentRef) -> Result<IncidentId, ApiError> {
    match r {
        IncidentRef::Id(id) => Ok(id),
        IncidentRef::Number(n) => Ok(s.app.incident_by_number(p, n).await?.id),
    }
}

fn ts(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

fn secs(d: jiff::SignedDuration) -> i64 {
    d.as_secs()
}

/// One SLA clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    /// `on_track`, `at_risk`, `breached`, `met` or `not_applicable`.
    #[schema(example = "on_track")]
    pub state: String,
    /// Target in seconds of clock time; absent without a target.
    pub target_seconds: Option<i64>,
    /// Clock time counted so far, seconds (pauses excluded).
    pub elapsed_seconds: i64,
    /// Target minus elapsed, seconds (negative once breached).
    pub remaining_seconds: Option<i64>,
    /// Elapsed as a percentage of the target.
    pub percent_used: Option<u32>,
    /// When the target is reached (assuming no further pause).
    pub due_at: Option<String>,
    /// When the at-risk threshold is reached.
    pub at_risk_at: Option<String>,
    /// When the clock stopped (first response, resolution).
    pub stopped_at: Option<String>,
}

impl From<&SlaReading> for ClockDto {
    fn from(r: &SlaReading) -> Self {
        ClockDto {
            state: r.state.code().into(),
            target_seconds: r.target.map(secs),
            elapsed_seconds: secs(r.elapsed),
            remaining_seconds: r.remaining.map(secs),
            percent_used: r.percent_used,
            due_at: ts(r.due_at),
            at_risk_at: ts(r.at_risk_at),
            stopped_at: ts(r.stopped_at),
        }
    }
}

/// An alert to the person on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// `p1` or `personal_data`.
    pub trigger: String,
    /// Position in the chain (0 = the person on call).
    pub step: i64,
    /// Who was alerted; absent when nobody was left in the chain.
    pub user_id: Option<Uuid>,
    /// When.
    pub alerted_at: String,
    /// When the next person is alerted without an acknowledgement.
    pub ack_due_at: String,
    /// When acknowledged.
    pub acknowledged_at: Option<String>,
    /// `link` or `ui`.
    pub ack_via: Option<String>,
}

/// The SLA of one incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentSlaDto {
    /// The priority the clocks run on (`p1` … `p5`).
    pub priority: String,
    /// False while untriaged: the board's default priority for new reports applies.
    pub triaged: bool,
    /// `working_hours` or `around_the_clock`.
    pub clock: String,
    /// Waiting on a third party: the clocks are paused.
    pub paused: bool,
    /// Time to first response.
    pub response: ClockDto,
    /// Time to resolution.
    pub resolution: ClockDto,
    /// On-call alerts.
    pub alerts: Vec<AlertDto>,
}

/// The SLA clocks of an incident, evaluated now, and its on-call alerts.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/sla",
    tag = "service-levels",
    operation_id = "get_incident_sla",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    responses(
        (status = 200, description = "The SLA.", body = IncidentSlaDto),
        (status = 403, description = "In the caller's board, but not visible to their roles.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident (or in another board).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_incident_sla(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
) -> Result<Json<IncidentSlaDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let (i, status, _) = s.app.incident_sla_status(&p, id).await?;
    let alerts = s
        .app
        .store
        .alerts_for_incident(id)
        .await
        .map_err(meldpunt_app::AppError::from)?;
    Ok(Json(IncidentSlaDto {
        priority: status.priority.code().into(),
        triaged: i.priority().is_some(),
        clock: status.clock.code().into(),
        paused: status.paused,
        response: (&status.response).into(),
        resolution: (&status.resolution).into(),
        alerts: alerts
            .iter()
            .map(|a| AlertDto {
                trigger: a.trigger.clone(),
                step: a.step,
                user_id: a.user_id.map(|u| u.0),
                alerted_at: a.alerted_at.to_string(),
                ack_due_at: a.ack_due_at.to_string(),
                acknowledged_at: ts(a.acknowledged_at),
                ack_via: a.ack_via.clone(),
            })
            .collect(),
    }))
}

/// An escalation by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRequest {
    /// `functional` (to a person or a supplier) or `hierarchical` (to a role).
    #[schema(example = "functional")]
    pub kind: String,
    /// Functional: the person to reassign to.
    pub to_user_id: Option<Uuid>,
    /// Functional: the supplier to escalate to.
    pub supplier_id: Option<Uuid>,
    /// Functional to a supplier: tell the supplier's contact address by e-mail.
    #[serde(default)]
    pub notify_supplier: bool,
    /// Hierarchical: `incident-manager`, `ibp-officer` or `board`.
    pub role: Option<String>,
    /// Why.
    pub reason: String,
    /// Functional to a person: the version the caller saw (409 when stale).
    pub expected_version: Option<i64>,
}

/// Escalates an incident functionally (reassign to a person, or to a supplier) or
/// hierarchically (notify a role), with a reason; recorded on the incident's timeline.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/escalations",
    tag = "service-levels",
    operation_id = "escalate_incident",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = EscalationRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Escalated."),
        (status = 403, description = "The caller may not escalate this incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is not the current version.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or not allowed in the current state.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn escalate_incident(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<EscalationRequest>,
) -> Result<Response, ApiError> {
    let id = resolve(&s, &p, r).await?;
    match (req.kind.as_str(), req.to_user_id, req.supplier_id) {
        ("functional", Some(u), None) => {
            s.app
                .escalate_to_person(&p, id, UserId(u), &req.reason, req.expected_version)
                .await?;
        }
        ("functional", None, Some(sup)) => {
            s.app
                .escalate_to_supplier(&p, id, sup, &req.reason, req.notify_supplier)
                .await?;
        }
        ("functional", ..) => {
            return Err(ApiError::validation(vec![FieldProblem::new(
                "to_user_id",
                "required",
                "Give exactly one of `to_user_id` and `supplier_id`.",
            )]))
        }
        ("hierarchical", _, _) => {
            let role = req
                .role
                .as_deref()
                .and_then(Role::from_code)
                .ok_or_else(|| {
                    ApiError::validation(vec![FieldProblem::new(
                        "role",
                        "invalid_choice",
                        "Use incident-manager, ibp-officer or board.",
                    )])
                })?;
            s.app
                .escalate_hierarchically(&p, id, role, &req.reason)
                .await?;
        }
        _ => {
            return Err(ApiError::validation(vec![FieldProblem::new(
                "kind",
                "invalid_choice",
                "Use `functional` or `hierarchical`.",
            )]))
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The answer to an acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcknowledgeDto {
    /// False when there was no open alert (already acknowledged).
    pub acknowledged: bool,
}

/// Acknowledges the open on-call alerts of an incident, so nobody else is alerted.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/oncall/acknowledge",
    tag = "service-levels",
    operation_id = "acknowledge_oncall_alert",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    responses(
        (status = 200, description = "Done (or nothing was open).", body = AcknowledgeDto),
        (status = 403, description = "Neither alerted nor allowed to assign the incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge_oncall_alert(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
) -> Result<Json<AcknowledgeDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let acknowledged = s.app.acknowledge_in_ui(&p, id).await?;
    Ok(Json(AcknowledgeDto { acknowledged }))
}

/// Counts of open incidents by SLA state.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsDto {
    /// On track.
    pub on_track: u64,
    /// At risk.
    pub at_risk: u64,
    /// Breached.
    pub breached: u64,
    /// Of these, waiting on a third party.
    pub paused: u64,
    /// All counted.
    pub total: u64,
}

impl From<&StateCounts> for CountsDto {
    fn from(c: &StateCounts) -> Self {
        CountsDto {
            on_track: c.on_track,
            at_risk: c.at_risk,
            breached: c.breached,
            paused: c.paused,
            total: c.total,
        }
    }
}

/// Counts of one school or handler.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    /// School or user id; absent for "no school" / "unassigned".
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Counts.
    pub counts: CountsDto,
}

/// In-time shares of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodDto {
    /// `2026-10` or `2026-W43`.
    pub label: String,
    /// Start of the period.
    pub start: String,
    /// Responses in the period.
    pub responded: u64,
    /// Of which within the target.
    pub responded_in_time: u64,
    /// Resolutions in the period.
    pub resolved: u64,
    /// Of which within the target.
    pub resolved_in_time: u64,
}

/// An incident at risk or breached.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskDto {
    /// Incident id.
    pub incident_id: Uuid,
    /// Number.
    pub number: String,
    /// Summary.
    pub summary: String,
    /// Priority the clocks run on.
    pub priority: String,
    /// `response` or `resolution`.
    pub clock: String,
    /// `at_risk` or `breached`.
    pub state: String,
    /// Due moment.
    pub due_at: Option<String>,
    /// Clock time left, seconds (negative once breached).
    pub remaining_seconds: i64,
    /// Paused (waiting on a third party).
    pub paused: bool,
}

/// The SLA dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardDto {
    /// Board.
    pub board_id: Uuid,
    /// When computed.
    pub computed_at: String,
    /// All open incidents.
    pub totals: CountsDto,
    /// Per school.
    pub by_school: Vec<GroupDto>,
    /// Per handler.
    pub by_handler: Vec<GroupDto>,
    /// In time per period, oldest first.
    pub periods: Vec<PeriodDto>,
    /// At risk and breached, least time left first.
    pub at_risk: Vec<AtRiskDto>,
}

impl From<&Dashboard> for DashboardDto {
    fn from(d: &Dashboard) -> Self {
        let group = |g: &meldpunt_app::sla::GroupCounts| GroupDto {
            id: g.id,
            name: g.name.clone(),
            counts: (&g.counts).into(),
        };
        DashboardDto {
            board_id: d.board_id.0,
            computed_at: d.now.to_string(),
            totals: (&d.totals).into(),
            by_school: d.by_school.iter().map(group).collect(),
            by_handler: d.by_handler.iter().map(group).collect(),
            periods: d
                .periods
                .iter()
                .map(|p| PeriodDto {
                    label: p.label.clone(),
                    start: p.start.to_string(),
                    responded: p.responded,
                    responded_in_time: p.responded_in_time,
                    resolved: p.resolved,
                    resolved_in_time: p.resolved_in_time,
                })
                .collect(),
            at_risk: d
                .at_risk
                .iter()
                .map(|a| AtRiskDto {
                    incident_id: a.incident_id.0,
                    number: a.number.clone(),
                    summary: a.summary.clone(),
                    priority: a.priority.code().into(),
                    clock: a.clock.into(),
                    state: match a.state {
                        SlaState::Breached => "breached",
                        _ => "at_risk",
                    }
                    .into(),
                    due_at: ts(a.due_at),
                    remaining_seconds: secs(a.remaining),
                    paused: a.paused,
                })
                .collect(),
        }
    }
}

fn board_param(
    p: &Principal,
    q: &[(String, String)],
    allowed: Vec<BoardId>,
) -> Result<BoardId, ApiError> {
    match q.iter().find(|(k, _)| k == "board_id") {
        Some((_, v)) => {
            let b: BoardId = v.parse().map_err(|_| {
                ApiError::invalid_parameters(vec![FieldProblem::new(
                    "board_id",
                    "invalid_id",
                    "Not a board id (UUID).",
                )])
            })?;
            if allowed.contains(&b) {
                Ok(b)
            } else if p.boards().contains(&b) {
                Err(meldpunt_app::AppError::Forbidden.into())
            } else {
                Err(meldpunt_app::AppError::NotFound.into())
            }
        }
        None => match allowed.as_slice() {
            [one] => Ok(*one),
            [] => Err(meldpunt_app::AppError::Forbidden.into()),
            _ => Err(ApiError::invalid_parameters(vec![FieldProblem::new(
                "board_id",
                "required",
                "You work in several boards: name one with `board_id`.",
            )])),
        },
    }
}

/// Dashboard query parameters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DashboardParams {
    /// The board; may be left out when the caller works in one board.
    pub board_id: Option<Uuid>,
    /// `month` (last six months, default) or `week` (last eight weeks).
    pub period: Option<String>,
}

/// The SLA dashboard of a board: open incidents by state per school and handler, the share
/// responded to and resolved in time per period, and the at-risk list (service desk and
/// incident managers).
#[utoipa::path(
    get,
    path = "/api/v1/sla/dashboard",
    tag = "service-levels",
    operation_id = "get_sla_dashboard",
    params(DashboardParams),
    responses(
        (status = 200, description = "The dashboard.", body = DashboardDto),
        (status = 403, description = "The caller's roles do not include the dashboard.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a board of the caller.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_sla_dashboard(
    State(s): State<AppState>,
    Caller(p): Caller,
    QueryPairs(q): QueryPairs,
) -> Result<Json<DashboardDto>, ApiError> {
    let board = board_param(&p, &q, meldpunt_app::sla::dashboard_boards(&p))?;
    let g = match q
        .iter()
        .find(|(k, _)| k == "period")
        .map(|(_, v)| v.as_str())
    {
        None | Some("month") => Granularity::Month,
        Some("week") => Granularity::Week,
        Some(_) => {
            return Err(ApiError::invalid_parameters(vec![FieldProblem::new(
                "period",
                "invalid_choice",
                "Use `month` or `week`.",
            )]))
        }
    };
    let d = s.app.sla_dashboard(&p, board, g).await?;
    Ok(Json((&d).into()))
}

/// A person on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallPersonDto {
    /// User id.
    pub user_id: Uuid,
    /// Name.
    pub name: String,
    /// Start of the shift.
    pub from: String,
    /// End of the shift.
    pub until: String,
    /// The override's reason, when this shift is an override.
    pub override_reason: Option<String>,
}

/// Who is on call now and next.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallDto {
    /// Board.
    pub board_id: Uuid,
    /// On call now; absent when nobody is on the rota.
    pub now: Option<OnCallPersonDto>,
    /// The next shift of another person.
    pub next: Option<OnCallPersonDto>,
    /// Minutes before the next person in the chain is alerted.
    pub ack_minutes: u32,
}

/// On-call query parameters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OnCallParams {
    /// The board; may be left out when the caller works in one board.
    pub board_id: Option<Uuid>,
}

/// Who is on call now and next (the *bereikbaarheidsdienst*).
#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    tag = "service-levels",
    operation_id = "get_oncall",
    params(OnCallParams),
    responses(
        (status = 200, description = "Now and next.", body = OnCallDto),
        (status = 403, description = "The caller's roles do not include the rota.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a board of the caller.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_oncall(
    State(s): State<AppState>,
    Caller(p): Caller,
    QueryPairs(q): QueryPairs,
) -> Result<Json<OnCallDto>, ApiError> {
    let board = board_param(&p, &q, meldpunt_app::oncall::rota_boards(&p))?;
    let view = s.app.rota(&p, board, 8).await?;
    let person = |sh: &meldpunt_app::oncall::Shift, name: &str| OnCallPersonDto {
        user_id: sh.user.0,
        name: name.to_string(),
        from: sh.start.to_string(),
        until: sh.end.to_string(),
        override_reason: sh.override_reason.clone(),
    };
    let now = view
        .schedule
        .first()
        .filter(|(sh, _)| sh.start <= s.app.now());
    let next = view
        .schedule
        .iter()
        .find(|(sh, _)| now.is_none_or(|(n, _)| n.user != sh.user) && sh.start > s.app.now());
    Ok(Json(OnCallDto {
        board_id: board.0,
        now: now.map(|(sh, n)| person(sh, n)),
        next: next.map(|(sh, n)| person(sh, n)),
        ack_minutes: view.settings.ack_minutes,
    }))
}
