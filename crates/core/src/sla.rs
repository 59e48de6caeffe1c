//! Service levels (domain.md §3): response and resolution targets per priority, and the SLA
//! state of one incident computed from its history.
//!
//! [`evaluate`] is a pure function of the incident's timestamps, its paused intervals (time in
//! *wacht op derde*), the board's calendar and policy, and `now`. Nothing is stored: the state
//! is recomputed whenever it is needed, so a changed calendar or policy applies at once.

use crate::calendar::{BusinessCalendar, Clock, ClockMode};
use crate::incident::{vocabulary, Priority};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How long a service level allows, in clock time of the level's [`ClockMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A number of minutes.
    Minutes(u32),
    /// A number of hours.
    Hours(u32),
    /// A number of *werkdagen*: each one the length of the board's working day (9.5 h for
    /// 07:30–17:00), or 24 h on the 24/7 clock.
    WorkingDays(u32),
    /// No target (*in overleg*): the clock is shown but never breaches.
    None,
}

impl Target {
    /// The target as a duration on `clock`, or `None` when there is no target.
    pub fn duration(self, clock: &Clock<'_>) -> Option<SignedDuration> {
        match self {
            Target::Minutes(m) => Some(SignedDuration::from_mins(i64::from(m))),
            Target::Hours(h) => Some(SignedDuration::from_hours(i64::from(h))),
            Target::WorkingDays(n) => {
                let day = clock.working_day_length().as_nanos();
                Some(SignedDuration::from_nanos_i128(day * i128::from(n)))
            }
            Target::None => None,
        }
    }

    fn is_zero(self) -> bool {
        matches!(
            self,
            Target::Minutes(0) | Target::Hours(0) | Target::WorkingDays(0)
        )
    }
}

/// The service level of one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceLevel {
    /// Time to first response (*reactietijd*).
    pub response: Target,
    /// Time to resolution (*oplostijd*).
    pub resolution: Target,
    /// Which clock both targets are counted on.
    pub clock: ClockMode,
}

/// A board's service levels per priority and its at-risk threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// P1 *kritiek*.
    pub p1: ServiceLevel,
    /// P2 *hoog*.
    pub p2: ServiceLevel,
    /// P3 *gemiddeld*.
    pub p3: ServiceLevel,
    /// P4 *laag*.
    pub p4: ServiceLevel,
    /// P5 *gepland*.
    pub p5: ServiceLevel,
    /// From this percentage of the target used, a running clock is *dreigt te verlopen*; this is
    /// also where hierarchical escalation starts (domain.md §3, default 75).
    pub at_risk_percent: u8,
}

impl Default for SlaPolicy {
    /// The table of domain.md §3.
    fn default() -> Self {
        let business = |response, resolution| ServiceLevel {
            response,
            resolution,
            clock: ClockMode::WorkingHours,
        };
        Self {
            p1: ServiceLevel {
                response: Target::Minutes(15),
                resolution: Target::Hours(4),
                clock: ClockMode::AroundTheClock,
            },
            p2: business(Target::Hours(1), Target::WorkingDays(1)),
            p3: business(Target::Hours(4), Target::WorkingDays(3)),
            p4: business(Target::WorkingDays(1), Target::WorkingDays(5)),
            p5: business(Target::WorkingDays(5), Target::None),
            at_risk_percent: 75,
        }
    }
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SlaPolicyError {
    /// A zero target would breach the moment an incident is reported.
    #[error("the {which} target of {priority} must be more than zero")]
    ZeroTarget {
        /// The priority.
        priority: Priority,
        /// `response` or `resolution`.
        which: &'static str,
    },
    /// The threshold must leave room between on track and breached.
    #[error("the at-risk percentage must be between 1 and 99, not {0}")]
    AtRiskPercent(u8),
}

impl SlaPolicy {
    /// The service level of `priority`.
    pub fn level(&self, priority: Priority) -> &ServiceLevel {
        match priority {
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
            Priority::P4 => &self.p4,
            Priority::P5 => &self.p5,
        }
    }

    /// Checks a configured policy before it is saved.
    pub fn validate(&self) -> Result<(), SlaPolicyError> {
        if !(1..=99).contains(&self.at_risk_percent) {
            return Err(SlaPolicyError::AtRiskPercent(self.at_risk_percent));
        }
        for &p in Priority::ALL {
            let level = self.level(p);
            for (which, target) in [
                ("response", level.response),
                ("resolution", level.resolution),
            ] {
                if target.is_zero() {
                    return Err(SlaPolicyError::ZeroTarget { priority: p, which });
                }
            }
        }
        Ok(())
    }
}

/// An interval in *wacht op derde*; `end` is `None` while the incident is still waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pause {
    /// When waiting started.
    pub start: Timestamp,
    /// When work resumed, if it has.
    pub end: Option<Timestamp>,
}

/// What [`evaluate`] needs to know about one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaInput<'a> {
    /// The effective priority.
    pub priority: Priority,
    /// When the report arrived; both clocks start here.
    pub reported_at: Timestamp,
    /// Every interval spent waiting, in any order; overlaps are fine. A reopened incident can
    /// pass the time it spent resolved as a pause when that time should not count.
    pub pauses: &'a [Pause],
    /// The first response; stops the response clock.
    pub first_response_at: Option<Timestamp>,
    /// The resolution; stops the resolution clock (and the response clock, if no response was
    /// recorded before it: a resolution is an answer too).
    pub resolved_at: Option<Timestamp>,
}

vocabulary!(
    /// Where one SLA clock stands.
    SlaState {
        /// *op schema*: running, below the at-risk threshold.
        OnTrack = "on_track",
        /// *dreigt te verlopen*: running, at or past the at-risk threshold.
        AtRisk = "at_risk",
        /// *verlopen*: the target was reached before the clock stopped.
        Breached = "breached",
        /// *gehaald*: stopped within the target.
        Met = "met",
        /// *niet van toepassing*: there is no target.
        NotApplicable = "not_applicable",
    }
);

impl SlaState {
    /// The words the UI shows.
    pub fn dutch_label(self) -> &'static str {
        match self {
            SlaState::OnTrack => "op schema",
            SlaState::AtRisk => "dreigt te verlopen",
            SlaState::Breached => "verlopen",
            SlaState::Met => "gehaald",
            SlaState::NotApplicable => "niet van toepassing",
        }
    }
}

/// One clock (response or resolution) at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlaReading {
    /// The state.
    pub state: SlaState,
    /// The target as clock time, `None` without a target.
    pub target: Option<SignedDuration>,
    /// Clock time counted so far: from the report to the stop (or `now`), minus pauses.
    pub elapsed: SignedDuration,
    /// `target − elapsed`; negative once breached, `None` without a target.
    pub remaining: Option<SignedDuration>,
    /// `elapsed` as a percentage of the target (may exceed 100), `None` without a target.
    pub percent_used: Option<u32>,
    /// When the target is (or was) reached. While the incident is waiting this assumes the
    /// clock resumes at `now`, so it moves later for as long as the wait lasts.
    pub due_at: Option<Timestamp>,
    /// When the at-risk threshold is (or was) reached, on the same assumption; for scheduling
    /// the escalation check.
    pub at_risk_at: Option<Timestamp>,
    /// When the clock stopped (response given, incident resolved), if it has.
    pub stopped_at: Option<Timestamp>,
}

/// The SLA state of one incident at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlaStatus {
    /// The priority evaluated.
    pub priority: Priority,
    /// The clock the priority uses.
    pub clock: ClockMode,
    /// Whether the incident is waiting at `now` (the clocks are paused).
    pub paused: bool,
    /// Time to first response.
    pub response: SlaReading,
    /// Time to resolution.
    pub resolution: SlaReading,
}

/// Computes the SLA state of an incident at `now`.
///
/// Both clocks start at `reported_at` and count only clock time (working hours, or 24/7 for
/// the priority's level) outside pauses. A stop moment after `now` is treated as not yet
/// happened, so the result for any `now` only uses what was known by then.
pub fn evaluate(
    input: &SlaInput<'_>,
    calendar: &BusinessCalendar,
    policy: &SlaPolicy,
    now: Timestamp,
) -> SlaStatus {
    let level = policy.level(input.priority);
    let clock = calendar.clock(level.clock);
    let response_stop = match (input.first_response_at, input.resolved_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let reading = |target: Target, stop: Option<Timestamp>| {
        read(
            &clock,
            input.reported_at,
            input.pauses,
            target.duration(&clock),
            stop,
            policy.at_risk_percent,
            now,
        )
    };
    let paused = input.resolved_at.is_none_or(|r| r > now)
        && input
            .pauses
            .iter()
            .any(|p| p.start <= now && p.end.is_none_or(|e| e > now));
    SlaStatus {
        priority: input.priority,
        clock: level.clock,
        paused,
        response: reading(level.response, response_stop),
        resolution: reading(level.resolution, input.resolved_at),
    }
}

/// The pauses clipped to `[from, to)` (open ones end at `to`), sorted and merged.
fn merged_pauses(pauses: &[Pause], from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut v: Vec<(Timestamp, Timestamp)> = pauses
        .iter()
        .map(|p| (p.start.max(from), p.end.unwrap_or(to).min(to)))
        .filter(|(s, e)| s < e)
        .collect();
    v.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The moment `amount` of clock time outside `pauses` has elapsed after `from`.
fn due_moment(
    clock: &Clock<'_>,
    from: Timestamp,
    pauses: &[(Timestamp, Timestamp)],
    amount: SignedDuration,
) -> Timestamp {
    let mut remaining = amount;
    let mut cursor = from;
    for &(ps, pe) in pauses {
        let chunk = clock.business_time_between(cursor, ps);
        if chunk >= remaining {
            return clock.add_business_duration(cursor, remaining);
        }
        remaining -= chunk;
        cursor = pe;
    }
    clock.add_business_duration(cursor, remaining)
}

/// `pct` percent of `whole`.
fn share(whole: SignedDuration, pct: u8) -> SignedDuration {
    SignedDuration::from_nanos_i128(whole.as_nanos() * i128::from(pct) / 100)
}

fn read(
    clock: &Clock<'_>,
    reported_at: Timestamp,
    pauses: &[Pause],
    target: Option<SignedDuration>,
    stop: Option<Timestamp>,
    at_risk_percent: u8,
    now: Timestamp,
) -> SlaReading {
    // A stop after `now` has not happened yet; a stop before the report is bad data: count 0.
    let stopped_at = stop.filter(|s| *s <= now);
    let end = stopped_at.unwrap_or(now).max(reported_at);
    let paused = merged_pauses(pauses, reported_at, end);
    let paused_time: SignedDuration = paused
        .iter()
        .map(|&(s, e)| clock.business_time_between(s, e))
        .sum();
    let elapsed = clock.business_time_between(reported_at, end) - paused_time;

    let Some(target) = target else {
        return SlaReading {
            state: SlaState::NotApplicable,
            target: None,
            elapsed,
            remaining: None,
            percent_used: None,
            due_at: None,
            at_risk_at: None,
            stopped_at,
        };
    };
    let threshold = share(target, at_risk_percent);
    let state = match stopped_at {
        Some(_) if elapsed <= target => SlaState::Met,
        Some(_) => SlaState::Breached,
        None if elapsed >= target => SlaState::Breached,
        None if elapsed >= threshold => SlaState::AtRisk,
        None => SlaState::OnTrack,
    };
    let percent_used = if target == SignedDuration::ZERO {
        100
    } else {
        let p = elapsed.as_nanos().max(0) * 100 / target.as_nanos();
        u32::try_from(p).unwrap_or(u32::MAX)
    };
    SlaReading {
        state,
        target: Some(target),
        elapsed,
        remaining: Some(target - elapsed),
        percent_used: Some(percent_used),
        due_at: Some(due_moment(clock, reported_at, &paused, target)),
        at_risk_at: Some(due_moment(clock, reported_at, &paused, threshold)),
        stopped_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{amsterdam, SchoolRegion};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ams(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        amsterdam()
            .to_timestamp(date(y, m, d).at(h, min, 0, 0))
            .unwrap()
    }

    fn input(priority: Priority, reported_at: Timestamp, pauses: &[Pause]) -> SlaInput<'_> {
        SlaInput {
            priority,
            reported_at,
            pauses,
            first_response_at: None,
            resolved_at: None,
        }
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    #[test]
    fn default_policy_matches_domain_table() {
        let p = SlaPolicy::default();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.level(Priority::P1).clock, ClockMode::AroundTheClock);
        assert_eq!(p.level(Priority::P1).response, Target::Minutes(15));
        assert_eq!(p.level(Priority::P1).resolution, Target::Hours(4));
        assert_eq!(p.level(Priority::P2).response, Target::Hours(1));
        assert_eq!(p.level(Priority::P2).resolution, Target::WorkingDays(1));
        assert_eq!(p.level(Priority::P3).response, Target::Hours(4));
        assert_eq!(p.level(Priority::P3).resolution, Target::WorkingDays(3));
        assert_eq!(p.level(Priority::P4).response, Target::WorkingDays(1));
        assert_eq!(p.level(Priority::P4).resolution, Target::WorkingDays(5));
        assert_eq!(p.level(Priority::P5).response, Target::WorkingDays(5));
        assert_eq!(p.level(Priority::P5).resolution, Target::None);
        for &pr in &Priority::ALL[1..] {
            assert_eq!(p.level(pr).clock, ClockMode::WorkingHours);
        }
        assert_eq!(p.at_risk_percent, 75);
    }

    #[test]
    fn policy_validation() {
        let p = SlaPolicy {
            at_risk_percent: 100,
            ..SlaPolicy::default()
        };
        assert_eq!(p.validate(), Err(SlaPolicyError::AtRiskPercent(100)));
        let mut p = SlaPolicy::default();
        p.p3.resolution = Target::WorkingDays(0);
        assert_eq!(
            p.validate(),
            Err(SlaPolicyError::ZeroTarget {
                priority: Priority::P3,
                which: "resolution"
            })
        );
    }

    #[test]
    fn a_werkdag_is_one_working_day_of_the_board() {
        let cal = BusinessCalendar::default();
        let clock = cal.clock(ClockMode::WorkingHours);
        assert_eq!(Target::WorkingDays(1).duration(&clock), Some(mins(570)));
        assert_eq!(Target::WorkingDays(3).duration(&clock), Some(mins(3 * 570)));
        let always = cal.clock(ClockMode::AroundTheClock);
        assert_eq!(
            Target::WorkingDays(2).duration(&always),
            Some(SignedDuration::from_hours(48))
        );
        assert_eq!(Target::None.duration(&clock), None);
    }

    #[test]
    fn p2_on_the_friday_before_the_autumn_holiday() {
        // Herfstvakantie 2026 is 17–25 October in regions midden and zuid (in noord it is
        // 10–18 October). The report comes on Friday 16 October at 16:30: 30 minutes of the
        // hour are used that day, the rest on Monday 26 October from 07:30. That week also
        // contains the switch to winter time (Sunday 25 October).
        let reported = ams(2026, 10, 16, 16, 30);
        let policy = SlaPolicy::default();
        for region in [SchoolRegion::Central, SchoolRegion::South] {
            let cal = BusinessCalendar::for_region(region);
            let s = evaluate(&input(Priority::P2, reported, &[]), &cal, &policy, reported);
            assert_eq!(s.response.due_at, Some(ams(2026, 10, 26, 8, 0)), "{region}");
            assert_eq!(s.response.state, SlaState::OnTrack);
            // The resolution target of one werkdag ends Monday 26 October at 16:30.
            assert_eq!(s.resolution.due_at, Some(ams(2026, 10, 26, 16, 30)));
            // During the holiday nothing is counted.
            let mid_holiday = ams(2026, 10, 21, 12, 0);
            let s = evaluate(
                &input(Priority::P2, reported, &[]),
                &cal,
                &policy,
                mid_holiday,
            );
            assert_eq!(s.response.elapsed, mins(30));
            assert_eq!(s.response.state, SlaState::OnTrack);
        }
        // Without the school holiday the answer is due Monday 19 October at 08:00.
        let cal = BusinessCalendar::default();
        let s = evaluate(&input(Priority::P2, reported, &[]), &cal, &policy, reported);
        assert_eq!(s.response.due_at, Some(ams(2026, 10, 19, 8, 0)));
        // In region noord that Friday is itself a holiday: nothing counts until Monday 19
        // October 07:30, so the full hour runs to 08:30.
        let cal = BusinessCalendar::for_region(SchoolRegion::North);
        let s = evaluate(&input(Priority::P2, reported, &[]), &cal, &policy, reported);
        assert_eq!(s.response.due_at, Some(ams(2026, 10, 19, 8, 30)));
        assert_eq!(s.response.elapsed, SignedDuration::ZERO);
    }

    #[test]
    fn p1_on_saturday_night_runs_around_the_clock() {
        let cal = BusinessCalendar::for_region(SchoolRegion::Central);
        let reported = ams(2026, 10, 17, 2, 0);
        let s = evaluate(
            &input(Priority::P1, reported, &[]),
            &cal,
            &SlaPolicy::default(),
            reported,
        );
        assert_eq!(s.clock, ClockMode::AroundTheClock);
        assert_eq!(s.response.due_at, Some(ams(2026, 10, 17, 2, 15)));
        // 75 % of 15 minutes.
        assert_eq!(
            s.response.at_risk_at,
            Some(ams(2026, 10, 17, 2, 11) + SignedDuration::from_secs(15))
        );
        assert_eq!(s.resolution.due_at, Some(ams(2026, 10, 17, 6, 0)));
    }

    #[test]
    fn p1_over_the_autumn_dst_change_counts_real_time() {
        // 01:00 CEST + 4 h of real time = 04:00 CET: the clock shows only three hours later.
        let cal = BusinessCalendar::default();
        let reported = ams(2026, 10, 25, 1, 0);
        let s = evaluate(
            &input(Priority::P1, reported, &[]),
            &cal,
            &SlaPolicy::default(),
            reported,
        );
        assert_eq!(s.resolution.due_at, Some(ams(2026, 10, 25, 4, 0)));
        assert_eq!(
            s.resolution.due_at.unwrap().duration_since(reported),
            SignedDuration::from_hours(4)
        );
    }

    #[test]
    fn states_move_from_on_track_to_at_risk_to_breached() {
        let cal = BusinessCalendar::default();
        let policy = SlaPolicy::default();
        // Tuesday 6 October 2026, 09:00; P3 response target 4 h, at risk from 3 h.
        let reported = ams(2026, 10, 6, 9, 0);
        let inp = input(Priority::P3, reported, &[]);
        let at = |h, m| evaluate(&inp, &cal, &policy, ams(2026, 10, 6, h, m)).response;
        assert_eq!(at(11, 59).state, SlaState::OnTrack);
        assert_eq!(at(12, 0).state, SlaState::AtRisk);
        assert_eq!(at(12, 0).percent_used, Some(75));
        assert_eq!(at(12, 0).at_risk_at, Some(ams(2026, 10, 6, 12, 0)));
        assert_eq!(at(12, 59).state, SlaState::AtRisk);
        assert_eq!(at(13, 0).state, SlaState::Breached);
        assert_eq!(at(13, 0).remaining, Some(SignedDuration::ZERO));
        assert_eq!(at(14, 0).remaining, Some(mins(-60)));
        assert_eq!(at(14, 0).due_at, Some(ams(2026, 10, 6, 13, 0)));
    }

    #[test]
    fn stopped_clocks_are_met_or_breached_for_good() {
        let cal = BusinessCalendar::default();
        let policy = SlaPolicy::default();
        let reported = ams(2026, 10, 6, 9, 0);
        let mut inp = input(Priority::P2, reported, &[]);
        inp.first_response_at = Some(ams(2026, 10, 6, 9, 40));
        let later = ams(2026, 11, 30, 12, 0);
        let s = evaluate(&inp, &cal, &policy, later);
        assert_eq!(s.response.state, SlaState::Met);
        assert_eq!(s.response.elapsed, mins(40));
        assert_eq!(s.response.stopped_at, inp.first_response_at);
        assert_eq!(s.resolution.state, SlaState::Breached);

        inp.first_response_at = Some(ams(2026, 10, 6, 10, 30));
        inp.resolved_at = Some(ams(2026, 10, 7, 9, 0));
        let s = evaluate(&inp, &cal, &policy, later);
        assert_eq!(s.response.state, SlaState::Breached);
        // 09:00–17:00 plus 07:30–09:00 = 9.5 h: exactly one werkdag, so met.
        assert_eq!(s.resolution.elapsed, mins(570));
        assert_eq!(s.resolution.state, SlaState::Met);

        // A stop in the future of `now` has not happened yet.
        let s = evaluate(&inp, &cal, &policy, ams(2026, 10, 6, 9, 30));
        assert_eq!(s.response.state, SlaState::OnTrack);
        assert_eq!(s.response.stopped_at, None);
    }

    #[test]
    fn resolving_without_a_response_stops_the_response_clock_too() {
        let cal = BusinessCalendar::default();
        let reported = ams(2026, 10, 6, 9, 0);
        let mut inp = input(Priority::P3, reported, &[]);
        inp.resolved_at = Some(ams(2026, 10, 6, 10, 0));
        let s = evaluate(&inp, &cal, &SlaPolicy::default(), ams(2026, 10, 8, 9, 0));
        assert_eq!(s.response.state, SlaState::Met);
        assert_eq!(s.response.elapsed, mins(60));
    }

    #[test]
    fn waiting_pauses_the_clock_and_moves_the_due_moment() {
        let cal = BusinessCalendar::default();
        let policy = SlaPolicy::default();
        let reported = ams(2026, 10, 6, 9, 0);
        // P2 resolution: one werkdag (9.5 h), due Wednesday 7 October 09:00 without pauses.
        let closed = [Pause {
            start: ams(2026, 10, 6, 10, 0),
            end: Some(ams(2026, 10, 6, 12, 0)),
        }];
        let s = evaluate(
            &input(Priority::P2, reported, &closed),
            &cal,
            &policy,
            ams(2026, 10, 6, 13, 0),
        );
        assert_eq!(s.resolution.elapsed, mins(120));
        assert_eq!(s.resolution.due_at, Some(ams(2026, 10, 7, 11, 0)));
        assert!(!s.paused);

        // Still waiting at 15:00: the due moment assumes work resumes now.
        let open = [Pause {
            start: ams(2026, 10, 6, 10, 0),
            end: None,
        }];
        let now = ams(2026, 10, 6, 15, 0);
        let s = evaluate(&input(Priority::P2, reported, &open), &cal, &policy, now);
        assert!(s.paused);
        assert_eq!(s.resolution.elapsed, mins(60));
        assert_eq!(s.resolution.remaining, Some(mins(510)));
        assert_eq!(s.resolution.due_at, Some(ams(2026, 10, 7, 14, 0)));

        // Overlapping and out-of-order pauses count once.
        let messy = [
            Pause {
                start: ams(2026, 10, 6, 11, 0),
                end: Some(ams(2026, 10, 6, 12, 0)),
            },
            Pause {
                start: ams(2026, 10, 6, 10, 0),
                end: Some(ams(2026, 10, 6, 11, 30)),
            },
        ];
        let s = evaluate(
            &input(Priority::P2, reported, &messy),
            &cal,
            &policy,
            ams(2026, 10, 6, 13, 0),
        );
        assert_eq!(s.resolution.elapsed, mins(120));
    }

    #[test]
    fn no_target_is_not_applicable() {
        let cal = BusinessCalendar::default();
        let reported = ams(2026, 10, 6, 9, 0);
        let s = evaluate(
            &input(Priority::P5, reported, &[]),
            &cal,
            &SlaPolicy::default(),
            ams(2027, 6, 1, 9, 0),
        );
        assert_eq!(s.resolution.state, SlaState::NotApplicable);
        assert_eq!(s.resolution.due_at, None);
        assert!(s.resolution.elapsed > SignedDuration::ZERO);
        assert_eq!(s.response.state, SlaState::Breached);
        assert_eq!(SlaState::AtRisk.dutch_label(), "dreigt te verlopen");
    }

    fn instant() -> impl Strategy<Value = Timestamp> {
        // September 2026 to January 2027: the autumn holidays and the October DST change, plus
        // a window around the March change.
        prop_oneof![
            (ams(2026, 9, 1, 0, 0).as_second()..ams(2027, 1, 15, 0, 0).as_second()),
            (ams(2026, 3, 20, 0, 0).as_second()..ams(2026, 4, 10, 0, 0).as_second()),
        ]
        .prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    fn offset() -> impl Strategy<Value = SignedDuration> {
        (0i64..=21 * 24 * 3600).prop_map(SignedDuration::from_secs)
    }

    fn priority() -> impl Strategy<Value = Priority> {
        proptest::sample::select(Priority::ALL)
    }

    fn calendar() -> impl Strategy<Value = BusinessCalendar> {
        proptest::sample::select(SchoolRegion::ALL).prop_map(BusinessCalendar::for_region)
    }

    /// Up to three pauses as offsets from the report: (start, optional length).
    fn pauses() -> impl Strategy<Value = Vec<(SignedDuration, Option<SignedDuration>)>> {
        proptest::collection::vec((offset(), proptest::option::of(offset())), 0..3)
    }

    fn build(reported: Timestamp, raw: &[(SignedDuration, Option<SignedDuration>)]) -> Vec<Pause> {
        raw.iter()
            .map(|&(s, len)| Pause {
                start: reported + s,
                end: len.map(|l| reported + s + l),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn elapsed_never_decreases_as_now_increases(
            cal in calendar(), p in priority(), reported in instant(), raw in pauses(),
            response in proptest::option::of(offset()), resolved in proptest::option::of(offset()),
            a in offset(), b in offset(),
        ) {
            let ps = build(reported, &raw);
            let inp = SlaInput {
                priority: p,
                reported_at: reported,
                pauses: &ps,
                first_response_at: response.map(|r| reported + r),
                resolved_at: resolved.map(|r| reported + r),
            };
            let (early, late) = (reported + a.min(b), reported + a.max(b));
            let policy = SlaPolicy::default();
            let s1 = evaluate(&inp, &cal, &policy, early);
            let s2 = evaluate(&inp, &cal, &policy, late);
            prop_assert!(s1.response.elapsed <= s2.response.elapsed);
            prop_assert!(s1.resolution.elapsed <= s2.resolution.elapsed);
            prop_assert!(s1.response.elapsed >= SignedDuration::ZERO);
        }

        #[test]
        fn a_pause_never_shortens_the_time_left(
            cal in calendar(), p in priority(), reported in instant(), raw in pauses(),
            extra in (offset(), proptest::option::of(offset())), now in offset(),
        ) {
            let without = build(reported, &raw);
            let mut with = without.clone();
            with.extend(build(reported, &[extra]));
            let policy = SlaPolicy::default();
            let now = reported + now;
            let s1 = evaluate(&input(p, reported, &without), &cal, &policy, now);
            let s2 = evaluate(&input(p, reported, &with), &cal, &policy, now);
            for (r1, r2) in [(s1.response, s2.response), (s1.resolution, s2.resolution)] {
                prop_assert!(r2.elapsed <= r1.elapsed);
                prop_assert!(r2.remaining >= r1.remaining);
                prop_assert!(r2.due_at >= r1.due_at);
            }
        }

        #[test]
        fn due_moment_is_where_elapsed_reaches_the_target(
            cal in calendar(), p in priority(), reported in instant(), raw in pauses(),
        ) {
            // Closed pauses only, read long afterwards: then every pause is known and the due
            // moment no longer depends on `now`.
            let raw: Vec<_> = raw
                .into_iter()
                .map(|(s, l)| (s, Some(l.unwrap_or(SignedDuration::from_mins(5)))))
                .collect();
            let ps = build(reported, &raw);
            let policy = SlaPolicy::default();
            let inp = input(p, reported, &ps);
            let later = reported + SignedDuration::from_hours(24 * 400);
            let pick = |s: SlaStatus, i: usize| if i == 0 { s.response } else { s.resolution };
            for i in 0..2 {
                let r = pick(evaluate(&inp, &cal, &policy, later), i);
                if let (Some(due), Some(target)) = (r.due_at, r.target) {
                    let at_due = pick(evaluate(&inp, &cal, &policy, due), i);
                    prop_assert_eq!(at_due.elapsed, target);
                    prop_assert_eq!(at_due.state, SlaState::Breached);
                    prop_assert_eq!(at_due.due_at, Some(due));
                }
            }
        }
    }
}
