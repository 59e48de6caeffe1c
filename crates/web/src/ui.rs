//! The HTML UI (placeholder; being written).

use crate::AppState;
use axum::Router;

/// UI routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
