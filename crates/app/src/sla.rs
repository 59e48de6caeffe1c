//! Service levels (issue 4, IBP FO IM.02): a board's calendar and SLA configuration, school
//! holidays, the SLA clocks of each incident, the periodic scan that escalates, and the dashboard.
//!
//! The state of a clock is computed by the pure `core::sla::evaluate`. Per incident the computed
//! due and at-risk moments are stored (`incident_sla`), rewritten in the same transaction as every
//! change of the incident, so the scan only looks at incidents whose next threshold has passed and
//! the dashboard never evaluates the whole register.

use crate::audit::{record, Actor};
use crate::{App, AppError, AppResult};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::auth::{BoardAction, IncidentAction, Principal, Role};
use meldpunt_core::calendar::{
    official_school_holidays, BusinessCalendar, ClockMode, DateRange, HolidayRules,
    LiberationDayRule, SchoolHolidayKind, SchoolRegion, WeekSchedule, WorkingHours,
};
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId, UserId};
use meldpunt_core::incident::{Incident, PersonalDataAnswer, Priority, Status};
use meldpunt_core::sla::{evaluate, Pause, SlaInput, SlaPolicy, SlaReading, SlaState, SlaStatus};
use meldpunt_core::validation::{FieldError, ValidationErrors};
use meldpunt_store::jobs::NewJob;
use meldpunt_store::sla::{ClockRow, HolidayRow, IncidentSlaRow, SlaSettingsRow, Transition};
use meldpunt_store::Tx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// Job kind: the periodic SLA scan (escalations of incidents whose next threshold passed).
pub const SLA_SCAN: &str = "sla_scan";
/// Job kind: check one incident whose next threshold passed (enqueued by the scan, so the work
/// spreads over every instance's job runner).
pub const SLA_CHECK: &str = "sla_check";
/// Job kind: give open incidents from before this feature their SLA row (hourly; at once after
/// an upgrade, because the first tick of a process runs immediately).
pub const SLA_BACKFILL: &str = "sla_backfill";
/// Job kind: recompute the clocks of a board's open incidents after a settings change.
pub const SLA_RECOMPUTE: &str = "sla_recompute";
/// How often the scan runs.
pub const SCAN_PERIOD: SignedDuration = SignedDuration::from_secs(15);

/// Who hears that a clock is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRiskRule {
    /// The assignee (*behandelaar*).
    pub handler: bool,
    /// The board's incident managers.
    pub incident_manager: bool,
    /// The service desk.
    pub service_desk: bool,
}

/// One level of hierarchical escalation after a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachLevel {
    /// Percentage of the target used when this level is reached (100 = the breach itself).
    pub percent: u32,
    /// The role escalated to.
    pub role: Role,
}

/// A board's escalation rules (domain.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRules {
    /// At the policy's at-risk percentage.
    pub at_risk: AtRiskRule,
    /// From the breach on: incident manager → IBP officer → board, each at a later percentage.
    pub breach_levels: Vec<BreachLevel>,
}

impl Default for EscalationRules {
    fn default() -> Self {
        Self {
            at_risk: AtRiskRule {
                handler: true,
                incident_manager: true,
                service_desk: false,
            },
            breach_levels: vec![
                BreachLevel {
                    percent: 100,
                    role: Role::IncidentManager,
                },
                BreachLevel {
                    percent: 150,
                    role: Role::IbpOfficer,
                },
                BreachLevel {
                    percent: 200,
                    role: Role::BoardMember,
                },
            ],
        }
    }
}

impl EscalationRules {
    /// Checks the rules: levels start at 100 %, rise, and name a role that can be escalated to.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = Vec::new();
        let mut last = 0;
        for (i, l) in self.breach_levels.iter().enumerate() {
            if (i == 0 && l.percent != 100) || l.percent <= last || l.percent > 1000 {
                errs.push(FieldError {
                    field: "breach_levels",
                    code: "error-sla-levels",
                });
                break;
            }
            if !matches!(
                l.role,
                Role::IncidentManager | Role::IbpOfficer | Role::BoardMember | Role::ServiceDesk
            ) {
                errs.push(FieldError {
                    field: "breach_levels",
                    code: "error-invalid-choice",
                });
                break;
            }
            last = l.percent;
        }
        if self.breach_levels.len() > 5 {
            errs.push(FieldError {
                field: "breach_levels",
                code: "error-sla-levels",
            });
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errs))
        }
    }
}

/// On-call settings: the weekly handover and the acknowledgement window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OncallSettings {
    /// Minutes before the next person in the chain is alerted (default 15).
    pub ack_minutes: u32,
    /// ISO weekday of the handover: 1 = Monday … 7 = Sunday.
    pub handover_weekday: u8,
    /// Local time of the handover.
    pub handover_time: Time,
    /// A handover date on which the first member of the rotation started.
    pub anchor: Date,
}

impl Default for OncallSettings {
    fn default() -> Self {
        Self {
            ack_minutes: 15,
            handover_weekday: 1,
            handover_time: Time::constant(9, 0, 0, 0),
            anchor: Date::constant(2026, 1, 5),
        }
    }
}

/// A board's SLA configuration, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaSettings {
    /// School-holiday region.
    pub region: SchoolRegion,
    /// Working hours per weekday.
    pub week: WeekSchedule,
    /// Optional public holidays.
    pub holiday_rules: HolidayRules,
    /// Targets per priority and the at-risk percentage.
    pub policy: SlaPolicy,
    /// The service level untriaged reports run on.
    pub untriaged_priority: Priority,
    /// Escalation rules.
    pub escalation: EscalationRules,
    /// On-call settings.
    pub oncall: OncallSettings,
    /// Hosts webhooks may go to.
    pub webhook_hosts: Vec<String>,
    /// Whether the board's holidays live in the database (else the official table applies).
    pub holidays_seeded: bool,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self {
            region: SchoolRegion::Central,
            week: WeekSchedule::default(),
            holiday_rules: HolidayRules::default(),
            policy: SlaPolicy::default(),
            untriaged_priority: Priority::P3,
            escalation: EscalationRules::default(),
            oncall: OncallSettings::default(),
            webhook_hosts: Vec::new(),
            holidays_seeded: false,
        }
    }
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(
    what: &str,
    v: &Option<String>,
) -> AppResult<T> {
    match v {
        None => Ok(T::default()),
        Some(s) => serde_json::from_str(s)
            .map_err(|e| AppError::Internal(format!("stored {what} is invalid: {e}"))),
    }
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("serialise: {e}")))
}

impl SlaSettings {
    pub(crate) fn from_row(r: Option<SlaSettingsRow>) -> AppResult<Self> {
        let Some(r) = r else {
            return Ok(Self::default());
        };
        Ok(Self {
            region: SchoolRegion::from_code(&r.region).unwrap_or(SchoolRegion::Central),
            week: parse_json("week schedule", &r.week_schedule)?,
            holiday_rules: parse_json("holiday rules", &r.holiday_rules)?,
            policy: parse_json("SLA policy", &r.policy)?,
            untriaged_priority: Priority::from_code(&r.untriaged_priority).unwrap_or(Priority::P3),
            escalation: parse_json("escalation rules", &r.escalation)?,
            oncall: parse_json("on-call settings", &r.oncall)?,
            webhook_hosts: r
                .webhook_hosts
                .lines()
                .map(|l| l.trim().to_ascii_lowercase())
                .filter(|l| !l.is_empty())
                .collect(),
            holidays_seeded: r.holidays_seeded,
        })
    }

    pub(crate) fn to_row(&self) -> AppResult<SlaSettingsRow> {
        Ok(SlaSettingsRow {
            region: self.region.code().into(),
            week_schedule: Some(to_json(&self.week)?),
            holiday_rules: Some(to_json(&self.holiday_rules)?),
            policy: Some(to_json(&self.policy)?),
            untriaged_priority: self.untriaged_priority.code().into(),
            escalation: Some(to_json(&self.escalation)?),
            oncall: Some(to_json(&self.oncall)?),
            webhook_hosts: self.webhook_hosts.join("\n"),
            holidays_seeded: self.holidays_seeded,
        })
    }

    /// The business calendar: working hours, holiday rules, and the closures of the region.
    pub fn calendar(&self, holidays: &[HolidayRow]) -> BusinessCalendar {
        let closures: Vec<DateRange> = if self.holidays_seeded {
            holidays
                .iter()
                .filter(|h| h.region.as_deref().is_none_or(|r| r == self.region.code()))
                .filter_map(|h| {
                    let first: Date = h.first_day.parse().ok()?;
                    let last: Date = h.last_day.parse().ok()?;
                    DateRange::new(first, last).ok()
                })
                .collect()
        } else {
            meldpunt_core::calendar::official_school_holidays_for(self.region)
                .into_iter()
                .map(|h| h.dates)
                .collect()
        };
        BusinessCalendar::new(self.week.clone(), self.holiday_rules, closures)
    }

    /// The thresholds of one clock as (level, percent): 1 = at risk, 2.. = breach levels.
    pub fn thresholds(&self) -> Vec<(i64, u32)> {
        let mut v = vec![(1, u32::from(self.policy.at_risk_percent))];
        for (i, l) in self.escalation.breach_levels.iter().enumerate() {
            v.push((i64::try_from(i).unwrap_or(0) + 2, l.percent));
        }
        v
    }
}

/// The school year a date belongs to (`2026-2027` for dates from August 2026 to July 2027).
pub fn school_year_of(d: Date) -> String {
    let y = d.year();
    if d.month() >= 8 {
        format!("{y}-{}", y + 1)
    } else {
        format!("{}-{y}", y - 1)
    }
}

/// The official school holidays as rows of a board (for seeding). Ids are derived from the
/// content, so a row shown before seeding keeps its id once seeded.
fn official_rows(board: BoardId) -> Vec<HolidayRow> {
    use sha2::{Digest, Sha256};
    official_school_holidays()
        .into_iter()
        .map(|h| {
            let digest = Sha256::digest(
                format!("{board}|{}|{}|{}", h.region, h.kind, h.dates.first()).as_bytes(),
            );
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            HolidayRow {
                id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
                board_id: board,
                region: Some(h.region.code().into()),
                school_year: school_year_of(h.dates.first()),
                kind: h.kind.code().into(),
                name: String::new(),
                first_day: h.dates.first().to_string(),
                last_day: h.dates.last().to_string(),
                source: "official".into(),
            }
        })
        .collect()
}

/// The kinds a holiday row may have: the school holidays plus `closure` (extra closing day).
pub const HOLIDAY_KINDS: &[&str] = &["autumn", "christmas", "spring", "may", "summer", "closure"];

/// A holiday as an administrator enters or imports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHoliday {
    /// Region; `None` for a closing day of the whole board.
    pub region: Option<SchoolRegion>,
    /// One of [`HOLIDAY_KINDS`].
    pub kind: String,
    /// Free name.
    pub name: String,
    /// First day.
    pub first: Date,
    /// Last day (included).
    pub last: Date,
}

/// Parses a CSV import: `region;kind;first;last[;name]` per line (comma or semicolon), region
/// `noord|midden|zuid|north|central|south|alle`, kind in Dutch or English, dates ISO or
/// `dd-mm-yyyy`. A header line is skipped. Errors name the line.
pub fn parse_holiday_csv(text: &str) -> Result<Vec<NewHoliday>, Vec<(usize, &'static str)>> {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sep = if line.contains(';') { ';' } else { ',' };
        let cols: Vec<&str> = line
            .split(sep)
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        if n == 0
            && cols.first().is_some_and(|c| {
                let c = c.to_lowercase();
                c == "regio" || c == "region"
            })
        {
            continue;
        }
        if cols.len() < 4 {
            errs.push((n + 1, "error-csv-columns"));
            continue;
        }
        let region = match cols[0].to_lowercase().as_str() {
            "noord" | "north" => Some(Some(SchoolRegion::North)),
            "midden" | "central" => Some(Some(SchoolRegion::Central)),
            "zuid" | "south" => Some(Some(SchoolRegion::South)),
            "alle" | "all" | "" => Some(None),
            _ => None,
        };
        let kind = match cols[1].to_lowercase().as_str() {
            "herfstvakantie" | "autumn" => Some("autumn"),
            "kerstvakantie" | "christmas" => Some("christmas"),
            "voorjaarsvakantie" | "spring" => Some("spring"),
            "meivakantie" | "may" => Some("may"),
            "zomervakantie" | "summer" => Some("summer"),
            "sluiting" | "studiedag" | "closure" => Some("closure"),
            _ => None,
        };
        let (first, last) = (parse_date(cols[2]), parse_date(cols[3]));
        match (region, kind, first, last) {
            (Some(region), Some(kind), Some(first), Some(last)) if first <= last => {
                if region.is_none() && kind != "closure" {
                    errs.push((n + 1, "error-csv-region"));
                    continue;
                }
                out.push(NewHoliday {
                    region,
                    kind: kind.into(),
                    name: cols.get(4).map(|s| s.to_string()).unwrap_or_default(),
                    first,
                    last,
                });
            }
            (None, ..) => errs.push((n + 1, "error-csv-region")),
            (_, None, ..) => errs.push((n + 1, "error-csv-kind")),
            _ => errs.push((n + 1, "error-csv-dates")),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// ISO `2026-10-17` or Dutch `17-10-2026`.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let mut it = s.split(['-', '/', '.']);
    let d: i8 = it.next()?.parse().ok()?;
    let m: i8 = it.next()?.parse().ok()?;
    let y: i16 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Date::new(y, m, d).ok()
}

// ------------------------------------------------------------------ clocks of one incident

/// The statuses in which the SLA clock does not run: waiting on a third party, and the time an
/// incident spent resolved before it was reopened.
fn pausing(status: &str) -> bool {
    matches!(status, "waiting" | "resolved" | "evaluated" | "closed")
}

/// The paused intervals from the status changes on the timeline.
pub fn pauses_from(transitions: &[Transition]) -> Vec<Pause> {
    let mut out = Vec::new();
    let mut open: Option<Timestamp> = None;
    for t in transitions {
        match (pausing(&t.from), pausing(&t.to)) {
            (false, true) if open.is_none() => open = Some(t.at),
            (true, false) => {
                if let Some(start) = open.take() {
                    out.push(Pause {
                        start,
                        end: Some(t.at),
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push(Pause { start, end: None });
    }
    out
}

/// The priority an incident's clocks run on.
pub fn effective_priority(i: &Incident, settings: &SlaSettings) -> Priority {
    i.priority().unwrap_or(settings.untriaged_priority)
}

/// Evaluates an incident's clocks at `now`.
pub fn evaluate_incident(
    i: &Incident,
    transitions: &[Transition],
    settings: &SlaSettings,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> SlaStatus {
    let pauses = pauses_from(transitions);
    let reported_at = i.timeline.reported_at.unwrap_or(now);
    // A report found not to be an incident stops both clocks at that decision.
    let resolved_at = match i.status {
        Status::NotAnIncident => Some(
            i.timeline
                .closed_at
                .or(i.timeline.registered_at)
                .unwrap_or(now),
        ),
        _ => i.timeline.resolved_at,
    };
    let input = SlaInput {
        priority: effective_priority(i, settings),
        reported_at,
        pauses: &pauses,
        first_response_at: i.timeline.first_response_at,
        resolved_at,
    };
    evaluate(&input, calendar, &settings.policy, now)
}

fn clock_row(r: &SlaReading, level: i64) -> ClockRow {
    ClockRow {
        state: r.state.code(),
        target_us: r
            .target
            .map(|t| t.as_micros().try_into().unwrap_or(i64::MAX)),
        elapsed_us: r.elapsed.as_micros().try_into().unwrap_or(i64::MAX),
        at_risk_at: r.at_risk_at,
        due_at: r.due_at,
        stopped_at: r.stopped_at,
        level,
    }
}

/// When the next threshold above `level` passes on a running clock, `None` when nothing is
/// pending (stopped, paused, no target, every level handled).
fn next_threshold(
    r: &SlaReading,
    level: i64,
    paused: bool,
    thresholds: &[(i64, u32)],
    clock: &meldpunt_core::calendar::Clock<'_>,
    now: Timestamp,
) -> Option<Timestamp> {
    if r.stopped_at.is_some() || paused {
        return None;
    }
    let target = r.target?;
    thresholds
        .iter()
        .filter(|(l, _)| *l > level)
        .map(|(_, pct)| {
            let at = SignedDuration::from_nanos_i128(target.as_nanos() * i128::from(*pct) / 100);
            if r.elapsed >= at {
                now
            } else {
                clock.add_business_duration(now, at - r.elapsed)
            }
        })
        .min()
}

/// The level a clock has reached at `now` given the thresholds (0 when none passed).
pub fn level_reached(r: &SlaReading, thresholds: &[(i64, u32)]) -> i64 {
    let Some(target) = r.target else {
        return 0;
    };
    thresholds
        .iter()
        .filter(|(_, pct)| {
            let at = SignedDuration::from_nanos_i128(target.as_nanos() * i128::from(*pct) / 100);
            r.elapsed >= at
        })
        .map(|(l, _)| *l)
        .max()
        .unwrap_or(0)
}

/// Builds the stored row from an evaluation, keeping the escalation levels already handled.
pub(crate) fn sla_row(
    i: &Incident,
    status: &SlaStatus,
    settings: &SlaSettings,
    calendar: &BusinessCalendar,
    levels: (i64, i64),
    now: Timestamp,
) -> IncidentSlaRow {
    let thresholds = settings.thresholds();
    let clock = calendar.clock(status.clock);
    let open = i.status.is_open();
    let next = if open {
        [
            next_threshold(
                &status.response,
                levels.0,
                status.paused,
                &thresholds,
                &clock,
                now,
            ),
            next_threshold(
                &status.resolution,
                levels.1,
                status.paused,
                &thresholds,
                &clock,
                now,
            ),
        ]
        .into_iter()
        .flatten()
        .min()
    } else {
        None
    };
    IncidentSlaRow {
        incident_id: i.id,
        board_id: i.board_id,
        school_id: i.school_id,
        assignee_id: i.assignee_id,
        is_open: open,
        exercise: i.exercise,
        priority: status.priority.code().into(),
        triaged: i.priority().is_some(),
        clock: status.clock.code().into(),
        paused: status.paused,
        reported_at: i.timeline.reported_at.unwrap_or(now),
        computed_at: now,
        response: clock_row(&status.response, levels.0),
        resolution: clock_row(&status.resolution, levels.1),
        next_check_at: next,
    }
}

/// Reads the settings and holidays inside a transaction.
pub(crate) async fn settings_in_tx(
    tx: &mut Tx,
    board: BoardId,
) -> AppResult<(SlaSettings, BusinessCalendar)> {
    let settings = SlaSettings::from_row(tx.sla_settings(board, false).await?)?;
    let holidays = if settings.holidays_seeded {
        tx.school_holidays(board).await?
    } else {
        Vec::new()
    };
    let calendar = settings.calendar(&holidays);
    Ok((settings, calendar))
}

/// Job kind that alerts the person on call (see `oncall`).
pub use crate::oncall::ONCALL_ALERT;

/// Recomputes and stores an incident's SLA row; called in the transaction of every change
/// (`previous` is the incident before it, `None` for a new report). Enqueues the on-call alert
/// when a P1 or a report with possible personal data arrives outside working hours, and the
/// crisis-channel message for a new P1. Writes no audit entry of its own: the alert runs as a job.
pub async fn sync_incident_sla(
    tx: &mut Tx,
    previous: Option<&Incident>,
    i: &Incident,
    now: Timestamp,
) -> AppResult<()> {
    let (settings, calendar) = settings_in_tx(tx, i.board_id).await?;
    let Some(prev) = previous else {
        let (row, jobs) = new_report_sla(i, &settings, &calendar, now);
        tx.put_incident_sla(&row, now).await?;
        tx.enqueue_many(&jobs, now).await?;
        return Ok(());
    };
    let transitions = tx.transitions(i.id).await?;
    let existing = tx.incident_sla_for_update(i.id).await?;
    let status = evaluate_incident(i, &transitions, &settings, &calendar, now);
    let levels = match &existing {
        // A changed priority is a new service level: its thresholds escalate afresh.
        Some(r) if r.priority == status.priority.code() => (r.response.level, r.resolution.level),
        _ => (0, 0),
    };
    let row = sla_row(i, &status, &settings, &calendar, levels, now);
    tx.put_incident_sla(&row, now).await?;

    let was_p1 = prev.priority() == Some(Priority::P1);
    let is_p1 = i.priority() == Some(Priority::P1);
    if is_p1 && !was_p1 && i.status.is_open() {
        if !calendar.is_working_time(now) {
            tx.enqueue(&oncall_alert(i, crate::oncall::TRIGGER_P1, now), now)
                .await?;
        }
        crate::escalation::enqueue_crisis_p1(tx, i, now).await?;
    }
    Ok(())
}

/// The SLA row of a new report, and the on-call alert it needs: a report that may involve
/// personal data, arriving outside working hours. Pure, so intake batches compute it per report
/// after reading each board's settings once. A new report is untriaged, so it has no priority
/// and cannot be a new P1 (that starts with triage, in `sync_incident_sla`).
pub(crate) fn new_report_sla(
    i: &Incident,
    settings: &SlaSettings,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> (IncidentSlaRow, Vec<NewJob>) {
    let status = evaluate_incident(i, &[], settings, calendar, now);
    let row = sla_row(i, &status, settings, calendar, (0, 0), now);
    let mut jobs = Vec::new();
    if i.personal_data != PersonalDataAnswer::No && !calendar.is_working_time(now) {
        jobs.push(oncall_alert(i, crate::oncall::TRIGGER_PERSONAL_DATA, now));
    }
    (row, jobs)
}

/// The first on-call alert for an incident and trigger.
fn oncall_alert(i: &Incident, trigger: &str, now: Timestamp) -> NewJob {
    NewJob {
        kind: ONCALL_ALERT.into(),
        payload: json!({ "incident_id": i.id.to_string(), "trigger": trigger, "step": 0 })
            .to_string(),
        unique_key: Some(format!("oncall-alert:{}:{trigger}:0", i.id)),
        run_at: now,
        max_attempts: 5,
        urgent: true,
    }
}

// ------------------------------------------------------------------ the scan

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Incidents looked at.
    pub checked: usize,
    /// Escalation events written.
    pub escalations: usize,
}

impl App {
    /// The settings of a board (defaults when none were saved).
    pub async fn sla_settings(&self, board: BoardId) -> AppResult<SlaSettings> {
        SlaSettings::from_row(self.store.sla_settings(board).await?)
    }

    /// The settings and business calendar of a board.
    pub async fn board_calendar(
        &self,
        board: BoardId,
    ) -> AppResult<(SlaSettings, BusinessCalendar)> {
        let settings = self.sla_settings(board).await?;
        let holidays = if settings.holidays_seeded {
            self.store.school_holidays(board).await?
        } else {
            Vec::new()
        };
        let cal = settings.calendar(&holidays);
        Ok((settings, cal))
    }

    /// Runs the SLA scan: every incident whose next threshold has passed is escalated, one
    /// transaction each. Safe to run on several instances at once: each row is claimed with
    /// `FOR UPDATE SKIP LOCKED` and its escalation level is raised in the same transaction.
    pub async fn run_sla_scan(&self) -> AppResult<ScanReport> {
        let started = std::time::Instant::now();
        let mut report = ScanReport::default();
        let mut skipped = std::collections::HashSet::new();
        loop {
            let now = self.now();
            let ids = self.store.due_sla_checks(now, 200).await?;
            let fresh: Vec<IncidentId> = ids
                .into_iter()
                .map(|(id, _)| id)
                .filter(|id| !skipped.contains(id))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for id in fresh {
                match self.escalate_due(id).await {
                    Ok(Some(n)) => {
                        report.checked += 1;
                        report.escalations += n;
                    }
                    Ok(None) => {
                        skipped.insert(id);
                    }
                    Err(e) => {
                        tracing::warn!(incident = %id, error = %e, "SLA check failed");
                        skipped.insert(id);
                    }
                }
            }
            // Leave the rest to the next tick rather than outlive the job's lease.
            if started.elapsed() > std::time::Duration::from_secs(120) {
                break;
            }
        }
        Ok(report)
    }

    /// The periodic scan (job `sla_scan`): enqueues one `sla_check` job per incident whose next
    /// threshold has passed, keyed by incident and threshold moment, so each moment is checked
    /// once however many instances scan; the checks then run on every instance's job runner.
    pub async fn enqueue_sla_checks(&self) -> AppResult<usize> {
        let now = self.now();
        let due = self.store.due_sla_checks(now, 5000).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let mut n = 0;
        for (id, at) in &due {
            let fresh = tx
                .enqueue(
                    &NewJob {
                        kind: SLA_CHECK.into(),
                        payload: json!({ "incident_id": id.to_string() }).to_string(),
                        unique_key: Some(format!("{SLA_CHECK}:{id}:{}", at.as_microsecond())),
                        run_at: now,
                        max_attempts: 10,
                        urgent: true,
                    },
                    now,
                )
                .await?;
            n += usize::from(fresh);
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Runs one `sla_check` job. When a concurrent change held the row, the check fails so the
    /// runner retries it (the threshold moment may not change, so no new job would come).
    pub async fn run_sla_check(&self, id: IncidentId) -> AppResult<()> {
        if self.escalate_due(id).await?.is_some() {
            return Ok(());
        }
        match self.store.incident_sla(id).await? {
            Some(r) if r.next_check_at.is_some_and(|t| t <= self.now()) => Err(AppError::Internal(
                "the incident's SLA row was busy; retrying".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Checks one incident whose next threshold passed: escalates each threshold not yet
    /// handled, raises the levels and stores the next check, in one transaction. `None` when
    /// another worker holds the row or it is no longer due.
    pub async fn escalate_due(&self, id: IncidentId) -> AppResult<Option<usize>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(row) = tx.claim_due_sla(id, now).await? else {
            return Ok(None);
        };
        // Read without a row lock: a concurrent change of the incident waits for this row's
        // lock and recomputes after us (see `sync_incident_sla`), so no update is lost. Read
        // through the transaction, so SQLite's group commit shows the latest state.
        let Some(incident) = tx.incident(id).await? else {
            return Ok(None);
        };
        let (settings, calendar) = settings_in_tx(&mut tx, incident.board_id).await?;
        let transitions = tx.transitions(id).await?;
        let status = evaluate_incident(&incident, &transitions, &settings, &calendar, now);
        let same_priority = row.priority == status.priority.code();
        let mut levels = if same_priority {
            (row.response.level, row.resolution.level)
        } else {
            (0, 0)
        };
        let thresholds = settings.thresholds();
        let mut escalations = Vec::new();
        if incident.status.is_open() && !status.paused {
            for (which, reading, level) in [
                ("response", &status.response, &mut levels.0),
                ("resolution", &status.resolution, &mut levels.1),
            ] {
                if reading.stopped_at.is_some() {
                    continue;
                }
                let reached = level_reached(reading, &thresholds);
                // Each threshold passed since the last check is an escalation of its own.
                for (l, pct) in thresholds
                    .iter()
                    .filter(|(l, _)| *l > *level && *l <= reached)
                {
                    escalations.push(crate::escalation::Threshold {
                        clock: which,
                        level: *l,
                        percent: *pct,
                        reading: *reading,
                    });
                }
                *level = (*level).max(reached);
            }
        }
        let new_row = sla_row(&incident, &status, &settings, &calendar, levels, now);
        tx.put_incident_sla(&new_row, now).await?;
        let n = escalations.len();
        if n > 0 {
            self.record_sla_escalations(&mut tx, &incident, &status, &settings, &escalations, now)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(n))
    }

    /// Recomputes the SLA rows of a board's open incidents (after its settings changed).
    pub async fn recompute_board_sla(&self, board: BoardId) -> AppResult<usize> {
        let ids = self.store.open_incident_ids(board).await?;
        let mut n = 0;
        for id in ids {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let Some(i) = tx.incident_for_update(id).await? else {
                continue;
            };
            sync_incident_sla(&mut tx, Some(&i), &i, now).await?;
            tx.commit().await?;
            n += 1;
        }
        Ok(n)
    }

    /// Gives open incidents without an SLA row one (job `sla_backfill`); returns how many.
    pub async fn backfill_sla(&self) -> AppResult<usize> {
        let mut n = 0;
        loop {
            let ids = self.store.incidents_without_sla(500).await?;
            if ids.is_empty() {
                return Ok(n);
            }
            for id in ids {
                self.ensure_incident_sla(id).await?;
                n += 1;
            }
        }
    }

    /// Recomputes one incident's SLA row (for incidents created before this feature existed).
    pub async fn ensure_incident_sla(&self, id: IncidentId) -> AppResult<()> {
        if self.store.incident_sla(id).await?.is_some() {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(i) = tx.incident_for_update(id).await? {
            sync_incident_sla(&mut tx, Some(&i), &i, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

// ------------------------------------------------------------------ settings use cases

/// May this person change the SLA configuration of `board`? Administrators and board-wide
/// incident managers.
pub fn may_configure(p: &Principal, board: BoardId) -> bool {
    p.may_in_board(BoardAction::ManageSchools, board)
        || p.grants.iter().any(|g| {
            g.board_id == board && g.school_id.is_none() && g.role == Role::IncidentManager
        })
}

fn authorise_config(actor: &Actor<'_>, board: BoardId) -> AppResult<()> {
    match actor {
        Actor::Cli | Actor::System => Ok(()),
        Actor::User(p) if may_configure(p, board) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

fn invalid(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

/// A host pattern of the webhook allow-list: a hostname or `*.` + a domain.
pub fn valid_host_pattern(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl App {
    /// Saves a board's SLA settings (audited) and recomputes its open incidents' clocks in a job.
    pub async fn save_sla_settings(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        new: SlaSettings,
    ) -> AppResult<()> {
        authorise_config(actor, board)?;
        new.policy.validate().map_err(|e| match e {
            meldpunt_core::sla::SlaPolicyError::AtRiskPercent(_) => {
                invalid("at_risk_percent", "error-sla-at-risk-percent")
            }
            meldpunt_core::sla::SlaPolicyError::ZeroTarget { .. } => {
                invalid("policy", "error-sla-zero-target")
            }
        })?;
        new.escalation.validate()?;
        if !(1..=7).contains(&new.oncall.handover_weekday) {
            return Err(invalid("handover_weekday", "error-invalid-choice"));
        }
        if !(1..=240).contains(&new.oncall.ack_minutes) {
            return Err(invalid("ack_minutes", "error-sla-ack-minutes"));
        }
        if new.webhook_hosts.iter().any(|h| !valid_host_pattern(h)) {
            return Err(invalid("webhook_hosts", "error-sla-host"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let current = SlaSettings::from_row(tx.sla_settings(board, true).await?)?;
        let settings = SlaSettings {
            holidays_seeded: current.holidays_seeded,
            ..new
        };
        tx.put_sla_settings(board, &settings.to_row()?, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.sla_settings",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({
                "region": settings.region.code(),
                "week": settings.week,
                "holiday_rules": settings.holiday_rules,
                "policy": settings.policy,
                "untriaged_priority": settings.untriaged_priority.code(),
                "escalation": settings.escalation,
                "oncall": settings.oncall,
                "webhook_hosts": settings.webhook_hosts,
            }),
        ))
        .await?;
        enqueue_recompute(&mut tx, board, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Copies the official school holidays into the board's table on the first change, so
    /// administrators edit a complete list.
    async fn seed_holidays(&self, tx: &mut Tx, board: BoardId, now: Timestamp) -> AppResult<()> {
        let mut settings = SlaSettings::from_row(tx.sla_settings(board, true).await?)?;
        if settings.holidays_seeded {
            return Ok(());
        }
        for h in official_rows(board) {
            tx.insert_holiday(&h, now).await?;
        }
        settings.holidays_seeded = true;
        tx.put_sla_settings(board, &settings.to_row()?, now).await?;
        Ok(())
    }

    /// The school holidays and closing days of a board: its own list once edited, else the
    /// official dates (marked `official`).
    pub async fn school_holidays(&self, board: BoardId) -> AppResult<Vec<HolidayRow>> {
        let settings = self.sla_settings(board).await?;
        if settings.holidays_seeded {
            Ok(self.store.school_holidays(board).await?)
        } else {
            Ok(official_rows(board))
        }
    }

    /// Adds school holidays or closing days (form or CSV import), audited as one change.
    pub async fn add_school_holidays(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        items: Vec<NewHoliday>,
        replace_school_years: bool,
    ) -> AppResult<usize> {
        authorise_config(actor, board)?;
        if items.is_empty() {
            return Err(invalid("csv", "error-required"));
        }
        for h in &items {
            if h.last < h.first {
                return Err(invalid("last", "error-sla-date-order"));
            }
            if h.last.since(h.first).map(|s| s.get_days()).unwrap_or(0) > 120 {
                return Err(invalid("last", "error-sla-too-long"));
            }
            if !HOLIDAY_KINDS.contains(&h.kind.as_str()) {
                return Err(invalid("kind", "error-invalid-choice"));
            }
            if h.region.is_none() && h.kind != "closure" {
                return Err(invalid("region", "error-required"));
            }
        }
        let now = self.now();
        let source = if replace_school_years {
            "import"
        } else {
            "manual"
        };
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        self.seed_holidays(&mut tx, board, now).await?;
        if replace_school_years {
            // An import replaces the listed school years of the regions it names.
            let mut years: Vec<(String, Option<&'static str>)> = items
                .iter()
                .map(|h| (school_year_of(h.first), h.region.map(SchoolRegion::code)))
                .collect();
            years.sort();
            years.dedup();
            for (y, r) in &years {
                tx.delete_school_year(board, y, *r).await?;
            }
        }
        for h in &items {
            tx.insert_holiday(
                &HolidayRow {
                    id: uuid::Uuid::now_v7(),
                    board_id: board,
                    region: h.region.map(|r| r.code().to_string()),
                    school_year: school_year_of(h.first),
                    kind: h.kind.clone(),
                    name: h.name.trim().chars().take(100).collect(),
                    first_day: h.first.to_string(),
                    last_day: h.last.to_string(),
                    source: source.into(),
                },
                now,
            )
            .await?;
        }
        tx.append_audit(record(
            now,
            actor,
            if replace_school_years {
                "board.school_holidays.import"
            } else {
                "board.school_holidays.add"
            },
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({
                "count": items.len(),
                "holidays": items.iter().map(|h| json!({
                    "region": h.region.map(SchoolRegion::code),
                    "kind": h.kind,
                    "first": h.first.to_string(),
                    "last": h.last.to_string(),
                })).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        enqueue_recompute(&mut tx, board, now).await?;
        tx.commit().await?;
        Ok(items.len())
    }

    /// Removes a school holiday or closing day.
    pub async fn delete_school_holiday(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        id: uuid::Uuid,
    ) -> AppResult<()> {
        authorise_config(actor, board)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        self.seed_holidays(&mut tx, board, now).await?;
        let rows = tx.school_holidays(board).await?;
        let Some(h) = rows.into_iter().find(|h| h.id == id) else {
            return Err(AppError::NotFound);
        };
        tx.delete_holiday(board, h.id).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.school_holidays.delete",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({ "region": h.region, "kind": h.kind, "first": h.first_day, "last": h.last_day }),
        ))
        .await?;
        enqueue_recompute(&mut tx, board, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes sure the board's holiday list is in the database (so rows have stable ids).
    pub async fn seed_school_holidays(&self, actor: &Actor<'_>, board: BoardId) -> AppResult<()> {
        authorise_config(actor, board)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let seeded = SlaSettings::from_row(tx.sla_settings(board, true).await?)?.holidays_seeded;
        if seeded {
            return Ok(());
        }
        self.seed_holidays(&mut tx, board, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.school_holidays.seed",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({ "source": "official" }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn enqueue_recompute(tx: &mut Tx, board: BoardId, now: Timestamp) -> AppResult<()> {
    tx.enqueue(
        &NewJob {
            kind: SLA_RECOMPUTE.into(),
            payload: json!({ "board_id": board.to_string() }).to_string(),
            unique_key: Some(format!("{SLA_RECOMPUTE}:{board}:{}", now.as_microsecond())),
            run_at: now,
            max_attempts: 5,
            urgent: true,
        },
        now,
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ reading

/// The SLA state of one clock of a stored row at `now`, without re-evaluating: a running clock
/// is breached once its due moment passed, at risk once its at-risk moment passed.
pub fn state_now(c: &ClockRow, paused: bool, now: Timestamp) -> SlaState {
    let stored = SlaState::from_code(c.state).unwrap_or(SlaState::NotApplicable);
    if c.stopped_at.is_some() || c.target_us.is_none() || paused {
        return stored;
    }
    match (c.due_at, c.at_risk_at) {
        (Some(d), _) if d <= now => SlaState::Breached,
        (_, Some(r)) if r <= now => SlaState::AtRisk,
        _ => SlaState::OnTrack,
    }
}

fn severity(s: SlaState) -> u8 {
    match s {
        SlaState::Breached => 3,
        SlaState::AtRisk => 2,
        SlaState::OnTrack => 1,
        SlaState::Met | SlaState::NotApplicable => 0,
    }
}

/// The worse of an open incident's two clocks; a clock already met does not count.
pub fn overall_state(r: &IncidentSlaRow, now: Timestamp) -> SlaState {
    let a = state_now(&r.response, r.paused, now);
    let b = state_now(&r.resolution, r.paused, now);
    let worst = if severity(a) >= severity(b) { a } else { b };
    if severity(worst) == 0 {
        SlaState::OnTrack
    } else {
        worst
    }
}

/// Counts of open incidents by SLA state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    /// *op schema*.
    pub on_track: u64,
    /// *dreigt te verlopen*.
    pub at_risk: u64,
    /// *verlopen*.
    pub breached: u64,
    /// Of these, waiting on a third party (clock paused).
    pub paused: u64,
    /// All open incidents counted.
    pub total: u64,
}

impl StateCounts {
    fn add(&mut self, s: SlaState, paused: bool) {
        match s {
            SlaState::Breached => self.breached += 1,
            SlaState::AtRisk => self.at_risk += 1,
            _ => self.on_track += 1,
        }
        if paused {
            self.paused += 1;
        }
        self.total += 1;
    }
}

/// One group row of the dashboard (a school or a handler).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCounts {
    /// The school or handler id; `None` for "no school" / "unassigned".
    pub id: Option<uuid::Uuid>,
    /// Its name (empty for none).
    pub name: String,
    /// Counts.
    pub counts: StateCounts,
}

/// In-time shares of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodStats {
    /// `2026-10` (month) or `2026-W43` (week).
    pub label: String,
    /// First instant of the period.
    pub start: Timestamp,
    /// Incidents whose response clock stopped in the period.
    pub responded: u64,
    /// Of which within the target.
    pub responded_in_time: u64,
    /// Incidents resolved in the period (with a resolution target).
    pub resolved: u64,
    /// Of which within the target.
    pub resolved_in_time: u64,
}

impl PeriodStats {
    /// Share responded in time, percent, `None` without responses.
    pub fn response_pct(&self) -> Option<u64> {
        (self.responded > 0).then(|| self.responded_in_time * 100 / self.responded)
    }

    /// Share resolved in time, percent, `None` without resolutions.
    pub fn resolution_pct(&self) -> Option<u64> {
        (self.resolved > 0).then(|| self.resolved_in_time * 100 / self.resolved)
    }
}

/// An incident at risk or breached, for the list with time left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtRiskItem {
    /// Incident.
    pub incident_id: IncidentId,
    /// `2026-0042`.
    pub number: String,
    /// Summary.
    pub summary: String,
    /// Priority the clocks run on.
    pub priority: Priority,
    /// Triaged (else the untriaged default applies).
    pub triaged: bool,
    /// Which clock: `response` or `resolution`.
    pub clock: &'static str,
    /// At risk or breached.
    pub state: SlaState,
    /// Due moment.
    pub due_at: Option<Timestamp>,
    /// Clock time left (negative once breached).
    pub remaining: SignedDuration,
    /// Paused.
    pub paused: bool,
    /// School name.
    pub school: String,
    /// Handler name.
    pub handler: String,
}

/// Period granularity of the in-time statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    /// The last six calendar months.
    #[default]
    Month,
    /// The last eight ISO weeks.
    Week,
}

/// The SLA dashboard of a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// Board.
    pub board_id: BoardId,
    /// When computed.
    pub now: Timestamp,
    /// All open incidents by state.
    pub totals: StateCounts,
    /// Per school.
    pub by_school: Vec<GroupCounts>,
    /// Per handler.
    pub by_handler: Vec<GroupCounts>,
    /// In time per period, oldest first.
    pub periods: Vec<PeriodStats>,
    /// At risk and breached, least time left first.
    pub at_risk: Vec<AtRiskItem>,
}

/// The schools a person sees on the dashboard: `None` for all; `Err` when they may not.
fn dashboard_scope(p: &Principal, board: BoardId) -> AppResult<Option<Vec<SchoolId>>> {
    let grants: Vec<_> = p
        .grants
        .iter()
        .filter(|g| {
            g.board_id == board && matches!(g.role, Role::ServiceDesk | Role::IncidentManager)
        })
        .collect();
    if grants.is_empty() {
        return Err(if p.boards().contains(&board) {
            AppError::Forbidden
        } else {
            AppError::NotFound
        });
    }
    if grants.iter().any(|g| g.school_id.is_none()) {
        Ok(None)
    } else {
        Ok(Some(grants.iter().filter_map(|g| g.school_id).collect()))
    }
}

/// The boards whose dashboard a person may see.
pub fn dashboard_boards(p: &Principal) -> Vec<BoardId> {
    p.boards()
        .into_iter()
        .filter(|b| dashboard_scope(p, *b).is_ok())
        .collect()
}

fn period_starts(g: Granularity, now: Timestamp) -> Vec<(String, Timestamp, Timestamp)> {
    let tz = meldpunt_core::calendar::amsterdam();
    let today = tz.to_datetime(now).date();
    let at = |d: Date| {
        tz.to_timestamp(d.to_datetime(Time::midnight()))
            .unwrap_or(now)
    };
    let mut out = Vec::new();
    match g {
        Granularity::Month => {
            let first = today.first_of_month();
            for k in (0..6).rev() {
                let s = first
                    .checked_sub(jiff::Span::new().months(k))
                    .unwrap_or(first);
                let e = s.checked_add(jiff::Span::new().months(1)).unwrap_or(s);
                out.push((format!("{:04}-{:02}", s.year(), s.month()), at(s), at(e)));
            }
        }
        Granularity::Week => {
            let monday = today
                .checked_sub(
                    jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())),
                )
                .unwrap_or(today);
            for k in (0..8).rev() {
                let s = monday
                    .checked_sub(jiff::Span::new().weeks(k))
                    .unwrap_or(monday);
                let e = s.checked_add(jiff::Span::new().weeks(1)).unwrap_or(s);
                let w = s.iso_week_date();
                out.push((format!("{:04}-W{:02}", w.year(), w.week()), at(s), at(e)));
            }
        }
    }
    out
}

impl App {
    /// The SLA dashboard of a board for service desk and incident managers (school-scoped
    /// roles see their schools).
    pub async fn sla_dashboard(
        &self,
        p: &Principal,
        board: BoardId,
        granularity: Granularity,
    ) -> AppResult<Dashboard> {
        let scope = dashboard_scope(p, board)?;
        let now = self.now();
        let (settings, calendar) = self.board_calendar(board).await?;
        let in_scope = |s: Option<SchoolId>| match &scope {
            None => true,
            Some(list) => s.is_some_and(|s| list.contains(&s)),
        };
        let rows: Vec<IncidentSlaRow> = self
            .store
            .open_incident_slas(board, false)
            .await?
            .into_iter()
            .filter(|r| in_scope(r.school_id))
            .collect();
        let schools: BTreeMap<SchoolId, String> = self
            .store
            .schools(board)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let people: BTreeMap<UserId, String> = self
            .store
            .users_in_board(board)
            .await?
            .into_iter()
            .map(|(u, _)| (u.id, u.name))
            .collect();
        let mut totals = StateCounts::default();
        let mut by_school: BTreeMap<Option<SchoolId>, StateCounts> = BTreeMap::new();
        let mut by_handler: BTreeMap<Option<UserId>, StateCounts> = BTreeMap::new();
        let mut risky = Vec::new();
        for r in &rows {
            let s = overall_state(r, now);
            totals.add(s, r.paused);
            by_school.entry(r.school_id).or_default().add(s, r.paused);
            by_handler
                .entry(r.assignee_id)
                .or_default()
                .add(s, r.paused);
            for (which, c) in [("response", &r.response), ("resolution", &r.resolution)] {
                let st = state_now(c, r.paused, now);
                if matches!(st, SlaState::AtRisk | SlaState::Breached) && c.stopped_at.is_none() {
                    risky.push((r, which, c, st));
                }
            }
        }
        let name_or = |n: Option<&String>| n.cloned().unwrap_or_default();
        let mut by_school: Vec<GroupCounts> = by_school
            .into_iter()
            .map(|(id, counts)| GroupCounts {
                id: id.map(|s| s.0),
                name: id.map(|s| name_or(schools.get(&s))).unwrap_or_default(),
                counts,
            })
            .collect();
        by_school.sort_by(|a, b| (a.id.is_none(), &a.name).cmp(&(b.id.is_none(), &b.name)));
        let mut by_handler: Vec<GroupCounts> = by_handler
            .into_iter()
            .map(|(id, counts)| GroupCounts {
                id: id.map(|u| u.0),
                name: id.map(|u| name_or(people.get(&u))).unwrap_or_default(),
                counts,
            })
            .collect();
        by_handler.sort_by(|a, b| (a.id.is_none(), &a.name).cmp(&(b.id.is_none(), &b.name)));

        // Time left on the clock, shortest first; the list shows at most 100.
        let mut at_risk = Vec::new();
        let mut items: Vec<(SignedDuration, _)> = risky
            .into_iter()
            .map(|(r, which, c, st)| {
                let mode = ClockMode::from_code(&r.clock).unwrap_or(ClockMode::WorkingHours);
                let target = SignedDuration::from_micros(c.target_us.unwrap_or(0));
                let remaining = if r.paused {
                    target - SignedDuration::from_micros(c.elapsed_us)
                } else {
                    let clock = calendar.clock(mode);
                    match c.due_at {
                        Some(d) => clock.business_time_between(now, d),
                        None => SignedDuration::ZERO,
                    }
                };
                (remaining, (r, which, c, st))
            })
            .collect();
        items.sort_by_key(|(rem, _)| *rem);
        for (remaining, (r, which, c, st)) in items.into_iter().take(100) {
            let Some(i) = self.store.incident(r.incident_id).await? else {
                continue;
            };
            if !p.may(IncidentAction::View, &i) {
                continue;
            }
            at_risk.push(AtRiskItem {
                incident_id: i.id,
                number: i.number.to_string(),
                summary: i.summary.clone(),
                priority: Priority::from_code(&r.priority).unwrap_or(settings.untriaged_priority),
                triaged: r.triaged,
                clock: which,
                state: st,
                due_at: c.due_at,
                remaining,
                paused: r.paused,
                school: r
                    .school_id
                    .map(|s| name_or(schools.get(&s)))
                    .unwrap_or_default(),
                handler: r
                    .assignee_id
                    .map(|u| name_or(people.get(&u)))
                    .unwrap_or_default(),
            });
        }

        let periods_def = period_starts(granularity, now);
        let (from, to) = (
            periods_def.first().map(|p| p.1).unwrap_or(now),
            periods_def.last().map(|p| p.2).unwrap_or(now),
        );
        let responses = self
            .store
            .stopped_clocks(board, "response", from, to)
            .await?;
        let resolutions = self
            .store
            .stopped_clocks(board, "resolution", from, to)
            .await?;
        let periods = periods_def
            .into_iter()
            .map(|(label, s, e)| {
                let mut ps = PeriodStats {
                    label,
                    start: s,
                    responded: 0,
                    responded_in_time: 0,
                    resolved: 0,
                    resolved_in_time: 0,
                };
                for (c, school) in &responses {
                    if c.stopped_at >= s && c.stopped_at < e && in_scope(*school) {
                        if c.state == "met" || c.state == "breached" {
                            ps.responded += 1;
                        }
                        if c.state == "met" {
                            ps.responded_in_time += 1;
                        }
                    }
                }
                for (c, school) in &resolutions {
                    if c.stopped_at >= s && c.stopped_at < e && in_scope(*school) {
                        if c.state == "met" || c.state == "breached" {
                            ps.resolved += 1;
                        }
                        if c.state == "met" {
                            ps.resolved_in_time += 1;
                        }
                    }
                }
                ps
            })
            .collect();
        Ok(Dashboard {
            board_id: board,
            now,
            totals,
            by_school,
            by_handler,
            periods,
            at_risk,
        })
    }

    /// The SLA of one incident as the viewer may see it: the live evaluation at `now`.
    pub async fn incident_sla_status(
        &self,
        p: &Principal,
        id: IncidentId,
    ) -> AppResult<(Incident, SlaStatus, Option<IncidentSlaRow>)> {
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        if !p.may(IncidentAction::View, &i) {
            return Err(if p.boards().contains(&i.board_id) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let (settings, calendar) = self.board_calendar(i.board_id).await?;
        let transitions = self.store.transitions(id).await?;
        let status = evaluate_incident(&i, &transitions, &settings, &calendar, self.now());
        let row = self.store.incident_sla(id).await?;
        Ok((i, status, row))
    }
}

/// Region by its Dutch name or code.
pub fn region_from_form(s: &str) -> Option<SchoolRegion> {
    SchoolRegion::from_code(s).or_else(|| {
        SchoolRegion::ALL
            .iter()
            .copied()
            .find(|r| r.dutch_name() == s)
    })
}

/// The week schedule from seven optional (start, end) pairs, Monday first.
pub fn week_from_hours(days: [Option<(Time, Time)>; 7]) -> Result<WeekSchedule, ValidationErrors> {
    let mut out = [None; 7];
    for (i, d) in days.iter().enumerate() {
        if let Some((s, e)) = d {
            out[i] = Some(WorkingHours::new(*s, *e).map_err(|_| {
                ValidationErrors(vec![FieldError {
                    field: "week",
                    code: "error-sla-hours",
                }])
            })?);
        }
    }
    WeekSchedule::new(out).map_err(|_| {
        ValidationErrors(vec![FieldError {
            field: "week",
            code: "error-sla-no-days",
        }])
    })
}

/// Liberation-day rule by code.
pub fn liberation_rule(s: &str) -> Option<LiberationDayRule> {
    LiberationDayRule::from_code(s)
}

/// A holiday kind's display code is valid.
pub fn holiday_kind(s: &str) -> Option<&'static str> {
    HOLIDAY_KINDS.iter().copied().find(|k| *k == s).or_else(|| {
        SchoolHolidayKind::ALL
            .iter()
            .find(|k| k.dutch_name() == s)
            .map(|k| k.code())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, from: &str, to: &str) -> Transition {
        Transition {
            at: s.parse().unwrap(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn waiting_and_resolved_time_pause_the_clock() {
        let tr = vec![
            t("2026-10-06T08:00:00Z", "reported", "registered"),
            t("2026-10-06T09:00:00Z", "in_progress", "waiting"),
            t("2026-10-06T10:00:00Z", "waiting", "in_progress"),
            t("2026-10-06T11:00:00Z", "in_progress", "resolved"),
            t("2026-10-06T12:00:00Z", "resolved", "closed"),
            t("2026-10-06T13:00:00Z", "closed", "in_progress"),
            t("2026-10-06T14:00:00Z", "in_progress", "waiting"),
        ];
        let p = pauses_from(&tr);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].start, "2026-10-06T11:00:00Z".parse().unwrap());
        assert_eq!(p[1].end, Some("2026-10-06T13:00:00Z".parse().unwrap()));
        assert_eq!(p[2].end, None);
    }

    #[test]
    fn csv_import_parses_dutch_and_english() {
        let csv = "regio;soort;van;tot;naam\nmidden;voorjaarsvakantie;2027-02-13;2027-02-21\nnoord,spring,20-02-2027,28-02-2027\nalle;studiedag;2027-03-10;2027-03-10;Studiedag\n";
        let v = parse_holiday_csv(csv).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].region, Some(SchoolRegion::Central));
        assert_eq!(v[1].first, Date::constant(2027, 2, 20));
        assert_eq!(v[2].region, None);
        assert_eq!(v[2].kind, "closure");
        let bad =
            parse_holiday_csv("midden;voorjaar;x;y\nzuid;meivakantie;2027-05-02;2027-04-24\n")
                .unwrap_err();
        assert_eq!(bad, vec![(1, "error-csv-kind"), (2, "error-csv-dates")]);
    }

    #[test]
    fn school_years_run_from_august() {
        assert_eq!(school_year_of(Date::constant(2026, 10, 17)), "2026-2027");
        assert_eq!(school_year_of(Date::constant(2027, 7, 10)), "2026-2027");
        assert_eq!(school_year_of(Date::constant(2026, 7, 31)), "2025-2026");
    }

    #[test]
    fn host_patterns() {
        assert!(valid_host_pattern("hooks.slack.com"));
        assert!(valid_host_pattern("*.webhook.office.com"));
        assert!(valid_host_pattern("127.0.0.1"));
        assert!(!valid_host_pattern("http://x"));
        assert!(!valid_host_pattern("a..b"));
        assert!(!valid_host_pattern(""));
    }

    #[test]
    fn default_rules_validate() {
        assert!(EscalationRules::default().validate().is_ok());
        let bad = EscalationRules {
            breach_levels: vec![BreachLevel {
                percent: 120,
                role: Role::IncidentManager,
            }],
            ..EscalationRules::default()
        };
        assert!(bad.validate().is_err());
    }
}
