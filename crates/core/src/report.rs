//! The public report (*melding*): parsing outside input into a valid `NewReport`.

use crate::ids::SchoolId;
use crate::incident::{PersonalDataAnswer, Reporter};
use crate::validation::{is_plausible_email, Collector, ValidationErrors};
use jiff::Timestamp;

/// Limits for report fields (characters).
pub mod limits {
    /// One-line summary.
    pub const SUMMARY: usize = 200;
    /// Free-text description.
    pub const DESCRIPTION: usize = 10_000;
    /// Name.
    pub const NAME: usize = 200;
    /// E-mail.
    pub const EMAIL: usize = 254;
    /// Phone.
    pub const PHONE: usize = 40;
    /// A note or other free text added later.
    pub const NOTE: usize = 10_000;
}

/// A report as it arrives, all fields as text, before parsing.
#[derive(Debug, Clone, Default)]
pub struct ReportInput<'a> {
    /// One-line summary; when empty, derived from the description.
    pub summary: Option<&'a str>,
    /// What happened (required).
    pub description: &'a str,
    /// When it happened: `YYYY-MM-DDTHH:MM` local time (Europe/Amsterdam) or RFC 3339.
    pub occurred_at: Option<&'a str>,
    /// The school, as an id.
    pub school_id: Option<&'a str>,
    /// `yes` / `no` / `unknown`.
    pub personal_data: Option<&'a str>,
    /// `yes` / `no`.
    pub ongoing: Option<&'a str>,
    /// Optional contact details.
    pub name: Option<&'a str>,
    /// Optional e-mail.
    pub email: Option<&'a str>,
    /// Optional phone.
    pub phone: Option<&'a str>,
}

/// A valid report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// One-line summary.
    pub summary: String,
    /// What happened.
    pub description: String,
    /// When it happened, if known.
    pub occurred_at: Option<Timestamp>,
    /// The school, if named (existence is checked by the use case).
    pub school_id: Option<SchoolId>,
    /// May personal data be involved?
    pub personal_data: PersonalDataAnswer,
    /// Still going on?
    pub ongoing: Option<bool>,
    /// Contact details.
    pub reporter: Reporter,
}

/// Parses a moment given as RFC 3339 or as a local `datetime-local` value in Europe/Amsterdam.
pub fn parse_moment(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    dt.in_tz("Europe/Amsterdam").ok().map(|z| z.timestamp())
}

/// Derives a summary from the description: its first line, cut at a word boundary.
pub fn summary_from(description: &str) -> String {
    let first = description
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if first.chars().count() <= 80 {
        return first.to_string();
    }
    let cut: String = first.chars().take(80).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 40 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

impl NewReport {
    /// Parses and validates a report; `now` bounds the occurrence time.
    pub fn parse(input: &ReportInput<'_>, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut c = Collector::default();
        let description = c.required_text("description", input.description, limits::DESCRIPTION);
        let summary = c
            .optional_text("summary", input.summary, limits::SUMMARY)
            .unwrap_or_else(|| summary_from(&description));
        let occurred_at = match input.occurred_at.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match parse_moment(s) {
                None => {
                    c.add("occurred_at", "error-invalid-datetime");
                    None
                }
                // A little slack for clock skew between the reporter's device and the server.
                Some(t) if t > now + jiff::SignedDuration::from_mins(5) => {
                    c.add("occurred_at", "error-in-future");
                    None
                }
                Some(t) if t < now - jiff::SignedDuration::from_hours(24 * 365 * 10) => {
                    c.add("occurred_at", "error-too-long-ago");
                    None
                }
                Some(t) => Some(t),
            },
        };
        let school_id = match input.school_id.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<SchoolId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    c.add("school_id", "error-unknown-school");
                    None
                }
            },
        };
        let personal_data = match input.personal_data.map(str::trim).filter(|s| !s.is_empty()) {
            None => PersonalDataAnswer::Unknown,
            Some(s) => PersonalDataAnswer::from_code(s).unwrap_or_else(|| {
                c.add("personal_data", "error-invalid-choice");
                PersonalDataAnswer::Unknown
            }),
        };
        let ongoing = match input.ongoing.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("unknown") => None,
            Some("yes") | Some("true") => Some(true),
            Some("no") | Some("false") => Some(false),
            Some(_) => {
                c.add("ongoing", "error-invalid-choice");
                None
            }
        };
        let name = c.optional_text("name", input.name, limits::NAME);
        let email = c.optional_text("email", input.email, limits::EMAIL);
        if let Some(e) = &email {
            if !is_plausible_email(e) {
                c.add("email", "error-invalid-email");
            }
        }
        let phone = c.optional_text("phone", input.phone, limits::PHONE);
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|ch| ch.is_ascii_digit() || " +-()".contains(ch))
                && p.chars().filter(char::is_ascii_digit).count() >= 6;
            if !ok {
                c.add("phone", "error-invalid-phone");
            }
        }
        c.finish()?;
        Ok(NewReport {
            summary,
            description,
            occurred_at,
            school_id,
            personal_data,
            ongoing,
            reporter: Reporter { name, email, phone },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        "2026-11-27T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn anonymous_minimal_report() {
        let r = NewReport::parse(
            &ReportInput {
                description: "  De printer in de hal print leerlinglijsten uit  ",
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(r.summary, "De printer in de hal print leerlinglijsten uit");
        assert!(r.reporter.is_anonymous());
        assert_eq!(r.personal_data, PersonalDataAnswer::Unknown);
    }

    #[test]
    fn each_bad_field_is_named() {
        let e = NewReport::parse(
            &ReportInput {
                description: "",
                occurred_at: Some("gisteren"),
                email: Some("geen-adres"),
                phone: Some("abc"),
                personal_data: Some("misschien"),
                school_id: Some("xyz"),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(e.for_field("description"), Some("error-required"));
        assert_eq!(e.for_field("occurred_at"), Some("error-invalid-datetime"));
        assert_eq!(e.for_field("email"), Some("error-invalid-email"));
        assert_eq!(e.for_field("phone"), Some("error-invalid-phone"));
        assert_eq!(e.for_field("personal_data"), Some("error-invalid-choice"));
        assert_eq!(e.for_field("school_id"), Some("error-unknown-school"));
    }

    #[test]
    fn local_time_is_amsterdam() {
        let t = parse_moment("2026-07-01T10:00").unwrap();
        assert_eq!(t, "2026-07-01T08:00:00Z".parse::<Timestamp>().unwrap());
        let t = parse_moment("2026-01-15T10:00").unwrap();
        assert_eq!(t, "2026-01-15T09:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn future_occurrence_refused() {
        let e = NewReport::parse(
            &ReportInput {
                description: "x",
                occurred_at: Some("2027-01-01T10:00"),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(e.for_field("occurred_at"), Some("error-in-future"));
    }

    proptest! {
        /// Any input either parses into a report within the limits or names at least one field; never panics.
        #[test]
        fn parse_is_total(desc in ".{0,300}", email in proptest::option::of(".{0,40}"), when in proptest::option::of(".{0,25}")) {
            let input = ReportInput { description: &desc, email: email.as_deref(), occurred_at: when.as_deref(), ..Default::default() };
            match NewReport::parse(&input, now()) {
                Ok(r) => {
                    prop_assert!(!r.description.is_empty());
                    prop_assert!(r.summary.chars().count() <= limits::SUMMARY + 1);
                }
                Err(e) => prop_assert!(!e.0.is_empty()),
            }
        }
    }
}
