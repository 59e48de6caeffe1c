//! The JSON API under `/api/v1`: English snake_case fields, `Authorization: Bearer <token>`,
//! errors as RFC 9457 `application/problem+json`, and an OpenAPI 3.1 document generated from this
//! code (`openapi_json`, served at `/api/openapi.json`, committed as `docs/openapi.json`).

pub mod breach;
pub mod dto;
pub mod extract;
pub mod incidents;
pub mod problem;
pub mod sla;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::Router;
use problem::ApiError;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The largest request body the API accepts (256 KiB); larger bodies get 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// API routes: `/api/v1/…` and `/api/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(serve_openapi).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents",
            get(incidents::list_incidents)
                .post(incidents::create_incident)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}",
            get(incidents::get_incident).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/triage",
            post(incidents::triage_incident).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/assign",
            post(incidents::assign_incident).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/notes",
            post(incidents::add_note).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/status",
            post(incidents::change_status).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach",
            get(breach::get_breach)
                .post(breach::open_breach)
                .put(breach::put_breach)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/assessment",
            get(breach::get_assessment).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/risk-answers",
            put(breach::put_risk_answers).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/awareness",
            post(breach::set_awareness).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/decision",
            post(breach::decide).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/ap-notification",
            post(breach::ap_notification).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/fg-advice",
            post(breach::fg_advice).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/breach/data-subjects",
            post(breach::data_subjects).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/sla",
            get(sla::get_incident_sla).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/escalations",
            post(sla::escalate_incident).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/incidents/{id}/oncall/acknowledge",
            post(sla::acknowledge_oncall_alert).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/sla/dashboard",
            get(sla::get_sla_dashboard).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/oncall",
            get(sla::get_oncall).fallback(method_not_allowed),
        )
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn not_found() -> ApiError {
    ApiError::not_found("There is no API endpoint at this path.")
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{method} is not supported on this path."),
    )
}

async fn serve_openapi() -> Response {
    static SPEC: OnceLock<String> = OnceLock::new();
    let body = SPEC.get_or_init(openapi_json).clone();
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Declares the bearer-token security scheme.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mp_…")
                    .description(Some(
                        "An API token (`mp_…`) created with `meldpunt token create`. \
                         The token acts with the roles of its owner.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Documents the errors the shared extractors answer, on every operation that can get them:
/// 401 with a bearer scheme (`Caller`), 400 with parameters or a body (bad path id, query or
/// JSON), 413 and 415 with a JSON body (`ApiJson`). What an operation declares itself is kept.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    problem::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                let params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let common = [
                    (secured, "401", "Missing, unknown or revoked token."),
                    (
                        body || params,
                        "400",
                        "Malformed request: path id, query or JSON.",
                    ),
                    (body, "413", "Body larger than 256 KiB."),
                    (body, "415", "Not JSON."),
                ];
                for (applies, code, description) in common {
                    if applies {
                        op.responses
                            .responses
                            .entry(code.to_string())
                            .or_insert_with(|| problem(description).into());
                    }
                }
            }
        }
    }
}

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Meldpunt API",
        version = "1.0.0",
        description = "Incident management for Dutch school boards.\n\n\
            Authenticate with `Authorization: Bearer <token>`. Fields are English snake_case; \
            enumerations use stable codes; times are RFC 3339 strings in UTC.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`) with `type`, `title`, \
            `status`, `detail` and, for invalid fields, `errors: [{field, code, message}]`. \
            400: malformed JSON, bad path id or query parameter; 401: missing or invalid token \
            (with `WWW-Authenticate: Bearer`); 403: the caller's roles do not allow it; \
            404: not found or in another board; 409: `expected_version` is stale; \
            413: body over 256 KiB; 415: body not JSON; 422: invalid fields, a JSON value of \
            the wrong type or an unknown enumeration value, or a lifecycle rule.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        incidents::list_incidents,
        incidents::create_incident,
        incidents::get_incident,
        incidents::triage_incident,
        incidents::assign_incident,
        incidents::add_note,
        incidents::change_status,
        breach::get_breach,
        breach::open_breach,
        breach::put_breach,
        breach::get_assessment,
        breach::put_risk_answers,
        breach::set_awareness,
        breach::decide,
        breach::ap_notification,
        breach::fg_advice,
        breach::data_subjects,
        sla::get_incident_sla,
        sla::escalate_incident,
        sla::acknowledge_oncall_alert,
        sla::get_sla_dashboard,
        sla::get_oncall,
    ),
    components(schemas(problem::Problem, problem::FieldProblem)),
    modifiers(&BearerScheme, &CommonErrors),
    tags(
        (name = "incidents", description = "Reports and incidents: register, triage, handle, close."),
        (name = "service-levels", description = "Service levels (IBP FO IM.02): SLA clocks, escalation, the on-call rota and the SLA dashboard."),
        (name = "breaches", description = "Personal-data breaches (AVG art. 33/34): the breach record, its assessment and 72-hour deadline, and the decisions."),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document as pretty-printed JSON (what `/api/openapi.json` serves and
/// `docs/openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| {
        format!("{{\"error\": \"cannot serialise the OpenAPI document: {e}\"}}")
    })
}
