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

    /// Renders the shared schema text for this backend. Lines after a `-- @sqlite` or
    /// `-- @postgres` marker belong to that backend only, until the next marker (`-- @all` returns
    /// to both); texts without markers are shared whole.
    pub(crate) fn render_schema(self, sql: &str) -> String {
        let mut keep = true;
        let mut out = String::with_capacity(sql.len());
        for line in sql.lines() {
            match line.trim() {
                "-- @sqlite" => keep = self == Backend::Sqlite,
                "-- @postgres" => keep = self == Backend::Postgres,
                "-- @all" => keep = true,
                _ if keep => {
                    out.push_str(line);
                    out.push('\n');
                }
                _ => {}
            }
        }
        out.replace("{uuid}", self.uuid_type())
    }

    /// Name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
