//! The breach record (*datalekdossier*): the facts of domain.md §4 in the AP form's own option
//! lists, the answers to the risk questions, and the decisions people record. Pure data with its
//! validation; who may see and change it is [`access`].

use super::assessment::{Mitigation, PeopleCount, RiskAssessment, RiskFacts};
use super::enisa::{
    AvailabilityLoss, ConfidentialityLoss, DpcAdjustment, EaseOfIdentification, IntegrityLoss,
    SeverityInput,
};
use super::vocab::{
    ApIncidentKind, BreachNature, Consequence, DataCategory, DataSubjectGroup, EnisaDataClass,
    PriorMeasure,
};
use crate::auth::{Principal, Role};
use crate::ids::{BoardId, IncidentId, SchoolId};
use crate::incident::{vocabulary, Incident};
use crate::validation::{Collector, ValidationErrors};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest free text in a breach record (letters, summaries, reasoning).
pub const TEXT_MAX: usize = 20_000;
/// Longest short text (references, names, channels).
pub const SHORT_MAX: usize = 300;

vocabulary!(
    /// Why the data subjects are not informed (AVG art. 34(3)).
    InformGround {
        /// a: the data were unintelligible to others (encryption with a safe key).
        Unintelligible = "unintelligible",
        /// b: later measures make the high risk unlikely to materialise.
        MeasuresRemoveRisk = "measures_remove_risk",
        /// c: informing each person would take disproportionate effort; public communication instead.
        DisproportionateEffort = "disproportionate_effort",
        /// No high risk, so art. 34 does not apply.
        NoHighRisk = "no_high_risk",
    }
);

vocabulary!(
    /// A follow-up to an AP notification (the AP form allows these after submitting).
    FollowupKind {
        /// *Aanvullen*.
        Supplement = "supplement",
        /// *Aanpassen*.
        Amend = "amend",
        /// *Intrekken*.
        Withdraw = "withdraw",
    }
);

vocabulary!(
    /// Other parties a breach may be reported to (domain.md §4).
    OtherRecipient {
        /// Inspectie van het Onderwijs (e.g. exam data).
        Inspectorate = "inspectorate",
        /// Police report (*aangifte*).
        Police = "police",
        /// Insurer.
        Insurer = "insurer",
        /// School-CERT (SURF/Kennisnet).
        SchoolCert = "school_cert",
        /// Anyone else.
        Other = "other",
    }
);

vocabulary!(
    /// Who a draft letter is addressed to.
    LetterAudience {
        /// Parents and guardians (for pupils).
        Parents = "parents",
        /// Staff.
        Staff = "staff",
    }
);

vocabulary!(
    /// How people were informed (AP form ch. 10).
    InformChannel {
        Phone = "phone",
        Letter = "letter",
        Email = "email",
        Website = "website",
        SocialMedia = "social_media",
        Newspaper = "newspaper",
        Other = "other",
    }
);

/// The facts of the breach (AP form chapters 2 and 4–9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreachFacts {
    /// What happened to the data.
    pub natures: Vec<BreachNature>,
    /// The kind of incident as the AP form asks it.
    pub incident_kind: Option<ApIncidentKind>,
    /// A short description for the AP (*samenvatting*).
    pub summary: Option<String>,
    /// Start of the breach (estimate allowed).
    pub started_at: Option<Timestamp>,
    /// End of the breach; None with `ongoing` when it still goes on.
    pub ended_at: Option<Timestamp>,
    /// Still going on.
    pub ongoing: bool,
    /// When it was discovered.
    pub discovered_at: Option<Timestamp>,
    /// How it was discovered.
    pub discovery: Option<String>,
    /// Groups of data subjects.
    pub groups: Vec<DataSubjectGroup>,
    /// Description of the groups.
    pub groups_description: Option<String>,
    /// How many people.
    pub people: PeopleCount,
    /// Categories of personal data.
    pub data: Vec<DataCategory>,
    /// Number of records (estimate allowed).
    pub records: Option<u64>,
    /// Whether the data were unintelligible beforehand.
    pub prior_measure: Option<PriorMeasure>,
    /// How (algorithm, key management).
    pub prior_measure_how: Option<String>,
    /// The processor (*verwerker*) involved.
    pub processor: Option<String>,
    /// When the processor informed the board.
    pub processor_informed_at: Option<Timestamp>,
    /// People in other countries affected.
    pub abroad: Option<bool>,
    /// Which countries.
    pub abroad_countries: Option<String>,
    /// Possible consequences for the people.
    pub consequences: Vec<Consequence>,
    /// Consequences explained (for the organisation and the people).
    pub consequences_text: Option<String>,
    /// Measures taken to address the breach and prevent recurrence.
    pub measures: Option<String>,
}

/// The answers to the structured risk questions beyond the facts (EDPB factors, ENISA inputs
/// and the mitigating facts). Unanswered loss questions follow the breach's nature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssessmentAnswers {
    /// What leaked credentials open.
    pub credentials_open: Option<EnisaDataClass>,
    /// ENISA DPC adjustments.
    pub adjustments: Vec<DpcAdjustment>,
    /// Ease of identification.
    pub identification: EaseOfIdentification,
    /// Loss of confidentiality; None follows the nature.
    pub confidentiality: Option<ConfidentialityLoss>,
    /// Loss of integrity; None follows the nature.
    pub integrity: Option<IntegrityLoss>,
    /// Loss of availability; None follows the nature.
    pub availability: Option<AvailabilityLoss>,
    /// Malicious intent.
    pub malicious: bool,
    /// Being in the data reveals more (e.g. a special-needs school).
    pub controller_reveals_more: bool,
    /// The mitigating facts.
    pub mitigation: Mitigation,
}

impl Default for AssessmentAnswers {
    fn default() -> Self {
        Self {
            credentials_open: None,
            adjustments: Vec::new(),
            identification: EaseOfIdentification::Maximum,
            confidentiality: None,
            integrity: None,
            availability: None,
            malicious: false,
            controller_reveals_more: false,
            mitigation: Mitigation::default(),
        }
    }
}

/// The decision whether to notify the AP (art. 33), recorded also when it is no (art. 33(5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyDecision {
    /// Notify the AP?
    pub notify: bool,
    /// Why (mandatory when no).
    pub reasoning: Option<String>,
    /// Who decided (name as shown).
    pub decided_by: String,
    /// When.
    pub decided_at: Timestamp,
}

/// The FG's advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FgAdvice {
    /// The advice.
    pub text: String,
    /// The date of the advice.
    pub given_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The notification to the AP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApNotification {
    /// When it was submitted.
    pub notified_at: Timestamp,
    /// The AP's reference (*meldnummer*).
    pub reference: Option<String>,
    /// Final (true) or preliminary (false).
    pub is_final: bool,
    /// Why later than 72 hours.
    pub delay_reason: Option<String>,
}

/// The decision whether to inform the data subjects (art. 34).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformDecision {
    /// Inform them?
    pub inform: bool,
    /// When not: the ground.
    pub ground: Option<InformGround>,
    /// Explanation.
    pub reasoning: Option<String>,
    /// The public communication instead (ground c).
    pub public_communication: Option<String>,
    /// When informed.
    pub informed_at: Option<Timestamp>,
    /// How.
    pub channel: Option<InformChannel>,
    /// How many people were informed.
    pub count: Option<u64>,
    /// The text used.
    pub text: Option<String>,
    /// Who recorded it.
    pub decided_by: String,
}

/// The whole breach record of one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachRecord {
    /// The incident this is the record of.
    pub incident_id: IncidentId,
    /// Its board.
    pub board_id: BoardId,
    /// Its school.
    pub school_id: Option<SchoolId>,
    /// Created in an exercise (kept out of the register).
    pub exercise: bool,
    /// First signal (the report's arrival).
    pub first_signal_at: Timestamp,
    /// Awareness (*kennisname*); the 72 hours run from here.
    pub awareness_at: Timestamp,
    /// The facts.
    pub facts: BreachFacts,
    /// The answers to the risk questions.
    pub answers: AssessmentAnswers,
    /// The art. 33 decision, once recorded.
    pub notify: Option<NotifyDecision>,
    /// The FG's advice, once recorded.
    pub fg_advice: Option<FgAdvice>,
    /// The AP notification, once submitted.
    pub ap: Option<ApNotification>,
    /// The art. 34 decision, once recorded.
    pub inform: Option<InformDecision>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl BreachRecord {
    /// A new record for an incident: first signal at the report, awareness as given.
    pub fn new(incident: &Incident, awareness_at: Timestamp) -> Self {
        let first = incident.timeline.reported_at.unwrap_or(awareness_at);
        Self {
            incident_id: incident.id,
            board_id: incident.board_id,
            school_id: incident.school_id,
            exercise: incident.exercise,
            first_signal_at: first,
            awareness_at,
            facts: BreachFacts {
                natures: natures_from_aspects(incident),
                incident_kind: incident
                    .classification
                    .as_ref()
                    .and_then(|c| ApIncidentKind::suggested_for(c.category)),
                started_at: incident.timeline.occurred_at,
                discovered_at: incident
                    .timeline
                    .detected_at
                    .or(incident.timeline.reported_at),
                ongoing: incident.ongoing.unwrap_or(false),
                ..BreachFacts::default()
            },
            answers: AssessmentAnswers::default(),
            notify: None,
            fg_advice: None,
            ap: None,
            inform: None,
            version: 1,
        }
    }

    /// Awareness + 72 hours.
    pub fn deadline(&self) -> Timestamp {
        super::deadline::deadline(self.awareness_at)
    }

    /// The assessment of the current facts and answers.
    pub fn assessment(&self) -> RiskAssessment {
        super::assessment::assess(&self.facts.risk_facts(&self.answers))
    }

    /// True while nobody has recorded whether to notify the AP.
    pub fn decision_open(&self) -> bool {
        self.notify.is_none()
    }
}

/// Natures pre-filled from the incident's BIV aspects (confidentiality → read by unauthorised,
/// integrity → altered, availability → temporarily unavailable).
fn natures_from_aspects(i: &Incident) -> Vec<BreachNature> {
    let Some(c) = &i.classification else {
        return Vec::new();
    };
    let mut v = Vec::new();
    if c.aspects.confidentiality {
        v.push(BreachNature::ReadByUnauthorised);
    }
    if c.aspects.integrity {
        v.push(BreachNature::Altered);
    }
    if c.aspects.availability {
        v.push(BreachNature::TemporarilyUnavailable);
    }
    v
}

impl BreachFacts {
    /// Checks lengths, ranges and the order of the moments.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Collector::default();
        for (field, v, max) in [
            ("summary", &self.summary, TEXT_MAX),
            ("discovery", &self.discovery, TEXT_MAX),
            ("groups_description", &self.groups_description, TEXT_MAX),
            ("prior_measure_how", &self.prior_measure_how, TEXT_MAX),
            ("processor", &self.processor, SHORT_MAX),
            ("abroad_countries", &self.abroad_countries, SHORT_MAX),
            ("consequences_text", &self.consequences_text, TEXT_MAX),
            ("measures", &self.measures, TEXT_MAX),
        ] {
            c.optional_text(field, v.as_deref(), max);
        }
        if let (Some(s), Some(e)) = (self.started_at, self.ended_at) {
            if e < s {
                c.add("ended_at", "error-breach-end-before-start");
            }
        }
        if self.ongoing && self.ended_at.is_some() {
            c.add("ended_at", "error-breach-ended-and-ongoing");
        }
        if let Err(e) = self.people.validate() {
            for f in e.0 {
                c.add(f.field, f.code);
            }
        }
        c.finish()
    }

    /// The facts in the form the assessment needs, completed with the answers.
    pub fn risk_facts(&self, a: &AssessmentAnswers) -> RiskFacts {
        let has = |n: BreachNature| self.natures.contains(&n);
        let confidentiality =
            a.confidentiality
                .unwrap_or(if has(BreachNature::ReadByUnauthorised) {
                    ConfidentialityLoss::UnknownRecipients
                } else {
                    ConfidentialityLoss::NotAffected
                });
        let integrity = a.integrity.unwrap_or(if has(BreachNature::Altered) {
            IntegrityLoss::AlteredNotRecoverable
        } else {
            IntegrityLoss::NotAffected
        });
        let availability = a
            .availability
            .unwrap_or(if has(BreachNature::PermanentlyUnavailable) {
                AvailabilityLoss::Permanent
            } else if has(BreachNature::TemporarilyUnavailable) {
                AvailabilityLoss::Temporary
            } else {
                AvailabilityLoss::NotAffected
            });
        RiskFacts {
            nature: self.natures.clone(),
            incident_kind: self.incident_kind.unwrap_or(ApIncidentKind::Other),
            groups: self.groups.clone(),
            people: self.people,
            consequences: self.consequences.clone(),
            controller_reveals_more: a.controller_reveals_more,
            prior_measure: self.prior_measure.unwrap_or(PriorMeasure::NoMeasure),
            mitigation: a.mitigation,
            severity: SeverityInput {
                data: self.data.clone(),
                credentials_open: a.credentials_open,
                adjustments: a.adjustments.clone(),
                identification: a.identification,
                confidentiality,
                integrity,
                availability,
                malicious: a.malicious,
            },
        }
    }
}

/// What a person may do with the breach record of an incident, ordered so that a comparison
/// means "may do more".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachAccess {
    /// Nothing: not even that a breach exists (handlers, suppliers, administrators).
    None,
    /// That a breach exists, its deadline and whether it is decided (service desk).
    Existence,
    /// The whole record including the assessment, read-only (board members; service desk when
    /// the board allows it).
    Read,
    /// Read, and record the FG's advice (the FG).
    Advise,
    /// Everything (IBP officer, incident manager).
    Edit,
}

/// The access a person has to the breach record of `incident`. Deny by default; the grant must
/// reach the incident's board and school.
pub fn access(
    p: &Principal,
    incident: &Incident,
    service_desk_sees_assessment: bool,
) -> BreachAccess {
    let reaches = |g: &crate::auth::RoleGrant| {
        g.board_id == incident.board_id
            && (g.school_id.is_none() || g.school_id == incident.school_id)
    };
    p.grants
        .iter()
        .filter(|g| reaches(g))
        .map(|g| match g.role {
            Role::IncidentManager | Role::IbpOfficer => BreachAccess::Edit,
            Role::Dpo => BreachAccess::Advise,
            Role::BoardMember => BreachAccess::Read,
            Role::ServiceDesk if service_desk_sees_assessment => BreachAccess::Read,
            Role::ServiceDesk => BreachAccess::Existence,
            Role::Handler | Role::Admin => BreachAccess::None,
        })
        .max()
        .unwrap_or(BreachAccess::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::RoleGrant;
    use crate::ids::UserId;

    fn principal(role: Role, board: BoardId, school: Option<SchoolId>) -> Principal {
        Principal {
            user_id: UserId::new_v7(Timestamp::UNIX_EPOCH),
            name: "x".into(),
            grants: vec![RoleGrant {
                role,
                board_id: board,
                school_id: school,
            }],
        }
    }

    #[test]
    fn access_by_role() {
        let mut i = crate::lifecycle::tests_support::reported();
        let b = i.board_id;
        let s = SchoolId::new_v7(Timestamp::UNIX_EPOCH);
        i.school_id = Some(s);
        assert_eq!(
            access(&principal(Role::IbpOfficer, b, None), &i, false),
            BreachAccess::Edit
        );
        assert_eq!(
            access(&principal(Role::IncidentManager, b, Some(s)), &i, false),
            BreachAccess::Edit
        );
        assert_eq!(
            access(&principal(Role::Dpo, b, None), &i, false),
            BreachAccess::Advise
        );
        assert_eq!(
            access(&principal(Role::BoardMember, b, None), &i, false),
            BreachAccess::Read
        );
        assert_eq!(
            access(&principal(Role::ServiceDesk, b, None), &i, false),
            BreachAccess::Existence
        );
        assert_eq!(
            access(&principal(Role::ServiceDesk, b, None), &i, true),
            BreachAccess::Read
        );
        assert_eq!(
            access(&principal(Role::Handler, b, None), &i, true),
            BreachAccess::None
        );
        assert_eq!(
            access(&principal(Role::Admin, b, None), &i, true),
            BreachAccess::None
        );
        let other = BoardId::new_v7(Timestamp::UNIX_EPOCH);
        assert_eq!(
            access(&principal(Role::IbpOfficer, other, None), &i, false),
            BreachAccess::None
        );
        let other_school = SchoolId::new_v7(Timestamp::UNIX_EPOCH);
        assert_eq!(
            access(
                &principal(Role::IbpOfficer, b, Some(other_school)),
                &i,
                false
            ),
            BreachAccess::None
        );
    }

    #[test]
    fn unanswered_losses_follow_the_nature() {
        let f = BreachFacts {
            natures: vec![
                BreachNature::ReadByUnauthorised,
                BreachNature::TemporarilyUnavailable,
            ],
            ..BreachFacts::default()
        };
        let r = f.risk_facts(&AssessmentAnswers::default());
        assert_eq!(
            r.severity.confidentiality,
            ConfidentialityLoss::UnknownRecipients
        );
        assert_eq!(r.severity.availability, AvailabilityLoss::Temporary);
        assert_eq!(r.severity.integrity, IntegrityLoss::NotAffected);
        assert_eq!(r.incident_kind, ApIncidentKind::Other);
    }

    #[test]
    fn facts_validation() {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        let f = BreachFacts {
            started_at: Some(t(100)),
            ended_at: Some(t(50)),
            people: PeopleCount::Range { min: 10, max: 5 },
            ..BreachFacts::default()
        };
        let e = f.validate().unwrap_err();
        assert_eq!(
            e.for_field("ended_at"),
            Some("error-breach-end-before-start")
        );
        assert_eq!(
            e.for_field("people_max"),
            Some("error-breach-range-inverted")
        );
    }
}
