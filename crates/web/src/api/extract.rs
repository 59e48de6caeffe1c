//! Extractors whose every rejection is a problem+json response.

use super::problem::{ApiError, FieldProblem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use meldpunt_app::AppError;
use meldpunt_core::auth::Principal;
use meldpunt_core::ids::{IncidentId, IncidentNumber};
use serde::de::DeserializeOwned;

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "Send an API token as `Authorization: Bearer <token>`.",
                false,
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "The Authorization header must use the Bearer scheme: `Bearer <token>`.",
                    true,
                )
            })?;
        match state.app.token_principal(token).await {
            Ok(p) => Ok(Caller(p)),
            Err(AppError::Unauthenticated) => Err(ApiError::unauthorized(
                "The bearer token is unknown or revoked.",
                true,
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// How the path names an incident: by id or by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentRef {
    /// `/incidents/0193…` (UUID).
    Id(IncidentId),
    /// `/incidents/2026-0042`.
    Number(IncidentNumber),
}

impl<S: Send + Sync> FromRequestParts<S> for IncidentRef {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("Invalid path: {}", e.body_text())))?;
        if let Ok(id) = raw.parse::<IncidentId>() {
            return Ok(IncidentRef::Id(id));
        }
        if raw.len() <= 20 {
            if let Ok(n) = raw.parse::<IncidentNumber>() {
                return Ok(IncidentRef::Number(n));
            }
        }
        Err(ApiError::invalid_parameters(vec![FieldProblem::new(
            "id",
            "invalid_id",
            "Not an incident id: use the UUID or the number, e.g. 2026-0042.",
        )]))
    }
}

/// All query parameters as name-value pairs, in order.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(v)| QueryPairs(v))
            .map_err(|e| {
                ApiError::bad_request(format!("Malformed query string: {}", e.body_text()))
            })
    }
}

/// A JSON request body. Rejections: 415 without a JSON content type, 413 when too large,
/// 400 for malformed JSON, 422 naming the field when the JSON does not fit the schema.
pub struct ApiJson<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "Request body too large",
                    format!(
                        "The request body may be at most {} KiB.",
                        super::BODY_LIMIT / 1024
                    ),
                )
            } else {
                ApiError::bad_request(format!(
                    "Could not read the request body: {}",
                    e.body_text()
                ))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body into `T`, mapping serde's errors onto problems.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "The request body is empty; send a JSON object.",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => data_error(&path, &inner),
                _ => ApiError::bad_request(format!("Malformed JSON: {inner}.")),
            });
        }
    };
    de.end()
        .map_err(|e| ApiError::bad_request(format!("Malformed JSON: {e}.")))?;
    Ok(value)
}

/// A JSON value of the wrong shape: 422 naming the field.
fn data_error(path: &str, err: &serde_json::Error) -> ApiError {
    // serde's message without " at line 1 column 20".
    let full = err.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let quoted = |prefix: &str| {
        msg.strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .map(str::to_string)
    };
    let nested = |f: String| {
        if path == "." || path.is_empty() {
            f
        } else {
            format!("{path}.{f}")
        }
    };
    let (field, code, message) = if let Some(f) = quoted("missing field `") {
        (nested(f), "required", "This field is required.".to_string())
    } else if let Some(f) = quoted("unknown field `") {
        // The path already ends with the unknown key.
        let f = if path == "." || path.is_empty() {
            f
        } else {
            path.to_string()
        };
        (f, "unknown_field", format!("Unknown field; {msg}."))
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        (
            path.to_string(),
            "invalid_type",
            format!("Wrong type: {rest}."),
        )
    } else {
        (
            path.to_string(),
            "invalid_value",
            format!("Invalid value: {msg}."),
        )
    };
    let field = if field.is_empty() || field == "." {
        "body".to_string()
    } else {
        field
    };
    ApiError::validation(vec![FieldProblem::new(&field, code, message)])
}
