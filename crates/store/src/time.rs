//! Instants are stored as microseconds since the Unix epoch (BIGINT) on both backends:
//! exact, sortable and free of time-zone conversions in SQL.

use jiff::Timestamp;

/// To the stored form.
pub fn to_db(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Optional to the stored form.
pub fn opt_to_db(t: Option<Timestamp>) -> Option<i64> {
    t.map(to_db)
}

/// From the stored form; out-of-range values (hand-edited rows) clamp to the epoch.
pub fn from_db(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Optional from the stored form.
pub fn opt_from_db(us: Option<i64>) -> Option<Timestamp> {
    us.map(from_db)
}
