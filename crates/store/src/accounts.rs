//! Boards, schools, people, role grants, sessions and API tokens.

use crate::{on_conn, time, Result, Store, StoreError, Tx};
use jiff::Timestamp;
use meldpunt_core::auth::{Principal, Role, RoleGrant};
use meldpunt_core::ids::{BoardId, SchoolId, UserId};
use sqlx::FromRow;
use uuid::Uuid;

/// A school board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// Id.
    pub id: BoardId,
    /// Name.
    pub name: String,
    /// KvK number.
    pub kvk_number: Option<String>,
    /// FG registration number at the AP.
    pub fg_registration: Option<String>,
    /// General contact e-mail.
    pub contact_email: Option<String>,
    /// Where new reports are announced.
    pub service_desk_email: Option<String>,
}

/// A school of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    /// Id.
    pub id: SchoolId,
    /// Board.
    pub board_id: BoardId,
    /// Name.
    pub name: String,
    /// BRIN / vestigingsnummer.
    pub brin: Option<String>,
    /// Still in use.
    pub active: bool,
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login e-mail (lower case).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC string; None for accounts that cannot log in with a password.
    pub password_hash: Option<String>,
    /// Active accounts may log in.
    pub active: bool,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until this instant after too many failures.
    pub locked_until: Option<Timestamp>,
    /// Preferred UI language.
    pub locale: String,
}

#[derive(FromRow)]
struct BoardRow {
    id: Uuid,
    name: String,
    kvk_number: Option<String>,
    fg_registration: Option<String>,
    contact_email: Option<String>,
    service_desk_email: Option<String>,
}

impl From<BoardRow> for Board {
    fn from(r: BoardRow) -> Self {
        Board {
            id: BoardId(r.id),
            name: r.name,
            kvk_number: r.kvk_number,
            fg_registration: r.fg_registration,
            contact_email: r.contact_email,
            service_desk_email: r.service_desk_email,
        }
    }
}

#[derive(FromRow)]
struct SchoolRow {
    id: Uuid,
    board_id: Uuid,
    name: String,
    brin: Option<String>,
    active: bool,
}

impl From<SchoolRow> for School {
    fn from(r: SchoolRow) -> Self {
        School {
            id: SchoolId(r.id),
            board_id: BoardId(r.board_id),
            name: r.name,
            brin: r.brin,
            active: r.active,
        }
    }
}

#[derive(FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: Option<String>,
    active: bool,
    failed_logins: i64,
    locked_until: Option<i64>,
    locale: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            active: r.active,
            failed_logins: r.failed_logins,
            locked_until: time::opt_from_db(r.locked_until),
            locale: r.locale,
        }
    }
}

#[derive(FromRow)]
struct GrantRow {
    role: String,
    board_id: Uuid,
    school_id: Option<Uuid>,
}

/// One row of a principal query: the account, and one of its grants (none: NULLs).
#[derive(FromRow)]
struct PrincipalRow {
    id: Uuid,
    name: String,
    active: bool,
    role: Option<String>,
    board_id: Option<Uuid>,
    school_id: Option<Uuid>,
}

#[derive(FromRow)]
struct SessionPrincipalRow {
    csrf_token: String,
    #[sqlx(flatten)]
    principal: PrincipalRow,
}

/// Folds the rows of a principal query; None when there are none or the account is inactive.
fn principal_from_rows(rows: Vec<PrincipalRow>) -> Result<Option<Principal>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if !first.active {
        return Ok(None);
    }
    let (user_id, name) = (UserId(first.id), first.name.clone());
    let mut grants = Vec::with_capacity(rows.len());
    for r in rows {
        if let (Some(role), Some(board)) = (r.role, r.board_id) {
            grants.push(RoleGrant {
                role: Role::from_code(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role '{role}'")))?,
                board_id: BoardId(board),
                school_id: r.school_id.map(SchoolId),
            });
        }
    }
    Ok(Some(Principal {
        user_id,
        name,
        grants,
    }))
}

const USER_COLS: &str =
    "id, email, name, password_hash, active, failed_logins, locked_until, locale";

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Owner.
    pub user_id: UserId,
    /// The session's CSRF token (synchroniser token pattern).
    pub csrf_token: String,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// An API token's metadata (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub user_id: UserId,
    /// Label.
    pub label: String,
    /// Created.
    pub created_at: Timestamp,
    /// Revoked, if so.
    pub revoked_at: Option<Timestamp>,
}

impl Tx {
    /// An account by id, read inside the transaction (a use case that holds a transaction must
    /// not wait for a second pool connection: under load that can starve the pool).
    pub async fn user_in_tx(&mut self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let r: Option<UserRow> = on_conn!(tx self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        Ok(r.map(Into::into))
    }

    /// Creates a board.
    pub async fn insert_board(&mut self, id: BoardId, name: &str, now: Timestamp) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO boards (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id.0)
                .bind(name)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Updates a board's settings.
    pub async fn update_board(&mut self, b: &Board) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE boards SET name = $2, kvk_number = $3, fg_registration = $4, contact_email = $5, service_desk_email = $6 WHERE id = $1")
                .bind(b.id.0)
                .bind(&b.name)
                .bind(&b.kvk_number)
                .bind(&b.fg_registration)
                .bind(&b.contact_email)
                .bind(&b.service_desk_email)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Creates a school; the name is unique within the board.
    pub async fn insert_school(&mut self, s: &School, now: Timestamp) -> Result<()> {
        let r = on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO schools (id, board_id, name, brin, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(s.id.0)
                .bind(s.board_id.0)
                .bind(&s.name)
                .bind(&s.brin)
                .bind(s.active)
                .bind(time::to_db(now))
                .execute(c)
                .await
                .map(|_| ())
        });
        r.map_err(|e| StoreError::from_unique(e, "school name"))?;
        Ok(())
    }

    /// Creates an account; the e-mail is unique.
    pub async fn insert_user(&mut self, u: &User, now: Timestamp) -> Result<()> {
        let r = on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO users (id, email, name, password_hash, active, locale, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(u.id.0)
                .bind(&u.email)
                .bind(&u.name)
                .bind(&u.password_hash)
                .bind(u.active)
                .bind(&u.locale)
                .bind(time::to_db(now))
                .execute(c)
                .await
                .map(|_| ())
        });
        r.map_err(|e| StoreError::from_unique(e, "e-mail address"))?;
        Ok(())
    }

    /// Grants a role.
    pub async fn insert_grant(
        &mut self,
        user: UserId,
        grant: &RoleGrant,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO role_grants (id, user_id, role, board_id, school_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(Uuid::now_v7())
                .bind(user.0)
                .bind(grant.role.code())
                .bind(grant.board_id.0)
                .bind(grant.school_id.map(|s| s.0))
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Records a failed login; locks the account until `lock_until` when given.
    pub async fn record_failed_login(
        &mut self,
        user: UserId,
        lock_until: Option<Timestamp>,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE($2, locked_until) WHERE id = $1")
                .bind(user.0)
                .bind(time::opt_to_db(lock_until))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Clears failed logins after a success.
    pub async fn reset_failed_logins(&mut self, user: UserId) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user.0)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Sets a new password hash and ends all sessions of that person.
    pub async fn set_password(&mut self, user: UserId, hash: &str) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user.0)
                .bind(hash)
                .execute(&mut *c)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Stores a new session under the hash of its token.
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        s: &Session,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)")
                .bind(token_hash)
                .bind(s.user_id.0)
                .bind(&s.csrf_token)
                .bind(time::to_db(now))
                .bind(time::to_db(s.expires_at))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Stores a new API token under its hash.
    pub async fn insert_api_token(
        &mut self,
        id: Uuid,
        user: UserId,
        token_hash: &str,
        label: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(user.0)
                .bind(token_hash)
                .bind(label)
                .bind(time::to_db(now))
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Revokes a token; returns false when it did not exist or was already revoked.
    pub async fn revoke_api_token(&mut self, id: Uuid, now: Timestamp) -> Result<bool> {
        let n = on_conn!(tx self, |c| {
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(time::to_db(now))
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Reads a board inside the transaction.
    pub async fn board(&mut self, id: BoardId) -> Result<Option<Board>> {
        let r: Option<BoardRow> = on_conn!(tx self, |c| {
            sqlx::query_as("SELECT id, name, kvk_number, fg_registration, contact_email, service_desk_email FROM boards WHERE id = $1")
                .bind(id.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.map(Into::into))
    }
}

impl Store {
    /// All boards, by name.
    pub async fn boards(&self) -> Result<Vec<Board>> {
        let rows: Vec<BoardRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, name, kvk_number, fg_registration, contact_email, service_desk_email FROM boards ORDER BY name")
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One board.
    pub async fn board(&self, id: BoardId) -> Result<Option<Board>> {
        let r: Option<BoardRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, name, kvk_number, fg_registration, contact_email, service_desk_email FROM boards WHERE id = $1")
                .bind(id.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.map(Into::into))
    }

    /// Schools of a board, by name.
    pub async fn schools(&self, board: BoardId) -> Result<Vec<School>> {
        let rows: Vec<SchoolRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, board_id, name, brin, active FROM schools WHERE board_id = $1 ORDER BY name")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One school.
    pub async fn school(&self, id: SchoolId) -> Result<Option<School>> {
        let r: Option<SchoolRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, board_id, name, brin, active FROM schools WHERE id = $1")
                .bind(id.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.map(Into::into))
    }

    /// Number of accounts (0 on a fresh install).
    pub async fn user_count(&self) -> Result<i64> {
        Ok(on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await?
        }))
    }

    /// An account by e-mail (case-insensitive: e-mails are stored lower-case).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE email = $1");
        let r: Option<UserRow> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(email.trim().to_lowercase())
                .fetch_optional(c)
                .await?
        });
        Ok(r.map(Into::into))
    }

    /// An account by id.
    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let r: Option<UserRow> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await?
        });
        Ok(r.map(Into::into))
    }

    /// Accounts that hold any role in a board, by name.
    pub async fn users_in_board(&self, board: BoardId) -> Result<Vec<(User, Vec<RoleGrant>)>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE id IN (SELECT user_id FROM role_grants WHERE board_id = $1) ORDER BY name"
        );
        let rows: Vec<UserRow> = on_conn!(read self, |c| {
            sqlx::query_as(&sql).bind(board.0).fetch_all(c).await?
        });
        // All their grants in a second query (not one per account: this runs for every new report).
        let grant_rows: Vec<(Uuid, String, Uuid, Option<Uuid>)> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT user_id, role, board_id, school_id FROM role_grants WHERE user_id IN (SELECT user_id FROM role_grants WHERE board_id = $1) ORDER BY created_at")
                .bind(board.0)
                .fetch_all(c)
                .await?
        });
        let mut out: Vec<(User, Vec<RoleGrant>)> = rows
            .into_iter()
            .map(|r| (User::from(r), Vec::new()))
            .collect();
        let index: std::collections::HashMap<Uuid, usize> = out
            .iter()
            .enumerate()
            .map(|(k, (u, _))| (u.id.0, k))
            .collect();
        for (user, role, board_id, school_id) in grant_rows {
            let grant = RoleGrant {
                role: Role::from_code(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role '{role}'")))?,
                board_id: BoardId(board_id),
                school_id: school_id.map(SchoolId),
            };
            if let Some(&k) = index.get(&user) {
                out[k].1.push(grant);
            }
        }
        Ok(out)
    }

    /// The role grants of an account.
    pub async fn grants(&self, user: UserId) -> Result<Vec<RoleGrant>> {
        let rows: Vec<GrantRow> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT role, board_id, school_id FROM role_grants WHERE user_id = $1 ORDER BY created_at")
                .bind(user.0)
                .fetch_all(c)
                .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(RoleGrant {
                    role: Role::from_code(&r.role)
                        .ok_or_else(|| StoreError::Corrupt(format!("role '{}'", r.role)))?,
                    board_id: BoardId(r.board_id),
                    school_id: r.school_id.map(SchoolId),
                })
            })
            .collect()
    }

    /// The principal (account and grants) of an active account.
    pub async fn principal(&self, user: UserId) -> Result<Option<Principal>> {
        let Some(u) = self.user(user).await? else {
            return Ok(None);
        };
        if !u.active {
            return Ok(None);
        }
        Ok(Some(Principal {
            user_id: u.id,
            name: u.name,
            grants: self.grants(u.id).await?,
        }))
    }

    /// The principal behind a live API token, by the token's hash: one query (token, account and
    /// grants), because it runs on every API request.
    pub async fn principal_by_api_token(&self, token_hash: &str) -> Result<Option<Principal>> {
        let rows: Vec<PrincipalRow> = on_conn!(read self, |c| {
            sqlx::query_as(
                "SELECT u.id, u.name, u.active, g.role, g.board_id, g.school_id FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN role_grants g ON g.user_id = u.id WHERE t.token_hash = $1 AND t.revoked_at IS NULL ORDER BY g.created_at",
            )
            .bind(token_hash)
            .fetch_all(c)
            .await?
        });
        principal_from_rows(rows)
    }

    /// The principal and CSRF token behind a live session, by the token's hash: one query, like
    /// `principal_by_api_token`, because it runs on every page.
    pub async fn principal_by_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Principal, String)>> {
        let rows: Vec<(String, PrincipalRow)> = on_conn!(read self, |c| {
            sqlx::query_as::<_, SessionPrincipalRow>(
                "SELECT s.csrf_token, u.id, u.name, u.active, g.role, g.board_id, g.school_id FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN role_grants g ON g.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2 ORDER BY g.created_at",
            )
            .bind(token_hash)
            .bind(time::to_db(now))
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| (r.csrf_token, r.principal))
            .collect()
        });
        let csrf = match rows.first() {
            Some((csrf, _)) => csrf.clone(),
            None => return Ok(None),
        };
        Ok(principal_from_rows(rows.into_iter().map(|(_, r)| r).collect())?.map(|p| (p, csrf)))
    }

    /// The tokens of an account.
    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let rows: Vec<(Uuid, Uuid, String, i64, Option<i64>)> = on_conn!(read self, |c| {
            sqlx::query_as("SELECT id, user_id, label, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at")
                .bind(user.0)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, u, label, created, revoked)| ApiToken {
                id,
                user_id: UserId(u),
                label,
                created_at: time::from_db(created),
                revoked_at: time::opt_from_db(revoked),
            })
            .collect())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_conn!(tx &mut tx, |c| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(time::to_db(now))
                .execute(c)
                .await?
                .rows_affected()
        });
        tx.commit().await?;
        Ok(n)
    }
}

impl Store {
    /// The board's priority matrix as stored (JSON), if it has its own.
    pub async fn priority_matrix_json(&self, board: BoardId) -> Result<Option<String>> {
        let r: Option<Option<String>> = on_conn!(read self, |c| {
            sqlx::query_scalar("SELECT priority_matrix FROM boards WHERE id = $1")
                .bind(board.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.flatten())
    }
}

impl Tx {
    /// The board's priority matrix as stored (JSON), read inside the transaction.
    pub async fn priority_matrix_json(&mut self, board: BoardId) -> Result<Option<String>> {
        let r: Option<Option<String>> = on_conn!(tx self, |c| {
            sqlx::query_scalar("SELECT priority_matrix FROM boards WHERE id = $1")
                .bind(board.0)
                .fetch_optional(c)
                .await?
        });
        Ok(r.flatten())
    }

    /// Stores the board's priority matrix (JSON).
    pub async fn set_priority_matrix_json(&mut self, board: BoardId, json: &str) -> Result<()> {
        on_conn!(tx self, |c| {
            sqlx::query("UPDATE boards SET priority_matrix = $2 WHERE id = $1")
                .bind(board.0)
                .bind(json)
                .execute(c)
                .await?;
        });
        Ok(())
    }
}
