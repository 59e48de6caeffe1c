//! SQLite group commit: concurrent use cases share a COMMIT, and one that rolls back (by dropping
//! its transaction) leaves no trace and does not fail the others.

use meldpunt_store::{SqliteTx, Store, StoreConfig, Tx};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

fn conn(tx: &mut Tx) -> &mut SqliteConnection {
    match tx {
        Tx::Sqlite(SqliteTx::Group(m)) => m,
        _ => panic!("expected a SQLite group transaction"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_commit_together_and_rollbacks_leave_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.sqlite");
    let store = Store::connect(&StoreConfig {
        database_url: Some(format!("sqlite://{}", path.display())),
        data_dir: dir.path().to_path_buf(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        .execute(conn(&mut tx))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..200i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            sqlx::query("INSERT INTO t (x) VALUES ($1)")
                .bind(i)
                .execute(conn(&mut tx))
                .await
                .unwrap();
            match i % 3 {
                // Rolled back by dropping, like a use case returning an error.
                0 => drop(tx),
                // A failing statement (duplicate key) after a successful one, then dropped.
                1 => {
                    let dup = sqlx::query("INSERT INTO t (x) VALUES ($1)")
                        .bind(i)
                        .execute(conn(&mut tx))
                        .await;
                    assert!(dup.is_err());
                    drop(tx);
                }
                _ => tx.commit().await.unwrap(),
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    // Exactly the committed rows are there, seen from an independent connection.
    let mut check = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
        .fetch_all(&mut check)
        .await
        .unwrap();
    let expected: Vec<i64> = (0..200).filter(|i| i % 3 == 2).collect();
    assert_eq!(rows, expected);

    // The writer is free again between groups: nothing holds a transaction open.
    let mut tx = store.begin().await.unwrap();
    sqlx::query("INSERT INTO t (x) VALUES (1000)")
        .execute(conn(&mut tx))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE x = 1000")
        .fetch_one(&mut check)
        .await
        .unwrap();
    assert_eq!(n, 1);
    check.close().await.unwrap();
    store.close().await;
}
