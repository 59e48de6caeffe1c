//! The priority matrix: impact × urgency → priority, with the floor for serious kinds.

use crate::incident::{Impact, Kind, Priority, Urgency};
use serde::{Deserialize, Serialize};

/// A board's priority matrix; rows by impact, columns by urgency, in the enums' order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    cells: [[Priority; 3]; 4],
}

impl Default for PriorityMatrix {
    /// The matrix of domain.md §3.
    fn default() -> Self {
        use Priority::*;
        Self {
            cells: [
                [P1, P2, P3], // bestuur
                [P1, P2, P3], // school
                [P2, P3, P4], // groep
                [P3, P4, P5], // persoon
            ],
        }
    }
}

fn impact_index(i: Impact) -> usize {
    match i {
        Impact::Board => 0,
        Impact::School => 1,
        Impact::Group => 2,
        Impact::Person => 3,
    }
}

fn urgency_index(u: Urgency) -> usize {
    match u {
        Urgency::EducationStopped => 0,
        Urgency::EducationHindered => 1,
        Urgency::NoDirectHindrance => 2,
    }
}

impl PriorityMatrix {
    /// Builds a matrix from explicit cells (rows: impact, columns: urgency).
    pub fn from_cells(cells: [[Priority; 3]; 4]) -> Self {
        Self { cells }
    }

    /// The cell for one impact and urgency.
    pub fn lookup(&self, impact: Impact, urgency: Urgency) -> Priority {
        self.cells[impact_index(impact)][urgency_index(urgency)]
    }

    /// The priority the matrix gives, raised to at least P2 for breaches and cyber incidents.
    pub fn priority_for(&self, kind: Kind, impact: Impact, urgency: Urgency) -> Priority {
        floor_for_kind(kind, self.lookup(impact, urgency))
    }
}

/// Confirmed breaches and cyber incidents are at least P2 (domain.md §3).
pub fn floor_for_kind(kind: Kind, p: Priority) -> Priority {
    match kind {
        Kind::Breach | Kind::CyberIncident if p.rank() > 2 => Priority::P2,
        _ => p,
    }
}

/// Why a requested priority cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorityError {
    /// A manual override needs a reason.
    #[error("a priority that differs from the matrix needs a reason")]
    OverrideWithoutReason,
    /// Breaches and cyber incidents cannot go below P2.
    #[error("breaches and cyber-security incidents are at least P2")]
    BelowFloor,
}

/// Decides the effective priority: the matrix value, or an override with a reason.
/// Returns the priority and the override reason to keep (None when the matrix value is used).
pub fn decide_priority(
    matrix: &PriorityMatrix,
    kind: Kind,
    impact: Impact,
    urgency: Urgency,
    requested: Option<Priority>,
    reason: Option<&str>,
) -> Result<(Priority, Option<String>), PriorityError> {
    let computed = matrix.priority_for(kind, impact, urgency);
    match requested {
        None => Ok((computed, None)),
        Some(p) if p == computed => Ok((computed, None)),
        Some(p) => {
            if floor_for_kind(kind, p) != p {
                return Err(PriorityError::BelowFloor);
            }
            let reason = reason.map(str::trim).filter(|r| !r.is_empty());
            match reason {
                Some(r) => Ok((p, Some(r.to_string()))),
                None => Err(PriorityError::OverrideWithoutReason),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_matrix_matches_domain_table() {
        let m = PriorityMatrix::default();
        assert_eq!(
            m.lookup(Impact::Board, Urgency::EducationStopped),
            Priority::P1
        );
        assert_eq!(
            m.lookup(Impact::Group, Urgency::EducationHindered),
            Priority::P3
        );
        assert_eq!(
            m.lookup(Impact::Person, Urgency::NoDirectHindrance),
            Priority::P5
        );
        assert_eq!(
            m.lookup(Impact::School, Urgency::NoDirectHindrance),
            Priority::P3
        );
    }

    #[test]
    fn breach_is_at_least_p2() {
        let m = PriorityMatrix::default();
        assert_eq!(
            m.priority_for(Kind::Breach, Impact::Person, Urgency::NoDirectHindrance),
            Priority::P2
        );
        assert_eq!(
            m.priority_for(Kind::Disruption, Impact::Person, Urgency::NoDirectHindrance),
            Priority::P5
        );
    }

    #[test]
    fn override_needs_reason() {
        let m = PriorityMatrix::default();
        let r = decide_priority(
            &m,
            Kind::Disruption,
            Impact::Person,
            Urgency::NoDirectHindrance,
            Some(Priority::P1),
            None,
        );
        assert_eq!(r, Err(PriorityError::OverrideWithoutReason));
        let r = decide_priority(
            &m,
            Kind::Disruption,
            Impact::Person,
            Urgency::NoDirectHindrance,
            Some(Priority::P1),
            Some("  directeur vraagt het  "),
        );
        assert_eq!(
            r,
            Ok((Priority::P1, Some("directeur vraagt het".to_string())))
        );
        let r = decide_priority(
            &m,
            Kind::Breach,
            Impact::Person,
            Urgency::NoDirectHindrance,
            Some(Priority::P4),
            Some("klein"),
        );
        assert_eq!(r, Err(PriorityError::BelowFloor));
    }

    fn any_impact() -> impl Strategy<Value = Impact> {
        proptest::sample::select(Impact::ALL)
    }
    fn any_urgency() -> impl Strategy<Value = Urgency> {
        proptest::sample::select(Urgency::ALL)
    }
    fn any_kind() -> impl Strategy<Value = Kind> {
        proptest::sample::select(Kind::ALL)
    }

    proptest! {
        /// Wider impact or more urgency never gives a lower priority in the default matrix.
        #[test]
        fn default_matrix_is_monotone(i in 0usize..4, u in 0usize..3) {
            let m = PriorityMatrix::default();
            let p = m.lookup(Impact::ALL[i], Urgency::ALL[u]).rank();
            if i > 0 { prop_assert!(m.lookup(Impact::ALL[i - 1], Urgency::ALL[u]).rank() <= p); }
            if u > 0 { prop_assert!(m.lookup(Impact::ALL[i], Urgency::ALL[u - 1]).rank() <= p); }
        }

        /// Without an override, the result is the matrix value after the floor, and never needs a reason.
        #[test]
        fn no_override_never_fails(k in any_kind(), i in any_impact(), u in any_urgency()) {
            let m = PriorityMatrix::default();
            let (p, reason) = decide_priority(&m, k, i, u, None, None).unwrap();
            prop_assert_eq!(p, m.priority_for(k, i, u));
            prop_assert!(reason.is_none());
            if matches!(k, Kind::Breach | Kind::CyberIncident) { prop_assert!(p.rank() <= 2); }
        }
    }
}
