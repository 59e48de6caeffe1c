//! The JSON API (placeholder; being written).

use crate::AppState;
use axum::Router;

/// API routes, including `/api/v1/…` and `/api/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new()
}
