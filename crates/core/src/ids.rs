//! Identifier newtypes, so a school id is never passed where a board id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (UUIDv7) identifier.
            pub fn new_v7(now: jiff::Timestamp) -> Self {
                let secs = u64::try_from(now.as_second()).unwrap_or(0);
                let nanos = u32::try_from(now.subsec_nanosecond()).unwrap_or(0);
                let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos);
                Self(Uuid::new_v7(ts))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

id_type!(
    /// A school board (tenant).
    BoardId
);
id_type!(
    /// A school of a board.
    SchoolId
);
id_type!(
    /// A person with an account.
    UserId
);
id_type!(
    /// An incident (or report before triage).
    IncidentId
);

/// The number people use for an incident: the year and a sequence per board, e.g. `2026-0042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentNumber {
    /// Calendar year in which the report arrived.
    pub year: i16,
    /// Sequence within the board and year, starting at 1.
    pub seq: i64,
}

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}", self.year, self.seq)
    }
}

impl FromStr for IncidentNumber {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (y, n) = s.trim().split_once('-').ok_or(())?;
        let year = y.parse().map_err(|_| ())?;
        let seq = n.parse().map_err(|_| ())?;
        if seq < 1 {
            return Err(());
        }
        Ok(Self { year, seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_number_round_trips_and_pads() {
        let n = IncidentNumber {
            year: 2026,
            seq: 42,
        };
        assert_eq!(n.to_string(), "2026-0042");
        assert_eq!("2026-0042".parse::<IncidentNumber>(), Ok(n));
        assert_eq!(
            "2026-12345".parse::<IncidentNumber>().map(|n| n.seq),
            Ok(12345)
        );
        assert!("2026-0".parse::<IncidentNumber>().is_err());
        assert!("abc".parse::<IncidentNumber>().is_err());
    }

    #[test]
    fn v7_ids_are_time_ordered() {
        let a = IncidentId::new_v7(jiff::Timestamp::from_second(1_700_000_000).unwrap());
        let b = IncidentId::new_v7(jiff::Timestamp::from_second(1_700_000_001).unwrap());
        assert!(a < b);
    }
}
