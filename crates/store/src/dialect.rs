//! The few places where SQLite and PostgreSQL need different SQL.

/// A database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Column type for UUIDs: native on PostgreSQL, 16 bytes on SQLite.
    pub(crate) fn uuid_type(self) -> &'static str {
        match self {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "UUID",
        }
    }

    /// Row lock for read-modify-write inside a transaction (SQLite's write lock covers it).
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Row lock that skips rows other workers hold, for job claiming.
    pub(crate) fn for_update_skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// Renders the shared schema text for this backend.
    pub(crate) fn render_schema(self, sql: &str) -> String {
        sql.replace("{uuid}", self.uuid_type())
    }

    /// Name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
