//! The server-rendered HTML UI: Dutch first, English complete, no JavaScript needed.
//!
//! Every page renders an askama template whose strings come from Fluent (`i18n`). Handlers
//! parse input, call one use case on `App`, and render or redirect (POST → 303 → GET).

mod admin;
mod auth;
mod breach;
pub mod i18n;
mod incidents;
mod limits;
mod pages;
mod report;
mod sla;

use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::{HeaderValue, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
pub use i18n::Lang;
use i18n::{i18n, tr};
use meldpunt_app::core::auth::{BoardAction, Principal};
use meldpunt_app::core::lifecycle::LifecycleError;
use meldpunt_app::core::validation::ValidationErrors;
use meldpunt_app::AppError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "mp_session";
/// Largest form body the UI accepts.
const BODY_LIMIT: usize = 64 * 1024;

/// UI routes.
pub fn router() -> Router<AppState> {
    // Limiters live per router, so separate test routers never share buckets.
    let limiters = Arc::new(limits::Limiters::default());
    Router::new()
        .route("/", get(pages::home))
        .route(pages::CSS_PATH, get(pages::css))
        .route("/melden", get(report::form).post(report::submit))
        .route("/melden/ontvangen", get(report::receipt))
        .route(
            "/volgen/{token}",
            get(report::followup).post(report::followup_add),
        )
        .route("/inloggen", get(auth::login_form).post(auth::login))
        .route("/uitloggen", post(auth::logout))
        .route("/incidenten", get(incidents::register))
        .route("/incidenten/{id}", get(incidents::detail))
        .route("/incidenten/{id}/{action}", post(incidents::action))
        .route("/incidenten/{id}/datalek", get(breach::show))
        .route(
            "/incidenten/{id}/datalek/meldpakket",
            get(breach::pack_page),
        )
        .route(
            "/incidenten/{id}/datalek/meldpakket.pdf",
            get(breach::pack_pdf),
        )
        .route("/incidenten/{id}/datalek/{action}", post(breach::action))
        .route("/datalekken", get(breach::register))
        .route("/datalekken/export.csv", get(breach::export_csv))
        .route("/datalekken/export.xlsx", get(breach::export_xlsx))
        .route(
            "/datalekken/instellingen",
            get(breach::settings).post(breach::save_settings),
        )
        .route("/beheer", get(admin::page))
        .route("/beheer/bestuur", post(admin::update_board))
        .route("/beheer/scholen", post(admin::add_school))
        .route("/beheer/gebruikers", post(admin::add_user))
        .merge(sla::router())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(Extension(limiters))
        .layer(middleware::from_fn(i18n::negotiate))
}

/// A logged-in person, from the session cookie.
#[derive(Clone)]
pub struct Session {
    /// The session token (the cookie value).
    pub token: String,
    /// Who.
    pub principal: Principal,
    /// The synchroniser token for this session's forms.
    pub csrf: String,
}

/// What every handler knows about the request: language, session, path, peer.
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// The session, when logged in.
    pub session: Option<Session>,
    /// Path and query of this request (for `next=` and the language switch).
    pub path: String,
    /// The peer address when the server provides it (no `X-Forwarded-For`: it can be forged).
    pub peer: Option<IpAddr>,
    /// In-memory rate limiters.
    pub limiters: Arc<limits::Limiters>,
    /// Headers, for the same-origin check.
    pub headers: axum::http::HeaderMap,
    /// Send cookies with `Secure`.
    pub secure_cookies: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let limiters = parts
            .extensions
            .get::<Arc<limits::Limiters>>()
            .cloned()
            .unwrap_or_default();
        let mut ctx = Ctx {
            lang,
            session: None,
            path,
            peer,
            limiters,
            headers: parts.headers.clone(),
            secure_cookies: state.config.secure_cookies,
        };
        if let Some(token) = i18n::cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty())
        {
            match state.app.session(token).await {
                Ok((principal, csrf)) => {
                    ctx.session = Some(Session {
                        token: token.to_string(),
                        principal,
                        csrf,
                    })
                }
                Err(AppError::Unauthenticated) => {}
                Err(e) => return Err(ctx.fail(e)),
            }
        }
        Ok(ctx)
    }
}

/// Data every page's frame needs (header, navigation, language switch).
pub struct Layout {
    /// Page language.
    pub lang: Lang,
    /// The `<title>` and `<h1>`.
    pub title: String,
    /// Logged-in person's name.
    pub user_name: Option<String>,
    /// Show the register link.
    pub nav_register: bool,
    /// Show the administration link.
    pub nav_admin: bool,
    /// Show the breach register link.
    pub nav_breaches: bool,
    /// Show the service-level link (dashboard or SLA settings).
    pub nav_sla: bool,
    /// Show the on-call rota link.
    pub nav_oncall: bool,
    /// The session's CSRF token ("" when not logged in).
    pub csrf: String,
    /// This page in the other language.
    pub switch_href: String,
    /// Which navigation item is current.
    pub active: &'static str,
    /// Stylesheet URL with a content hash, so it can be cached for a long time.
    pub css_href: &'static str,
}

/// Templates that have a `Layout`; gives them `t()`/`ta()` in templates.
pub trait Page {
    /// The frame data.
    fn layout(&self) -> &Layout;

    /// A translated message.
    fn t(&self, key: &str) -> String {
        i18n().get(self.layout().lang, key, &[])
    }

    /// A translated message with one argument.
    fn ta(&self, key: &str, name: &str, value: &str) -> String {
        i18n().get(self.layout().lang, key, &[(name, value)])
    }
}

/// Implements `Page` for template structs holding their frame in field `l`.
macro_rules! page {
    ($($t:ty),+ $(,)?) => { $(impl $crate::ui::Page for $t { fn layout(&self) -> &$crate::ui::Layout { &self.l } })+ };
}
pub(crate) use page;

impl Ctx {
    /// The principal, or a redirect to the login page that returns here.
    // The error is the finished response for the handler to return; one per request.
    #[allow(clippy::result_large_err)]
    pub fn require(&self) -> Result<&Session, Response> {
        self.session.as_ref().ok_or_else(|| self.login_redirect())
    }

    fn login_redirect(&self) -> Response {
        let next = if self.path.starts_with("/inloggen") {
            "/".to_string()
        } else {
            self.path.clone()
        };
        see_other(&format!("/inloggen?next={}", urlencode(&next)))
    }

    /// The frame of a page titled by message `title_key`.
    pub fn layout(&self, title_key: &str, active: &'static str) -> Layout {
        self.layout_titled(tr(self.lang, title_key), active)
    }

    /// The frame of a page with an already translated title.
    pub fn layout_titled(&self, title: String, active: &'static str) -> Layout {
        let nav_breaches = self.session.as_ref().is_some_and(|s| {
            s.principal.grants.iter().any(|g| {
                use meldpunt_app::core::auth::Role;
                matches!(
                    g.role,
                    Role::IncidentManager | Role::IbpOfficer | Role::Dpo | Role::BoardMember
                )
            })
        });
        let (nav_sla, nav_oncall) = self.session.as_ref().map_or((false, false), |s| {
            let p = &s.principal;
            (
                !meldpunt_app::sla::dashboard_boards(p).is_empty()
                    || p.boards()
                        .iter()
                        .any(|b| meldpunt_app::sla::may_configure(p, *b)),
                !meldpunt_app::oncall::rota_boards(p).is_empty(),
            )
        });
        let (user_name, nav_register, nav_admin, csrf) = match &self.session {
            Some(s) => {
                let p = &s.principal;
                let boards = p.boards();
                (
                    Some(p.name.clone()),
                    boards
                        .iter()
                        .any(|b| p.may_in_board(BoardAction::ViewRegister, *b)),
                    boards
                        .iter()
                        .any(|b| p.may_in_board(BoardAction::ManageUsers, *b)),
                    s.csrf.clone(),
                )
            }
            None => (None, false, false, String::new()),
        };
        Layout {
            lang: self.lang,
            title,
            user_name,
            nav_register,
            nav_admin,
            nav_breaches,
            nav_sla,
            nav_oncall,
            csrf,
            switch_href: self.switch_href(),
            active,
            css_href: pages::css_href(),
        }
    }

    /// This page's URL with `lang` set to the other language (other parameters kept).
    fn switch_href(&self) -> String {
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let mut parts: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let lang = format!("lang={}", self.lang.other().code());
        parts.push(&lang);
        format!("{path}?{}", parts.join("&"))
    }

    /// A translated message.
    pub fn t(&self, key: &str) -> String {
        tr(self.lang, key)
    }

    /// Checks the synchroniser token of a logged-in form; 403 page when wrong or missing.
    // The error is the finished response for the handler to return; one per request.
    #[allow(clippy::result_large_err)]
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<&Session, Response> {
        let s = self.require()?;
        match sent {
            Some(v) if constant_time_eq(v.as_bytes(), s.csrf.as_bytes()) => Ok(s),
            _ => Err(self.message(StatusCode::FORBIDDEN, "csrf-title", "csrf-text")),
        }
    }

    /// For forms without a session (login, follow-up): refuse requests a browser marks as
    /// coming from another site.
    ///
    /// `Referrer-Policy: no-referrer` makes browsers send `Origin: null` on POSTs, so
    /// `Sec-Fetch-Site` is checked first; `Origin`/`Referer` are used when it is absent.
    /// Requests without any of these headers come from non-browser clients, which cannot be
    /// tricked into a cross-site request, and are allowed.
    // The error is the finished response for the handler to return; one per request.
    #[allow(clippy::result_large_err)]
    pub fn check_same_origin(&self) -> Result<(), Response> {
        let h = &self.headers;
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
        let host = get("host");
        let same_host = |url: &str| -> bool {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            match (rest, host) {
                (Some(r), Some(host)) => r.split('/').next() == Some(host),
                _ => false,
            }
        };
        let ok = if let Some(site) = get("sec-fetch-site") {
            site == "same-origin"
        } else if let Some(origin) = get("origin") {
            origin != "null" && same_host(origin)
        } else if let Some(referer) = get("referer") {
            same_host(referer)
        } else {
            true
        };
        if ok {
            Ok(())
        } else {
            Err(self.message(StatusCode::FORBIDDEN, "csrf-title", "origin-text"))
        }
    }

    /// A simple page with a heading and a paragraph.
    pub fn message(&self, status: StatusCode, title_key: &str, text_key: &str) -> Response {
        let text = self.t(text_key);
        self.message_text(status, title_key, text)
    }

    /// A simple page with a heading and an already translated paragraph.
    pub fn message_text(&self, status: StatusCode, title_key: &str, text: String) -> Response {
        let page = pages::MessagePage {
            l: self.layout(title_key, ""),
            text,
        };
        render(status, &page)
    }

    /// Maps a use-case error to a response; internal details are logged, never shown.
    pub fn fail(&self, e: AppError) -> Response {
        match e {
            AppError::Validation(v) => {
                let text = validation_summary(self.lang, &v);
                self.message_text(StatusCode::UNPROCESSABLE_ENTITY, "invalid-title", text)
            }
            AppError::Lifecycle(l) => self.message_text(
                StatusCode::UNPROCESSABLE_ENTITY,
                "lifecycle-title",
                lifecycle_message(self.lang, &l),
            ),
            AppError::Priority(p) => self.message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-title",
                match p {
                    meldpunt_app::core::priority::PriorityError::OverrideWithoutReason => {
                        "error-override-reason-required"
                    }
                    meldpunt_app::core::priority::PriorityError::BelowFloor => {
                        "error-priority-below-floor"
                    }
                },
            ),
            AppError::Unauthenticated => self.login_redirect(),
            AppError::Throttled => self.message(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled-title",
                "throttled-text",
            ),
            AppError::Forbidden => {
                self.message(StatusCode::FORBIDDEN, "forbidden-title", "forbidden-text")
            }
            AppError::NotFound => self.not_found(),
            AppError::Conflict(what) => {
                tracing::info!(%what, "conflict");
                self.message(StatusCode::CONFLICT, "conflict-title", "conflict-text")
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, path = %self.path, "storage error");
                self.internal()
            }
            AppError::Internal(e) => {
                tracing::error!(error = %e, path = %self.path, "internal error");
                self.internal()
            }
        }
    }

    /// The 404 page.
    pub fn not_found(&self) -> Response {
        self.message(StatusCode::NOT_FOUND, "not-found-title", "not-found-text")
    }

    /// The 500 page.
    pub fn internal(&self) -> Response {
        self.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-title",
            "internal-text",
        )
    }

    /// A `Set-Cookie` value with the common attributes.
    pub fn cookie(&self, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let c = format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        );
        HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Renders a template with a status; a template error is logged and becomes a plain 500.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><html lang=\"nl\"><title>Fout</title><h1>Er ging iets mis</h1></html>"),
            )
                .into_response()
        }
    }
}

/// 303 See Other to a local path.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut r: Response, c: HeaderValue) -> Response {
    r.headers_mut().append(SET_COOKIE, c);
    r
}

/// Compares secrets without an early exit, so timing does not reveal a matching prefix.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only local paths are valid `next=` targets: no scheme, no `//host`, no backslashes.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Formats an instant as Dutch local time, `dd-mm-yyyy HH:MM`.
pub fn local_time(t: jiff::Timestamp) -> String {
    t.in_tz("Europe/Amsterdam")
        .map(|z| z.strftime("%d-%m-%Y %H:%M").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// Optional instant, or "" when absent.
pub fn opt_time(t: Option<jiff::Timestamp>) -> String {
    t.map(local_time).unwrap_or_default()
}

/// Field errors translated for a form: summary entries link to the fields.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    /// Translates validation errors.
    pub fn from_validation(lang: Lang, v: &ValidationErrors) -> Self {
        Self(
            v.0.iter()
                .map(|e| (e.field.to_string(), tr(lang, e.code)))
                .collect(),
        )
    }

    /// One error.
    pub fn one(lang: Lang, field: &str, key: &str) -> Self {
        Self(vec![(field.to_string(), tr(lang, key))])
    }

    /// The message for a field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// All validation messages in one sentence list, for pages without a form to attach them to.
pub fn validation_summary(lang: Lang, v: &ValidationErrors) -> String {
    v.0.iter()
        .map(|e| tr(lang, e.code))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A lifecycle refusal in the reader's language.
pub fn lifecycle_message(lang: Lang, e: &LifecycleError) -> String {
    let i = i18n();
    match e {
        LifecycleError::NotAllowed { command, status } => {
            let c = i.get(lang, &i18n::vocab_key("command", command), &[]);
            let s = i18n::label(lang, "status", status.code());
            i.get(
                lang,
                "lifecycle-not-allowed",
                &[("command", &c), ("status", &s)],
            )
        }
        LifecycleError::NotTriaged => tr(lang, "lifecycle-not-triaged"),
        LifecycleError::EvaluationRequired => tr(lang, "lifecycle-evaluation-required"),
        LifecycleError::MissingText { .. } => tr(lang, "lifecycle-missing-text"),
        LifecycleError::AlreadyAssigned => tr(lang, "lifecycle-already-assigned"),
        LifecycleError::AlreadyContained => tr(lang, "lifecycle-already-contained"),
        LifecycleError::BreachDecisionOpen => tr(lang, "lifecycle-breach-decision-open"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/incidenten?x=1")), "/incidenten?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn times_are_amsterdam() {
        let t: jiff::Timestamp = "2026-11-24T09:15:00Z".parse().unwrap();
        assert_eq!(local_time(t), "24-11-2026 10:15");
    }

    #[test]
    fn ct_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
