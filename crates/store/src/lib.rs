//! Meldpunt's persistence: one schema on SQLite and PostgreSQL.
//!
//! Queries are written once, with `$N` placeholders (SQLite accepts them too), and run on either
//! backend through the `on_conn!` dispatch: the query code is expanded once per backend, so each
//! gets its own native driver (no `Any` driver). What differs between the two lives in `dialect`.

pub mod accounts;
pub mod audit;
pub mod breach;
mod dialect;
mod fts;
mod group;
pub mod incidents;
pub mod jobs;
mod migrate;
pub mod oncall;
pub mod seed;
pub mod sla;
pub mod stats;
pub mod time;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

pub use dialect::Backend;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database URL is not one we understand.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A unique value already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Someone else changed the row first.
    #[error("the record was changed by someone else; reload and try again")]
    Stale,
    /// A stored value does not parse (corrupt or edited by hand).
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    /// Preparing the data directory failed.
    #[error("cannot prepare the data directory: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Maps unique-constraint violations to `Conflict`.
    pub(crate) fn from_unique(e: sqlx::Error, what: &str) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(what.to_string());
            }
        }
        StoreError::Database(e)
    }
}

/// Result alias for storage.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The connection pools of one backend.
#[derive(Clone, Debug)]
pub(crate) enum Pools {
    /// SQLite: one writer connection (writes are serialised anyway), used by `group` for use
    /// cases, and several readers.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        group: Arc<group::GroupCommit>,
    },
    /// PostgreSQL: one pool.
    Postgres(PgPool),
}

/// The store: cheap to clone, shared by the web server and the job runner.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pools: Pools,
}

/// An open write transaction. Every mutating use case runs in exactly one.
pub enum Tx {
    /// On SQLite.
    Sqlite(SqliteTx),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

/// A SQLite transaction: a member of a write group (see `group`), or a plain one (read snapshots).
pub enum SqliteTx {
    /// A write use case's savepoint in the open group.
    Group(group::Member),
    /// An ordinary sqlx transaction.
    Plain(Transaction<'static, Sqlite>),
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteTx::Group(m) => m,
            SqliteTx::Plain(t) => t,
        }
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            SqliteTx::Group(m) => m,
            SqliteTx::Plain(t) => t,
        }
    }
}

/// Runs the same query code on whichever backend a `Tx` or `Store` holds.
/// `$c` is bound to an executor (`&mut Connection` or `&Pool`).
macro_rules! on_conn {
    (tx $tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
    (read $store:expr, |$c:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { read, .. } => {
                let $c = read;
                $body
            }
            $crate::Pools::Postgres(p) => {
                let $c = p;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://…`; when None, SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Data directory for the default SQLite file.
    pub data_dir: std::path::PathBuf,
    /// Maximum pool size (PostgreSQL) or readers (SQLite).
    pub max_connections: u32,
}

impl Store {
    /// Opens the database (creating the SQLite file when needed). Does not migrate.
    pub async fn connect(cfg: &StoreConfig) -> Result<Self> {
        let url = match &cfg.database_url {
            Some(u) if !u.trim().is_empty() => u.trim().to_string(),
            _ => {
                std::fs::create_dir_all(&cfg.data_dir)?;
                format!(
                    "sqlite://{}",
                    cfg.data_dir.join("meldpunt.sqlite").display()
                )
            }
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(&url)?;
            let pool = PgPoolOptions::new()
                .max_connections(cfg.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store {
                pools: Pools::Postgres(pool),
            })
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            Self::open_sqlite(Path::new(path), cfg.max_connections).await
        } else {
            Err(StoreError::UnsupportedUrl(url))
        }
    }

    async fn open_sqlite(path: &Path, readers: u32) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // WAL; a commit is on disk before we answer 2xx (see docs/durability). The writer runs
        // with synchronous=NORMAL because group commit syncs the WAL itself, after COMMIT and
        // before acknowledging, so the next group need not wait for the disk (see `group`).
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone().synchronous(SqliteSynchronous::Normal))
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(readers.clamp(1, 8))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Store {
            pools: Pools::Sqlite {
                group: Arc::new(group::GroupCommit::new(write.clone(), path.to_path_buf())),
                write,
                read,
            },
        })
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.pools {
            // Joins the open group: the commit waits for the group's COMMIT (see `group`).
            Pools::Sqlite { group, .. } => Tx::Sqlite(SqliteTx::Group(group.begin().await?)),
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// The versions of all migrations this build knows, in order.
    pub fn migration_versions() -> Vec<i64> {
        migrate::versions()
    }

    /// Applies pending migrations; safe when several instances start at once.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        migrate::run(self).await
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        on_conn!(read self, |c| sqlx::query("SELECT 1").execute(c).await.is_ok())
    }

    /// Closes all connections (used before exit and in tests).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Commits; only after this returns may a 2xx be sent.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(SqliteTx::Group(m)) => m.commit().await?,
            Tx::Sqlite(SqliteTx::Plain(t)) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Which backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}
