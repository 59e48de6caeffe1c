//! Group commit on SQLite: concurrent write use cases share one COMMIT and one fsync.
//!
//! The single writer connection keeps one outer transaction (`BEGIN IMMEDIATE`) open while a
//! group forms. Each use case ("member") holds the connection exclusively (a FIFO mutex) inside a
//! `SAVEPOINT`; its commit releases the savepoint, hands the connection on and waits until the
//! group's `COMMIT` is on disk. A member dropped without commit is rolled back to its savepoint by
//! whoever takes the connection next, leaving no trace in the group.
//!
//! The fsync is pipelined: the writer runs with `synchronous=NORMAL`, so `COMMIT` only writes the
//! WAL frames, and the syncer task then `fdatasync`s the WAL file while the next group already
//! works on the connection. A member is acknowledged only after a sync that began after its
//! group's COMMIT, so "acknowledged = durable" holds as with `synchronous=FULL` (the WAL is
//! appended in order, so one sync covers every group committed before it). Checkpoints sync the
//! WAL and the database file themselves in this mode (docs/durability.md).
//!
//! Between groups the connection goes back to the pool (no transaction open), so migrations and
//! seeding, which take it from the pool directly, simply wait for the group to finish.

use futures_util::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use tokio::sync::{mpsc, oneshot, Mutex, Notify, OwnedMutexGuard};

/// Result of a group COMMIT, sent to each member (sqlx::Error is not Clone).
type Ack = oneshot::Sender<Result<(), String>>;

/// The writer connection and the open group.
#[derive(Default)]
struct Writer {
    /// Some while a group's outer transaction is open.
    conn: Option<PoolConnection<Sqlite>>,
    /// A member was dropped without commit: its savepoint must be undone before anything else.
    rollback_pending: bool,
    /// Members whose savepoint was released, waiting for the group's COMMIT.
    waiting: Vec<Ack>,
}

/// Shared by all clones of a SQLite store.
pub(crate) struct GroupCommit {
    pool: SqlitePool,
    writer: Arc<Mutex<Writer>>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        // Lets the committer task notice that the store is gone and end.
        self.wake.notify_one();
    }
}

impl GroupCommit {
    /// Starts the committer and syncer tasks for `pool` (the one-connection writer pool, with
    /// `synchronous=NORMAL`) on the database file `db`.
    pub(crate) fn new(pool: SqlitePool, db: PathBuf) -> Self {
        let writer = Arc::new(Mutex::new(Writer::default()));
        let wake = Arc::new(Notify::new());
        let (to_sync, committed) = mpsc::unbounded_channel();
        tokio::spawn(committer(Arc::downgrade(&writer), wake.clone(), to_sync));
        tokio::spawn(syncer(wal_path(&db), committed));
        GroupCommit { pool, writer, wake }
    }

    /// Joins the open group (or opens one) and starts the member's savepoint.
    pub(crate) async fn begin(&self) -> Result<Member, sqlx::Error> {
        let (writer, pool, wake) = (self.writer.clone(), self.pool.clone(), self.wake.clone());
        // In a task, so a caller cancelled mid-way cannot leave the connection in an unknown
        // state: the task finishes, and a Member nobody receives is dropped, i.e. rolled back.
        let task = tokio::spawn(async move {
            let mut w = writer.lock_owned().await;
            settle(&mut w).await;
            if w.conn.is_none() {
                let mut c = pool.acquire().await?;
                // IMMEDIATE takes the write lock up front, so a read-then-write never hits BUSY.
                run(&mut c, "BEGIN IMMEDIATE").await?;
                w.conn = Some(c);
            }
            if let Err(e) = exec(&mut w, "SAVEPOINT member").await {
                abort(&mut w, &e).await;
                return Err(e);
            }
            Ok(Member {
                guard: Some(w),
                wake,
            })
        });
        task.await
            .map_err(|e| sqlx::Error::Protocol(format!("group commit task failed: {e}")))?
    }
}

/// One use case's share of the writer: derefs to the connection, inside its savepoint.
pub struct Member {
    /// Some until committed.
    guard: Option<OwnedMutexGuard<Writer>>,
    wake: Arc<Notify>,
}

impl Member {
    /// Releases the savepoint and returns once the group's COMMIT has completed (Ok) or failed.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut w = self
            .guard
            .take()
            .expect("member holds the writer until commit");
        let wake = self.wake.clone();
        let (ack, done) = oneshot::channel();
        // In a task for the same reason as in `begin`: the RELEASE must not be cut off half-way.
        tokio::spawn(async move {
            match exec(&mut w, "RELEASE member").await {
                Ok(()) => w.waiting.push(ack),
                Err(e) => {
                    abort(&mut w, &e).await;
                    let _ = ack.send(Err(e.to_string()));
                }
            }
            drop(w);
            wake.notify_one();
        });
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(msg)) => Err(sqlx::Error::Protocol(format!("group commit failed: {msg}"))),
            Err(_) => Err(sqlx::Error::Protocol(
                "group commit abandoned (store shut down)".into(),
            )),
        }
    }

    fn writer(&self) -> &Writer {
        self.guard.as_ref().expect("member holds the writer")
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(mut w) = self.guard.take() {
            // No await in drop: the next holder of the writer undoes the savepoint.
            w.rollback_pending = true;
            drop(w);
            self.wake.notify_one();
        }
    }
}

impl Deref for Member {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.writer().conn.as_ref().expect("group is open")
    }
}

impl DerefMut for Member {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        let w = self.guard.as_mut().expect("member holds the writer");
        w.conn.as_mut().expect("group is open")
    }
}

/// Ends groups: whenever woken, takes the writer (queueing behind the members already waiting for
/// it, who thereby join this group) and commits what was released. The members of a committed
/// group go to the syncer; the writer is free for the next group as soon as COMMIT returns.
async fn committer(
    writer: Weak<Mutex<Writer>>,
    wake: Arc<Notify>,
    to_sync: mpsc::UnboundedSender<Vec<Ack>>,
) {
    loop {
        wake.notified().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let mut w = writer.lock().await;
        settle(&mut w).await;
        let Some(mut conn) = w.conn.take() else {
            continue;
        };
        let waiting = std::mem::take(&mut w.waiting);
        let sql = if waiting.is_empty() {
            "ROLLBACK"
        } else {
            "COMMIT"
        };
        let result = run(&mut conn, sql).await;
        match result {
            Ok(()) => {
                drop(conn);
                drop(w);
                if let Err(mpsc::error::SendError(waiting)) = to_sync.send(waiting) {
                    for ack in waiting {
                        let _ = ack.send(Err("the WAL syncer has stopped".into()));
                    }
                }
            }
            Err(e) => {
                // A failed COMMIT can leave the transaction open.
                rollback(conn).await;
                for ack in waiting {
                    let _ = ack.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Makes committed groups durable: syncs the WAL once for every group committed since the last
/// sync began, then acknowledges their members.
async fn syncer(wal: PathBuf, mut committed: mpsc::UnboundedReceiver<Vec<Ack>>) {
    while let Some(mut acks) = committed.recv().await {
        while let Ok(more) = committed.try_recv() {
            acks.extend(more);
        }
        let wal = wal.clone();
        let result = match tokio::task::spawn_blocking(move || sync_file(&wal)).await {
            Ok(r) => r.map_err(|e| format!("cannot sync the WAL: {e}")),
            Err(e) => Err(format!("WAL sync task failed: {e}")),
        };
        if let Err(e) = &result {
            tracing::error!(error = %e, "commit not durable; the writes are reported as failed");
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

/// `fdatasync` on the file (the kernel syncs the inode, whichever descriptor wrote to it). A WAL
/// that does not exist was checkpointed into the database file and removed, which SQLite syncs
/// itself before deleting it.
fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// SQLite's name for a database's write-ahead log.
fn wal_path(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Undoes the savepoint of a member dropped without commit.
async fn settle(w: &mut Writer) {
    if std::mem::take(&mut w.rollback_pending) && w.conn.is_some() {
        if let Err(e) = exec(w, "ROLLBACK TO member; RELEASE member").await {
            // E.g. SQLite already rolled the whole transaction back (disk full, I/O error).
            abort(w, &e).await;
        }
    }
}

/// Gives up the whole group: rolls back, and every waiting member's commit fails.
async fn abort(w: &mut Writer, e: &sqlx::Error) {
    if let Some(conn) = w.conn.take() {
        rollback(conn).await;
    }
    for ack in w.waiting.drain(..) {
        let _ = ack.send(Err(e.to_string()));
    }
}

/// Rolls back and returns the connection to the pool; closes it instead if it may still be inside
/// a transaction (ROLLBACK failed for another reason than "no transaction is active").
async fn rollback(mut conn: PoolConnection<Sqlite>) {
    if let Err(e) = run(&mut conn, "ROLLBACK").await {
        if !e.to_string().contains("no transaction is active") {
            conn.close_on_drop();
        }
    }
}

async fn exec(w: &mut Writer, sql: &'static str) -> Result<(), sqlx::Error> {
    run(w.conn.as_mut().expect("group is open"), sql).await
}

/// Runs SQL statements. Via `Executor::execute` (a boxed future): with `raw_sql(..).execute` the
/// spawned tasks' futures are not provably `Send` (a rustc limitation with higher-ranked lifetimes).
async fn run(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    let fut: BoxFuture<'_, Result<_, sqlx::Error>> = Executor::execute(conn, sql);
    fut.await.map(drop)
}
