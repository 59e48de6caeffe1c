//! PostgreSQL tuning for load tests on a throwaway database.

use crate::TestDb;
use meldpunt_store::{Store, StoreConfig};

/// Turns off `synchronous_commit` for a test database (new sessions only) and returns a store
/// opened afresh, so its sessions have the setting too. Commits then return before the WAL is
/// flushed: fine for a throwaway database whose test measures correctness under concurrency,
/// not durability (the crash tests cover that).
pub async fn without_fsync(db: &TestDb) -> Store {
    use sqlx::Connection;
    let url = url::Url::parse(&db.url).expect("database URL");
    let name = url.path().trim_start_matches('/').to_string();
    let mut conn = sqlx::PgConnection::connect(&crate::pg_admin_url())
        .await
        .expect("admin connection");
    sqlx::raw_sql(&format!(
        "ALTER DATABASE {name} SET synchronous_commit = off"
    ))
    .execute(&mut conn)
    .await
    .expect("alter database");
    let _ = conn.close().await;
    Store::connect(&StoreConfig {
        database_url: Some(db.url.clone()),
        data_dir: std::env::temp_dir(),
        max_connections: 8,
    })
    .await
    .expect("reconnect")
}
