//! The 72-hour notification deadline of AVG art. 33(1) and the warnings as it nears.
//!
//! The deadline is 72 hours of real time after awareness (*kennisname*), weekends and nights
//! included. It is computed on absolute time (`Timestamp`), never on wall-clock time, so a
//! daylight-saving change in between cannot move it: across the October change the Amsterdam wall
//! clock shows one hour earlier than the awareness time, across the March change one hour later.

use super::vocab::WarningKind;
use crate::validation::{Collector, ValidationErrors};
use jiff::{tz::TimeZone, SignedDuration, Timestamp, Zoned};

/// The period art. 33(1) allows between awareness and notification.
pub const NOTIFICATION_WINDOW: SignedDuration = SignedDuration::from_hours(72);

/// The time zone deadlines are shown in; all boards are Dutch.
pub const BOARD_TIME_ZONE: &str = "Europe/Amsterdam";

/// Longest reason for a late notification we accept, in characters.
pub const DELAY_REASON_MAX: usize = 10_000;

/// The latest moment to notify the AP: awareness + 72 hours.
///
/// Saturates at the end of jiff's range instead of panicking, because an absurd awareness time from
/// bad input must not take the process down.
pub fn deadline(awareness: Timestamp) -> Timestamp {
    awareness
        .checked_add(NOTIFICATION_WINDOW)
        .unwrap_or(Timestamp::MAX)
}

/// Time left until `deadline`; negative once it has passed.
pub fn time_left(deadline: Timestamp, now: Timestamp) -> SignedDuration {
    deadline.duration_since(now)
}

/// True when a notification at `notified_at` is after the deadline. Exactly at the deadline is in time.
pub fn is_late(awareness: Timestamp, notified_at: Timestamp) -> bool {
    notified_at > deadline(awareness)
}

/// Checks the rule that a notification after the deadline needs a reason for the delay
/// (art. 33(1), last sentence; AP form ch. 4). Returns the trimmed reason to store, `None` when
/// none was given (allowed when in time).
pub fn check_notification_time(
    awareness: Timestamp,
    notified_at: Timestamp,
    delay_reason: Option<&str>,
) -> Result<Option<String>, ValidationErrors> {
    let mut c = Collector::default();
    let reason = c.optional_text("delay_reason", delay_reason, DELAY_REASON_MAX);
    if reason.is_none() && is_late(awareness, notified_at) {
        c.add("delay_reason", "error-breach-delay-reason-required");
    }
    c.finish().map(|()| reason)
}

fn board_time_zone() -> TimeZone {
    // The workspace builds jiff with `tzdb-bundle-always`, so the zone is compiled in and this
    // lookup cannot fail at run time.
    TimeZone::get(BOARD_TIME_ZONE).expect("Europe/Amsterdam is in the bundled tz database")
}

/// A moment in Amsterdam local time, for display.
pub fn in_board_time_zone(t: Timestamp) -> Zoned {
    t.to_zoned(board_time_zone())
}

/// A moment in plain Dutch, Amsterdam time: `dinsdag 27 oktober 2026 om 09:00`.
pub fn render_moment_nl(t: Timestamp) -> String {
    const DAYS: [&str; 7] = [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ];
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let z = in_board_time_zone(t);
    let day = DAYS[usize::from(z.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = MONTHS[usize::from(z.month().unsigned_abs()) - 1];
    format!(
        "{day} {} {month} {} om {:02}:{:02}",
        z.day(),
        z.year(),
        z.hour(),
        z.minute()
    )
}

/// Time left in plain Dutch: `nog 2 dagen, 3 uur en 5 minuten` or `1 uur en 10 minuten te laat`.
/// Rounded down to the minute, because promising a minute that is not there is worse.
pub fn render_time_left_nl(left: SignedDuration) -> String {
    let secs = left.as_secs();
    let total_min = secs.unsigned_abs() / 60;
    let (days, hours, minutes) = (total_min / 1440, total_min / 60 % 24, total_min % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!(
            "{days} {}",
            if days == 1 { "dag" } else { "dagen" }
        ));
    }
    if hours > 0 {
        parts.push(format!("{hours} uur"));
    }
    if minutes > 0 {
        parts.push(format!(
            "{minutes} {}",
            if minutes == 1 { "minuut" } else { "minuten" }
        ));
    }
    let text = match parts.len() {
        0 => {
            return if secs < 0 {
                "verlopen".into()
            } else {
                "minder dan een minuut".into()
            }
        }
        1 => parts.remove(0),
        n => format!("{} en {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    if secs < 0 {
        format!("{text} te laat")
    } else {
        format!("nog {text}")
    }
}

/// When a warning becomes due.
pub fn warning_moment(kind: WarningKind, awareness: Timestamp) -> Timestamp {
    let d = deadline(awareness);
    let before = |h: i64| d.checked_sub(SignedDuration::from_hours(h)).unwrap_or(d);
    match kind {
        WarningKind::Registered => awareness,
        WarningKind::Before24h => before(24),
        WarningKind::Before6h => before(6),
        WarningKind::Expired => d,
    }
}

/// The countdown warnings, least urgent first.
const COUNTDOWN: [WarningKind; 3] = [
    WarningKind::Before24h,
    WarningKind::Before6h,
    WarningKind::Expired,
];

/// Warnings to send now. The caller sends them and adds them to `already_sent`.
///
/// - Nothing once the notification decision is recorded: the warnings exist to force that decision.
/// - `Registered` once, straight away.
/// - Of the countdown warnings only the most urgent one reached, and only if neither it nor a more
///   urgent one was sent: after downtime, people should get "expired", not three stale messages.
pub fn due_warnings(
    awareness: Timestamp,
    decision_recorded: bool,
    already_sent: &[WarningKind],
    now: Timestamp,
) -> Vec<WarningKind> {
    if decision_recorded {
        return Vec::new();
    }
    let mut due = Vec::new();
    if !already_sent.contains(&WarningKind::Registered) {
        due.push(WarningKind::Registered);
    }
    let reached = COUNTDOWN
        .iter()
        .rposition(|&k| now >= warning_moment(k, awareness));
    if let Some(i) = reached {
        if !COUNTDOWN[i..].iter().any(|k| already_sent.contains(k)) {
            due.push(COUNTDOWN[i]);
        }
    }
    due
}

/// When the next countdown warning becomes due, so a scheduler can wake up then; `None` when
/// nothing is left to send.
pub fn next_warning_at(
    awareness: Timestamp,
    decision_recorded: bool,
    already_sent: &[WarningKind],
) -> Option<Timestamp> {
    if decision_recorded {
        return None;
    }
    if !already_sent.contains(&WarningKind::Registered) {
        return Some(awareness);
    }
    let last_sent = COUNTDOWN.iter().rposition(|k| already_sent.contains(k));
    let next = last_sent.map_or(0, |i| i + 1);
    COUNTDOWN.get(next).map(|&k| warning_moment(k, awareness))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn local(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(board_time_zone())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn deadline_across_october_dst_change_is_72_real_hours() {
        // 2026-10-25 03:00 CEST → 02:00 CET. Awareness Saturday 10:00 CEST.
        let awareness = local("2026-10-24T10:00");
        let d = deadline(awareness);
        assert_eq!(d.duration_since(awareness), SignedDuration::from_hours(72));
        assert_eq!(d.to_string(), "2026-10-27T08:00:00Z");
        // The wall clock shows 09:00 because the clocks went back an hour.
        assert_eq!(render_moment_nl(d), "dinsdag 27 oktober 2026 om 09:00");
    }

    #[test]
    fn deadline_across_march_dst_change_is_72_real_hours() {
        // 2026-03-29 02:00 CET → 03:00 CEST. Awareness Saturday 10:00 CET.
        let awareness = local("2026-03-28T10:00");
        let d = deadline(awareness);
        assert_eq!(d.duration_since(awareness), SignedDuration::from_hours(72));
        assert_eq!(d.to_string(), "2026-03-31T09:00:00Z");
        assert_eq!(render_moment_nl(d), "dinsdag 31 maart 2026 om 11:00");
    }

    #[test]
    fn time_left_and_its_dutch_rendering() {
        let awareness = local("2026-06-01T09:00");
        let d = deadline(awareness);
        let now = awareness + SignedDuration::from_mins(5);
        assert_eq!(
            render_time_left_nl(time_left(d, now)),
            "nog 2 dagen, 23 uur en 55 minuten"
        );
        let late = d + SignedDuration::from_mins(61);
        assert_eq!(
            render_time_left_nl(time_left(d, late)),
            "1 uur en 1 minuut te laat"
        );
        assert_eq!(
            render_time_left_nl(SignedDuration::ZERO),
            "minder dan een minuut"
        );
        assert_eq!(
            render_time_left_nl(SignedDuration::from_secs(-30)),
            "verlopen"
        );
    }

    #[test]
    fn late_notification_needs_a_reason() {
        let awareness = local("2026-06-01T09:00");
        let d = deadline(awareness);
        assert_eq!(check_notification_time(awareness, d, None), Ok(None));
        let late = d + SignedDuration::from_secs(1);
        let err = check_notification_time(awareness, late, Some("  ")).unwrap_err();
        assert_eq!(
            err.for_field("delay_reason"),
            Some("error-breach-delay-reason-required")
        );
        assert_eq!(
            check_notification_time(awareness, late, Some(" verwerker meldde laat ")),
            Ok(Some("verwerker meldde laat".into()))
        );
    }

    #[test]
    fn warnings_follow_the_clock() {
        use WarningKind::*;
        let a = local("2026-06-01T09:00");
        let at = |h: i64| a + SignedDuration::from_hours(h);
        assert_eq!(due_warnings(a, false, &[], a), vec![Registered]);
        assert_eq!(due_warnings(a, false, &[Registered], at(47)), vec![]);
        assert_eq!(
            due_warnings(a, false, &[Registered], at(48)),
            vec![Before24h]
        );
        assert_eq!(
            due_warnings(a, false, &[Registered, Before24h], at(60)),
            vec![]
        );
        assert_eq!(
            due_warnings(a, false, &[Registered, Before24h], at(66)),
            vec![Before6h]
        );
        assert_eq!(
            due_warnings(a, false, &[Registered, Before24h, Before6h], at(72)),
            vec![Expired]
        );
        // After downtime only the most urgent one, not a backlog.
        assert_eq!(
            due_warnings(a, false, &[], at(80)),
            vec![Registered, Expired]
        );
        // A recorded decision silences everything.
        assert_eq!(due_warnings(a, true, &[], at(80)), vec![]);
    }

    #[test]
    fn next_warning_for_the_scheduler() {
        use WarningKind::*;
        let a = local("2026-06-01T09:00");
        assert_eq!(next_warning_at(a, false, &[]), Some(a));
        assert_eq!(
            next_warning_at(a, false, &[Registered]),
            Some(a + SignedDuration::from_hours(48))
        );
        assert_eq!(
            next_warning_at(a, false, &[Registered, Before6h]),
            Some(deadline(a))
        );
        assert_eq!(next_warning_at(a, false, &[Registered, Expired]), None);
        assert_eq!(next_warning_at(a, true, &[]), None);
    }

    /// Seconds around both 2026 DST changes in Europe/Amsterdam, ±4 days.
    fn around_dst() -> impl Strategy<Value = Timestamp> {
        let march = local("2026-03-29T02:00").as_second();
        let october = local("2026-10-25T02:00").as_second();
        let span = 4 * 86_400;
        prop_oneof![
            (march - span..march + span),
            (october - span..october + span),
            // And the whole year, for good measure.
            (local("2026-01-01T00:00").as_second()..local("2027-01-01T00:00").as_second()),
        ]
        .prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        #[test]
        fn deadline_is_always_exactly_72_hours(awareness in around_dst()) {
            let d = deadline(awareness);
            prop_assert_eq!(d.duration_since(awareness), NOTIFICATION_WINDOW);
            prop_assert_eq!(time_left(d, awareness), NOTIFICATION_WINDOW);
            // On the wall clock it is 71, 72 or 73 hours: absolute time, not local time, decides.
            let wall = in_board_time_zone(d).datetime().duration_since(in_board_time_zone(awareness).datetime());
            prop_assert!([71, 72, 73].map(SignedDuration::from_hours).contains(&wall));
        }

        #[test]
        fn every_warning_is_sent_at_most_once(
            awareness in around_dst(),
            steps in proptest::collection::vec(0i64..30 * 3600, 1..12),
        ) {
            let mut sent: Vec<WarningKind> = Vec::new();
            let mut now = awareness;
            for s in steps {
                now += SignedDuration::from_secs(s);
                for w in due_warnings(awareness, false, &sent, now) {
                    prop_assert!(!sent.contains(&w));
                    prop_assert!(now >= warning_moment(w, awareness));
                    sent.push(w);
                }
            }
        }
    }
}
