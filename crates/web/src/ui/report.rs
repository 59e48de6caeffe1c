//! The public report form, the receipt and the reporter's follow-up page. No account needed.

use super::Page as _;
use super::{page, render, see_other, with_cookie, Ctx, FieldErrors, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use meldpunt_app::core::incident::Status;
use meldpunt_app::core::report::{NewReport, ReportInput};
use meldpunt_app::{Actor, AppError};
use serde::Deserialize;

/// Cookie that carries the follow-up token from the POST to the receipt page.
const RECEIPT_COOKIE: &str = "mp_receipt";
/// The receipt cookie's lifetime: long enough to read and save the link, short on shared PCs.
const RECEIPT_MAX_AGE: i64 = 15 * 60;

/// The report form's fields as typed (kept on errors).
#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    school_id: String,
    #[serde(default)]
    personal_data: String,
    #[serde(default)]
    ongoing: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    /// Honeypot: hidden from people; bots fill it in.
    #[serde(default)]
    website: String,
}

/// A board and its active schools, for the school select.
pub struct SchoolGroup {
    board: String,
    schools: Vec<(String, String)>,
}

/// The report form page.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    l: Layout,
    f: ReportForm,
    errors: FieldErrors,
    groups: Vec<SchoolGroup>,
    /// Several boards: the school is required and options are grouped by board.
    grouped: bool,
    /// Hidden when the only board has no schools.
    show_school: bool,
}

/// The receipt page.
#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    l: Layout,
    number: String,
    link: String,
    path: String,
}

/// One public timeline entry for the reporter.
pub struct PublicEvent {
    at: String,
    label: String,
    body: Option<String>,
}

/// The follow-up page.
#[derive(Template)]
#[template(path = "followup.html")]
pub struct FollowupPage {
    l: Layout,
    number: String,
    status: String,
    summary: String,
    events: Vec<PublicEvent>,
    can_add: bool,
    action: String,
    text: String,
    errors: FieldErrors,
    added: bool,
}

page!(ReportPage, ReceiptPage, FollowupPage);

async fn school_groups(s: &AppState) -> Result<Vec<SchoolGroup>, AppError> {
    let mut out = Vec::new();
    for b in s.app.store.boards().await? {
        let schools = s
            .app
            .store
            .schools(b.id)
            .await?
            .into_iter()
            .filter(|x| x.active)
            .map(|x| (x.id.to_string(), x.name))
            .collect();
        out.push(SchoolGroup {
            board: b.name,
            schools,
        });
    }
    Ok(out)
}

async fn report_page(
    ctx: &Ctx,
    s: &AppState,
    status: StatusCode,
    f: ReportForm,
    errors: FieldErrors,
) -> Response {
    let groups = match school_groups(s).await {
        Ok(g) => g,
        Err(e) => return ctx.fail(e),
    };
    let grouped = groups.len() > 1;
    let show_school = grouped || groups.iter().any(|g| !g.schools.is_empty());
    let mut title = ctx.layout("report-title", "report");
    if !errors.is_empty() {
        title.title = format!("{} {}", ctx.t("title-error-prefix"), title.title);
    }
    render(
        status,
        &ReportPage {
            l: title,
            f,
            errors,
            groups,
            grouped,
            show_school,
        },
    )
}

/// `GET /melden`
pub async fn form(ctx: Ctx, State(s): State<AppState>) -> Response {
    let f = ReportForm {
        personal_data: String::new(),
        ..ReportForm::default()
    };
    report_page(&ctx, &s, StatusCode::OK, f, FieldErrors::default()).await
}

fn opt(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// `POST /melden`
pub async fn submit(ctx: Ctx, State(s): State<AppState>, Form(f): Form<ReportForm>) -> Response {
    if !ctx
        .limiters
        .report
        .try_take(ctx.peer, s.config.report_rate_per_minute)
    {
        return ctx.message(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited-title",
            "rate-limited-text",
        );
    }
    if !f.website.is_empty() {
        // A bot filled in the hidden field: answer as if it worked, store nothing.
        tracing::info!("report honeypot triggered");
        return see_other("/melden/ontvangen");
    }
    let input = ReportInput {
        summary: opt(&f.summary),
        description: &f.description,
        occurred_at: opt(&f.occurred_at),
        school_id: opt(&f.school_id),
        personal_data: opt(&f.personal_data),
        ongoing: opt(&f.ongoing),
        name: opt(&f.name),
        email: opt(&f.email),
        phone: opt(&f.phone),
    };
    let report = match NewReport::parse(&input, s.app.now()) {
        Ok(r) => r,
        Err(v) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            return report_page(&ctx, &s, StatusCode::UNPROCESSABLE_ENTITY, f, errors).await;
        }
    };
    match s
        .app
        .report_incident(&Actor::Reporter, report, None, false)
        .await
    {
        Ok(receipt) => {
            let c = ctx.cookie(
                RECEIPT_COOKIE,
                &receipt.followup_token,
                "/melden/ontvangen",
                RECEIPT_MAX_AGE,
            );
            with_cookie(see_other("/melden/ontvangen"), c)
        }
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            report_page(&ctx, &s, StatusCode::UNPROCESSABLE_ENTITY, f, errors).await
        }
        Err(e) => ctx.fail(e),
    }
}

/// `GET /melden/ontvangen`: number and private link, from the short-lived receipt cookie.
pub async fn receipt(ctx: Ctx, State(s): State<AppState>) -> Response {
    let token = super::i18n::cookie(&ctx.headers, RECEIPT_COOKIE)
        .unwrap_or("")
        .to_string();
    if token.is_empty() {
        return ctx.message(StatusCode::OK, "receipt-gone-title", "receipt-gone-text");
    }
    match s.app.followup(&token).await {
        Ok((incident, _)) => {
            let path = format!("/volgen/{token}");
            render(
                StatusCode::OK,
                &ReceiptPage {
                    l: ctx.layout("receipt-title", "report"),
                    number: incident.number.to_string(),
                    link: format!("{}{path}", s.app.config.public_base_url),
                    path,
                },
            )
        }
        Err(AppError::NotFound) => {
            ctx.message(StatusCode::OK, "receipt-gone-title", "receipt-gone-text")
        }
        Err(e) => ctx.fail(e),
    }
}

fn public_label(ctx: &Ctx, event_type: &str, details: &str) -> String {
    // Status changes show the new status; other events their own name.
    let to = serde_json::from_str::<serde_json::Value>(details)
        .ok()
        .and_then(|v| v.get("to").and_then(|t| t.as_str()).map(str::to_string));
    match (event_type, to) {
        ("note" | "reporter_info" | "reported", _) | (_, None) => {
            ctx.t(&super::incidents::event_key(event_type))
        }
        (_, Some(to)) => {
            let status = super::i18n::label(ctx.lang, "status", &to);
            super::i18n::i18n().get(ctx.lang, "event-status-now", &[("status", &status)])
        }
    }
}

async fn followup_page(
    ctx: &Ctx,
    s: &AppState,
    token: &str,
    status: StatusCode,
    text: String,
    errors: FieldErrors,
) -> Response {
    let (incident, events) = match s.app.followup(token).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let events = events
        .iter()
        .map(|e| PublicEvent {
            at: super::local_time(e.at),
            label: public_label(ctx, &e.event_type, &e.details),
            body: e.body.clone(),
        })
        .collect();
    let mut l = ctx.layout("followup-title", "");
    if status != StatusCode::OK {
        l.title = format!("{} {}", ctx.t("title-error-prefix"), l.title);
    }
    render(
        status,
        &FollowupPage {
            l,
            number: incident.number.to_string(),
            status: super::i18n::label(ctx.lang, "status", incident.status.code()),
            summary: incident.summary.clone(),
            events,
            can_add: !matches!(incident.status, Status::Closed | Status::NotAnIncident),
            action: format!("/volgen/{token}"),
            text,
            errors,
            added: ctx.path.ends_with("?toegevoegd=1"),
        },
    )
}

/// `GET /volgen/{token}`
pub async fn followup(ctx: Ctx, State(s): State<AppState>, Path(token): Path<String>) -> Response {
    followup_page(
        &ctx,
        &s,
        &token,
        StatusCode::OK,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

/// The follow-up form.
#[derive(Deserialize, Default)]
pub struct FollowupForm {
    #[serde(default)]
    text: String,
}

/// `POST /volgen/{token}`: protected by the secret token and a same-origin check.
pub async fn followup_add(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<FollowupForm>,
) -> Response {
    if let Err(r) = ctx.check_same_origin() {
        return r;
    }
    match s.app.add_followup_info(&token, &f.text).await {
        Ok(_) => see_other(&format!("/volgen/{token}?toegevoegd=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            followup_page(
                &ctx,
                &s,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                f.text,
                errors,
            )
            .await
        }
        // Closed meanwhile: the page explains that nothing can be added any more.
        Err(AppError::Lifecycle(_)) => {
            followup_page(
                &ctx,
                &s,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                f.text,
                FieldErrors::default(),
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}
