//! `/api/v1/incidents`: report, list, read, triage, assign, note and move through the lifecycle.

use super::dto::*;
use super::extract::{ApiJson, Caller, IncidentRef, QueryPairs};
use super::problem::{ApiError, FieldProblem, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use meldpunt_app::incidents::{RegisterQuery, TriageInput, OPEN_STATUSES};
use meldpunt_app::Actor;
use meldpunt_core::auth::{BoardAction, Principal, Role};
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId, UserId};
use meldpunt_core::incident::{Incident, Kind, PersonalDataAnswer, Priority, Status};
use meldpunt_core::lifecycle::Command;
use meldpunt_core::priority::decide_priority;
use meldpunt_core::report::{NewReport, ReportInput};
use meldpunt_store::incidents::{Cursor, Sort};

/// Core field names of a report → API field names.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("name", "reporter_name"),
    ("email", "reporter_email"),
    ("phone", "reporter_phone"),
    ("priority", "priority_override"),
];

/// Triage field names → API field names.
const TRIAGE_FIELDS: &[(&str, &str)] = &[("priority", "priority_override")];

/// Turns the path's id or number into an incident id the caller can see.
async fn resolve(s: &AppState, p: &Principal, r: IncidentRef) -> Result<IncidentId, ApiError> {
    match r {
        IncidentRef::Id(id) => Ok(id),
        IncidentRef::Number(n) => Ok(s.app.incident_by_number(p, n).await?.id),
    }
}

fn location(id: IncidentId) -> HeaderValue {
    HeaderValue::from_str(&format!("/api/v1/incidents/{id}"))
        .unwrap_or_else(|_| HeaderValue::from_static("/api/v1/incidents"))
}

fn incident_response(i: &Incident) -> Json<IncidentDto> {
    Json(i.into())
}

/// May this person triage an incident they are about to create (still untriaged)?
fn may_triage_new(p: &Principal, personal_data: PersonalDataAnswer) -> bool {
    p.grants.iter().any(|g| match g.role {
        Role::ServiceDesk | Role::IncidentManager => true,
        Role::IbpOfficer => personal_data != PersonalDataAnswer::No,
        _ => false,
    })
}

/// Report an incident.
///
/// Validation is shared with the public report form. With `kind` (and then also `category`,
/// `impact` and `urgency`) the incident is triaged in the same request; missing triage fields give
/// 422 before anything is created. The caller needs a role that may create incidents (service
/// desk, incident manager, IBP officer); with `kind`, also one that may triage it.
#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    tag = "incidents",
    operation_id = "create_incident",
    request_body(content = CreateIncidentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (and triaged when `kind` was given).", body = IncidentDto,
            headers(("Location" = String, description = "The incident's URL"))),
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not create (or triage) incidents.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 256 KiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; see `errors`.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_incident(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<CreateIncidentRequest>,
) -> Result<Response, ApiError> {
    let create_boards: Vec<BoardId> = p
        .boards()
        .into_iter()
        .filter(|b| p.may_in_board(BoardAction::CreateIncident, *b))
        .collect();
    if create_boards.is_empty() {
        return Err(meldpunt_app::AppError::Forbidden.into());
    }
    let mut problems = Vec::new();
    // The board the incident will belong to, when it is clear before creating: the named school's
    // board, or the caller's only board. A school outside the caller's boards is unknown to them.
    let board = match req.school_id {
        Some(school) => {
            let found = s
                .app
                .store
                .school(SchoolId(school))
                .await
                .map_err(meldpunt_app::AppError::from)?
                .filter(|sc| sc.active && create_boards.contains(&sc.board_id));
            if found.is_none() {
                problems.push(FieldProblem::from_key("school_id", "error-unknown-school"));
            }
            found.map(|sc| sc.board_id)
        }
        None => Some(create_boards[0]).filter(|_| create_boards.len() == 1),
    };
    match req.kind {
        Some(_) => {
            for (field, missing) in [
                ("category", req.category.is_none()),
                ("impact", req.impact.is_none()),
                ("urgency", req.urgency.is_none()),
            ] {
                if missing {
                    problems.push(FieldProblem::new(
                        field,
                        "required",
                        "Required when `kind` is given (create and triage in one request).",
                    ));
                }
            }
        }
        None => {
            let given = [
                ("category", req.category.is_some()),
                ("impact", req.impact.is_some()),
                ("urgency", req.urgency.is_some()),
                ("aspects", req.aspects.is_some()),
                ("priority_override", req.priority_override.is_some()),
                ("override_reason", req.override_reason.is_some()),
                ("no_incident_reason", req.no_incident_reason.is_some()),
            ];
            if let Some((field, _)) = given.iter().find(|(_, g)| *g) {
                problems.push(FieldProblem::new(
                    "kind",
                    "required",
                    format!("Required when triage fields such as `{field}` are given."),
                ));
            }
        }
    }
    let school = req.school_id.map(|u| u.to_string());
    let ongoing = req.ongoing.map(|b| if b { "yes" } else { "no" });
    let input = ReportInput {
        summary: req.summary.as_deref(),
        description: &req.description,
        occurred_at: req.occurred_at.as_deref(),
        school_id: school.as_deref(),
        personal_data: req.personal_data.map(|c| c.0.code()),
        ongoing,
        name: req.reporter_name.as_deref(),
        email: req.reporter_email.as_deref(),
        phone: req.reporter_phone.as_deref(),
    };
    let report = match NewReport::parse(&input, s.app.now()) {
        Ok(r) => Some(r),
        Err(e) => {
            problems.extend(
                ApiError::from(e)
                    .rename_fields(REPORT_FIELDS)
                    .problem
                    .errors,
            );
            None
        }
    };
    let triage = match (req.kind, req.category, req.impact, req.urgency) {
        (Some(kind), Some(category), Some(impact), Some(urgency)) => {
            if kind.0 == Kind::NoIncident
                && req
                    .no_incident_reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                problems.push(FieldProblem::from_key(
                    "no_incident_reason",
                    "error-required",
                ));
            }
            if let Some(board) = board {
                let matrix = s.app.priority_matrix(board).await?;
                if let Err(e) = decide_priority(
                    &matrix,
                    kind.0,
                    impact.0,
                    urgency.0,
                    req.priority_override.map(|x| x.0),
                    req.override_reason.as_deref(),
                ) {
                    problems.extend(ApiError::from(e).problem.errors);
                }
            }
            Some(TriageInput {
                kind: kind.0,
                aspects: req.aspects.unwrap_or_default().into(),
                category: category.0,
                impact: impact.0,
                urgency: urgency.0,
                priority_override: req.priority_override.map(|x| x.0),
                override_reason: req.override_reason.clone(),
                no_incident_reason: req.no_incident_reason.clone(),
            })
        }
        _ => None,
    };
    let (Some(report), true) = (report, problems.is_empty()) else {
        return Err(ApiError::validation(problems));
    };
    if triage.is_some() && !may_triage_new(&p, report.personal_data) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Your roles allow creating this incident but not triaging it; leave out `kind`.",
        ));
    }
    let exercise = req.exercise.unwrap_or(false);
    // With `kind`, creation and triage are one transaction: both happen or neither does.
    let incident = match triage {
        None => {
            s.app
                .report_incident(&Actor::User(&p), report, board, exercise)
                .await
                .map_err(|e| ApiError::from(e).rename_fields(REPORT_FIELDS))?
                .incident
        }
        Some(t) => {
            s.app
                .report_incident_triaged(&p, report, board, exercise, t)
                .await
                .map_err(|e| {
                    ApiError::from(e)
                        .rename_fields(REPORT_FIELDS)
                        .rename_fields(TRIAGE_FIELDS)
                })?
                .incident
        }
    };
    let mut res = (StatusCode::CREATED, incident_response(&incident)).into_response();
    res.headers_mut()
        .insert(header::LOCATION, location(incident.id));
    Ok(res)
}

fn bad(field: &str, code: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem::new(field, code, message)
}

/// Parses a bound: RFC 3339, or `YYYY-MM-DD` in Europe/Amsterdam (`end_of_day`: the next midnight).
fn parse_bound(v: &str, end_of_day: bool) -> Option<jiff::Timestamp> {
    let v = v.trim();
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if v.len() != 10 {
        return None;
    }
    let d: jiff::civil::Date = v.parse().ok()?;
    let d = if end_of_day { d.tomorrow().ok()? } else { d };
    d.in_tz("Europe/Amsterdam").ok().map(|z| z.timestamp())
}

/// Parses the register's query parameters; every problem is reported at once.
pub fn parse_list_query(pairs: &[(String, String)]) -> Result<RegisterQuery, ApiError> {
    let mut q = RegisterQuery::default();
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        let name = name.as_str();
        let v = value.trim();
        if name != "status" {
            if seen.contains(&name) {
                errs.push(bad(name, "repeated", "Give this parameter at most once."));
                continue;
            }
            seen.push(name);
        }
        match name {
            "status" => {
                for part in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if part == "open" {
                        q.statuses.extend_from_slice(OPEN_STATUSES);
                    } else if let Some(st) = Status::from_code(part) {
                        q.statuses.push(st);
                    } else {
                        errs.push(bad(
                            "status",
                            "invalid_value",
                            format!("Unknown status `{part}`."),
                        ));
                    }
                }
            }
            "kind" => match Kind::from_code(v) {
                Some(k) => q.kind = Some(k),
                None => errs.push(bad("kind", "invalid_value", format!("Unknown kind `{v}`."))),
            },
            "priority" => match Priority::from_code(v) {
                Some(k) => q.priority = Some(k),
                None => errs.push(bad(
                    "priority",
                    "invalid_value",
                    format!("Unknown priority `{v}`; use p1 … p5."),
                )),
            },
            "school_id" => match v.parse::<SchoolId>() {
                Ok(id) => q.school = Some(id),
                Err(_) => errs.push(bad("school_id", "invalid_value", "Not a UUID.")),
            },
            "assignee_id" => match v.parse::<UserId>() {
                Ok(id) => q.assignee = Some(id),
                Err(_) => errs.push(bad("assignee_id", "invalid_value", "Not a UUID.")),
            },
            "from" | "until" => match parse_bound(v, name == "until") {
                Some(t) if name == "from" => q.from = Some(t),
                Some(t) => q.until = Some(t),
                None => errs.push(bad(
                    name,
                    "invalid_datetime",
                    "Use RFC 3339 (2026-11-24T09:15:00Z) or a date (2026-11-24).",
                )),
            },
            "q" => q.text = Some(v.to_string()).filter(|t| !t.is_empty()),
            "sort" => match Sort::from_code(v) {
                Some(so) => q.sort = so,
                None => errs.push(bad(
                    "sort",
                    "invalid_value",
                    "Use newest, oldest or priority.",
                )),
            },
            "include_exercises" => match v {
                "true" | "1" => q.include_exercises = true,
                "false" | "0" => q.include_exercises = false,
                _ => errs.push(bad(
                    "include_exercises",
                    "invalid_value",
                    "Use true or false.",
                )),
            },
            "limit" => match v.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => q.limit = Some(n),
                _ => errs.push(bad(
                    "limit",
                    "invalid_value",
                    "Use a whole number from 1 to 500.",
                )),
            },
            "after" => match Cursor::decode(v) {
                Some(c) => q.after = Some(c),
                None => errs.push(bad(
                    "after",
                    "invalid_cursor",
                    "Not a cursor; pass `next_cursor` from the previous page unchanged.",
                )),
            },
            other => errs.push(bad(other, "unknown_parameter", "Unknown query parameter.")),
        }
    }
    q.statuses.sort();
    q.statuses.dedup();
    if errs.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::invalid_parameters(errs))
    }
}

/// The register: incidents the caller may see, filtered, sorted, in pages.
///
/// Paging is by keyset: pass `next_cursor` as `after` until it is null. Pages never overlap or
/// skip incidents, even when incidents are added meanwhile. Exercises are left out unless
/// `include_exercises=true`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "incidents",
    operation_id = "list_incidents",
    params(ListParams),
    responses(
        (status = 200, description = "One page.", body = IncidentPageDto),
        (status = 400, description = "Invalid query parameters; see `errors`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_incidents(
    State(s): State<AppState>,
    Caller(p): Caller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<IncidentPageDto>, ApiError> {
    let q = parse_list_query(&pairs)?;
    let page = s.app.register(&p, q).await?;
    Ok(Json(IncidentPageDto {
        items: page.items.iter().map(Into::into).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// One incident with its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    operation_id = "get_incident",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    responses(
        (status = 200, description = "The incident.", body = IncidentDetailDto),
        (status = 400, description = "Not an id or number.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "In the caller's board, but not visible to their roles.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident (or in another board).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_incident(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
) -> Result<Json<IncidentDetailDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let view = s.app.incident_view(&p, id).await?;
    Ok(Json((&view).into()))
}

/// Triage: classify (or reclassify) the incident and set its priority.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/triage",
    tag = "incidents",
    operation_id = "triage_incident",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = TriageRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated incident.", body = IncidentDto),
        (status = 400, description = "Malformed request.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not triage this incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is not the current version.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or not allowed in the current state.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn triage_incident(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<TriageRequest>,
) -> Result<Json<IncidentDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let input = TriageInput {
        kind: req.kind.0,
        aspects: req.aspects.into(),
        category: req.category.0,
        impact: req.impact.0,
        urgency: req.urgency.0,
        priority_override: req.priority_override.map(|x| x.0),
        override_reason: req.override_reason,
        no_incident_reason: req.no_incident_reason,
    };
    let i = s
        .app
        .triage(&p, id, input, req.expected_version)
        .await
        .map_err(|e| ApiError::from(e).rename_fields(TRIAGE_FIELDS))?;
    Ok(incident_response(&i))
}

/// Assign the incident to a handler.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/assign",
    tag = "incidents",
    operation_id = "assign_incident",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = AssignRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated incident.", body = IncidentDto),
        (status = 400, description = "Malformed request.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not assign this incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is not the current version.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown assignee, or not allowed in the current state (e.g. not triaged).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn assign_incident(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<IncidentDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let i = s
        .app
        .assign(&p, id, UserId(req.assignee_id), req.expected_version)
        .await?;
    Ok(incident_response(&i))
}

/// Add a note to the timeline.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/notes",
    tag = "incidents",
    operation_id = "add_note",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = NoteRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The incident.", body = IncidentDto),
        (status = 400, description = "Malformed request.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not add notes to this incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long text, or not allowed in the current state.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_note(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<NoteRequest>,
) -> Result<Json<IncidentDto>, ApiError> {
    let id = resolve(&s, &p, r).await?;
    let i = s
        .app
        .add_note(&p, id, &req.text, req.public.unwrap_or(false))
        .await?;
    Ok(incident_response(&i))
}

/// Move the incident through its lifecycle: wait, resume, contain, resolve, evaluate, close, reopen.
///
/// Security incidents, cyber incidents and breaches cannot be closed before an evaluation is
/// recorded (422 with code `evaluation_required`).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/status",
    tag = "incidents",
    operation_id = "change_status",
    params(("id" = String, Path, description = "The incident's id (UUID) or number (e.g. `2026-0042`).")),
    request_body(content = StatusRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated incident.", body = IncidentDto),
        (status = 400, description = "Malformed request.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not do this to this incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is not the current version.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing text, or not allowed in the current state (`code` says why).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn change_status(
    State(s): State<AppState>,
    Caller(p): Caller,
    r: IncidentRef,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<Json<IncidentDto>, ApiError> {
    let used: &[&str] = match req.action {
        StatusAction::Wait | StatusAction::Reopen => &["reason"],
        StatusAction::Resolve => &["resolution", "cause"],
        StatusAction::Evaluate => &["evaluation"],
        StatusAction::Resume | StatusAction::Contain | StatusAction::Close => &[],
    };
    let unexpected: Vec<FieldProblem> = [
        ("reason", req.reason.is_some()),
        ("resolution", req.resolution.is_some()),
        ("cause", req.cause.is_some()),
        ("evaluation", req.evaluation.is_some()),
    ]
    .into_iter()
    .filter(|(f, given)| *given && !used.contains(f))
    .map(|(f, _)| bad(f, "not_applicable", "Not used with this action."))
    .collect();
    if !unexpected.is_empty() {
        return Err(ApiError::validation(unexpected));
    }
    let text = |o: Option<String>| o.unwrap_or_default();
    let command = match req.action {
        StatusAction::Wait => Command::Wait {
            reason: text(req.reason),
        },
        StatusAction::Resume => Command::Resume,
        StatusAction::Contain => Command::Contain,
        StatusAction::Resolve => Command::Resolve {
            resolution: text(req.resolution),
            cause: text(req.cause),
        },
        StatusAction::Evaluate => Command::Evaluate {
            evaluation: text(req.evaluation),
        },
        StatusAction::Close => Command::Close,
        StatusAction::Reopen => Command::Reopen {
            reason: text(req.reason),
        },
    };
    let id = resolve(&s, &p, r).await?;
    let i = s.app.act(&p, id, command, req.expected_version).await?;
    Ok(incident_response(&i))
}
