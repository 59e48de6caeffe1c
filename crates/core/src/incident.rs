//! The incident's classification vocabulary and the incident record itself.

use crate::ids::{BoardId, IncidentId, IncidentNumber, SchoolId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary with a stable snake_case code for storage and the API.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in storage, URLs and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a stable code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// What sort of incident it is (*soort*).
    Kind {
        /// *verstoring*: an ICT disruption without a security aspect.
        Disruption = "disruption",
        /// *beveiligingsincident*: availability, integrity or confidentiality harmed.
        SecurityIncident = "security_incident",
        /// *cyberbeveiligingsincident*: unauthorised, often malicious action.
        CyberIncident = "cyber_incident",
        /// *datalek*: a personal-data breach.
        Breach = "breach",
        /// *geen incident*: triage found it was not an incident.
        NoIncident = "no_incident",
    }
);

impl Kind {
    /// Security incidents, cyber incidents and breaches need an evaluation before closing.
    pub fn is_security_related(self) -> bool {
        matches!(
            self,
            Kind::SecurityIncident | Kind::CyberIncident | Kind::Breach
        )
    }
}

vocabulary!(
    /// What went wrong, in the words of the AP form and the service desk.
    Category {
        Phishing = "phishing",
        Malware = "malware",
        Ddos = "ddos",
        AccountTakeover = "account_takeover",
        LostDevice = "lost_device",
        MisSent = "mis_sent",
        WrongAccessRights = "wrong_access_rights",
        PublishedByMistake = "published_by_mistake",
        BackupFailure = "backup_failure",
        Outage = "outage",
        SupplierIncident = "supplier_incident",
        Other = "other",
    }
);

vocabulary!(
    /// How far the effect reaches (*impact*).
    Impact {
        Board = "board",
        School = "school",
        Group = "group",
        Person = "person",
    }
);

vocabulary!(
    /// How much education is hindered (*urgentie*).
    Urgency {
        /// *onderwijs ligt stil*
        EducationStopped = "education_stopped",
        /// *onderwijs gehinderd*
        EducationHindered = "education_hindered",
        /// *geen directe hinder*
        NoDirectHindrance = "no_direct_hindrance",
    }
);

vocabulary!(
    /// Priority P1 (*kritiek*) to P5 (*gepland*).
    Priority {
        P1 = "p1",
        P2 = "p2",
        P3 = "p3",
        P4 = "p4",
        P5 = "p5",
    }
);

impl Priority {
    /// 1 for P1 … 5 for P5; lower is more urgent.
    pub fn rank(self) -> u8 {
        match self {
            Priority::P1 => 1,
            Priority::P2 => 2,
            Priority::P3 => 3,
            Priority::P4 => 4,
            Priority::P5 => 5,
        }
    }
}

vocabulary!(
    /// Where the incident is in its lifecycle.
    Status {
        /// *gemeld*
        Reported = "reported",
        /// *geregistreerd*
        Registered = "registered",
        /// *in behandeling*
        InProgress = "in_progress",
        /// *wacht op derde*: the SLA clock pauses.
        Waiting = "waiting",
        /// *opgelost*
        Resolved = "resolved",
        /// *geëvalueerd*
        Evaluated = "evaluated",
        /// *gesloten*
        Closed = "closed",
        /// *geen incident*: terminal triage outcome.
        NotAnIncident = "not_an_incident",
    }
);

impl Status {
    /// Open means someone still has to act.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Status::Resolved | Status::Evaluated | Status::Closed | Status::NotAnIncident
        )
    }
}

vocabulary!(
    /// The reporter's answer to "may personal data be involved?".
    PersonalDataAnswer {
        Yes = "yes",
        No = "no",
        Unknown = "unknown",
    }
);

/// The harmed aspects (*BIV*): availability, integrity, confidentiality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aspects {
    /// *beschikbaarheid*
    pub availability: bool,
    /// *integriteit*
    pub integrity: bool,
    /// *vertrouwelijkheid*
    pub confidentiality: bool,
}

impl Aspects {
    /// Compact storage form, e.g. `"BV"`; empty when none.
    pub fn code(self) -> String {
        let mut s = String::new();
        if self.availability {
            s.push('B');
        }
        if self.integrity {
            s.push('I');
        }
        if self.confidentiality {
            s.push('V');
        }
        s
    }

    /// Parses the compact storage form; unknown letters are ignored.
    pub fn from_code(code: &str) -> Self {
        Self {
            availability: code.contains('B'),
            integrity: code.contains('I'),
            confidentiality: code.contains('V'),
        }
    }

    /// True when at least one aspect is set.
    pub fn any(self) -> bool {
        self.availability || self.integrity || self.confidentiality
    }
}

/// Who reported, all optional: anonymous reports are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    /// Name, if given.
    pub name: Option<String>,
    /// E-mail address, if given.
    pub email: Option<String>,
    /// Phone number, if given.
    pub phone: Option<String>,
}

impl Reporter {
    /// No contact details at all.
    pub fn is_anonymous(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// The result of triage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// *soort*
    pub kind: Kind,
    /// *BIV*
    pub aspects: Aspects,
    /// *categorie*
    pub category: Category,
    /// *impact*
    pub impact: Impact,
    /// *urgentie*
    pub urgency: Urgency,
    /// The effective priority (from the matrix, or overridden with a reason).
    pub priority: Priority,
    /// Reason for a manual override, when the priority differs from the matrix.
    pub priority_override_reason: Option<String>,
}

/// The timestamps domain.md §2 requires; each is stored, never derived from row creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// When it happened (reporter's estimate).
    pub occurred_at: Option<Timestamp>,
    /// When it was noticed.
    pub detected_at: Option<Timestamp>,
    /// When the report arrived.
    pub reported_at: Option<Timestamp>,
    /// When triage registered it.
    pub registered_at: Option<Timestamp>,
    /// First response by the service desk or a handler.
    pub first_response_at: Option<Timestamp>,
    /// When the damage was contained.
    pub contained_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// When the evaluation was recorded.
    pub evaluated_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
}

/// An incident as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Internal id.
    pub id: IncidentId,
    /// The board it belongs to.
    pub board_id: BoardId,
    /// The school, if one was named.
    pub school_id: Option<SchoolId>,
    /// The number people use.
    pub number: IncidentNumber,
    /// One-line summary.
    pub summary: String,
    /// What happened, in the reporter's words.
    pub description: String,
    /// Reporter's answer on personal data.
    pub personal_data: PersonalDataAnswer,
    /// Whether the reporter said it is still going on.
    pub ongoing: Option<bool>,
    /// Who reported.
    pub reporter: Reporter,
    /// Lifecycle state.
    pub status: Status,
    /// Triage result, once triaged.
    pub classification: Option<Classification>,
    /// The assigned handler.
    pub assignee_id: Option<UserId>,
    /// Resolution text once resolved.
    pub resolution: Option<String>,
    /// Cause once resolved.
    pub cause: Option<String>,
    /// Evaluation text once evaluated.
    pub evaluation: Option<String>,
    /// Reason for a `geen incident` outcome.
    pub no_incident_reason: Option<String>,
    /// The timestamps.
    pub timeline: Timeline,
    /// Created in an exercise; kept out of statistics and registers.
    pub exercise: bool,
    /// Optimistic-concurrency version, bumped by every change.
    pub version: i64,
}

impl Incident {
    /// The kind once triaged.
    pub fn kind(&self) -> Option<Kind> {
        self.classification.as_ref().map(|c| c.kind)
    }

    /// The priority once triaged.
    pub fn priority(&self) -> Option<Priority> {
        self.classification.as_ref().map(|c| c.priority)
    }
}
