//! RFC 9457 problem details: every API error is `application/problem+json`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use meldpunt_app::AppError;
use meldpunt_core::lifecycle::LifecycleError;
use meldpunt_core::priority::PriorityError;
use meldpunt_core::validation::ValidationErrors;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response body (RFC 9457 problem details).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:meldpunt:problem:validation`.
    #[serde(rename = "type")]
    #[schema(example = "urn:meldpunt:problem:validation")]
    pub type_: String,
    /// A short, human-readable summary of the kind of problem.
    #[schema(example = "Invalid input")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// A human-readable explanation of this occurrence, in plain English.
    pub detail: String,
    /// A stable machine-readable code for lifecycle problems, e.g. `evaluation_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// One entry per invalid field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field as named in the request (`description`, `reporter_email`, `status`, …).
    #[schema(example = "description")]
    pub field: String,
    /// A stable code, e.g. `required`, `too_long`, `invalid_email`, `invalid_value`.
    #[schema(example = "required")]
    pub code: String,
    /// What is wrong, in plain English.
    #[schema(example = "This field is required.")]
    pub message: String,
}

impl FieldProblem {
    /// A field problem from a core message key such as `error-required`.
    pub fn from_key(field: &str, key: &str) -> Self {
        Self {
            field: field.to_string(),
            code: code_of(key),
            message: message_for(key).to_string(),
        }
    }

    /// A field problem with an explicit code and message.
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// `error-too-long` → `too_long`.
fn code_of(key: &str) -> String {
    key.strip_prefix("error-").unwrap_or(key).replace('-', "_")
}

/// Plain-English messages for the core's message keys.
pub fn message_for(key: &str) -> &'static str {
    match key {
        "error-required" => "This field is required.",
        "error-too-long" => "This text is too long.",
        "error-invalid-characters" => "This text contains characters that are not allowed.",
        "error-invalid-datetime" => {
            "Not a valid date and time; use RFC 3339, e.g. 2026-11-24T09:15:00Z."
        }
        "error-in-future" => "This moment lies in the future.",
        "error-too-long-ago" => "This moment lies more than ten years in the past.",
        "error-unknown-school" => "No active school with this id exists in the board.",
        "error-school-required" => {
            "Name the school (school_id): the board cannot be determined otherwise."
        }
        "error-board-required" => "The board cannot be determined.",
        "error-invalid-choice" => "Not one of the allowed values.",
        "error-invalid-email" => "Not a valid e-mail address.",
        "error-invalid-phone" => {
            "Not a valid phone number (digits, spaces, +, - and parentheses; at least six digits)."
        }
        "error-override-reason-required" => {
            "A priority that differs from the matrix needs a reason."
        }
        "error-priority-below-floor" => "Breaches and cyber-security incidents are at least P2.",
        "error-unknown-assignee" => "This person cannot be assigned to this incident.",
        "error-password-too-short" => "The password must be at least 12 characters long.",
        "error-invalid-brin" => {
            "Not a valid BRIN: four characters (e.g. 12AB), optionally followed by a two-digit vestigingsnummer."
        }
        _ => "This value is not valid.",
    }
}

/// An API error, ready to be sent as problem details.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The body (boxed to keep `Result<_, ApiError>` small).
    pub problem: Box<Problem>,
    /// Extra response headers (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A problem with a status, a type slug (`urn:meldpunt:problem:<slug>`), a title and a detail.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem: Box::new(Problem {
                type_: format!("urn:meldpunt:problem:{slug}"),
                title: title.to_string(),
                status: status.as_u16(),
                detail: detail.into(),
                code: None,
                errors: Vec::new(),
            }),
            headers: Vec::new(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 400 naming the invalid parameters.
    pub fn invalid_parameters(errors: Vec<FieldProblem>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameters",
            "Invalid parameters",
            "One or more parameters are not valid; see `errors`.",
        );
        e.problem.errors = errors;
        e
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<String>, invalid_token: bool) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        let challenge = if invalid_token {
            r#"Bearer realm="meldpunt", error="invalid_token""#
        } else {
            r#"Bearer realm="meldpunt""#
        };
        e.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        ));
        e
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 422 with field errors.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid input",
            "One or more fields are not valid; see `errors`.",
        );
        e.problem.errors = errors;
        e
    }

    /// Renames fields in `errors` (core names → API names), e.g. `email` → `reporter_email`.
    pub fn rename_fields(mut self, map: &[(&str, &str)]) -> Self {
        for err in &mut self.problem.errors {
            if let Some((_, to)) = map.iter().find(|(from, _)| *from == err.field) {
                err.field = (*to).to_string();
            }
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self.problem).unwrap_or_else(|_| "{}".into());
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (k, v) in self.headers {
            res.headers_mut().insert(k, v);
        }
        res
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(v: ValidationErrors) -> Self {
        ApiError::validation(
            v.0.iter()
                .map(|e| FieldProblem::from_key(e.field, e.code))
                .collect(),
        )
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        if let LifecycleError::MissingText { field } = e {
            return ApiError::validation(vec![FieldProblem::from_key(field, "error-required")]);
        }
        let code = match &e {
            LifecycleError::NotAllowed { .. } => "not_allowed",
            LifecycleError::NotTriaged => "not_triaged",
            LifecycleError::EvaluationRequired => "evaluation_required",
            LifecycleError::AlreadyAssigned => "already_assigned",
            LifecycleError::AlreadyContained => "already_contained",
            LifecycleError::BreachDecisionOpen => "breach_decision_open",
            LifecycleError::MissingText { .. } => "missing_text",
        };
        let mut p = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "lifecycle",
            "Not allowed in the incident's current state",
            format!("{}.", capitalise(&e.to_string())),
        );
        p.problem.code = Some(code.into());
        p
    }
}

impl From<PriorityError> for ApiError {
    fn from(e: PriorityError) -> Self {
        match e {
            PriorityError::OverrideWithoutReason => {
                ApiError::validation(vec![FieldProblem::from_key(
                    "override_reason",
                    "error-override-reason-required",
                )])
            }
            PriorityError::BelowFloor => ApiError::validation(vec![FieldProblem::from_key(
                "priority_override",
                "error-priority-below-floor",
            )]),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(v) => v.into(),
            AppError::Lifecycle(l) => l.into(),
            AppError::Priority(p) => p.into(),
            AppError::Unauthenticated => {
                ApiError::unauthorized("The bearer token is missing, unknown or revoked.", true)
            }
            AppError::Throttled => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many requests",
                "Too many attempts; try again later.",
            ),
            AppError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "Your roles do not allow this.",
            ),
            AppError::NotFound => {
                ApiError::not_found("No such incident, or it is not visible to you.")
            }
            AppError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                format!("{}.", capitalise(&what)),
            ),
            AppError::Store(err) => {
                tracing::error!(error = %err, "storage error in API request");
                internal()
            }
            AppError::Internal(err) => {
                tracing::error!(error = %err, "internal error in API request");
                internal()
            }
        }
    }
}

/// 500 without internals.
fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal server error",
        "Something went wrong on the server; the error has been logged.",
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
