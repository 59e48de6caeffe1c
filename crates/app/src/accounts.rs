//! Boards, schools, accounts, logins, sessions and API tokens.

use crate::audit::{record, Actor};
use crate::secrets::{hash_password, new_token, token_hash, verify_password};
use crate::{App, AppError, AppResult};
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::auth::{check_password_policy, BoardAction, Principal, Role, RoleGrant};
use meldpunt_core::ids::{BoardId, SchoolId, UserId};
use meldpunt_core::validation::{is_plausible_email, Collector, ValidationErrors};
use meldpunt_store::accounts::{Board, School, Session, User};
use serde_json::json;

/// Failed logins before an account is locked for a while.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long an account stays locked.
pub const LOCK_DURATION: SignedDuration = SignedDuration::from_mins(15);
/// How long a session lasts.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login e-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password (checked against the policy).
    pub password: String,
    /// The role to grant.
    pub role: Role,
    /// Board; may be omitted when there is exactly one.
    pub board: Option<BoardId>,
    /// Limit the role to one school.
    pub school: Option<SchoolId>,
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The session token for the cookie (the database keeps only its hash).
    pub token: String,
    /// The CSRF token bound to the session.
    pub csrf_token: String,
    /// The person.
    pub principal: Principal,
}

fn check_admin(actor: &Actor<'_>, board: BoardId, action: BoardAction) -> AppResult<()> {
    match actor {
        Actor::Cli | Actor::System => Ok(()),
        Actor::User(p) if p.may_in_board(action, board) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

impl App {
    /// Makes sure at least one board exists; creates one named `name` on an empty install.
    pub async fn ensure_default_board(&self, name: &str) -> AppResult<BoardId> {
        if let Some(b) = self.store.boards().await?.first() {
            return Ok(b.id);
        }
        self.create_board(&Actor::System, name).await
    }

    /// Creates a board.
    pub async fn create_board(&self, actor: &Actor<'_>, name: &str) -> AppResult<BoardId> {
        if !matches!(actor, Actor::Cli | Actor::System) {
            return Err(AppError::Forbidden);
        }
        let mut c = Collector::default();
        let name = c.required_text("name", name, 200);
        c.finish()?;
        let now = self.now();
        let id = BoardId::new_v7(now);
        let mut tx = self.store.begin().await?;
        tx.insert_board(id, &name, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.create",
            Some(id.to_string()),
            Some(format!("board:{id}")),
            json!({ "name": name }),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Updates a board's settings (administrators).
    pub async fn update_board(&self, actor: &Actor<'_>, board: Board) -> AppResult<()> {
        check_admin(actor, board.id, BoardAction::ManageSchools)?;
        let mut c = Collector::default();
        let name = c.required_text("name", &board.name, 200);
        for (field, v) in [
            ("contact_email", &board.contact_email),
            ("service_desk_email", &board.service_desk_email),
        ] {
            if let Some(e) = v {
                if !is_plausible_email(e) {
                    c.add(field, "error-invalid-email");
                }
            }
        }
        c.finish()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board.id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let b = Board { name, ..board };
        tx.update_board(&b).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.update",
            Some(b.id.to_string()),
            Some(format!("board:{}", b.id)),
            json!({ "name": b.name, "kvk_number": b.kvk_number, "fg_registration": b.fg_registration, "contact_email": b.contact_email, "service_desk_email": b.service_desk_email }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves the board to act in: the given one, or the only one.
    pub async fn resolve_board(&self, board: Option<BoardId>) -> AppResult<BoardId> {
        let boards = self.store.boards().await?;
        match board {
            Some(b) if boards.iter().any(|x| x.id == b) => Ok(b),
            Some(_) => Err(AppError::NotFound),
            None if boards.len() == 1 => Ok(boards[0].id),
            None => Err(
                ValidationErrors(vec![meldpunt_core::validation::FieldError {
                    field: "board",
                    code: "error-board-required",
                }])
                .into(),
            ),
        }
    }

    /// Adds a school to a board.
    pub async fn add_school(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        name: &str,
        brin: Option<&str>,
    ) -> AppResult<SchoolId> {
        check_admin(actor, board, BoardAction::ManageSchools)?;
        let mut c = Collector::default();
        let name = c.required_text("name", name, 200);
        let brin = c.optional_text("brin", brin, 12).map(|b| b.to_uppercase());
        if let Some(b) = &brin {
            // BRIN: 4 characters (2 digits, 2 letters), optionally with a 2-digit vestigingsnummer.
            let ok =
                (b.len() == 4 || b.len() == 6) && b.chars().all(|ch| ch.is_ascii_alphanumeric());
            if !ok {
                c.add("brin", "error-invalid-brin");
            }
        }
        c.finish()?;
        let now = self.now();
        let school = School {
            id: SchoolId::new_v7(now),
            board_id: board,
            name,
            brin,
            active: true,
        };
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        tx.insert_school(&school, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "school.create",
            Some(board.to_string()),
            Some(format!("school:{}", school.id)),
            json!({ "name": school.name, "brin": school.brin }),
        ))
        .await?;
        tx.commit().await?;
        Ok(school.id)
    }

    /// Creates an account with one role.
    pub async fn add_user(&self, actor: &Actor<'_>, new: NewUser) -> AppResult<UserId> {
        let board = self.resolve_board(new.board).await?;
        check_admin(actor, board, BoardAction::ManageUsers)?;
        let mut c = Collector::default();
        let email = c.required_text("email", &new.email, 254).to_lowercase();
        if !email.is_empty() && !is_plausible_email(&email) {
            c.add("email", "error-invalid-email");
        }
        let name = c.required_text("name", &new.name, 200);
        if let Err(code) = check_password_policy(&new.password) {
            c.add("password", code);
        }
        if let Some(s) = new.school {
            match self.store.school(s).await? {
                Some(school) if school.board_id == board => {}
                _ => c.add("school", "error-unknown-school"),
            }
        }
        c.finish()?;
        let hash = hash_password(new.password).await?;
        let now = self.now();
        let user = User {
            id: UserId::new_v7(now),
            email,
            name,
            password_hash: Some(hash),
            active: true,
            failed_logins: 0,
            locked_until: None,
            locale: "nl".into(),
        };
        let grant = RoleGrant {
            role: new.role,
            board_id: board,
            school_id: new.school,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_user(&user, now).await?;
        tx.insert_grant(user.id, &grant, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "user.create",
            Some(board.to_string()),
            Some(format!("user:{}", user.id)),
            json!({ "email": user.email, "name": user.name, "role": grant.role.code(), "school": grant.school_id.map(|s| s.to_string()) }),
        ))
        .await?;
        tx.commit().await?;
        Ok(user.id)
    }

    /// Grants an extra role to an existing account.
    pub async fn grant_role(
        &self,
        actor: &Actor<'_>,
        user: UserId,
        grant: RoleGrant,
    ) -> AppResult<()> {
        check_admin(actor, grant.board_id, BoardAction::ManageUsers)?;
        if self.store.user(user).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_grant(user, &grant, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "user.grant",
            Some(grant.board_id.to_string()),
            Some(format!("user:{user}")),
            json!({ "role": grant.role.code(), "school": grant.school_id.map(|s| s.to_string()) }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks e-mail and password; on success opens a session.
    ///
    /// Throttling per account lives here (it must hold across instances); throttling per IP
    /// lives in the web layer.
    pub async fn login(&self, email: &str, password: &str) -> AppResult<LoginOutcome> {
        let now = self.now();
        let user = self.store.user_by_email(email).await?;
        if let Some(u) = &user {
            if u.locked_until.is_some_and(|t| t > now) {
                return Err(AppError::Throttled);
            }
        }
        let ok = verify_password(
            password.to_string(),
            user.as_ref().and_then(|u| u.password_hash.clone()),
        )
        .await?;
        let Some(user) = user.filter(|u| u.active) else {
            return Err(AppError::Unauthenticated);
        };
        let actor_name = format!("user:{}", user.id);
        if !ok {
            // A lock that has run out starts a fresh count (else one typo locks the account again).
            let expired_lock = user.locked_until.is_some();
            let failed_before = if expired_lock { 0 } else { user.failed_logins };
            let lock = (failed_before + 1 >= MAX_FAILED_LOGINS).then(|| now + LOCK_DURATION);
            let mut tx = self.store.begin().await?;
            if expired_lock {
                tx.reset_failed_logins(user.id).await?;
            }
            tx.record_failed_login(user.id, lock).await?;
            let mut r = record(
                now,
                &Actor::System,
                "auth.login_failed",
                None,
                Some(actor_name),
                json!({ "locked": lock.is_some() }),
            );
            r.actor = "anonymous".into();
            tx.append_audit(r).await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated);
        }
        let token = new_token();
        let csrf_token = new_token();
        let session = Session {
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at: now + SESSION_TTL,
        };
        let mut tx = self.store.begin().await?;
        tx.reset_failed_logins(user.id).await?;
        tx.insert_session(&token_hash(&token), &session, now)
            .await?;
        let mut r = record(
            now,
            &Actor::System,
            "auth.login",
            None,
            Some(actor_name.clone()),
            json!({}),
        );
        r.actor = actor_name;
        tx.append_audit(r).await?;
        tx.commit().await?;
        let principal = self
            .store
            .principal(user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(LoginOutcome {
            token,
            csrf_token,
            principal,
        })
    }

    /// The person and CSRF token behind a session cookie.
    pub async fn session(&self, token: &str) -> AppResult<(Principal, String)> {
        self.store
            .principal_by_session(&token_hash(token), self.now())
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str, principal: &Principal) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.delete_session(&token_hash(token)).await?;
        tx.append_audit(record(
            now,
            &Actor::User(principal),
            "auth.logout",
            None,
            Some(format!("user:{}", principal.user_id)),
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API token for an account; returns the secret (shown once).
    pub async fn create_api_token(
        &self,
        actor: &Actor<'_>,
        email: &str,
        label: &str,
    ) -> AppResult<(uuid::Uuid, String)> {
        let user = self
            .store
            .user_by_email(email)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Actor::User(p) = actor {
            if p.user_id != user.id {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let token = format!("mp_{}", new_token());
        let id = uuid::Uuid::now_v7();
        let label = if label.trim().is_empty() {
            "api"
        } else {
            label.trim()
        };
        let mut tx = self.store.begin().await?;
        tx.insert_api_token(id, user.id, &token_hash(&token), label, now)
            .await?;
        tx.append_audit(record(
            now,
            actor,
            "token.create",
            None,
            Some(format!("user:{}", user.id)),
            json!({ "token_id": id.to_string(), "label": label }),
        ))
        .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    /// Revokes an API token.
    pub async fn revoke_api_token(&self, actor: &Actor<'_>, id: uuid::Uuid) -> AppResult<()> {
        // A person revokes only their own tokens; someone else's looks like no token at all.
        if let Actor::User(p) = actor {
            let own = self.store.api_tokens(p.user_id).await?;
            if !own.iter().any(|t| t.id == id) {
                return Err(AppError::NotFound);
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.revoke_api_token(id, now).await? {
            return Err(AppError::NotFound);
        }
        tx.append_audit(record(
            now,
            actor,
            "token.revoke",
            None,
            Some(format!("token:{id}")),
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person behind an API bearer token.
    pub async fn token_principal(&self, token: &str) -> AppResult<Principal> {
        self.store
            .principal_by_api_token(&token_hash(token))
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Removes expired sessions.
    pub async fn purge_sessions(&self) -> AppResult<u64> {
        Ok(self.store.purge_expired_sessions(self.now()).await?)
    }

    /// Now plus a duration (helper for callers that need expiry times).
    pub fn now_plus(&self, d: SignedDuration) -> Timestamp {
        self.now() + d
    }
}
