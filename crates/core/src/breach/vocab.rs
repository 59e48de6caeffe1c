//! The option lists of the AP notification form (*Meldformulier datalekken*), plus the few
//! school-specific values the form lacks, each mapped back to the form's own option.
//!
//! Source: `breach-reference.md` §1 (the AP questionnaire as transcribed by OpenVWR). The AP revises
//! its form now and then; when it does, only this file should need to change.

use crate::incident::{vocabulary, Aspects, Category};
// The macro names the serde derives unqualified.
use serde::{Deserialize, Serialize};

vocabulary!(
    /// What happened to the data (AP form ch. 5, *aard van de inbreuk*); several may apply.
    BreachNature {
        /// *Gelezen door onbevoegden* — loss of confidentiality.
        ReadByUnauthorised = "read_by_unauthorised",
        /// *Veranderd* — loss of integrity.
        Altered = "altered",
        /// *Blijvend niet beschikbaar* — permanent loss of availability.
        PermanentlyUnavailable = "permanently_unavailable",
        /// *Tijdelijk niet beschikbaar* — temporary loss of availability.
        TemporarilyUnavailable = "temporarily_unavailable",
    }
);

impl BreachNature {
    /// The incident's BIV aspects these natures touch, so a breach and its incident stay consistent.
    pub fn aspects(natures: &[BreachNature]) -> Aspects {
        Aspects {
            availability: natures.iter().any(|n| n.is_availability()),
            integrity: natures.contains(&BreachNature::Altered),
            confidentiality: natures.contains(&BreachNature::ReadByUnauthorised),
        }
    }

    /// Either availability nature.
    pub fn is_availability(self) -> bool {
        matches!(
            self,
            BreachNature::PermanentlyUnavailable | BreachNature::TemporarilyUnavailable
        )
    }
}

vocabulary!(
    /// The kind of incident as the AP form asks it (ch. 5, *soort incident*).
    ApIncidentKind {
        /// E-mail sent to the wrong recipient.
        EmailWrongRecipient = "email_wrong_recipient",
        /// E-mail with recipients in to/cc instead of bcc.
        EmailToCcNotBcc = "email_to_cc_not_bcc",
        /// Letter or parcel sent to the wrong recipient.
        MailWrongRecipient = "mail_wrong_recipient",
        /// Letter or parcel returned opened.
        MailReturnedOpened = "mail_returned_opened",
        /// Letter or parcel lost.
        MailLost = "mail_lost",
        /// Staff authorisations set wrongly.
        AuthorisationsWrong = "authorisations_wrong",
        /// Network folders accessible too widely.
        NetworkFoldersTooOpen = "network_folders_too_open",
        /// Device, data carrier or paper lost or stolen.
        DeviceLostOrStolen = "device_lost_or_stolen",
        /// Published by mistake.
        PublishedByMistake = "published_by_mistake",
        /// Hacking, malware (e.g. ransomware) and/or phishing.
        HackingMalwarePhishing = "hacking_malware_phishing",
        /// Added to the wrong file.
        WrongFile = "wrong_file",
        /// Anything else.
        Other = "other",
    }
);

impl ApIncidentKind {
    /// A pre-selection from the incident's category, or `None` where the category does not decide
    /// it (a mis-sent item may be an e-mail or a letter; the handler must choose).
    pub fn suggested_for(category: Category) -> Option<Self> {
        match category {
            Category::Phishing | Category::Malware | Category::AccountTakeover => {
                Some(ApIncidentKind::HackingMalwarePhishing)
            }
            Category::LostDevice => Some(ApIncidentKind::DeviceLostOrStolen),
            Category::WrongAccessRights => Some(ApIncidentKind::AuthorisationsWrong),
            Category::PublishedByMistake => Some(ApIncidentKind::PublishedByMistake),
            _ => None,
        }
    }
}

vocabulary!(
    /// Groups of data subjects (*getroffen personen*). The school's own list (domain.md §4); the AP
    /// form's option for each is [`DataSubjectGroup::ap_form_option`].
    DataSubjectGroup {
        /// *Leerlingen* — children in the sense of EDPB guidance.
        Pupils = "pupils",
        /// *Ouders/verzorgers*.
        ParentsGuardians = "parents_guardians",
        /// *Medewerkers*.
        Staff = "staff",
        /// *Minderjarigen* other than pupils.
        Minors = "minors",
        /// *Andere kwetsbare groepen*.
        OtherVulnerable = "other_vulnerable",
        /// *Overig*.
        Other = "other",
    }
);

impl DataSubjectGroup {
    /// Children need extra protection (EDPB 9/2022: special characteristics of the individuals).
    pub fn is_children(self) -> bool {
        matches!(self, DataSubjectGroup::Pupils | DataSubjectGroup::Minors)
    }

    /// The option to tick on the AP form. Parents/guardians have no option of their own there, so
    /// they go under "other" and the description names them.
    pub fn ap_form_option(self) -> &'static str {
        match self {
            DataSubjectGroup::Pupils => "pupils_or_students",
            DataSubjectGroup::Staff => "employees",
            DataSubjectGroup::Minors => "minors",
            DataSubjectGroup::OtherVulnerable => "other_vulnerable_groups",
            DataSubjectGroup::ParentsGuardians | DataSubjectGroup::Other => "other",
        }
    }
}

vocabulary!(
    /// The data categories of ENISA's method, in rising criticality; the DPC base score is the
    /// position (1–4).
    EnisaDataClass {
        /// Identity, contact, education, family, professional data: base 1.
        Simple = "simple",
        /// Location, traffic, preferences, habits: base 2.
        Behavioural = "behavioural",
        /// Income, transactions, bank and card data: base 3.
        Financial = "financial",
        /// Health, political, religious, sexual life and the like: base 4.
        Sensitive = "sensitive",
    }
);

impl EnisaDataClass {
    /// ENISA's base DPC score.
    pub fn base_score(self) -> u8 {
        match self {
            EnisaDataClass::Simple => 1,
            EnisaDataClass::Behavioural => 2,
            EnisaDataClass::Financial => 3,
            EnisaDataClass::Sensitive => 4,
        }
    }

    /// Plain Dutch name, for reasons shown to people.
    pub fn dutch(self) -> &'static str {
        match self {
            EnisaDataClass::Simple => "eenvoudige gegevens",
            EnisaDataClass::Behavioural => "gedragsgegevens",
            EnisaDataClass::Financial => "financiële gegevens",
            EnisaDataClass::Sensitive => "gevoelige gegevens",
        }
    }
}

vocabulary!(
    /// Categories of personal data (AP form ch. 6) plus the school-specific ones domain.md §4 names.
    DataCategory {
        /// *Naam*.
        Name = "name",
        /// *Geslacht*.
        Sex = "sex",
        /// *Geboortedatum/leeftijd*.
        DateOfBirth = "date_of_birth",
        /// *BSN* (burgerservicenummer).
        Bsn = "bsn",
        /// *Leerlingnummer* (school-specific; AP: access or identification data).
        PupilNumber = "pupil_number",
        /// *Contactgegevens*.
        ContactDetails = "contact_details",
        /// *Adres*.
        Address = "address",
        /// *E-mailadres*.
        Email = "email",
        /// *Telefoonnummer*.
        Phone = "phone",
        /// *Inloggegevens* (AP: access or identification data). Severity depends on what they open.
        LoginCredentials = "login_credentials",
        /// *Financiële gegevens*.
        Financial = "financial",
        /// *Bankrekeningnummer*.
        BankAccount = "bank_account",
        /// *Creditcardgegevens*.
        CreditCard = "credit_card",
        /// *Schulden*.
        Debts = "debts",
        /// *Uitkeringen*.
        Benefits = "benefits",
        /// *Kopieën van identiteitsbewijzen*.
        IdDocumentCopies = "id_document_copies",
        /// *Locatiegegevens*.
        Location = "location",
        /// *Leerlingvolg- en zorggegevens* (school-specific; AP: other).
        PupilCareData = "pupil_care_data",
        /// *Foto's* (school-specific; AP: other).
        Photos = "photos",
        /// Special category: *gezondheid*.
        Health = "health",
        /// Special category: *godsdienst of levensovertuiging*.
        Religion = "religion",
        /// Special category: *etnische afkomst*.
        Ethnicity = "ethnicity",
        /// Special category: *politieke opvattingen*.
        PoliticalViews = "political_views",
        /// Special category: *lidmaatschap vakbond*.
        TradeUnion = "trade_union",
        /// Special category: *seksueel leven of seksuele gerichtheid*.
        SexualLife = "sexual_life",
        /// Special category: *genetische gegevens*.
        Genetic = "genetic",
        /// Special category: *biometrische gegevens*.
        Biometric = "biometric",
        /// *Strafrechtelijke gegevens* (AVG art. 10; not art. 9, but treated alike by the EDPB).
        Criminal = "criminal",
        /// *Onbekend*.
        Unknown = "unknown",
        /// *Overig*.
        Other = "other",
    }
);

impl DataCategory {
    /// AVG art. 9 special categories.
    pub fn is_special(self) -> bool {
        use DataCategory::*;
        matches!(
            self,
            Health
                | Religion
                | Ethnicity
                | PoliticalViews
                | TradeUnion
                | SexualLife
                | Genetic
                | Biometric
        )
    }

    /// Data with which someone can commit identity fraud or take money.
    pub fn enables_fraud(self) -> bool {
        use DataCategory::*;
        matches!(
            self,
            Bsn | IdDocumentCopies | BankAccount | CreditCard | Financial
        )
    }

    /// The ENISA class, or `None` for login credentials, which take the class of what they open.
    ///
    /// Two choices are meldpunt's, not ENISA's: BSN and ID copies count as financial because in the
    /// Netherlands their misuse is identity fraud with money at stake; pupil-tracking/care data count
    /// as sensitive because Dutch pupil files routinely hold care notes (dyslexia, behaviour, home
    /// situation). Unknown and other data start at simple; the assessor adjusts with DPC factors.
    pub fn enisa_class(self) -> Option<EnisaDataClass> {
        use DataCategory::*;
        Some(match self {
            LoginCredentials => return None,
            Location => EnisaDataClass::Behavioural,
            Bsn | IdDocumentCopies | Financial | BankAccount | CreditCard | Debts | Benefits => {
                EnisaDataClass::Financial
            }
            PupilCareData | Criminal => EnisaDataClass::Sensitive,
            c if c.is_special() => EnisaDataClass::Sensitive,
            _ => EnisaDataClass::Simple,
        })
    }

    /// The option to tick on the AP form (special categories have their own question there).
    pub fn ap_form_option(self) -> &'static str {
        use DataCategory::*;
        match self {
            PupilNumber | LoginCredentials => "access_or_identification_data",
            PupilCareData | Photos => "other",
            other => other.code(),
        }
    }

    /// Plain Dutch name, for reasons shown to people.
    pub fn dutch(self) -> &'static str {
        use DataCategory::*;
        match self {
            Name => "naam",
            Sex => "geslacht",
            DateOfBirth => "geboortedatum",
            Bsn => "BSN",
            PupilNumber => "leerlingnummer",
            ContactDetails => "contactgegevens",
            Address => "adres",
            Email => "e-mailadres",
            Phone => "telefoonnummer",
            LoginCredentials => "inloggegevens",
            Financial => "financiële gegevens",
            BankAccount => "bankrekeningnummer",
            CreditCard => "creditcardgegevens",
            Debts => "schulden",
            Benefits => "uitkeringen",
            IdDocumentCopies => "kopie identiteitsbewijs",
            Location => "locatiegegevens",
            PupilCareData => "leerlingvolg- en zorggegevens",
            Photos => "foto's",
            Health => "gezondheid",
            Religion => "godsdienst of levensovertuiging",
            Ethnicity => "etnische afkomst",
            PoliticalViews => "politieke opvattingen",
            TradeUnion => "vakbondslidmaatschap",
            SexualLife => "seksueel leven of seksuele gerichtheid",
            Genetic => "genetische gegevens",
            Biometric => "biometrische gegevens",
            Criminal => "strafrechtelijke gegevens",
            Unknown => "onbekend",
            Other => "overige gegevens",
        }
    }
}

vocabulary!(
    /// Whether the data were unintelligible beforehand (AP form ch. 8). Only the board's own
    /// measures count: data encrypted by ransomware are not "encrypted" here.
    PriorMeasure {
        /// *Versleuteld*.
        Encrypted = "encrypted",
        /// *Gehasht*.
        Hashed = "hashed",
        /// *Anders onbegrijpelijk gemaakt*.
        Other = "other",
        /// *Nee*.
        NoMeasure = "none",
    }
);

vocabulary!(
    /// Possible consequences for the people (AP form ch. 9).
    Consequence {
        /// *Discriminatie of uitsluiting*.
        Discrimination = "discrimination",
        /// *Identiteitsdiefstal of -fraude*.
        IdentityFraud = "identity_fraud",
        /// *Financiële schade*.
        FinancialLoss = "financial_loss",
        /// *Reputatieschade*.
        ReputationalDamage = "reputational_damage",
        /// *Verlies van vertrouwelijkheid van gegevens onder beroepsgeheim*.
        ProfessionalSecrecy = "professional_secrecy",
        /// *Ongedaan maken van pseudonimisering*.
        PseudonymisationReversed = "pseudonymisation_reversed",
        /// *Mensen kunnen hun gegevens niet inzien of verwijderen*.
        NoAccessOrDeletion = "no_access_or_deletion",
        /// *Overig*.
        Other = "other",
    }
);

impl Consequence {
    /// Consequences the EDPB lists as significant harm (guidelines 9/2022, recital 85 AVG); they
    /// point to a high risk.
    pub fn is_serious(self) -> bool {
        use Consequence::*;
        matches!(
            self,
            Discrimination
                | IdentityFraud
                | FinancialLoss
                | ProfessionalSecrecy
                | PseudonymisationReversed
        )
    }

    /// Plain Dutch name, for reasons shown to people.
    pub fn dutch(self) -> &'static str {
        use Consequence::*;
        match self {
            Discrimination => "discriminatie of uitsluiting",
            IdentityFraud => "identiteitsfraude",
            FinancialLoss => "financiële schade",
            ReputationalDamage => "reputatieschade",
            ProfessionalSecrecy => "verlies van beroepsgeheim",
            PseudonymisationReversed => "ongedaan maken van pseudonimisering",
            NoAccessOrDeletion => "gegevens niet kunnen inzien of verwijderen",
            Other => "overige gevolgen",
        }
    }
}

vocabulary!(
    /// Severity in the AP form's own words (ch. 9).
    ApSeverity {
        /// *Verwaarloosbaar*.
        Negligible = "negligible",
        /// *Beperkt*.
        Limited = "limited",
        /// *Aanzienlijk*.
        Significant = "significant",
        /// *Zeer groot*.
        VeryLarge = "very_large",
    }
);

impl ApSeverity {
    /// The exact word on the AP form.
    pub fn dutch(self) -> &'static str {
        match self {
            ApSeverity::Negligible => "verwaarloosbaar",
            ApSeverity::Limited => "beperkt",
            ApSeverity::Significant => "aanzienlijk",
            ApSeverity::VeryLarge => "zeer groot",
        }
    }
}

vocabulary!(
    /// ENISA severity level, ordered so that a comparison means "more severe".
    SeverityLevel {
        /// SE < 2.
        Low = "low",
        /// 2 ≤ SE < 3.
        Medium = "medium",
        /// 3 ≤ SE < 4.
        High = "high",
        /// SE ≥ 4.
        VeryHigh = "very_high",
    }
);

impl SeverityLevel {
    /// The AP form's word for this level.
    pub fn ap_severity(self) -> ApSeverity {
        match self {
            SeverityLevel::Low => ApSeverity::Negligible,
            SeverityLevel::Medium => ApSeverity::Limited,
            SeverityLevel::High => ApSeverity::Significant,
            SeverityLevel::VeryHigh => ApSeverity::VeryLarge,
        }
    }

    /// Plain Dutch name.
    pub fn dutch(self) -> &'static str {
        match self {
            SeverityLevel::Low => "laag",
            SeverityLevel::Medium => "gemiddeld",
            SeverityLevel::High => "hoog",
            SeverityLevel::VeryHigh => "zeer hoog",
        }
    }
}

impl From<SeverityLevel> for ApSeverity {
    fn from(level: SeverityLevel) -> Self {
        level.ap_severity()
    }
}

vocabulary!(
    /// The moments the responsible people are warned about the 72-hour deadline.
    WarningKind {
        /// The breach was registered; the clock runs.
        Registered = "registered",
        /// 24 hours before the deadline.
        Before24h = "before_24h",
        /// 6 hours before the deadline.
        Before6h = "before_6h",
        /// The deadline has passed.
        Expired = "expired",
    }
);

vocabulary!(
    /// What the assessment suggests; ordered so that a comparison means "more is needed".
    Suggestion {
        /// Unlikely to result in a risk: record in the breach register only (art. 33(5)).
        RegisterOnly = "register_only",
        /// Notify the AP (art. 33).
        NotifyAuthority = "notify_authority",
        /// Notify the AP and inform the data subjects (art. 33 and 34).
        NotifyAuthorityAndDataSubjects = "notify_authority_and_data_subjects",
    }
);

impl Suggestion {
    /// Plain Dutch wording.
    pub fn dutch(self) -> &'static str {
        match self {
            Suggestion::RegisterOnly => "alleen registreren",
            Suggestion::NotifyAuthority => "melden bij de AP",
            Suggestion::NotifyAuthorityAndDataSubjects => {
                "melden bij de AP en betrokkenen informeren"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            code: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &v in all {
                assert!(seen.insert(code(v)), "duplicate code {}", code(v));
                assert_eq!(parse(code(v)), Some(v));
            }
        }
        check(
            BreachNature::ALL,
            BreachNature::code,
            BreachNature::from_code,
        );
        check(
            ApIncidentKind::ALL,
            ApIncidentKind::code,
            ApIncidentKind::from_code,
        );
        check(
            DataSubjectGroup::ALL,
            DataSubjectGroup::code,
            DataSubjectGroup::from_code,
        );
        check(
            DataCategory::ALL,
            DataCategory::code,
            DataCategory::from_code,
        );
        check(
            PriorMeasure::ALL,
            PriorMeasure::code,
            PriorMeasure::from_code,
        );
        check(Consequence::ALL, Consequence::code, Consequence::from_code);
        check(ApSeverity::ALL, ApSeverity::code, ApSeverity::from_code);
        check(
            SeverityLevel::ALL,
            SeverityLevel::code,
            SeverityLevel::from_code,
        );
        check(WarningKind::ALL, WarningKind::code, WarningKind::from_code);
        check(Suggestion::ALL, Suggestion::code, Suggestion::from_code);
        check(
            EnisaDataClass::ALL,
            EnisaDataClass::code,
            EnisaDataClass::from_code,
        );
    }

    #[test]
    fn ap_severity_words_follow_enisa_levels() {
        let words: Vec<_> = SeverityLevel::ALL
            .iter()
            .map(|l| l.ap_severity().dutch())
            .collect();
        assert_eq!(
            words,
            ["verwaarloosbaar", "beperkt", "aanzienlijk", "zeer groot"]
        );
    }

    #[test]
    fn eight_special_categories() {
        let n = DataCategory::ALL.iter().filter(|c| c.is_special()).count();
        assert_eq!(n, 8);
        assert!(!DataCategory::Criminal.is_special());
    }

    #[test]
    fn natures_map_to_aspects() {
        let a = BreachNature::aspects(&[
            BreachNature::ReadByUnauthorised,
            BreachNature::TemporarilyUnavailable,
        ]);
        assert_eq!(a.code(), "BV");
    }
}
