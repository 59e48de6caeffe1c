//! `/beheer`: board settings, schools, accounts and delivery warnings (administrators).

use super::i18n::{label, tr};
use super::Page as _;
use super::{local_time, page, render, see_other, Ctx, FieldErrors, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::{BoardAction, Principal, Role};
use meldpunt_app::core::ids::{BoardId, SchoolId};
use meldpunt_app::store::accounts::Board;
use meldpunt_app::{Actor, AppError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An option of a select.
pub struct Opt {
    value: String,
    label: String,
}

/// A school row.
pub struct SchoolRow {
    name: String,
    brin: String,
    active: bool,
}

/// An account row.
pub struct UserRow {
    name: String,
    email: String,
    roles: String,
    active: bool,
}

/// A delivery warning.
pub struct Warning {
    at: String,
    recipient: String,
    subject: String,
    detail: String,
}

/// The administration page.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    schools: Vec<SchoolRow>,
    users: Vec<UserRow>,
    roles: Vec<Opt>,
    school_opts: Vec<Opt>,
    warnings: Vec<Warning>,
    mail_configured: bool,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    saved: bool,
}
page!(AdminPage);

impl AdminPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k)
    }
}

/// `?bestuur=` picks the board when a person administers several.
#[derive(Deserialize, Default)]
pub struct BoardQuery {
    bestuur: Option<String>,
    opgeslagen: Option<String>,
}

fn admin_boards(p: &Principal) -> Vec<BoardId> {
    p.boards()
        .into_iter()
        .filter(|b| p.may_in_board(BoardAction::ManageUsers, *b))
        .collect()
}

fn pick_board(p: &Principal, wanted: Option<&str>) -> Option<BoardId> {
    let boards = admin_boards(p);
    match wanted.and_then(|w| w.parse::<BoardId>().ok()) {
        Some(b) if boards.contains(&b) => Some(b),
        _ => boards.first().copied(),
    }
}

/// A posted form that failed, to show again with its input and errors.
#[derive(Default)]
struct Posted {
    /// Which form (`board`, `school`, `user`): prefixes field ids.
    form: &'static str,
    input: Vec<(String, String)>,
    errors: FieldErrors,
}

/// Renders the page for one board.
async fn admin_page(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    status: StatusCode,
    posted: Posted,
    saved: bool,
) -> Response {
    let Posted {
        form,
        input,
        errors,
    } = posted;
    let lang = ctx.lang;
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let store = &s.app.store;
    let b = match store.board(board).await {
        Ok(Some(b)) => b,
        Ok(None) => return ctx.not_found(),
        Err(e) => return ctx.fail(e.into()),
    };
    let mut boards = Vec::new();
    for id in admin_boards(&session.principal) {
        if let Ok(Some(x)) = store.board(id).await {
            boards.push(Opt {
                value: x.id.to_string(),
                label: x.name,
            });
        }
    }
    let schools = match store.schools(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e.into()),
    };
    let school_names: BTreeMap<SchoolId, String> =
        schools.iter().map(|s| (s.id, s.name.clone())).collect();
    let users = match store.users_in_board(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e.into()),
    };
    let undelivered = match store.undelivered_notifications(board, 20).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e.into()),
    };
    let mut values = BTreeMap::new();
    values.insert("board-name".into(), b.name.clone());
    for (k, v) in [
        ("board-kvk_number", &b.kvk_number),
        ("board-fg_registration", &b.fg_registration),
        ("board-contact_email", &b.contact_email),
        ("board-service_desk_email", &b.service_desk_email),
    ] {
        values.insert(k.into(), v.clone().unwrap_or_default());
    }
    for (k, v) in input {
        if k != "csrf" && k != "password" {
            values.insert(format!("{form}-{k}"), v);
        }
    }
    let errors = FieldErrors(
        errors
            .0
            .into_iter()
            .map(|(f, m)| (format!("{form}-{f}"), m))
            .collect(),
    );
    let mut l = ctx.layout("admin-title", "admin");
    if !errors.is_empty() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    render(
        status,
        &AdminPage {
            l,
            board_id: board.to_string(),
            boards,
            schools: schools
                .iter()
                .map(|s| SchoolRow {
                    name: s.name.clone(),
                    brin: s.brin.clone().unwrap_or_default(),
                    active: s.active,
                })
                .collect(),
            users: users
                .iter()
                .map(|(u, grants)| UserRow {
                    name: u.name.clone(),
                    email: u.email.clone(),
                    roles: grants
                        .iter()
                        .filter(|g| g.board_id == board)
                        .map(|g| {
                            let r = label(lang, "role", g.role.code());
                            match g.school_id.and_then(|s| school_names.get(&s)) {
                                Some(sn) => format!("{r} ({sn})"),
                                None => r,
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    active: u.active,
                })
                .collect(),
            roles: Role::ALL
                .iter()
                .map(|r| Opt {
                    value: r.code().into(),
                    label: label(lang, "role", r.code()),
                })
                .collect(),
            school_opts: schools
                .iter()
                .filter(|s| s.active)
                .map(|s| Opt {
                    value: s.id.to_string(),
                    label: s.name.clone(),
                })
                .collect(),
            warnings: undelivered
                .iter()
                .map(|n| Warning {
                    at: local_time(n.at),
                    recipient: n.recipient.clone(),
                    subject: n.subject.clone(),
                    detail: n.detail.clone().unwrap_or_default(),
                })
                .collect(),
            mail_configured: s.app.config.smtp_url.is_some(),
            values,
            errors,
            saved,
        },
    )
}

/// `GET /beheer`
pub async fn page(ctx: Ctx, State(s): State<AppState>, Query(q): Query<BoardQuery>) -> Response {
    let session = match ctx.require() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(board) = pick_board(&session.principal, q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    admin_page(
        &ctx,
        &s,
        board,
        StatusCode::OK,
        Posted::default(),
        q.opgeslagen.is_some(),
    )
    .await
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn opt(f: &[(String, String)], k: &str) -> Option<String> {
    Some(get(f, k).to_string()).filter(|s| !s.is_empty())
}

/// Shared part of the admin POSTs: CSRF, board choice, running the use case, answering.
async fn admin_post<F, Fut>(
    ctx: Ctx,
    s: AppState,
    input: Vec<(String, String)>,
    form: &'static str,
    run: F,
) -> Response
where
    F: FnOnce(AppState, Principal, BoardId, Vec<(String, String)>) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let session = match ctx.check_csrf(Some(get(&input, "csrf"))) {
        Ok(s) => s.clone(),
        Err(r) => return r,
    };
    let Some(board) = pick_board(&session.principal, Some(get(&input, "board"))) else {
        return ctx.fail(AppError::Forbidden);
    };
    match run(s.clone(), session.principal.clone(), board, input.clone()).await {
        Ok(()) => see_other(&format!("/beheer?bestuur={board}&opgeslagen=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            admin_page(
                &ctx,
                &s,
                board,
                StatusCode::UNPROCESSABLE_ENTITY,
                Posted {
                    form,
                    input,
                    errors,
                },
                false,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            // A unique value exists already: the e-mail of an account, else the name.
            let field = if form == "user" { "email" } else { "name" };
            let posted = Posted {
                form,
                input,
                errors: FieldErrors::one(ctx.lang, field, "error-already-exists"),
            };
            admin_page(&ctx, &s, board, StatusCode::CONFLICT, posted, false).await
        }
        Err(e) => ctx.fail(e),
    }
}

/// `POST /beheer/bestuur`
pub async fn update_board(
    ctx: Ctx,
    State(s): State<AppState>,
    Form(input): Form<Vec<(String, String)>>,
) -> Response {
    admin_post(ctx, s, input, "board", |s, p, board, f| async move {
        s.app
            .update_board(
                &Actor::User(&p),
                Board {
                    id: board,
                    name: get(&f, "name").to_string(),
                    kvk_number: opt(&f, "kvk_number"),
                    fg_registration: opt(&f, "fg_registration"),
                    contact_email: opt(&f, "contact_email"),
                    service_desk_email: opt(&f, "service_desk_email"),
                },
            )
            .await
    })
    .await
}

/// `POST /beheer/scholen`
pub async fn add_school(
    ctx: Ctx,
    State(s): State<AppState>,
    Form(input): Form<Vec<(String, String)>>,
) -> Response {
    admin_post(ctx, s, input, "school", |s, p, board, f| async move {
        s.app
            .add_school(
                &Actor::User(&p),
                board,
                get(&f, "name"),
                opt(&f, "brin").as_deref(),
            )
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /beheer/gebruikers`
pub async fn add_user(
    ctx: Ctx,
    State(s): State<AppState>,
    Form(input): Form<Vec<(String, String)>>,
) -> Response {
    admin_post(ctx, s, input, "user", |s, p, board, f| async move {
        let Some(role) = Role::from_code(get(&f, "role")) else {
            return Err(AppError::Validation(
                meldpunt_app::core::validation::ValidationErrors(vec![
                    meldpunt_app::core::validation::FieldError {
                        field: "role",
                        code: "error-invalid-choice",
                    },
                ]),
            ));
        };
        let school = match opt(&f, "school") {
            None => None,
            Some(x) => match x.parse::<SchoolId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    return Err(AppError::Validation(
                        meldpunt_app::core::validation::ValidationErrors(vec![
                            meldpunt_app::core::validation::FieldError {
                                field: "school",
                                code: "error-unknown-school",
                            },
                        ]),
                    ))
                }
            },
        };
        s.app
            .add_user(
                &Actor::User(&p),
                NewUser {
                    email: get(&f, "email").to_string(),
                    name: get(&f, "name").to_string(),
                    password: f
                        .iter()
                        .find(|(k, _)| k == "password")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    role,
                    board: Some(board),
                    school,
                },
            )
            .await
            .map(|_| ())
    })
    .await
}
