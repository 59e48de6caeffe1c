//! Storage tests on SQLite and PostgreSQL: migrations and the audit hash chain.

use jiff::Timestamp;
use meldpunt_core::audit::{AuditRecord, ChainBreak};
use meldpunt_store::{Backend, Store, StoreConfig};
use meldpunt_testkit::TestDb;

fn be(db: &TestDb) -> &'static str {
    db.backend.name()
}

async fn connect(url: &str) -> Store {
    Store::connect(&StoreConfig {
        database_url: Some(url.to_string()),
        data_dir: std::env::temp_dir(),
        max_connections: 4,
    })
    .await
    .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

fn rec(i: i64) -> AuditRecord {
    AuditRecord {
        at: Timestamp::from_second(1_795_000_000 + i).unwrap(),
        actor: format!("user:{i}"),
        action: "incident.note".into(),
        board_id: Some("board-1".into()),
        subject: Some(format!("incident:{i}")),
        details: format!("{{\"n\":{i}}}"),
    }
}

async fn append(store: &Store, n: i64) {
    for i in 1..=n {
        let mut tx = store.begin().await.unwrap();
        let e = tx.append_audit(rec(i)).await.unwrap();
        tx.commit().await.unwrap();
        let _ = e;
    }
}

async fn verify(store: &Store) -> Result<i64, ChainBreak> {
    store.verify_audit().await.unwrap().map(|r| r.entries)
}

#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    for db in meldpunt_testkit::each_backend().await {
        let be = be(&db);
        assert_eq!(
            db.store.migrate().await.unwrap(),
            Vec::<i64>::new(),
            "[{be}] second migrate"
        );
        // A second store on the same database finds nothing to do either, and the schema works.
        let other = connect(&db.url).await;
        assert_eq!(
            other.migrate().await.unwrap(),
            Vec::<i64>::new(),
            "[{be}] other store"
        );
        append(&other, 2).await;
        assert_eq!(verify(&db.store).await, Ok(2), "[{be}]");
        other.close().await;
    }
}

#[tokio::test]
async fn sqlite_sequential_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sub/dir/m.sqlite").display());
    let a = connect(&url).await;
    assert_eq!(a.backend(), Backend::Sqlite);
    assert_eq!(
        a.migrate().await.unwrap(),
        Store::migration_versions(),
        "first open applies the schema"
    );
    append(&a, 3).await;
    a.close().await;
    let b = connect(&url).await;
    assert_eq!(
        b.migrate().await.unwrap(),
        Vec::<i64>::new(),
        "second open: nothing to do"
    );
    assert_eq!(verify(&b).await, Ok(3), "data kept across opens");
    // Two stores on one file migrating at the same time.
    let c = connect(&url).await;
    let (x, y) = tokio::join!(b.migrate(), c.migrate());
    assert_eq!((x.unwrap(), y.unwrap()), (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_on_one_fresh_postgres_database() {
    for round in 0..3 {
        // A fresh, empty database (the test kit's databases are migrated already).
        let admin = meldpunt_testkit::pg_admin_url();
        let name = format!(
            "mp_migr_{}_{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        );
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        }
        let url = match admin.rfind('/') {
            Some(i) => format!("{}/{name}", &admin[..i]),
            None => panic!("admin URL without a path: {admin}"),
        };
        let mut stores = Vec::new();
        for _ in 0..4 {
            stores.push(connect(&url).await);
        }
        // Polled together in one task (the migrate future is not `Send`), so the four
        // instances hit the database at the same time.
        let (a, b, c, d) = tokio::join!(
            stores[0].migrate(),
            stores[1].migrate(),
            stores[2].migrate(),
            stores[3].migrate()
        );
        let mut applied = Vec::new();
        for r in [a, b, c, d] {
            applied.push(r.unwrap_or_else(|e| {
                panic!("[postgres] round {round}: concurrent migrate failed: {e}")
            }));
        }
        applied.sort();
        assert_eq!(
            applied,
            vec![vec![], vec![], vec![], Store::migration_versions()],
            "[postgres] round {round}: exactly one instance applies the schema"
        );
        append(&stores[1], 2).await;
        assert_eq!(verify(&stores[3]).await, Ok(2), "[postgres] schema usable");
        for s in stores {
            s.close().await;
        }
    }
}

/// Six chained entries, then a tampering statement; verification names the first bad entry.
async fn tampered(sqls: &[&str]) -> Vec<(&'static str, Result<i64, ChainBreak>)> {
    let mut out = Vec::new();
    for db in meldpunt_testkit::each_backend().await {
        append(&db.store, 6).await;
        assert_eq!(verify(&db.store).await, Ok(6), "[{}] intact chain", be(&db));
        for sql in sqls {
            let n = db.store.execute_raw(sql).await.unwrap();
            assert_eq!(n, 1, "[{}] {sql} changes one row", be(&db));
        }
        out.push((be(&db), verify(&db.store).await));
    }
    out
}

#[tokio::test]
async fn intact_chain_verifies_and_keeps_growing() {
    for db in meldpunt_testkit::each_backend().await {
        let be = be(&db);
        assert_eq!(verify(&db.store).await, Ok(0), "[{be}] empty chain");
        append(&db.store, 4).await;
        assert_eq!(verify(&db.store).await, Ok(4), "[{be}]");
        let recent = db.store.recent_audit(2).await.unwrap();
        assert_eq!(
            recent.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![4, 3],
            "[{be}]"
        );
        assert_eq!(recent[0].record, rec(4), "[{be}] stored record round-trips");
        assert_eq!(recent[0].prev_hash, recent[1].hash, "[{be}] chained");
        let about = db.store.audit_for_subject("incident:2").await.unwrap();
        assert_eq!(about.len(), 1, "[{be}]");
        assert_eq!(about[0].seq, 2, "[{be}]");
    }
}

#[tokio::test]
async fn altered_row_is_detected() {
    for (be, r) in tampered(&["UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3"]).await {
        let b = r.expect_err(be);
        assert_eq!(b, ChainBreak::Altered { seq: 3 }, "[{be}]");
        assert_eq!(b.seq(), 3, "[{be}]");
    }
    for (be, r) in tampered(&["UPDATE audit_log SET at = at + 1 WHERE seq = 1"]).await {
        assert_eq!(
            r,
            Err(ChainBreak::Altered { seq: 1 }),
            "[{be}] changed time"
        );
    }
    for (be, r) in tampered(&["UPDATE audit_log SET actor = 'user:x' WHERE seq = 6"]).await {
        assert_eq!(
            r,
            Err(ChainBreak::Altered { seq: 6 }),
            "[{be}] changed actor of the last entry"
        );
    }
}

#[tokio::test]
async fn deleted_middle_row_is_detected() {
    for (be, r) in tampered(&["DELETE FROM audit_log WHERE seq = 3"]).await {
        let b = r.expect_err(be);
        assert_eq!(
            b,
            ChainBreak::Gap {
                expected: 3,
                found: 4
            },
            "[{be}]"
        );
        assert_eq!(b.seq(), 3, "[{be}]");
    }
    for (be, r) in tampered(&["DELETE FROM audit_log WHERE seq = 1"]).await {
        assert_eq!(r.map_err(|b| b.seq()), Err(1), "[{be}] first row deleted");
    }
}

#[tokio::test]
async fn deleted_last_row_is_detected_by_the_head() {
    for (be, r) in tampered(&["DELETE FROM audit_log WHERE seq = 6"]).await {
        let b = r.expect_err(be);
        assert_eq!(b, ChainBreak::Head { last: 5, head: 6 }, "[{be}]");
        assert_eq!(b.seq(), 6, "[{be}]");
    }
}

#[tokio::test]
async fn swapped_rows_are_detected() {
    let swap = [
        "UPDATE audit_log SET seq = -1 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -1",
    ];
    for (be, r) in tampered(&swap).await {
        let b = r.expect_err(be);
        assert_eq!(b, ChainBreak::Link { seq: 2 }, "[{be}]");
        assert_eq!(b.seq(), 2, "[{be}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verification_during_concurrent_appends_sees_a_consistent_chain() {
    for db in meldpunt_testkit::each_backend().await {
        let be = be(&db);
        let writer = {
            let store = db.store.clone();
            tokio::spawn(async move { append(&store, 150).await })
        };
        let mut checks = 0;
        while !writer.is_finished() {
            let r = verify(&db.store).await;
            assert!(
                r.is_ok(),
                "[{be}] verification during appends reported {r:?}"
            );
            checks += 1;
        }
        writer.await.unwrap();
        assert_eq!(
            verify(&db.store).await,
            Ok(150),
            "[{be}] after {checks} concurrent checks"
        );
    }
}
