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
            v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
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
    let large = facts.people.upper().filter(|&n| n >= LARGE_NUMBER_OF_PEOPLE);
    let serious = sorted_unique(facts.consequences.iter().copied().filter(|c| c.is_serious()));
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
        reasons.push(Reason::SpecialCategory { categories: special });
    }
    if criminal {
        reasons.push(Reason::CriminalData);
    }
    if care {
        reasons.push(Reason::CareData);
    }
    if !fraud.is_empty() {
        reasons.push(Reason::FraudData { categories: fraud.clone() });
    }
    if credentials {
        reasons.push(Reason::Credentials { opens: input.credentials_open });
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
        reasons.push(Reason::SeriousConsequences { consequences: serious.clone() });
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
    let own_protection =
        matches!(facts.prior_measure, PriorMeasure::Encrypted | PriorMeasure::Hashed) && mit.key_safe;
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
