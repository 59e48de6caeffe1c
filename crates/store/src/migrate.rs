//! Migrations: numbered SQL files embedded in the binary, rendered per backend.
//!
//! On PostgreSQL an advisory lock makes concurrent starts of several instances safe: the first
//! applies, the others wait and then find nothing to do. On SQLite the IMMEDIATE transaction does
//! the same.

use crate::{Pools, Result, Store};
use sqlx::Connection;

/// (version, name, sql)
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "breach", include_str!("../migrations/0002_breach.sql")),
    (
        3,
        "service_levels",
        include_str!("../migrations/0003_service_levels.sql"),
    ),
    (4, "search", include_str!("../migrations/0004_search.sql")),
    (
        5,
        "audit_head_trigger",
        include_str!("../migrations/0005_audit_head_trigger.sql"),
    ),
    (
        6,
        "job_priority",
        include_str!("../migrations/0006_job_priority.sql"),
    ),
];

/// The versions of all embedded migrations, in order.
pub fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(v, _, _)| *v).collect()
}

/// Arbitrary constant identifying meldpunt's migration lock.
const LOCK_KEY: i64 = 0x6d656c64_70756e74;

pub(crate) async fn run(store: &Store) -> Result<Vec<i64>> {
    let backend = store.backend();
    let mut applied = Vec::new();
    match &store.pools {
        Pools::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *conn)
                .await?;
            let result = async {
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                )
                .execute(&mut *conn)
                .await?;
                for (version, name, sql) in MIGRATIONS {
                    let done: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                            .bind(version)
                            .fetch_optional(&mut *conn)
                            .await?;
                    if done.is_some() {
                        continue;
                    }
                    let mut tx = conn.begin().await?;
                    sqlx::raw_sql(&backend.render_schema(sql))
                        .execute(&mut *tx)
                        .await?;
                    record(&mut tx, *version, name).await?;
                    tx.commit().await?;
                    applied.push(*version);
                }
                Ok::<_, crate::StoreError>(())
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *conn)
                .await?;
            result?;
        }
        Pools::Sqlite { write, .. } => {
            let mut conn = write.acquire().await?;
            // Migrations commit outside group commit (which syncs the WAL itself): make each
            // COMMIT sync, then return to the writer's usual NORMAL.
            sqlx::raw_sql("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await?;
            let result = migrate_sqlite(&mut conn, backend, &mut applied).await;
            sqlx::raw_sql("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
            result?;
        }
    }
    Ok(applied)
}

async fn migrate_sqlite(
    conn: &mut sqlx::SqliteConnection,
    backend: crate::Backend,
    applied: &mut Vec<i64>,
) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for (version, name, sql) in MIGRATIONS {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(&backend.render_schema(sql))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(*name)
        .bind(crate::time::to_db(jiff::Timestamp::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied.push(*version);
    }
    Ok(())
}

async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    version: i64,
    name: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(version)
        .bind(name)
        .bind(crate::time::to_db(jiff::Timestamp::now()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
