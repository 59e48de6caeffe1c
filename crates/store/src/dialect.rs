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

    /// `(…), (…)` placeholders for a multi-row INSERT. SQLite gets anonymous `?`: with numbered
    /// `$N` every bind looks its name up in a list (`sqlite3_bind_parameter_name`), quadratic in a
    /// statement with thousands of parameters.
    pub(crate) fn values(self, rows: usize, cols: usize) -> String {
        let mut s = String::with_capacity(rows * cols * 6);
        for r in 0..rows {
            if r > 0 {
                s.push_str(", ");
            }
            s.push('(');
            for c in 0..cols {
                if c > 0 {
                    s.push_str(", ");
                }
                match self {
                    Backend::Sqlite => s.push('?'),
                    Backend::Postgres => {
                        s.push('$');
                        s.push_str(&(r * cols + c + 1).to_string());
                    }
                }
            }
            s.push(')');
        }
        s
    }

    /// Name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
