//! Management figures over a period (e.g. a school year): counts per kind, priority and school,
//! and the share of triaged incidents resolved within their priority's resolution target.
//!
//! One grouped query over the board's `(board_id, reported_at)` index range; the totals are
//! folded in Rust. The targets here are wall-clock approximations of the default SLA policy
//! (P1 4 h, P2 1 day, P3 3 days, P4 5 days, P5 none) — the exact business-hours clock of
//! `core::sla` is evaluated per incident, not in SQL.

use crate::{on_conn, time, Result, Store};
use jiff::Timestamp;
use meldpunt_core::ids::BoardId;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Figures for one board and period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodSummary {
    /// Incidents reported in the period (exercises excluded).
    pub total: i64,
    /// Per kind code (`untriaged` before triage).
    pub per_kind: BTreeMap<String, i64>,
    /// Per priority code (`untriaged` before triage).
    pub per_priority: BTreeMap<String, i64>,
    /// Per school (None: board-wide).
    pub per_school: BTreeMap<Option<Uuid>, i64>,
    /// Triaged incidents with a resolution target.
    pub with_target: i64,
    /// Of those, resolved within the target.
    pub resolved_in_time: i64,
}

impl PeriodSummary {
    /// Share resolved in time (0–1), or None without targets.
    pub fn share_in_time(&self) -> Option<f64> {
        (self.with_target > 0).then(|| self.resolved_in_time as f64 / self.with_target as f64)
    }
}

const HOUR_US: i64 = 3_600_000_000;

impl Store {
    /// Counts for `board` over `[from, until)`.
    pub async fn period_summary(
        &self,
        board: BoardId,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<PeriodSummary> {
        let sql = format!(
            "SELECT kind, priority, school_id, count(*) AS n, \
             sum(CASE WHEN priority IS NOT NULL AND priority <> 'p5' THEN 1 ELSE 0 END) AS with_target, \
             sum(CASE WHEN resolved_at IS NOT NULL AND resolved_at - reported_at <= \
                 CASE priority WHEN 'p1' THEN {p1} WHEN 'p2' THEN {p2} WHEN 'p3' THEN {p3} WHEN 'p4' THEN {p4} ELSE -1 END \
                 THEN 1 ELSE 0 END) AS in_time \
             FROM incidents WHERE board_id = $1 AND reported_at >= $2 AND reported_at < $3 AND exercise = FALSE \
             GROUP BY kind, priority, school_id",
            p1 = 4 * HOUR_US,
            p2 = 24 * HOUR_US,
            p3 = 72 * HOUR_US,
            p4 = 120 * HOUR_US,
        );
        type R = (Option<String>, Option<String>, Option<Uuid>, i64, i64, i64);
        let rows: Vec<R> = on_conn!(read self, |c| {
            sqlx::query_as(&sql)
                .bind(board.0)
                .bind(time::to_db(from))
                .bind(time::to_db(until))
                .fetch_all(c)
                .await?
        });
        let mut s = PeriodSummary::default();
        for (kind, priority, school, n, with_target, in_time) in rows {
            s.total += n;
            *s.per_kind
                .entry(kind.unwrap_or_else(|| "untriaged".into()))
                .or_default() += n;
            *s.per_priority
                .entry(priority.unwrap_or_else(|| "untriaged".into()))
                .or_default() += n;
            *s.per_school.entry(school).or_default() += n;
            s.with_target += with_target;
            s.resolved_in_time += in_time;
        }
        Ok(s)
    }
}
