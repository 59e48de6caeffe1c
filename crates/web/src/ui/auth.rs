//! Logging in and out. The session cookie holds the token from `App::login`.

use super::limits::LOGIN_PER_MINUTE;
use super::Page as _;
use super::{page, render, safe_next, see_other, with_cookie, Ctx, Layout, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use meldpunt_app::AppError;
use serde::Deserialize;

/// Session lifetime in the cookie; matches `meldpunt_app::accounts::SESSION_TTL`.
const SESSION_MAX_AGE: i64 = 12 * 3600;

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    l: Layout,
    next: String,
    email: String,
    error: Option<String>,
}
page!(LoginPage);

/// `?next=`
#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form's fields.
#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `GET /inloggen`
pub async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    if ctx.session.is_some() {
        return see_other(&next);
    }
    render(
        StatusCode::OK,
        &LoginPage {
            l: ctx.layout("login-title", "login"),
            next,
            email: String::new(),
            error: None,
        },
    )
}

/// `POST /inloggen`
pub async fn login(ctx: Ctx, State(s): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    if let Err(r) = ctx.check_same_origin() {
        return r;
    }
    let next = safe_next(f.next.as_deref());
    let page = |status: StatusCode, key: &str| {
        render(
            status,
            &LoginPage {
                l: ctx.layout("login-title", "login"),
                next: next.clone(),
                email: f.email.clone(),
                error: Some(ctx.t(key)),
            },
        )
    };
    if !ctx.limiters.login.has_token(ctx.peer, LOGIN_PER_MINUTE) {
        return page(StatusCode::TOO_MANY_REQUESTS, "login-throttled");
    }
    match s.app.login(f.email.trim(), &f.password).await {
        Ok(out) => {
            let c = ctx.cookie(SESSION_COOKIE, &out.token, "/", SESSION_MAX_AGE);
            with_cookie(see_other(&next), c)
        }
        Err(AppError::Unauthenticated) => {
            // Only failures count, so a busy school network behind one address can still log in.
            ctx.limiters.login.try_take(ctx.peer, LOGIN_PER_MINUTE);
            page(StatusCode::UNAUTHORIZED, "login-failed")
        }
        Err(AppError::Throttled) => page(StatusCode::TOO_MANY_REQUESTS, "login-throttled"),
        Err(e) => ctx.fail(e),
    }
}

/// The logout form.
#[derive(Deserialize, Default)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /uitloggen`
pub async fn logout(ctx: Ctx, State(s): State<AppState>, Form(f): Form<CsrfForm>) -> Response {
    if ctx.session.is_none() {
        return see_other("/");
    }
    let session = match ctx.check_csrf(f.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = s.app.logout(&session.token, &session.principal).await {
        return ctx.fail(e);
    }
    with_cookie(see_other("/"), ctx.cookie(SESSION_COOKIE, "", "/", 0))
}
