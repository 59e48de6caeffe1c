//! Roles and permissions: who may do what to which incident. Deny by default.

use crate::ids::{BoardId, SchoolId, UserId};
use crate::incident::{Incident, Kind};
use serde::{Deserialize, Serialize};

crate::incident::vocabulary!(
    /// A role a person holds, scoped to a board or a school.
    Role {
        /// *it-servicedesk*: registers, classifies, prioritises, assigns, monitors.
        ServiceDesk = "service-desk",
        /// *behandelaar*: works on incidents assigned to them.
        Handler = "handler",
        /// *it-incidentmanager*: coordinates, escalates, closes, evaluates.
        IncidentManager = "incident-manager",
        /// *IBP-verantwoordelijke*: security incidents and breaches.
        IbpOfficer = "ibp-officer",
        /// *FG*: reads breaches, records advice.
        Dpo = "dpo",
        /// *bestuurder*: reports; reads security incidents and breaches.
        BoardMember = "board",
        /// *beheerder*: configuration, users, schools; no incident content.
        Admin = "admin",
    }
);

/// One role held within a board, optionally limited to one school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    /// The role.
    pub role: Role,
    /// The board.
    pub board_id: BoardId,
    /// Limited to this school, when set.
    pub school_id: Option<SchoolId>,
}

impl RoleGrant {
    /// True when the grant reaches an incident of this board and school.
    fn reaches(&self, board: BoardId, school: Option<SchoolId>) -> bool {
        self.board_id == board
            && match self.school_id {
                None => true,
                Some(s) => school == Some(s),
            }
    }
}

/// Someone acting: a logged-in person or an API token's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The person.
    pub user_id: UserId,
    /// Display name.
    pub name: String,
    /// All grants.
    pub grants: Vec<RoleGrant>,
}

/// Something a person may want to do to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentAction {
    /// Read the incident and its timeline.
    View,
    /// Add a note.
    Note,
    /// Set kind, aspects, category, impact, urgency, priority.
    Triage,
    /// Assign to a handler.
    Assign,
    /// Wait, resume, contain, resolve, reopen.
    Work,
    /// Record the evaluation.
    Evaluate,
    /// Close.
    Close,
}

/// Something a person may want to do to the board's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardAction {
    /// See the register (the list of incidents they may view).
    ViewRegister,
    /// Create an incident on someone's behalf (service desk, API).
    CreateIncident,
    /// Add or change schools.
    ManageSchools,
    /// Add or change accounts and roles.
    ManageUsers,
    /// See the audit trail and delivery warnings.
    ViewAdministration,
}

fn role_allows(role: Role, action: IncidentAction, incident: &Incident, actor: UserId) -> bool {
    use IncidentAction::*;
    let security = incident.kind().is_some_and(Kind::is_security_related)
        || (incident.kind().is_none()
            && incident.personal_data != crate::incident::PersonalDataAnswer::No);
    let breach = incident.kind() == Some(Kind::Breach);
    match role {
        Role::IncidentManager => true,
        Role::ServiceDesk => !matches!(action, Evaluate),
        Role::Handler => {
            incident.assignee_id == Some(actor) && matches!(action, View | Note | Work)
        }
        Role::IbpOfficer => security,
        Role::Dpo => {
            (breach || (security && incident.kind().is_none())) && matches!(action, View | Note)
        }
        Role::BoardMember => security && matches!(action, View),
        Role::Admin => false,
    }
}

impl Principal {
    /// May this person do `action` to `incident`? Deny by default.
    pub fn may(&self, action: IncidentAction, incident: &Incident) -> bool {
        self.grants.iter().any(|g| {
            g.reaches(incident.board_id, incident.school_id)
                && role_allows(g.role, action, incident, self.user_id)
        })
    }

    /// May this person do `action` within `board`? School-scoped grants count for the register.
    pub fn may_in_board(&self, action: BoardAction, board: BoardId) -> bool {
        use BoardAction::*;
        self.grants.iter().any(|g| {
            g.board_id == board
                && match action {
                    ViewRegister => g.role != Role::Admin,
                    CreateIncident => matches!(
                        g.role,
                        Role::ServiceDesk | Role::IncidentManager | Role::IbpOfficer
                    ),
                    ManageSchools | ManageUsers | ViewAdministration => {
                        g.role == Role::Admin && g.school_id.is_none()
                    }
                }
        })
    }

    /// The boards this person has any grant in.
    pub fn boards(&self) -> Vec<BoardId> {
        let mut b: Vec<BoardId> = self.grants.iter().map(|g| g.board_id).collect();
        b.sort();
        b.dedup();
        b
    }

    /// True when the person holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}

/// The minimum password length for local accounts.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Checks a new password against the policy; returns a message key when refused.
pub fn check_password_policy(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        Err("error-password-too-short")
    } else if n > 1024 {
        Err("error-too-long")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use crate::incident::*;

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_767_225_600).unwrap()
    }

    fn incident(board: BoardId, school: Option<SchoolId>, kind: Option<Kind>) -> Incident {
        let mut i = crate::lifecycle::tests_support::reported();
        i.board_id = board;
        i.school_id = school;
        i.classification = kind.map(|k| Classification {
            kind: k,
            aspects: Aspects::default(),
            category: Category::Other,
            impact: Impact::School,
            urgency: Urgency::EducationHindered,
            priority: Priority::P3,
            priority_override_reason: None,
        });
        i
    }

    fn person(grants: Vec<(Role, BoardId, Option<SchoolId>)>) -> Principal {
        Principal {
            user_id: UserId::new_v7(now()),
            name: "x".into(),
            grants: grants
                .into_iter()
                .map(|(role, board_id, school_id)| RoleGrant {
                    role,
                    board_id,
                    school_id,
                })
                .collect(),
        }
    }

    #[test]
    fn board_separation() {
        let a = BoardId::new_v7(now());
        let b = BoardId::new_v7(now());
        let sd = person(vec![(Role::ServiceDesk, a, None)]);
        assert!(sd.may(IncidentAction::Triage, &incident(a, None, None)));
        assert!(!sd.may(IncidentAction::View, &incident(b, None, None)));
        assert!(!sd.may_in_board(BoardAction::ViewRegister, b));
    }

    #[test]
    fn school_scope() {
        let a = BoardId::new_v7(now());
        let s1 = SchoolId::new_v7(now());
        let s2 = SchoolId::new_v7(now());
        let sd = person(vec![(Role::ServiceDesk, a, Some(s1))]);
        assert!(sd.may(IncidentAction::View, &incident(a, Some(s1), None)));
        assert!(!sd.may(IncidentAction::View, &incident(a, Some(s2), None)));
        assert!(!sd.may(IncidentAction::View, &incident(a, None, None)));
    }

    #[test]
    fn handler_only_own_incidents() {
        let a = BoardId::new_v7(now());
        let h = person(vec![(Role::Handler, a, None)]);
        let mut i = incident(a, None, Some(Kind::Disruption));
        assert!(!h.may(IncidentAction::View, &i));
        i.assignee_id = Some(h.user_id);
        assert!(h.may(IncidentAction::Work, &i));
        assert!(!h.may(IncidentAction::Assign, &i));
        assert!(!h.may(IncidentAction::Close, &i));
    }

    #[test]
    fn dpo_reads_breaches_only_and_admin_sees_no_content() {
        let a = BoardId::new_v7(now());
        let fg = person(vec![(Role::Dpo, a, None)]);
        let admin = person(vec![(Role::Admin, a, None)]);
        let breach = incident(a, None, Some(Kind::Breach));
        let outage = incident(a, None, Some(Kind::Disruption));
        assert!(fg.may(IncidentAction::View, &breach));
        assert!(!fg.may(IncidentAction::Triage, &breach));
        assert!(!fg.may(IncidentAction::View, &outage));
        assert!(!admin.may(IncidentAction::View, &breach));
        assert!(admin.may_in_board(BoardAction::ManageUsers, a));
        assert!(!fg.may_in_board(BoardAction::ManageUsers, a));
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_password_policy("kort"),
            Err("error-password-too-short")
        );
        assert!(check_password_policy("lang-genoeg-wachtwoord").is_ok());
    }
}
