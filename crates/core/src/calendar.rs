//! A board's business calendar: when the service-level clock runs (domain.md §3).
//!
//! Working hours are local wall-clock times in Europe/Amsterdam, so a working day is turned into
//! real instants through the time zone for each date separately. That is what keeps the clock
//! right across the DST changes: 07:30 on the Monday after the clocks go forward is still 07:30.
//!
//! A date is closed when its weekday has no working hours, when it is a Dutch public holiday
//! (computed per year, see [`public_holidays`]), or when it falls in one of the calendar's
//! closures (the school holidays of the board's region and any extra closing days, passed in as
//! data). P1 incidents run on a 24/7 clock instead: see [`ClockMode`] and [`Clock`].
//!
//! Pure: the time zone rules come from jiff's bundled database, never from the system.

use crate::incident::vocabulary;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use thiserror::Error;

/// The time zone every board's working hours are in.
pub const TIME_ZONE: &str = "Europe/Amsterdam";

/// Europe/Amsterdam from the tz database compiled into the binary.
///
/// The bundled copy is used, not the system's, so results never depend on the host.
pub fn amsterdam() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        TimeZoneDatabase::bundled()
            .get(TIME_ZONE)
            // The crate enables jiff's `tzdb-bundle-always`, so this cannot be missing.
            .expect("the bundled tz database contains Europe/Amsterdam")
    })
}

/// The local (Amsterdam) date of an instant.
pub fn local_date(t: Timestamp) -> Date {
    amsterdam().to_datetime(t).date()
}

/// Why a calendar configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// Working hours must end after they start (an end of 00:00 means midnight at the end of the day).
    #[error("working hours must end after they start ({start}–{end})")]
    EmptyWorkingHours {
        /// The configured start.
        start: Time,
        /// The configured end.
        end: Time,
    },
    /// A week without any working hours would never let the clock run.
    #[error("at least one weekday needs working hours")]
    NoWorkingDays,
    /// A date range must not end before it starts.
    #[error("date range ends ({last}) before it starts ({first})")]
    InvertedRange {
        /// The first day.
        first: Date,
        /// The last day.
        last: Date,
    },
}

/// The working hours of one weekday, local wall-clock time, start inclusive and end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWorkingHours")]
pub struct WorkingHours {
    start: Time,
    end: Time,
}

#[derive(Deserialize)]
struct RawWorkingHours {
    start: Time,
    end: Time,
}

impl TryFrom<RawWorkingHours> for WorkingHours {
    type Error = CalendarError;
    fn try_from(raw: RawWorkingHours) -> Result<Self, Self::Error> {
        WorkingHours::new(raw.start, raw.end)
    }
}

impl WorkingHours {
    /// Hours from `start` to `end`; an `end` of 00:00 means until midnight (a full evening shift).
    pub fn new(start: Time, end: Time) -> Result<Self, CalendarError> {
        if end != Time::midnight() && end <= start {
            return Err(CalendarError::EmptyWorkingHours { start, end });
        }
        Ok(Self { start, end })
    }

    /// The default school-board day, 07:30–17:00 (domain.md §3).
    pub fn school_day() -> Self {
        Self {
            start: Time::constant(7, 30, 0, 0),
            end: Time::constant(17, 0, 0, 0),
        }
    }

    /// When work starts.
    pub fn start(self) -> Time {
        self.start
    }

    /// When work ends (00:00 means midnight at the end of the day).
    pub fn end(self) -> Time {
        self.end
    }

    /// The nominal length on the wall clock, ignoring DST (what people mean by "a werkdag").
    pub fn nominal_length(self) -> SignedDuration {
        let since_midnight = |t: Time| t.duration_since(Time::midnight());
        let end = if self.end == Time::midnight() {
            SignedDuration::from_hours(24)
        } else {
            since_midnight(self.end)
        };
        end - since_midnight(self.start)
    }
}

/// Working hours per weekday; a day without hours is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawWeekSchedule")]
pub struct WeekSchedule {
    monday: Option<WorkingHours>,
    tuesday: Option<WorkingHours>,
    wednesday: Option<WorkingHours>,
    thursday: Option<WorkingHours>,
    friday: Option<WorkingHours>,
    saturday: Option<WorkingHours>,
    sunday: Option<WorkingHours>,
}

#[derive(Deserialize)]
struct RawWeekSchedule {
    monday: Option<WorkingHours>,
    tuesday: Option<WorkingHours>,
    wednesday: Option<WorkingHours>,
    thursday: Option<WorkingHours>,
    friday: Option<WorkingHours>,
    saturday: Option<WorkingHours>,
    sunday: Option<WorkingHours>,
}

impl TryFrom<RawWeekSchedule> for WeekSchedule {
    type Error = CalendarError;
    fn try_from(r: RawWeekSchedule) -> Result<Self, Self::Error> {
        WeekSchedule::new([
            r.monday,
            r.tuesday,
            r.wednesday,
            r.thursday,
            r.friday,
            r.saturday,
            r.sunday,
        ])
    }
}

impl Default for WeekSchedule {
    /// Monday to Friday 07:30–17:00 (domain.md §3).
    fn default() -> Self {
        let day = Some(WorkingHours::school_day());
        Self {
            monday: day,
            tuesday: day,
            wednesday: day,
            thursday: day,
            friday: day,
            saturday: None,
            sunday: None,
        }
    }
}

impl WeekSchedule {
    /// Builds a schedule from Monday-first hours; at least one day must have hours.
    pub fn new(days: [Option<WorkingHours>; 7]) -> Result<Self, CalendarError> {
        if days.iter().all(Option::is_none) {
            return Err(CalendarError::NoWorkingDays);
        }
        let [monday, tuesday, wednesday, thursday, friday, saturday, sunday] = days;
        Ok(Self {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        })
    }

    /// The hours of one weekday, if it is a working day.
    pub fn hours(&self, day: Weekday) -> Option<WorkingHours> {
        match day {
            Weekday::Monday => self.monday,
            Weekday::Tuesday => self.tuesday,
            Weekday::Wednesday => self.wednesday,
            Weekday::Thursday => self.thursday,
            Weekday::Friday => self.friday,
            Weekday::Saturday => self.saturday,
            Weekday::Sunday => self.sunday,
        }
    }

    /// The length of one *werkdag*: the longest configured day on the wall clock.
    ///
    /// The longest rather than an average, so a short Wednesday does not shrink every
    /// "1 werkdag" target in the week.
    pub fn working_day_length(&self) -> SignedDuration {
        [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
        .into_iter()
        .flatten()
        .map(WorkingHours::nominal_length)
        .max()
        .unwrap_or(SignedDuration::ZERO)
    }
}

vocabulary!(
    /// A Dutch public holiday (*feestdag*).
    PublicHoliday {
        /// *Nieuwjaarsdag*, 1 January.
        NewYearsDay = "new_years_day",
        /// *Goede Vrijdag*, two days before Easter; only when [`HolidayRules::good_friday`] is set.
        GoodFriday = "good_friday",
        /// *Eerste Paasdag*.
        EasterSunday = "easter_sunday",
        /// *Tweede Paasdag*.
        EasterMonday = "easter_monday",
        /// *Koningsdag*, 27 April, or 26 April when the 27th is a Sunday.
        KingsDay = "kings_day",
        /// *Bevrijdingsdag*, 5 May; see [`LiberationDayRule`] for when it counts.
        LiberationDay = "liberation_day",
        /// *Hemelvaartsdag*, Easter + 39 days.
        AscensionDay = "ascension_day",
        /// *Eerste Pinksterdag*, Easter + 49 days.
        WhitSunday = "whit_sunday",
        /// *Tweede Pinksterdag*, Easter + 50 days.
        WhitMonday = "whit_monday",
        /// *Eerste Kerstdag*, 25 December.
        ChristmasDay = "christmas_day",
        /// *Tweede Kerstdag*, 26 December.
        BoxingDay = "boxing_day",
    }
);

impl PublicHoliday {
    /// The name the UI shows.
    pub fn dutch_name(self) -> &'static str {
        match self {
            PublicHoliday::NewYearsDay => "Nieuwjaarsdag",
            PublicHoliday::GoodFriday => "Goede Vrijdag",
            PublicHoliday::EasterSunday => "Eerste Paasdag",
            PublicHoliday::EasterMonday => "Tweede Paasdag",
            PublicHoliday::KingsDay => "Koningsdag",
            PublicHoliday::LiberationDay => "Bevrijdingsdag",
            PublicHoliday::AscensionDay => "Hemelvaartsdag",
            PublicHoliday::WhitSunday => "Eerste Pinksterdag",
            PublicHoliday::WhitMonday => "Tweede Pinksterdag",
            PublicHoliday::ChristmasDay => "Eerste Kerstdag",
            PublicHoliday::BoxingDay => "Tweede Kerstdag",
        }
    }
}

vocabulary!(
    /// When *Bevrijdingsdag* (5 May) closes the service desk.
    LiberationDayRule {
        /// Never a closing day.
        Never = "never",
        /// Only in lustrum years (2025, 2030, …).
        Lustrum = "lustrum",
        /// Every year.
        EveryYear = "every_year",
    }
);

/// Which of the optional public holidays a board observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HolidayRules {
    /// Whether *Goede Vrijdag* is a closing day. Not a general day off in the Netherlands, but
    /// most schools close, so the default is `true`.
    pub good_friday: bool,
    /// When *Bevrijdingsdag* is a closing day. Default [`LiberationDayRule::Lustrum`]: it is a national
    /// holiday every year, but most collective agreements give the day off only once every five
    /// years, and for pupils 5 May nearly always falls in the *meivakantie*, which the school
    /// holiday data already closes. Counting it every year would stop the clock on a day most
    /// service desks work.
    pub liberation_day: LiberationDayRule,
}

impl Default for HolidayRules {
    fn default() -> Self {
        Self {
            good_friday: true,
            liberation_day: LiberationDayRule::Lustrum,
        }
    }
}

/// Easter Sunday of `year`, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
///
/// Meaningful for Gregorian years (1583 and later); other years give a stable but arbitrary
/// date in March or April, never a panic.
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    // With h in 0..30, l in 0..7 and m in {0, 1}, n is 107..=150: 14–31 March or 1–27 April.
    let (month, day) = (n / 31, n % 31 + 1);
    Date::new(year, month as i8, day as i8).expect("Easter falls in March or April")
}

/// The public holidays of `year` that close the service desk under `rules`, in date order.
///
/// Koningsdag follows the rule in force since 2014 (the King's birthday); earlier years are not
/// modelled because no incident clock starts before this system existed.
pub fn public_holidays(year: i16, rules: &HolidayRules) -> Vec<(Date, PublicHoliday)> {
    use PublicHoliday::*;
    let easter = easter_sunday(year);
    // Easter-based days stay inside the same year for every representable year.
    let from_easter = |days: i32| easter.checked_add(days.days()).unwrap_or(easter);
    let mut out = vec![(Date::constant(year, 1, 1), NewYearsDay)];
    if rules.good_friday {
        out.push((from_easter(-2), GoodFriday));
    }
    out.push((easter, EasterSunday));
    out.push((from_easter(1), EasterMonday));
    out.push((kings_day(year), KingsDay));
    if observes_liberation_day(year, rules) {
        out.push((Date::constant(year, 5, 5), LiberationDay));
    }
    out.push((from_easter(39), AscensionDay));
    out.push((from_easter(49), WhitSunday));
    out.push((from_easter(50), WhitMonday));
    out.push((Date::constant(year, 12, 25), ChristmasDay));
    out.push((Date::constant(year, 12, 26), BoxingDay));
    out.sort_by_key(|(d, _)| *d);
    out
}

/// The public holiday on `date` under `rules`, if any.
///
/// Called for every day the clock walks over, so it answers without building the year's list.
pub fn public_holiday_on(date: Date, rules: &HolidayRules) -> Option<PublicHoliday> {
    use PublicHoliday::*;
    let year = date.year();
    match (date.month(), date.day()) {
        (1, 1) => return Some(NewYearsDay),
        (12, 25) => return Some(ChristmasDay),
        (12, 26) => return Some(BoxingDay),
        (4, 26 | 27) if date == kings_day(year) => return Some(KingsDay),
        (5, 5) if observes_liberation_day(year, rules) => return Some(LiberationDay),
        (3..=6, _) => {}
        _ => return None,
    }
    let days_after_easter = date.duration_since(easter_sunday(year)).as_hours() / 24;
    match days_after_easter {
        -2 if rules.good_friday => Some(GoodFriday),
        0 => Some(EasterSunday),
        1 => Some(EasterMonday),
        39 => Some(AscensionDay),
        49 => Some(WhitSunday),
        50 => Some(WhitMonday),
        _ => None,
    }
}

/// 27 April, or the Saturday before when the 27th is a Sunday.
fn kings_day(year: i16) -> Date {
    let d = Date::constant(year, 4, 27);
    if d.weekday() == Weekday::Sunday {
        Date::constant(year, 4, 26)
    } else {
        d
    }
}

fn observes_liberation_day(year: i16, rules: &HolidayRules) -> bool {
    match rules.liberation_day {
        LiberationDayRule::Never => false,
        LiberationDayRule::Lustrum => year.rem_euclid(5) == 0,
        LiberationDayRule::EveryYear => true,
    }
}

/// An inclusive range of dates, e.g. a school holiday from Saturday to Sunday nine days later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawDateRange")]
pub struct DateRange {
    first: Date,
    last: Date,
}

#[derive(Deserialize)]
struct RawDateRange {
    first: Date,
    last: Date,
}

impl TryFrom<RawDateRange> for DateRange {
    type Error = CalendarError;
    fn try_from(r: RawDateRange) -> Result<Self, Self::Error> {
        DateRange::new(r.first, r.last)
    }
}

impl DateRange {
    /// From `first` to `last`, both included.
    pub fn new(first: Date, last: Date) -> Result<Self, CalendarError> {
        if last < first {
            return Err(CalendarError::InvertedRange { first, last });
        }
        Ok(Self { first, last })
    }

    /// A single day.
    pub fn day(date: Date) -> Self {
        Self {
            first: date,
            last: date,
        }
    }

    /// The first day.
    pub fn first(self) -> Date {
        self.first
    }

    /// The last day (included).
    pub fn last(self) -> Date {
        self.last
    }

    /// Whether `date` lies in the range.
    pub fn contains(self, date: Date) -> bool {
        self.first <= date && date <= self.last
    }
}

vocabulary!(
    /// The school-holiday region of the Netherlands (*regio noord / midden / zuid*).
    SchoolRegion {
        /// *Regio noord*.
        North = "north",
        /// *Regio midden*.
        Central = "central",
        /// *Regio zuid*.
        South = "south",
    }
);

impl SchoolRegion {
    /// The name the UI shows.
    pub fn dutch_name(self) -> &'static str {
        match self {
            SchoolRegion::North => "noord",
            SchoolRegion::Central => "midden",
            SchoolRegion::South => "zuid",
        }
    }
}

vocabulary!(
    /// Which school holiday (*schoolvakantie*).
    SchoolHolidayKind {
        /// *Herfstvakantie*.
        Autumn = "autumn",
        /// *Kerstvakantie*.
        Christmas = "christmas",
        /// *Voorjaarsvakantie*.
        Spring = "spring",
        /// *Meivakantie*.
        May = "may",
        /// *Zomervakantie*.
        Summer = "summer",
    }
);

impl SchoolHolidayKind {
    /// The name the UI shows.
    pub fn dutch_name(self) -> &'static str {
        match self {
            SchoolHolidayKind::Autumn => "herfstvakantie",
            SchoolHolidayKind::Christmas => "kerstvakantie",
            SchoolHolidayKind::Spring => "voorjaarsvakantie",
            SchoolHolidayKind::May => "meivakantie",
            SchoolHolidayKind::Summer => "zomervakantie",
        }
    }
}

/// One school holiday of one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchoolHoliday {
    /// Which holiday.
    pub kind: SchoolHolidayKind,
    /// For which region.
    pub region: SchoolRegion,
    /// Saturday to Sunday, both included.
    pub dates: DateRange,
}

const N: u8 = 1;
const C: u8 = 2;
const S: u8 = 4;
const ALL: u8 = N | C | S;

/// The official dates as (kind, regions, first, last).
///
/// Source: Rijksoverheid, "Overzicht schoolvakanties 2025-2026" and "Overzicht schoolvakanties
/// 2026-2027" (rijksoverheid.nl, onderwerp Schoolvakanties). Those pages could not be read
/// directly when this table was written; every date was checked against at least two copies of
/// them (the OpenHolidays data set `src/nl/holidays/holidays.school.csv`, school and news pages
/// quoting the ministry). One conflict: OpenHolidays gives 17 July for the start of zomervakantie
/// zuid 2026, a Friday, where the other sources give Saturday 11 July; 11 July is used.
///
/// The herfst- and voorjaarsvakantie are OCW *adviesdata*, so a school may deviate; boards with
/// other dates pass their own ranges instead. The meivakantie is the national week only, not the
/// optional advised second week.
///
/// Left out on purpose because they could not be confirmed: the voorjaarsvakantie, meivakantie
/// and zomervakantie of 2027 (school year 2026-2027). Add them from the Rijksoverheid page
/// rather than guessing.
const OFFICIAL: &[(SchoolHolidayKind, u8, Date, Date)] = {
    use SchoolHolidayKind::*;
    const fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }
    &[
        // School year 2025-2026.
        (Autumn, N | C, d(2025, 10, 18), d(2025, 10, 26)),
        (Autumn, S, d(2025, 10, 11), d(2025, 10, 19)),
        (Christmas, ALL, d(2025, 12, 20), d(2026, 1, 4)),
        (Spring, N, d(2026, 2, 21), d(2026, 3, 1)),
        (Spring, C | S, d(2026, 2, 14), d(2026, 2, 22)),
        (May, ALL, d(2026, 4, 25), d(2026, 5, 3)),
        (Summer, N, d(2026, 7, 4), d(2026, 8, 16)),
        (Summer, C, d(2026, 7, 18), d(2026, 8, 30)),
        (Summer, S, d(2026, 7, 11), d(2026, 8, 23)),
        // School year 2026-2027 (only the holidays that could be confirmed, see above).
        (Autumn, N, d(2026, 10, 10), d(2026, 10, 18)),
        (Autumn, C | S, d(2026, 10, 17), d(2026, 10, 25)),
        (Christmas, ALL, d(2026, 12, 19), d(2027, 1, 3)),
    ]
};

fn region_bit(region: SchoolRegion) -> u8 {
    match region {
        SchoolRegion::North => N,
        SchoolRegion::Central => C,
        SchoolRegion::South => S,
    }
}

/// The official school holidays this crate knows, for every region, in date order.
pub fn official_school_holidays() -> Vec<SchoolHoliday> {
    let mut out: Vec<SchoolHoliday> = OFFICIAL
        .iter()
        .flat_map(|&(kind, regions, first, last)| {
            SchoolRegion::ALL
                .iter()
                .filter(move |&&r| regions & region_bit(r) != 0)
                .map(move |&region| SchoolHoliday {
                    kind,
                    region,
                    dates: DateRange { first, last },
                })
        })
        .collect();
    out.sort_by_key(|h| (h.dates, h.region));
    out
}

/// The official school holidays of one region, in date order.
pub fn official_school_holidays_for(region: SchoolRegion) -> Vec<SchoolHoliday> {
    official_school_holidays()
        .into_iter()
        .filter(|h| h.region == region)
        .collect()
}

vocabulary!(
    /// Which clock a service level is counted on.
    ClockMode {
        /// The board's working hours, minus holidays and closures.
        WorkingHours = "working_hours",
        /// Every hour of every day (P1 *kritiek*).
        AroundTheClock = "around_the_clock",
    }
);

/// A board's business calendar: working hours, public-holiday rules and closing days.
///
/// Durations it returns are real elapsed time (a working day from 07:30 to 17:00 is 9.5 hours on
/// any date, including DST days, because the clock change happens at night).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BusinessCalendar {
    week: WeekSchedule,
    holidays: HolidayRules,
    closures: Vec<DateRange>,
}

impl BusinessCalendar {
    /// A calendar from its parts; `closures` are school holidays and other closing days.
    pub fn new(week: WeekSchedule, holidays: HolidayRules, mut closures: Vec<DateRange>) -> Self {
        closures.sort();
        Self {
            week,
            holidays,
            closures,
        }
    }

    /// The default calendar of a board in `region`: default hours and holiday rules, plus the
    /// official school holidays of the region.
    pub fn for_region(region: SchoolRegion) -> Self {
        Self::new(
            WeekSchedule::default(),
            HolidayRules::default(),
            official_school_holidays_for(region)
                .into_iter()
                .map(|h| h.dates)
                .collect(),
        )
    }

    /// The working hours per weekday.
    pub fn week(&self) -> &WeekSchedule {
        &self.week
    }

    /// The public-holiday rules.
    pub fn holiday_rules(&self) -> &HolidayRules {
        &self.holidays
    }

    /// The closing-day ranges, sorted.
    pub fn closures(&self) -> &[DateRange] {
        &self.closures
    }

    /// The length of one *werkdag* (see [`WeekSchedule::working_day_length`]).
    pub fn working_day_length(&self) -> SignedDuration {
        self.week.working_day_length()
    }

    /// The view of this calendar for one clock mode.
    pub fn clock(&self, mode: ClockMode) -> Clock<'_> {
        match mode {
            ClockMode::WorkingHours => Clock::WorkingHours(self),
            ClockMode::AroundTheClock => Clock::AroundTheClock,
        }
    }

    fn closure_containing(&self, date: Date) -> Option<DateRange> {
        self.closures.iter().copied().find(|r| r.contains(date))
    }

    /// Whether the service desk works on `date` at all.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.working_interval(date).is_some()
    }

    /// The working interval of `date` as real instants (start inclusive, end exclusive), or
    /// `None` when the date is closed.
    ///
    /// Each bound goes through the time zone on its own date, so DST is applied where it holds.
    /// A bound that falls in a DST gap moves forward by the gap, one in a fold takes the first
    /// occurrence (jiff's "compatible" rule); hours that vanish in a gap give an empty day.
    pub fn working_interval(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        let hours = self.week.hours(date.weekday())?;
        if self.closure_containing(date).is_some()
            || public_holiday_on(date, &self.holidays).is_some()
        {
            return None;
        }
        let tz = amsterdam();
        let start = tz.to_timestamp(date.to_datetime(hours.start)).ok()?;
        let end = if hours.end == Time::midnight() {
            tz.to_timestamp(date.tomorrow().ok()?.to_datetime(Time::midnight()))
                .ok()?
        } else {
            tz.to_timestamp(date.to_datetime(hours.end)).ok()?
        };
        (start < end).then_some((start, end))
    }

    /// Whether the business clock runs at instant `t`.
    pub fn is_working_time(&self, t: Timestamp) -> bool {
        self.working_interval(local_date(t))
            .is_some_and(|(s, e)| s <= t && t < e)
    }

    /// The instant at which `d` of business time has elapsed after `start`.
    ///
    /// With `d` zero or negative this is `start` itself. Otherwise it always lies inside a
    /// working interval or at its end: a duration that runs out exactly at 17:00 is due at 17:00,
    /// not at 07:30 the next working day. Saturates at [`Timestamp::MAX`].
    pub fn add_business_duration(&self, start: Timestamp, d: SignedDuration) -> Timestamp {
        if d <= SignedDuration::ZERO {
            return start;
        }
        let mut remaining = d;
        let mut day = local_date(start);
        loop {
            // Skip whole closures at once so a long one costs one step, not one per day.
            if let Some(range) = self.closure_containing(day) {
                match range.last.tomorrow() {
                    Ok(next) => {
                        day = next;
                        continue;
                    }
                    Err(_) => return Timestamp::MAX,
                }
            }
            if let Some((s, e)) = self.working_interval(day) {
                let from = s.max(start);
                if from < e {
                    let available = e.duration_since(from);
                    if available >= remaining {
                        return from.checked_add(remaining).unwrap_or(Timestamp::MAX);
                    }
                    remaining -= available;
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => return Timestamp::MAX,
            }
        }
    }

    /// The business time between `a` and `b`; negative when `b` is before `a`.
    pub fn business_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        if b < a {
            return -self.business_time_between(b, a);
        }
        let mut total = SignedDuration::ZERO;
        let mut day = local_date(a);
        let last = local_date(b);
        loop {
            if let Some((s, e)) = self.working_interval(day) {
                let (lo, hi) = (s.max(a), e.min(b));
                if lo < hi {
                    total += hi.duration_since(lo);
                }
            }
            if day >= last {
                return total;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => return total,
            }
        }
    }
}

/// A calendar seen through one [`ClockMode`]: the same three questions, answered for working
/// hours or for 24/7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock<'a> {
    /// The board's working hours.
    WorkingHours(&'a BusinessCalendar),
    /// Every instant counts.
    AroundTheClock,
}

impl Clock<'_> {
    /// Whether the clock runs at `t`.
    pub fn is_working_time(&self, t: Timestamp) -> bool {
        match self {
            Clock::WorkingHours(c) => c.is_working_time(t),
            Clock::AroundTheClock => true,
        }
    }

    /// The instant at which `d` of clock time has elapsed after `start` (see
    /// [`BusinessCalendar::add_business_duration`]).
    pub fn add_business_duration(&self, start: Timestamp, d: SignedDuration) -> Timestamp {
        match self {
            Clock::WorkingHours(c) => c.add_business_duration(start, d),
            Clock::AroundTheClock if d <= SignedDuration::ZERO => start,
            Clock::AroundTheClock => start.checked_add(d).unwrap_or(Timestamp::MAX),
        }
    }

    /// The clock time between `a` and `b`; negative when `b` is before `a`.
    pub fn business_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        match self {
            Clock::WorkingHours(c) => c.business_time_between(a, b),
            Clock::AroundTheClock => b.duration_since(a),
        }
    }

    /// The length of one *werkdag* on this clock: the board's working day, or 24 hours.
    pub fn working_day_length(&self) -> SignedDuration {
        match self {
            Clock::WorkingHours(c) => c.working_day_length(),
            Clock::AroundTheClock => SignedDuration::from_hours(24),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    /// An Amsterdam wall-clock time as an instant.
    fn ams(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        amsterdam()
            .to_timestamp(date(y, m, d).at(h, min, 0, 0))
            .unwrap()
    }

    fn holidays(year: i16) -> Vec<(Date, PublicHoliday)> {
        public_holidays(year, &HolidayRules::default())
    }

    fn on(year: i16, h: PublicHoliday) -> Date {
        holidays(year)
            .into_iter()
            .find(|(_, x)| *x == h)
            .map(|(d, _)| d)
            .unwrap_or_else(|| panic!("{h} missing in {year}"))
    }

    #[test]
    fn easter_2025_to_2028() {
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
        assert_eq!(easter_sunday(2028), date(2028, 4, 16));
    }

    #[test]
    fn easter_is_a_sunday_in_its_window_for_all_gregorian_years() {
        for y in 1583..=9999 {
            let e = easter_sunday(y);
            assert_eq!(e.weekday(), Weekday::Sunday, "{y}");
            assert!(date(y, 3, 22) <= e && e <= date(y, 4, 25), "{y}: {e}");
        }
        // Other years never panic.
        for y in [-9999, -1, 0, 1, 1582] {
            let _ = easter_sunday(y);
        }
    }

    #[test]
    fn holidays_2025() {
        use PublicHoliday::*;
        assert_eq!(
            holidays(2025),
            vec![
                (date(2025, 1, 1), NewYearsDay),
                (date(2025, 4, 18), GoodFriday),
                (date(2025, 4, 20), EasterSunday),
                (date(2025, 4, 21), EasterMonday),
                // 27 April 2025 is a Sunday.
                (date(2025, 4, 26), KingsDay),
                // 2025 is a lustrum year.
                (date(2025, 5, 5), LiberationDay),
                (date(2025, 5, 29), AscensionDay),
                (date(2025, 6, 8), WhitSunday),
                (date(2025, 6, 9), WhitMonday),
                (date(2025, 12, 25), ChristmasDay),
                (date(2025, 12, 26), BoxingDay),
            ]
        );
    }

    #[test]
    fn holidays_2026() {
        use PublicHoliday::*;
        assert_eq!(
            holidays(2026),
            vec![
                (date(2026, 1, 1), NewYearsDay),
                (date(2026, 4, 3), GoodFriday),
                (date(2026, 4, 5), EasterSunday),
                (date(2026, 4, 6), EasterMonday),
                (date(2026, 4, 27), KingsDay),
                (date(2026, 5, 14), AscensionDay),
                (date(2026, 5, 24), WhitSunday),
                (date(2026, 5, 25), WhitMonday),
                (date(2026, 12, 25), ChristmasDay),
                (date(2026, 12, 26), BoxingDay),
            ]
        );
    }

    #[test]
    fn holidays_2027_and_2028() {
        use PublicHoliday::*;
        assert_eq!(on(2027, GoodFriday), date(2027, 3, 26));
        assert_eq!(on(2027, EasterMonday), date(2027, 3, 29));
        assert_eq!(on(2027, KingsDay), date(2027, 4, 27));
        assert_eq!(on(2027, AscensionDay), date(2027, 5, 6));
        assert_eq!(on(2027, WhitMonday), date(2027, 5, 17));
        assert_eq!(on(2028, GoodFriday), date(2028, 4, 14));
        assert_eq!(on(2028, EasterMonday), date(2028, 4, 17));
        assert_eq!(on(2028, KingsDay), date(2028, 4, 27));
        assert_eq!(on(2028, AscensionDay), date(2028, 5, 25));
        assert_eq!(on(2028, WhitSunday), date(2028, 6, 4));
        assert_eq!(on(2028, WhitMonday), date(2028, 6, 5));
        assert_eq!(holidays(2027).len(), 10);
        assert_eq!(holidays(2028).len(), 10);
    }

    #[test]
    fn the_quick_lookup_agrees_with_the_yearly_list() {
        let rule_sets = [
            HolidayRules::default(),
            HolidayRules {
                good_friday: false,
                liberation_day: LiberationDayRule::EveryYear,
            },
            HolidayRules {
                good_friday: true,
                liberation_day: LiberationDayRule::Never,
            },
        ];
        for rules in &rule_sets {
            for year in 2014..=2060 {
                let list = public_holidays(year, rules);
                let mut day = date(year, 1, 1);
                while day.year() == year {
                    let expected = list.iter().find(|(d, _)| *d == day).map(|(_, h)| *h);
                    assert_eq!(public_holiday_on(day, rules), expected, "{day}");
                    day = day.tomorrow().unwrap();
                }
            }
        }
    }

    #[test]
    fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
        // 27 April is a Sunday in 2025 and 2031.
        assert_eq!(on(2031, PublicHoliday::KingsDay), date(2031, 4, 26));
        assert_eq!(on(2024, PublicHoliday::KingsDay), date(2024, 4, 27));
    }

    #[test]
    fn optional_holidays_follow_the_rules() {
        let none = HolidayRules {
            good_friday: false,
            liberation_day: LiberationDayRule::Never,
        };
        assert_eq!(public_holiday_on(date(2026, 4, 3), &none), None);
        assert_eq!(public_holiday_on(date(2025, 5, 5), &none), None);
        let every = HolidayRules {
            good_friday: true,
            liberation_day: LiberationDayRule::EveryYear,
        };
        assert_eq!(
            public_holiday_on(date(2026, 5, 5), &every),
            Some(PublicHoliday::LiberationDay)
        );
        let default = HolidayRules::default();
        assert_eq!(public_holiday_on(date(2026, 5, 5), &default), None);
        assert_eq!(
            public_holiday_on(date(2030, 5, 5), &default),
            Some(PublicHoliday::LiberationDay)
        );
    }

    #[test]
    fn working_hours_validate() {
        let t = |h, m| Time::constant(h, m, 0, 0);
        assert!(WorkingHours::new(t(17, 0), t(7, 30)).is_err());
        assert!(WorkingHours::new(t(8, 0), t(8, 0)).is_err());
        let evening = WorkingHours::new(t(18, 0), Time::midnight()).unwrap();
        assert_eq!(evening.nominal_length(), SignedDuration::from_hours(6));
        assert_eq!(
            WorkingHours::school_day().nominal_length(),
            SignedDuration::from_mins(570)
        );
        assert_eq!(
            WeekSchedule::new([None; 7]),
            Err(CalendarError::NoWorkingDays)
        );
        assert!(DateRange::new(date(2026, 1, 2), date(2026, 1, 1)).is_err());
    }

    #[test]
    fn deserializing_validates() {
        // serde goes through these `TryFrom` impls (`#[serde(try_from = ...)]`).
        let t = |h, m| Time::constant(h, m, 0, 0);
        let bad = RawWorkingHours {
            start: t(17, 0),
            end: t(8, 0),
        };
        assert!(WorkingHours::try_from(bad).is_err());
        let empty = RawWeekSchedule {
            monday: None,
            tuesday: None,
            wednesday: None,
            thursday: None,
            friday: None,
            saturday: None,
            sunday: None,
        };
        assert_eq!(
            WeekSchedule::try_from(empty),
            Err(CalendarError::NoWorkingDays)
        );
        let inverted = RawDateRange {
            first: date(2026, 1, 2),
            last: date(2026, 1, 1),
        };
        assert!(DateRange::try_from(inverted).is_err());
    }

    #[test]
    fn official_school_holidays_by_region() {
        let autumn_2026 = |r| {
            official_school_holidays_for(r)
                .into_iter()
                .find(|h| h.kind == SchoolHolidayKind::Autumn && h.dates.first().year() == 2026)
                .unwrap()
                .dates
        };
        let mid_south = DateRange::new(date(2026, 10, 17), date(2026, 10, 25)).unwrap();
        assert_eq!(autumn_2026(SchoolRegion::Central), mid_south);
        assert_eq!(autumn_2026(SchoolRegion::South), mid_south);
        assert_eq!(
            autumn_2026(SchoolRegion::North),
            DateRange::new(date(2026, 10, 10), date(2026, 10, 18)).unwrap()
        );
        for h in official_school_holidays() {
            // Every official holiday runs from a Saturday to a Sunday.
            assert_eq!(h.dates.first().weekday(), Weekday::Saturday, "{h:?}");
            assert_eq!(h.dates.last().weekday(), Weekday::Sunday, "{h:?}");
        }
        // Five holidays per region in 2025-2026, two so far in 2026-2027.
        for r in SchoolRegion::ALL {
            assert_eq!(official_school_holidays_for(*r).len(), 7, "{r}");
        }
    }

    #[test]
    fn working_time_respects_hours_weekends_holidays_and_closures() {
        let cal = BusinessCalendar::for_region(SchoolRegion::Central);
        // Tuesday 6 Oct 2026.
        assert!(!cal.is_working_time(ams(2026, 10, 6, 7, 29)));
        assert!(cal.is_working_time(ams(2026, 10, 6, 7, 30)));
        assert!(cal.is_working_time(ams(2026, 10, 6, 16, 59)));
        assert!(!cal.is_working_time(ams(2026, 10, 6, 17, 0)));
        // Saturday.
        assert!(!cal.is_working_time(ams(2026, 10, 10, 10, 0)));
        // Herfstvakantie midden.
        assert!(!cal.is_working_time(ams(2026, 10, 20, 10, 0)));
        // Hemelvaartsdag.
        assert!(!cal.is_working_time(ams(2026, 5, 14, 10, 0)));
        // Goede Vrijdag by default.
        assert!(!cal.is_working_time(ams(2026, 4, 3, 10, 0)));
        // Bevrijdingsdag 2026: after the meivakantie (25 April – 3 May) and not a lustrum year,
        // so a working day by default.
        assert!(cal.is_working_time(ams(2026, 5, 5, 10, 0)));
    }

    #[test]
    fn add_and_between_on_an_ordinary_week() {
        let cal = BusinessCalendar::default();
        // Friday 16:30 + 1 h = Monday 08:00.
        let due =
            cal.add_business_duration(ams(2026, 10, 16, 16, 30), SignedDuration::from_hours(1));
        assert_eq!(due, ams(2026, 10, 19, 8, 0));
        // Exactly to the end of the day stays at 17:00.
        let due =
            cal.add_business_duration(ams(2026, 10, 16, 16, 30), SignedDuration::from_mins(30));
        assert_eq!(due, ams(2026, 10, 16, 17, 0));
        // Starting on a Sunday night starts counting Monday 07:30.
        let due =
            cal.add_business_duration(ams(2026, 10, 18, 23, 0), SignedDuration::from_mins(15));
        assert_eq!(due, ams(2026, 10, 19, 7, 45));
        assert_eq!(
            cal.business_time_between(ams(2026, 10, 16, 16, 30), ams(2026, 10, 19, 8, 0)),
            SignedDuration::from_hours(1)
        );
        assert_eq!(
            cal.business_time_between(ams(2026, 10, 19, 8, 0), ams(2026, 10, 16, 16, 30)),
            SignedDuration::from_hours(-1)
        );
        // A full week is 5 × 9.5 h.
        assert_eq!(
            cal.business_time_between(ams(2026, 10, 5, 0, 0), ams(2026, 10, 12, 0, 0)),
            SignedDuration::from_mins(5 * 570)
        );
    }

    #[test]
    fn working_hours_are_wall_clock_across_dst() {
        let cal = BusinessCalendar::default();
        // The Fridays before the DST weekends to the Mondays after: 07:30 local on both sides.
        for (fri, mon) in [
            ((2026, 3, 27), (2026, 3, 30)),
            ((2026, 10, 23), (2026, 10, 26)),
        ] {
            let start = ams(fri.0, fri.1, fri.2, 16, 0);
            let due = cal.add_business_duration(start, SignedDuration::from_hours(2));
            assert_eq!(due, ams(mon.0, mon.1, mon.2, 8, 30));
            assert_eq!(
                cal.business_time_between(start, due),
                SignedDuration::from_hours(2)
            );
        }
        // A 9.5 h day on the Monday after each change is still 9.5 h of real time.
        for (y, m, d) in [(2026, 3, 30), (2026, 10, 26)] {
            let (s, e) = cal.working_interval(date(y, m, d)).unwrap();
            assert_eq!(e.duration_since(s), SignedDuration::from_mins(570));
        }
    }

    #[test]
    fn hours_spanning_the_dst_change_count_real_time() {
        // Sunday-night shift 01:30–03:30 local: 1 h real time in spring, 3 h in autumn.
        let t = |h, m| Time::constant(h, m, 0, 0);
        let mut days = [None; 7];
        days[6] = Some(WorkingHours::new(t(1, 30), t(3, 30)).unwrap());
        let cal = BusinessCalendar::new(
            WeekSchedule::new(days).unwrap(),
            HolidayRules::default(),
            vec![],
        );
        let span = |y, m, d| cal.business_time_between(ams(y, m, d, 0, 0), ams(y, m, d, 12, 0));
        assert_eq!(span(2026, 3, 29), SignedDuration::from_hours(1));
        assert_eq!(span(2026, 10, 25), SignedDuration::from_hours(3));
        assert_eq!(span(2026, 10, 18), SignedDuration::from_hours(2));
        // 01:30 CET + 45 min lands at 03:15 CEST on the spring change.
        let due = cal.add_business_duration(ams(2026, 3, 29, 0, 0), SignedDuration::from_mins(45));
        assert_eq!(due, ams(2026, 3, 29, 3, 15));
    }

    #[test]
    fn around_the_clock_counts_every_instant() {
        let cal = BusinessCalendar::default();
        let clock = cal.clock(ClockMode::AroundTheClock);
        let sat = ams(2026, 10, 17, 2, 0);
        assert!(clock.is_working_time(sat));
        assert_eq!(
            clock.add_business_duration(sat, SignedDuration::from_mins(15)),
            ams(2026, 10, 17, 2, 15)
        );
        // The autumn night is 25 hours long.
        assert_eq!(
            clock.business_time_between(ams(2026, 10, 25, 0, 0), ams(2026, 10, 26, 0, 0)),
            SignedDuration::from_hours(25)
        );
        assert_eq!(clock.working_day_length(), SignedDuration::from_hours(24));
        assert_eq!(
            cal.clock(ClockMode::WorkingHours).working_day_length(),
            SignedDuration::from_mins(570)
        );
    }

    /// Instants from January 2025 to the end of 2027, which includes both 2026 DST weekends.
    fn instant() -> impl Strategy<Value = Timestamp> {
        let lo = ams(2025, 1, 1, 0, 0).as_second();
        let hi = ams(2028, 1, 1, 0, 0).as_second();
        (lo..hi).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    /// Instants within a few days of the 2026 DST changes, to the second.
    fn near_dst() -> impl Strategy<Value = Timestamp> {
        prop_oneof![
            (ams(2026, 3, 26, 0, 0).as_second()..ams(2026, 4, 1, 0, 0).as_second()),
            (ams(2026, 10, 22, 0, 0).as_second()..ams(2026, 10, 28, 0, 0).as_second()),
        ]
        .prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    fn calendars() -> impl Strategy<Value = BusinessCalendar> {
        let t = |h, m| Time::constant(h, m, 0, 0);
        let mut night = [None; 7];
        night[6] = Some(WorkingHours::new(t(1, 30), t(3, 30)).unwrap());
        night[0] = Some(WorkingHours::new(t(22, 0), Time::midnight()).unwrap());
        let night = BusinessCalendar::new(
            WeekSchedule::new(night).unwrap(),
            HolidayRules::default(),
            vec![],
        );
        prop_oneof![
            Just(BusinessCalendar::default()),
            Just(BusinessCalendar::for_region(SchoolRegion::North)),
            Just(BusinessCalendar::for_region(SchoolRegion::South)),
            Just(night),
        ]
    }

    fn duration() -> impl Strategy<Value = SignedDuration> {
        (0i64..=20 * 24 * 3600).prop_map(SignedDuration::from_secs)
    }

    proptest! {
        #[test]
        fn add_then_between_is_identity(cal in calendars(), s in instant(), d in duration()) {
            let due = cal.add_business_duration(s, d);
            prop_assert!(due >= s);
            prop_assert_eq!(cal.business_time_between(s, due), d);
        }

        #[test]
        fn add_then_between_is_identity_near_dst(cal in calendars(), s in near_dst(), d in duration()) {
            let due = cal.add_business_duration(s, d);
            prop_assert_eq!(cal.business_time_between(s, due), d);
        }

        #[test]
        fn between_is_additive_and_bounded(cal in calendars(), a in near_dst(), b in near_dst(), c in near_dst()) {
            let mut v = [a, b, c];
            v.sort();
            let [a, b, c] = v;
            let ab = cal.business_time_between(a, b);
            let bc = cal.business_time_between(b, c);
            prop_assert_eq!(ab + bc, cal.business_time_between(a, c));
            prop_assert!(ab >= SignedDuration::ZERO);
            prop_assert!(ab <= b.duration_since(a));
        }

        #[test]
        fn working_time_agrees_with_between(cal in calendars(), t in near_dst()) {
            let one = SignedDuration::from_secs(1);
            let counted = cal.business_time_between(t, t + one);
            prop_assert_eq!(counted == one, cal.is_working_time(t));
        }

        #[test]
        fn the_due_moment_is_the_earliest(cal in calendars(), s in instant(), d in (1i64..=10 * 24 * 3600).prop_map(SignedDuration::from_secs)) {
            let due = cal.add_business_duration(s, d);
            // One second earlier, less than `d` has elapsed.
            prop_assert!(cal.business_time_between(s, due - SignedDuration::from_secs(1)) < d);
        }
    }
}
