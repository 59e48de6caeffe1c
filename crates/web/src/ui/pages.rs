//! Home, the stylesheet, and the simple message pages (404, 403, 500, …).

use super::Page as _;
use super::{page, render, see_other, Ctx, Layout};
use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meldpunt_app::core::auth::BoardAction;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/static/meldpunt.css";
/// The one stylesheet, embedded so the binary is self-contained.
const CSS: &str = include_str!("../../static/meldpunt.css");

/// The stylesheet URL with a content hash: a changed file gets a new URL, so it may be cached long.
pub fn css_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let h = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("{CSS_PATH}?v={}", &h[..12])
    })
}

/// `GET /static/meldpunt.css`
pub async fn css() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

/// A heading and one paragraph.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// Frame.
    pub l: Layout,
    /// The text.
    pub text: String,
}

/// The visitor's start page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    l: Layout,
}

page!(MessagePage, HomePage);

/// `GET /`: visitors see the start page; logged-in people go to their work.
pub async fn home(ctx: Ctx) -> Response {
    if let Some(s) = &ctx.session {
        let p = &s.principal;
        let boards = p.boards();
        if boards
            .iter()
            .any(|b| p.may_in_board(BoardAction::ViewRegister, *b))
        {
            return see_other("/incidenten");
        }
        if boards
            .iter()
            .any(|b| p.may_in_board(BoardAction::ManageUsers, *b))
        {
            return see_other("/beheer");
        }
    }
    render(
        StatusCode::OK,
        &HomePage {
            l: ctx.layout("home-title", "home"),
        },
    )
}

/// Any unknown path.
pub async fn not_found(ctx: Ctx) -> Response {
    ctx.not_found()
}
