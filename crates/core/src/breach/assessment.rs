//! The risk assessment of EDPB Guidelines 9/2022 and the suggestion it leads to.
//!
//! The principles (breach-reference.md §3): notify the AP unless the breach is *unlikely to result
//! in a risk*; inform the people when it is *likely to result in a high risk*. The code therefore
//! starts from "notify the AP" and only goes down to "register only" on a named mitigating fact,
//! never on a low score alone: the ENISA score is one input, not the verdict.
//!
//! The result is a suggestion with reasons; the board decides (domain.md §4). Reasons are stable
//! message keys with parameters for the web layer to translate; [`dutch_reason`] renders them in
//! plain Dutch meanwhile.

use super::enisa::{severity, Severity, SeverityInput};
use super::vocab::{
    ApIncidentKind, BreachNature, Consequence, DataCategory, DataSubjectGroup, EnisaDataClass,
    PriorMeasure, SeverityLevel, Suggestion,
};
use crate::validation::{Collector, ValidationErrors};
use serde::{Deserialize, Serialize};

/// From this many people on, the number alone points to a high risk. EDPB 9/2022 gives the
/// example of data of 5,000 students sent to a mailing list; a Dutch school has a few hundred to
/// about 1,500 pupils, so 1,000 means "a large school or several schools". A meldpunt choice.
pub const LARGE_NUMBER_OF_PEOPLE: u64 = 1_000;

/// How many people are affected: exact, a range, or not yet known (AP form ch. 7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PeopleCount {
    /// Not known yet.
    #[default]
    Unknown,
    /// An exact number.
    Exact {
        /// The number.
        count: u64,
    },
    /// An estimate between two numbers.
    Range {
        /// At least.
        min: u64,
        /// At most.
        max: u64,
    },
}

impl PeopleCount {
    /// The highest plausible number, used for the risk because under-estimating is the costly error.
    pub fn upper(self) -> Option<u64> {
        match self {
            PeopleCount::Unknown => None,
            PeopleCount::Exact { count } => Some(count),
            PeopleCount::Range { min, max } => Some(min.max(max)),
        }
    }

    /// A range must not be upside down.
    pub fn validate(self) -> Result<(), ValidationErrors> {
        let mut c = Collector::default();
        if let PeopleCount::Range { min, max } = self {
            if min > max {
                c.add("people_max", "error-breach-range-inverted");
            }
        }
        c.finish()
    }
}

/// The mitigating facts EDPB 9/2022 recognises. Each must be established, not hoped for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mitigation {
    /// The board's own state-of-the-art encryption or hashing was in place beforehand (see
    /// [`RiskFacts::prior_measure`]) and the key or secret was not compromised.
    pub key_safe: bool,
    /// The data were restored quickly from an up-to-date backup.
    pub restored_from_backup: bool,
    /// Investigation ruled out that data were copied out (exfiltrated).
    pub exfiltration_ruled_out: bool,
    /// The recipient is trusted and confirmed the data were deleted without further use.
    pub trusted_recipient_deleted: bool,
}

/// The structured answers of the EDPB risk assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFacts {
    /// Type of breach: what happened to the data.
    pub nature: Vec<BreachNature>,
    /// The kind of incident.
    pub incident_kind: ApIncidentKind,
    /// Who is affected.
    pub groups: Vec<DataSubjectGroup>,
    /// How many people are affected.
    pub people: PeopleCount,
    /// Possible consequences for the people.
    pub consequences: Vec<Consequence>,
    /// Special characteristics of the controller: being in the data already reveals something
    /// sensitive (a school for special education, a youth-care setting).
    pub controller_reveals_more: bool,
    /// Whether the data were unintelligible beforehand, by the board's own measures.
    pub prior_measure: PriorMeasure,
    /// Established mitigating facts.
    pub mitigation: Mitigation,
    /// The ENISA answers, which also hold the data categories, ease of identification and
    /// malicious intent.
    pub severity: SeverityInput,
}

/// Why the suggestion is what it is: a stable message key plus parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Special categories of personal data (art. 9) are involved.
    SpecialCategory {
        /// Which ones.
        categories: Vec<DataCategory>,
    },
    /// Criminal data (art. 10) are involved.
    CriminalData,
    /// Pupil-tracking or care data are involved.
    CareData,
    /// Data usable for identity fraud or taking money are involved.
    FraudData {
        /// Which ones.
        categories: Vec<DataCategory>,
    },
    /// Login credentials are involved.
    Credentials {
        /// What they open, if known.
        opens: Option<EnisaDataClass>,
    },
    /// The controller's nature makes the data reveal more.
    ControllerContext,
    /// Children are affected.
    Children,
    /// Another vulnerable group is affected.
    VulnerableGroup,
    /// Many people are affected.
    LargeNumber {
        /// The highest estimate.
        people: u64,
    },
    /// The number of people is not known yet.
    NumberUnknown,
    /// Which data are involved is not known yet.
    DataUnknown,
    /// Serious consequences are possible.
    SeriousConsequences {
        /// Which ones.
        consequences: Vec<Consequence>,
    },
    /// The breach was caused deliberately.
    MaliciousIntent,
    /// Unauthorised people have (or may have) seen the data.
    ConfidentialityLost,
    /// Data were altered.
    IntegrityLost,
    /// Data are lost for good.
    PermanentLoss,
    /// Data were unavailable for a while.
    TemporaryLoss,
    /// In a malware attack, copying out of data was not ruled out.
    ExfiltrationNotRuledOut,
    /// The data were unintelligible to others (art. 34(3)(a)).
    Unintelligible,
    /// Encryption claimed in a ransomware case does not count as making the data unintelligible.
    RansomwareEncryption,
    /// Only availability was hit and a recent backup was restored quickly.
    RestoredFromBackup,
    /// A trusted recipient confirmed deletion.
    TrustedRecipientDeleted,
    /// The nature of the breach is not filled in.
    NatureUnknown,
    /// The ENISA severity.
    EnisaSeverity {
        /// The level.
        level: SeverityLevel,
        /// The score, e.g. `2.75`.
        score: String,
    },
}

impl Reason {
    /// The stable message key, e.g. `breach-reason-special-category`.
    pub fn key(&self) -> &'static str {
        match self {
            Reason::SpecialCategory { .. } => "breach-reason-special-category",
            Reason::CriminalData => "breach-reason-criminal-data",
            Reason::CareData => "breach-reason-care-data",
            Reason::FraudData { .. } => "breach-reason-fraud-data",
            Reason::Credentials { .. } => "breach-reason-credentials",
            Reason::ControllerContext => "breach-reason-controller-context",
            Reason::Children => "breach-reason-children",
            Reason::VulnerableGroup => "breach-reason-vulnerable-group",
            Reason::LargeNumber { .. } => "breach-reason-large-number",
            Reason::NumberUnknown => "breach-reason-number-unknown",
            Reason::DataUnknown => "breach-reason-data-unknown",
            Reason::SeriousConsequences { .. } => "breach-reason-serious-consequences",
            Reason::MaliciousIntent => "breach-reason-malicious-intent",
            Reason::ConfidentialityLost => "breach-reason-confidentiality-lost",
            Reason::IntegrityLost => "breach-reason-integrity-lost",
            Reason::PermanentLoss => "breach-reason-permanent-loss",
            Reason::TemporaryLoss => "breach-reason-temporary-loss",
            Reason::ExfiltrationNotRuledOut => "breach-reason-exfiltration-not-ruled-out",
            Reason::Unintelligible => "breach-reason-unintelligible",
            Reason::RansomwareEncryption => "breach-reason-ransomware-encryption",
            Reason::RestoredFromBackup => "breach-reason-restored-from-backup",
            Reason::TrustedRecipientDeleted => "breach-reason-trusted-recipient-deleted",
            Reason::NatureUnknown => "breach-reason-nature-unknown",
            Reason::EnisaSeverity { .. } => "breach-reason-enisa-severity",
        }
    }

    /// Parameters for the translation, as name/value pairs. Lists are stable codes joined by
    /// commas, so the web layer can translate each item.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        fn codes<T: Copy + std::fmt::Display>(v: &[T]) -> String {
            v.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
        match self {
            Reason::SpecialCategory { categories } | Reason::FraudData { categories } => {
                vec![("categories", codes(categories))]
            }
            Reason::Credentials { opens } => {
                vec![("opens", opens.map_or("unknown", |o| o.code()).to_string())]
            }
            Reason::LargeNumber { people } => vec![("people", people.to_string())],
            Reason::SeriousConsequences { consequences } => {
                vec![("consequences", codes(consequences))]
            }
            Reason::EnisaSeverity { level, score } => vec![
                ("level", level.code().to_string()),
                ("score", score.clone()),
                ("ap_severity", level.ap_severity().code().to_string()),
            ],
            _ => Vec::new(),
        }
    }
}

/// Plain Dutch for a reason, for tests and the CLI until the web layer has its translations.
pub fn dutch_reason(reason: &Reason) -> String {
    fn list<T: Copy>(v: &[T], name: fn(T) -> &'static str) -> String {
        v.iter().map(|&c| name(c)).collect::<Vec<_>>().join(", ")
    }
    match reason {
        Reason::SpecialCategory { categories } => format!(
            "Het gaat om bijzondere persoonsgegevens ({}). Zulke gegevens kunnen mensen ernstig schaden.",
            list(categories, DataCategory::dutch)
        ),
        Reason::CriminalData => {
            "Het gaat om strafrechtelijke gegevens. Zulke gegevens kunnen mensen ernstig schaden.".into()
        }
        Reason::CareData => "Het gaat om gegevens uit het leerlingvolgsysteem of zorgdossier. Die zeggen vaak iets over gezondheid, gedrag of thuissituatie.".into(),
        Reason::FraudData { categories } => format!(
            "Met deze gegevens ({}) kan iemand identiteitsfraude plegen of geld stelen.",
            list(categories, DataCategory::dutch)
        ),
        Reason::Credentials { opens: Some(class) } => format!(
            "Er zijn inloggegevens gelekt. Daarmee kan iemand bij {} komen.",
            class.dutch()
        ),
        Reason::Credentials { opens: None } => "Er zijn inloggegevens gelekt en het is niet bekend waar ze toegang toe geven. Daarom gaan we uit van gevoelige gegevens.".into(),
        Reason::ControllerContext => "Alleen al dat iemand in deze gegevens staat, zegt iets gevoeligs (bijvoorbeeld: leerling van een school voor speciaal onderwijs).".into(),
        Reason::Children => "Het gaat om kinderen. Zij zijn extra kwetsbaar, dus het risico is hoger.".into(),
        Reason::VulnerableGroup => "Het gaat om een kwetsbare groep mensen. Dat maakt het risico hoger.".into(),
        Reason::LargeNumber { people } => format!(
            "Het gaat om veel mensen (tot {people}). Hoe meer mensen, hoe groter de gevolgen."
        ),
        Reason::NumberUnknown => "Het aantal getroffen mensen is nog niet bekend.".into(),
        Reason::DataUnknown => "Welke persoonsgegevens het betreft, is nog niet bekend.".into(),
        Reason::SeriousConsequences { consequences } => format!(
            "De mogelijke gevolgen zijn ernstig: {}.",
            list(consequences, Consequence::dutch)
        ),
        Reason::MaliciousIntent => "Iemand heeft met opzet gehandeld. Dan is de kans op misbruik groter.".into(),
        Reason::ConfidentialityLost => "Onbevoegden hebben de gegevens (mogelijk) gezien. Dan is een risico voor de betrokkenen niet onwaarschijnlijk.".into(),
        Reason::IntegrityLost => "Gegevens zijn veranderd. Als iemand op verkeerde gegevens vertrouwt, kunnen mensen daar last van krijgen.".into(),
        Reason::PermanentLoss => "Gegevens zijn blijvend kwijt en niet terug te halen.".into(),
        Reason::TemporaryLoss => "Gegevens waren een tijd niet beschikbaar.".into(),
        Reason::ExfiltrationNotRuledOut => "Het is niet uitgesloten dat de aanvaller gegevens heeft meegenomen. Daarom gaan we ervan uit dat onbevoegden ze hebben.".into(),
        Reason::Unintelligible => "De gegevens waren goed versleuteld of gehasht en de sleutel is veilig. Voor anderen zijn ze onleesbaar, dus betrokkenen informeren is niet nodig (AVG artikel 34 lid 3a).".into(),
        Reason::RansomwareEncryption => "Bij ransomware telt versleuteling niet als bescherming: de aanvaller zat in het systeem, waar de gegevens leesbaar waren.".into(),
        Reason::RestoredFromBackup => "Alleen de beschikbaarheid was geraakt en de gegevens zijn snel teruggezet uit een actuele back-up.".into(),
        Reason::TrustedRecipientDeleted => "De ontvanger is betrouwbaar en heeft bevestigd dat de gegevens zijn verwijderd.".into(),
        Reason::NatureUnknown => "Wat er met de gegevens is gebeurd, is nog niet ingevuld. Tot dat bekend is, gaan we uit van een risico.".into(),
        Reason::EnisaSeverity { level, score } => format!(
            "De ernst volgens de ENISA-methode is {} ({}); in de woorden van de AP: {}.",
            score.replace('.', ","),
            level.dutch(),
            level.ap_severity().dutch()
        ),
    }
}

/// The outcome of the assessment: the suggestion, the ENISA severity and the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// What the assessment suggests.
    pub suggestion: Suggestion,
    /// The ENISA severity.
    pub severity: Severity,
    /// Why, in a stable order: the data and people first, then what happened, then the score.
    pub reasons: Vec<Reason>,
}

fn sorted_unique<T: Ord + Copy>(it: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = it.collect();
    v.sort();
    v.dedup();
    v
}

/// Assesses a breach and suggests what to do.
pub fn assess(facts: &RiskFacts) -> RiskAssessment {
    use Suggestion::*;
    let input = &facts.severity;
    let severity = severity(input);
    let mit = facts.mitigation;
    let data = &input.data;

    // The facts that make damage likely.
    let special = sorted_unique(data.iter().copied().filter(|c| c.is_special()));
    let criminal = data.contains(&DataCategory::Criminal);
    let care = data.contains(&DataCategory::PupilCareData);
    let fraud = sorted_unique(data.iter().copied().filter(|c| c.enables_fraud()));
    let credentials = data.contains(&DataCategory::LoginCredentials);
    let data_unknown = data.is_empty() || data.contains(&DataCategory::Unknown);
    let sensitive = !special.is_empty() || criminal || care || facts.controller_reveals_more;
    let children = facts.groups.iter().any(|g| g.is_children());
    let vulnerable = facts.groups.contains(&DataSubjectGroup::OtherVulnerable);
    let large = facts
        .people
        .upper()
        .filter(|&n| n >= LARGE_NUMBER_OF_PEOPLE);
    let serious = sorted_unique(
        facts
            .consequences
            .iter()
            .copied()
            .filter(|c| c.is_serious()),
    );
    let enisa_high = severity.level >= SeverityLevel::High;
    // Children and other vulnerable people raise the risk of anything beyond simple data.
    let vulnerable_beyond_simple =
        (children || vulnerable) && severity.class > EnisaDataClass::Simple;
    let high_risk = sensitive
        || enisa_high
        || !serious.is_empty()
        || large.is_some()
        || !fraud.is_empty()
        || vulnerable_beyond_simple;

    let mut reasons = Vec::new();
    if !special.is_empty() {
        reasons.push(Reason::SpecialCategory {
            categories: special,
        });
    }
    if criminal {
        reasons.push(Reason::CriminalData);
    }
    if care {
        reasons.push(Reason::CareData);
    }
    if !fraud.is_empty() {
        reasons.push(Reason::FraudData {
            categories: fraud.clone(),
        });
    }
    if credentials {
        reasons.push(Reason::Credentials {
            opens: input.credentials_open,
        });
    }
    if data_unknown {
        reasons.push(Reason::DataUnknown);
    }
    if facts.controller_reveals_more {
        reasons.push(Reason::ControllerContext);
    }
    if children {
        reasons.push(Reason::Children);
    }
    if vulnerable {
        reasons.push(Reason::VulnerableGroup);
    }
    match (facts.people, large) {
        (PeopleCount::Unknown, _) => reasons.push(Reason::NumberUnknown),
        (_, Some(people)) => reasons.push(Reason::LargeNumber { people }),
        _ => {}
    }
    if !serious.is_empty() {
        reasons.push(Reason::SeriousConsequences {
            consequences: serious.clone(),
        });
    }
    if input.malicious {
        reasons.push(Reason::MaliciousIntent);
    }

    // What happened. Ransomware: the attacker encrypted data on a live system where they were
    // readable, so the board's at-rest encryption does not make them unintelligible, and unless
    // exfiltration is ruled out we must assume the attacker has a copy.
    let has = |n: BreachNature| facts.nature.contains(&n);
    let availability_hit =
        has(BreachNature::PermanentlyUnavailable) || has(BreachNature::TemporarilyUnavailable);
    let ransomware =
        facts.incident_kind == ApIncidentKind::HackingMalwarePhishing && availability_hit;
    let mut confidentiality = has(BreachNature::ReadByUnauthorised);
    if ransomware && !confidentiality && !mit.exfiltration_ruled_out {
        confidentiality = true;
        reasons.push(Reason::ExfiltrationNotRuledOut);
    }
    let own_protection = matches!(
        facts.prior_measure,
        PriorMeasure::Encrypted | PriorMeasure::Hashed
    ) && mit.key_safe;
    if ransomware && own_protection {
        reasons.push(Reason::RansomwareEncryption);
    }
    let unintelligible = own_protection && !ransomware;
    // A malicious recipient is by definition not a trusted one.
    let trusted = mit.trusted_recipient_deleted && !input.malicious;

    // Each effect gives its own level; the suggestion is the highest.
    let confidentiality_level = if !confidentiality {
        RegisterOnly
    } else if unintelligible {
        reasons.push(Reason::Unintelligible);
        RegisterOnly
    } else if trusted {
        reasons.push(Reason::TrustedRecipientDeleted);
        // Deletion removes the high risk (art. 34(3)(b)); whether any risk remains depends on
        // what the recipient saw.
        if sensitive || !fraud.is_empty() || credentials || data_unknown || enisa_high {
            NotifyAuthority
        } else {
            RegisterOnly
        }
    } else {
        reasons.push(Reason::ConfidentialityLost);
        if high_risk {
            NotifyAuthorityAndDataSubjects
        } else {
            NotifyAuthority
        }
    };

    let integrity_level = if !has(BreachNature::Altered) {
        RegisterOnly
    } else {
        reasons.push(Reason::IntegrityLost);
        if sensitive || enisa_high {
            NotifyAuthorityAndDataSubjects
        } else {
            NotifyAuthority
        }
    };

    let availability_level = if !availability_hit {
        RegisterOnly
    } else if mit.restored_from_backup {
        // EDPB 9/2022 annex B: restored in good time, no permanent loss → nothing to notify.
        reasons.push(Reason::RestoredFromBackup);
        RegisterOnly
    } else if has(BreachNature::PermanentlyUnavailable) {
        reasons.push(Reason::PermanentLoss);
        if sensitive || enisa_high || !serious.is_empty() {
            NotifyAuthorityAndDataSubjects
        } else {
            NotifyAuthority
        }
    } else {
        reasons.push(Reason::TemporaryLoss);
        NotifyAuthority
    };

    let nature_level = if facts.nature.is_empty() && !confidentiality {
        reasons.push(Reason::NatureUnknown);
        NotifyAuthority
    } else {
        RegisterOnly
    };

    let suggestion = confidentiality_level
        .max(integrity_level)
        .max(availability_level)
        .max(nature_level);
    reasons.push(Reason::EnisaSeverity {
        level: severity.level,
        score: severity.score.to_string(),
    });
    RiskAssessment {
        suggestion,
        severity,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breach::enisa::tests::{any_input, input};
    use crate::breach::enisa::{ConfidentialityLoss, EaseOfIdentification};
    use proptest::prelude::*;
    use ApIncidentKind as K;
    use BreachNature as N;
    use DataCategory as D;
    use DataSubjectGroup as G;
    use Suggestion::*;

    fn facts(kind: ApIncidentKind, nature: &[BreachNature], data: &[DataCategory]) -> RiskFacts {
        RiskFacts {
            nature: nature.to_vec(),
            incident_kind: kind,
            groups: vec![G::Pupils],
            people: PeopleCount::Exact { count: 30 },
            consequences: vec![],
            controller_reveals_more: false,
            prior_measure: PriorMeasure::NoMeasure,
            mitigation: Mitigation::default(),
            severity: input(data),
        }
    }

    fn has(a: &RiskAssessment, key: &str) -> bool {
        a.reasons.iter().any(|r| r.key() == key)
    }

    // The scenarios below are constructed from the examples in EDPB Guidelines 9/2022 (annex B and
    // the ransomware and lost-device discussions), translated to a Dutch school board. They are our
    // reading of those examples, not quotations.

    #[test]
    fn ransomware_with_backup_and_no_exfiltration_is_register_only() {
        // EDPB: data encrypted by ransomware, restored from backup in good time, no exfiltration →
        // no notification; record internally.
        let mut f = facts(
            K::HackingMalwarePhishing,
            &[N::TemporarilyUnavailable],
            &[D::Name, D::Address, D::DateOfBirth],
        );
        f.groups = vec![G::Pupils, G::Staff];
        f.severity.malicious = true;
        f.mitigation.restored_from_backup = true;
        f.mitigation.exfiltration_ruled_out = true;
        let a = assess(&f);
        assert_eq!(a.suggestion, RegisterOnly, "{:?}", a.reasons);
        assert!(has(&a, "breach-reason-restored-from-backup"));
        // Without the forensic finding on exfiltration, the attacker may hold a copy.
        f.mitigation.exfiltration_ruled_out = false;
        let a = assess(&f);
        assert!(a.suggestion >= NotifyAuthority);
        assert!(has(&a, "breach-reason-exfiltration-not-ruled-out"));
    }

    #[test]
    fn ransomware_without_backup_on_pupil_care_data_informs_people() {
        // EDPB: ransomware, no backup, data cannot be restored → notify the SA, and inform people
        // depending on the data; here pupils' care files, so yes.
        let mut f = facts(
            K::HackingMalwarePhishing,
            &[N::PermanentlyUnavailable],
            &[D::Name, D::PupilCareData],
        );
        f.severity.malicious = true;
        f.mitigation.exfiltration_ruled_out = true;
        let a = assess(&f);
        assert_eq!(
            a.suggestion, NotifyAuthorityAndDataSubjects,
            "{:?}",
            a.reasons
        );
        assert!(has(&a, "breach-reason-permanent-loss"));
        assert!(has(&a, "breach-reason-care-data"));
        assert!(has(&a, "breach-reason-children"));
    }

    #[test]
    fn ransomware_encryption_does_not_count_as_unintelligible() {
        // The form's own warning: encryption by ransomware is not a prior measure. Even a claimed
        // "encrypted, key safe" does not save a ransomware case.
        let mut f = facts(
            K::HackingMalwarePhishing,
            &[N::PermanentlyUnavailable],
            &[D::Name],
        );
        f.prior_measure = PriorMeasure::Encrypted;
        f.mitigation.key_safe = true;
        let a = assess(&f);
        assert!(has(&a, "breach-reason-ransomware-encryption"));
        assert!(!has(&a, "breach-reason-unintelligible"));
        assert!(a.suggestion >= NotifyAuthority);
    }

    #[test]
    fn pupil_list_to_wrong_parent_who_deletes_depends_on_the_data() {
        // EDPB: personal data sent to a trusted recipient who confirms deletion → may not need
        // notifying. A class list with names and pupil numbers: register only.
        let mut f = facts(
            K::EmailWrongRecipient,
            &[N::ReadByUnauthorised],
            &[D::Name, D::PupilNumber],
        );
        f.severity.confidentiality = ConfidentialityLoss::KnownRecipients;
        f.mitigation.trusted_recipient_deleted = true;
        let a = assess(&f);
        assert_eq!(a.suggestion, RegisterOnly, "{:?}", a.reasons);
        assert!(has(&a, "breach-reason-trusted-recipient-deleted"));
        // The same list with care notes: the parent saw sensitive data, so notify the AP; the
        // deletion removes the high risk, so no need to inform everyone.
        f.severity.data.push(D::PupilCareData);
        let a = assess(&f);
        assert_eq!(a.suggestion, NotifyAuthority, "{:?}", a.reasons);
        // Without the confirmed deletion the care notes are out there: inform the parents too.
        f.mitigation.trusted_recipient_deleted = false;
        assert_eq!(assess(&f).suggestion, NotifyAuthorityAndDataSubjects);
    }

    #[test]
    fn stolen_unencrypted_laptop_with_health_data_informs_people() {
        // EDPB: stolen device with unencrypted special-category data → notify the SA and the people.
        let mut f = facts(
            K::DeviceLostOrStolen,
            &[N::ReadByUnauthorised],
            &[D::Name, D::DateOfBirth, D::Health, D::PupilCareData],
        );
        f.people = PeopleCount::Range { min: 100, max: 140 };
        f.severity.confidentiality = ConfidentialityLoss::UnknownRecipients;
        f.severity.malicious = true;
        let a = assess(&f);
        assert_eq!(a.suggestion, NotifyAuthorityAndDataSubjects);
        // ENISA: DPC 4 × EI 1 + 0.5 (unknown recipients) + 0.5 (theft) = 5 → very high.
        assert_eq!(a.severity.score.to_string(), "5");
        assert_eq!(a.severity.level, SeverityLevel::VeryHigh);
        assert!(has(&a, "breach-reason-special-category"));
    }

    #[test]
    fn stolen_encrypted_laptop_with_safe_key_is_register_only() {
        // EDPB: state-of-the-art encrypted device, key not compromised, backup exists → no
        // notification to the SA, and art. 34(3)(a) rules out informing people.
        let mut f = facts(
            K::DeviceLostOrStolen,
            &[N::ReadByUnauthorised],
            &[D::Name, D::Health],
        );
        f.severity.malicious = true;
        f.prior_measure = PriorMeasure::Encrypted;
        f.mitigation.key_safe = true;
        let a = assess(&f);
        assert_eq!(a.suggestion, RegisterOnly, "{:?}", a.reasons);
        assert!(has(&a, "breach-reason-unintelligible"));
        // Encryption without a safe key is no protection.
        f.mitigation.key_safe = false;
        assert_eq!(assess(&f).suggestion, NotifyAuthorityAndDataSubjects);
    }

    #[test]
    fn cc_instead_of_bcc_exposing_parents_addresses_notifies_the_ap() {
        // EDPB annex B: an e-mail with recipients in to/cc. The exposure is real and not unlikely to
        // matter, but the data are simple and known recipients saw them: notify, no high risk.
        let mut f = facts(
            K::EmailToCcNotBcc,
            &[N::ReadByUnauthorised],
            &[D::Name, D::Email],
        );
        f.groups = vec![G::ParentsGuardians];
        f.people = PeopleCount::Exact { count: 240 };
        f.severity.confidentiality = ConfidentialityLoss::KnownRecipients;
        let a = assess(&f);
        assert_eq!(a.suggestion, NotifyAuthority, "{:?}", a.reasons);
        // ENISA: 1 × 1 + 0.25 = 1.25 → low; the low score alone does not make it register-only.
        assert_eq!(a.severity.level, SeverityLevel::Low);
        // The EDPB's aggravating variant: the list itself reveals something (parents of pupils of a
        // special-education school) → high risk.
        f.controller_reveals_more = true;
        assert_eq!(assess(&f).suggestion, NotifyAuthorityAndDataSubjects);
    }

    #[test]
    fn hacked_staff_account_notifies_the_ap() {
        // EDPB: credentials obtained by an attacker. The account opened the timetable and roster
        // system (behavioural data) and was reset: notify the AP.
        let mut f = facts(
            K::HackingMalwarePhishing,
            &[N::ReadByUnauthorised],
            &[D::LoginCredentials, D::Name, D::Email],
        );
        f.groups = vec![G::Staff];
        f.severity.credentials_open = Some(EnisaDataClass::Behavioural);
        f.severity.confidentiality = ConfidentialityLoss::KnownRecipients;
        f.severity.malicious = true;
        let a = assess(&f);
        assert_eq!(a.suggestion, NotifyAuthority, "{:?}", a.reasons);
        // 2 × 1 + 0.25 + 0.5 = 2.75 → medium.
        assert_eq!(
            (a.severity.score.to_string(), a.severity.level),
            ("2.75".into(), SeverityLevel::Medium)
        );
        // If nobody knows what the account opened, assume the pupil administration: high risk.
        f.severity.credentials_open = None;
        assert_eq!(assess(&f).suggestion, NotifyAuthorityAndDataSubjects);
    }

    #[test]
    fn missing_nature_defaults_to_notify() {
        let a = assess(&facts(K::Other, &[], &[D::Name]));
        assert_eq!(a.suggestion, NotifyAuthority);
        assert!(has(&a, "breach-reason-nature-unknown"));
    }

    #[test]
    fn integrity_of_sensitive_data_informs_people() {
        let mut f = facts(
            K::HackingMalwarePhishing,
            &[N::Altered],
            &[D::Name, D::PupilCareData],
        );
        f.mitigation.exfiltration_ruled_out = true;
        assert_eq!(assess(&f).suggestion, NotifyAuthorityAndDataSubjects);
        let f = facts(K::AuthorisationsWrong, &[N::Altered], &[D::Name]);
        assert_eq!(assess(&f).suggestion, NotifyAuthority);
    }

    #[test]
    fn people_count_range_is_validated() {
        assert!(PeopleCount::Range { min: 5, max: 10 }.validate().is_ok());
        let err = PeopleCount::Range { min: 10, max: 5 }
            .validate()
            .unwrap_err();
        assert_eq!(
            err.for_field("people_max"),
            Some("error-breach-range-inverted")
        );
    }

    fn every_reason() -> Vec<Reason> {
        vec![
            Reason::SpecialCategory {
                categories: vec![D::Health, D::Religion],
            },
            Reason::CriminalData,
            Reason::CareData,
            Reason::FraudData {
                categories: vec![D::Bsn],
            },
            Reason::Credentials {
                opens: Some(EnisaDataClass::Financial),
            },
            Reason::Credentials { opens: None },
            Reason::ControllerContext,
            Reason::Children,
            Reason::VulnerableGroup,
            Reason::LargeNumber { people: 1200 },
            Reason::NumberUnknown,
            Reason::DataUnknown,
            Reason::SeriousConsequences {
                consequences: vec![Consequence::IdentityFraud],
            },
            Reason::MaliciousIntent,
            Reason::ConfidentialityLost,
            Reason::IntegrityLost,
            Reason::PermanentLoss,
            Reason::TemporaryLoss,
            Reason::ExfiltrationNotRuledOut,
            Reason::Unintelligible,
            Reason::RansomwareEncryption,
            Reason::RestoredFromBackup,
            Reason::TrustedRecipientDeleted,
            Reason::NatureUnknown,
            Reason::EnisaSeverity {
                level: SeverityLevel::High,
                score: "3.25".into(),
            },
        ]
    }

    #[test]
    fn reasons_have_stable_keys_and_readable_dutch() {
        let reasons = every_reason();
        let mut keys: Vec<_> = reasons.iter().map(Reason::key).collect();
        keys.dedup(); // the two credential reasons share a key
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        for r in &reasons {
            assert!(r.key().starts_with("breach-reason-"));
            let text = dutch_reason(r);
            assert!(text.ends_with('.') && !text.contains('{'), "{text}");
        }
        assert_eq!(
            dutch_reason(&Reason::EnisaSeverity { level: SeverityLevel::High, score: "3.25".into() }),
            "De ernst volgens de ENISA-methode is 3,25 (hoog); in de woorden van de AP: aanzienlijk."
        );
        assert_eq!(
            Reason::SpecialCategory {
                categories: vec![D::Health, D::Religion]
            }
            .params(),
            vec![("categories", "health,religion".to_string())]
        );
    }

    fn any_facts() -> impl Strategy<Value = RiskFacts> {
        let people = prop_oneof![
            Just(PeopleCount::Unknown),
            (0u64..3000).prop_map(|count| PeopleCount::Exact { count }),
            (0u64..3000, 0u64..3000).prop_map(|(a, b)| PeopleCount::Range {
                min: a.min(b),
                max: a.max(b)
            }),
        ];
        (
            proptest::collection::vec(proptest::sample::select(BreachNature::ALL), 0..3),
            proptest::sample::select(ApIncidentKind::ALL),
            proptest::collection::vec(proptest::sample::select(DataSubjectGroup::ALL), 0..3),
            people,
            proptest::collection::vec(proptest::sample::select(Consequence::ALL), 0..3),
            any::<bool>(),
            proptest::sample::select(PriorMeasure::ALL),
            any::<[bool; 4]>(),
            any_input(),
        )
            .prop_map(
                |(
                    nature,
                    incident_kind,
                    groups,
                    people,
                    consequences,
                    controller_reveals_more,
                    prior_measure,
                    m,
                    severity,
                )| {
                    RiskFacts {
                        nature,
                        incident_kind,
                        groups,
                        people,
                        consequences,
                        controller_reveals_more,
                        prior_measure,
                        mitigation: Mitigation {
                            key_safe: m[0],
                            restored_from_backup: m[1],
                            exfiltration_ruled_out: m[2],
                            trusted_recipient_deleted: m[3],
                        },
                        severity,
                    }
                },
            )
    }

    fn special_or_criminal() -> impl Strategy<Value = DataCategory> {
        proptest::sample::select(DataCategory::ALL).prop_filter("special or criminal", |c| {
            c.is_special() || *c == D::Criminal
        })
    }

    proptest! {
        #[test]
        fn adding_a_special_category_never_lowers(f in any_facts(), c in special_or_criminal()) {
            let before = assess(&f);
            let mut g = f;
            g.severity.data.push(c);
            let after = assess(&g);
            prop_assert!(after.suggestion >= before.suggestion, "{:?} → {:?}", before.reasons, after.reasons);
            prop_assert!(after.severity.level >= before.severity.level);
        }

        #[test]
        fn more_people_never_lowers(f in any_facts(), extra in 0u64..5000) {
            let before = assess(&f);
            let mut g = f.clone();
            g.people = PeopleCount::Exact { count: f.people.upper().unwrap_or(0) + extra };
            let after = assess(&g);
            prop_assert!(after.suggestion >= before.suggestion);
            prop_assert!(after.severity.level >= before.severity.level);
        }

        #[test]
        fn malicious_intent_never_lowers(f in any_facts()) {
            let mut a = f.clone();
            a.severity.malicious = false;
            let mut b = f;
            b.severity.malicious = true;
            let (a, b) = (assess(&a), assess(&b));
            prop_assert!(b.suggestion >= a.suggestion);
            prop_assert!(b.severity.level >= a.severity.level);
        }

        #[test]
        fn unintelligible_data_never_require_informing_people(mut f in any_facts()) {
            // Art. 34(3)(a): for a pure confidentiality breach of data the board had encrypted with
            // a key that stayed safe, people need not be informed.
            f.nature = vec![N::ReadByUnauthorised];
            f.prior_measure = PriorMeasure::Encrypted;
            f.mitigation.key_safe = true;
            prop_assert_eq!(assess(&f).suggestion, RegisterOnly);
        }

        #[test]
        fn every_assessment_explains_itself(f in any_facts()) {
            let a = assess(&f);
            let ends_with_score = matches!(a.reasons.last(), Some(Reason::EnisaSeverity { .. }));
            prop_assert!(ends_with_score);
            prop_assert!(a.reasons.iter().all(|r| !dutch_reason(r).is_empty()));
        }
    }

    #[test]
    fn identification_is_carried_through() {
        let mut f = facts(K::PublishedByMistake, &[N::ReadByUnauthorised], &[D::Name]);
        f.severity.identification = EaseOfIdentification::Negligible;
        assert_eq!(
            assess(&f).severity.identification,
            EaseOfIdentification::Negligible
        );
    }
}
