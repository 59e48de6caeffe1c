//! Meldpunt's web layer: the Dutch-first HTML UI (server-rendered, works without JavaScript) and
//! the JSON API under `/api/v1`. Handlers parse input, call a use case in `meldpunt-app`, render.

pub mod api;
pub mod ui;

pub use api::openapi_json;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use meldpunt_app::App;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set the `Secure` flag on cookies (behind HTTPS).
    pub secure_cookies: bool,
    /// Reports accepted per IP address per minute on the public form.
    pub report_rate_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            report_rate_per_minute: 10,
        }
    }
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Web settings.
    pub config: std::sync::Arc<WebConfig>,
}

/// The complete router: UI, API, health.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState {
        app,
        config: std::sync::Arc::new(config),
    };
    use axum::http::{header, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    // Security headers on every response. `if_not_present` lets a handler choose otherwise
    // (the stylesheet sets its own long Cache-Control). Referrer-Policy no-referrer because
    // the reporter's follow-up URL contains a secret.
    let csp = "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";
    Router::new()
        .route("/healthz", get(healthz))
        .merge(ui::router())
        .merge(api::router())
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // A bug in a handler must not drop the connection without an answer: log it, answer 500.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
}

/// The answer when a handler panicked: a plain bilingual 500 without internals.
fn on_panic(
    _err: Box<dyn std::any::Any + Send + 'static>,
) -> axum::http::Response<axum::body::Body> {
    tracing::error!("a request handler panicked");
    let body = "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>Er ging iets mis</title>\
<h1>Er ging iets mis</h1><p>Probeer het later opnieuw. / Something went wrong; please try again later.</p></html>";
    let mut r = axum::http::Response::new(axum::body::Body::from(body));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(s): State<AppState>) -> (StatusCode, &'static str) {
    if s.app.store.ping().await {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}
