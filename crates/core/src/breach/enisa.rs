//! Severity of a breach by the ENISA method (*Recommendations for a methodology of the assessment of
//! severity of personal data breaches*, December 2013): `SE = DPC × EI + CB`.
//!
//! Every score in the method is a multiple of 0.25 and DPC is a whole number, so the score is kept
//! as a whole number of quarters. That makes the level boundaries (2, 3, 4) exact: a float sum
//! such as 0.75 × 4 + 0.25 landing a hair under 3 can never flip a level.

use super::vocab::{DataCategory, EnisaDataClass, SeverityLevel};
use crate::incident::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// The context factors ENISA names for adjusting the DPC base score.
    DpcFactor {
        /// More data per person than usual (a year of history instead of a week): raises.
        Volume = "volume",
        /// The controller's nature reveals more (a special-needs school's pupil list hints at
        /// disability): raises.
        ControllerCharacteristics = "controller_characteristics",
        /// Vulnerable individuals, such as minors: raises.
        VulnerableIndividuals = "vulnerable_individuals",
        /// Data invalid or outdated (expired cards): lowers.
        InvalidData = "invalid_data",
        /// Data already public: lowers.
        PubliclyAvailable = "publicly_available",
        /// The data reveal less than their category suggests ("had a blood test"): lowers.
        RevealsLess = "reveals_less",
    }
);

impl DpcFactor {
    /// Whether the factor raises (true) or lowers (false) the DPC.
    pub fn raises(self) -> bool {
        matches!(
            self,
            DpcFactor::Volume
                | DpcFactor::ControllerCharacteristics
                | DpcFactor::VulnerableIndividuals
        )
    }
}

/// One context adjustment of the DPC: a factor and by how many points (1–3; ENISA's examples move
/// a score by up to three, e.g. sensitive 4 → 1 for "had a general blood test").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpcAdjustment {
    /// Which factor.
    pub factor: DpcFactor,
    /// Points, clamped to 1–3 so one factor cannot dominate by a typo.
    pub points: u8,
}

impl DpcAdjustment {
    /// The signed effect on the DPC.
    pub fn delta(self) -> i16 {
        let p = i16::from(self.points.clamp(1, 3));
        if self.factor.raises() {
            p
        } else {
            -p
        }
    }
}

vocabulary!(
    /// Ease of identification (EI): how easily the people can be identified from the data.
    EaseOfIdentification {
        /// 0.25: identification practically impossible.
        Negligible = "negligible",
        /// 0.5: possible with considerable effort or extra data.
        Limited = "limited",
        /// 0.75: possible with some effort.
        Significant = "significant",
        /// 1: directly identifiable (a full name, a BSN).
        Maximum = "maximum",
    }
);

impl EaseOfIdentification {
    /// The EI value in quarters (1–4).
    pub fn quarters(self) -> u16 {
        match self {
            EaseOfIdentification::Negligible => 1,
            EaseOfIdentification::Limited => 2,
            EaseOfIdentification::Significant => 3,
            EaseOfIdentification::Maximum => 4,
        }
    }
}

vocabulary!(
    /// Loss of confidentiality, by how widely the data were exposed.
    ConfidentialityLoss {
        /// Not affected.
        NotAffected = "not_affected",
        /// 0: exposed, but no evidence anyone processed them unlawfully.
        ExposedNoEvidence = "exposed_no_evidence",
        /// +0.25: exposed to a known number of recipients (a mis-sent e-mail).
        KnownRecipients = "known_recipients",
        /// +0.5: exposed to an unknown number of recipients (published online, stolen by a hacker).
        UnknownRecipients = "unknown_recipients",
    }
);

vocabulary!(
    /// Loss of integrity, by whether altered data could be used against people.
    IntegrityLoss {
        /// Not affected.
        NotAffected = "not_affected",
        /// 0: altered, but the originals can be restored before harm is done.
        AlteredRecoverable = "altered_recoverable",
        /// +0.25: altered and possibly used, without a way to restore them.
        AlteredNotRecoverable = "altered_not_recoverable",
        /// +0.5: altered and used, or seriously likely to have been used, in a harmful way.
        AlteredAndUsed = "altered_and_used",
    }
);

vocabulary!(
    /// Loss of availability, by whether and how the data come back.
    AvailabilityLoss {
        /// Not affected.
        NotAffected = "not_affected",
        /// 0: recoverable without difficulty (another copy exists).
        Recoverable = "recoverable",
        /// +0.25: temporarily unavailable (restore takes work, or the person can supply them again).
        Temporary = "temporary",
        /// +0.5: permanently unavailable (no backup, nobody can supply them again).
        Permanent = "permanent",
    }
);

impl ConfidentialityLoss {
    /// The CB contribution in quarters.
    pub fn quarters(self) -> u16 {
        match self {
            ConfidentialityLoss::NotAffected | ConfidentialityLoss::ExposedNoEvidence => 0,
            ConfidentialityLoss::KnownRecipients => 1,
            ConfidentialityLoss::UnknownRecipients => 2,
        }
    }
}

impl IntegrityLoss {
    /// The CB contribution in quarters.
    pub fn quarters(self) -> u16 {
        match self {
            IntegrityLoss::NotAffected | IntegrityLoss::AlteredRecoverable => 0,
            IntegrityLoss::AlteredNotRecoverable => 1,
            IntegrityLoss::AlteredAndUsed => 2,
        }
    }
}

impl AvailabilityLoss {
    /// The CB contribution in quarters.
    pub fn quarters(self) -> u16 {
        match self {
            AvailabilityLoss::NotAffected | AvailabilityLoss::Recoverable => 0,
            AvailabilityLoss::Temporary => 1,
            AvailabilityLoss::Permanent => 2,
        }
    }
}

/// Malicious intent adds 0.5.
const MALICIOUS_QUARTERS: u16 = 2;

/// The answers the ENISA method needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityInput {
    /// The categories of personal data involved.
    pub data: Vec<DataCategory>,
    /// What leaked credentials open, as an ENISA class; `None` when unknown. Unknown is scored as
    /// sensitive, because a school account usually opens the pupil administration with its care
    /// notes, and guessing low could skip a required notification.
    pub credentials_open: Option<EnisaDataClass>,
    /// Context adjustments of the DPC.
    pub adjustments: Vec<DpcAdjustment>,
    /// Ease of identification.
    pub identification: EaseOfIdentification,
    /// Loss of confidentiality.
    pub confidentiality: ConfidentialityLoss,
    /// Loss of integrity.
    pub integrity: IntegrityLoss,
    /// Loss of availability.
    pub availability: AvailabilityLoss,
    /// The breach was caused deliberately (theft, hacking, selling data): +0.5.
    pub malicious: bool,
}

/// A score as a whole number of quarters; `Display` shows it as a decimal (`2.75`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Score(pub u16);

impl Score {
    /// The score in quarters.
    pub fn quarters(self) -> u16 {
        self.0
    }

    /// Dutch decimal notation with a comma (`2,75`).
    pub fn dutch(self) -> String {
        self.to_string().replace('.', ",")
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let frac = ["00", "25", "5", "75"][usize::from(self.0 % 4)];
        match frac {
            "00" => write!(f, "{}", self.0 / 4),
            _ => write!(f, "{}.{frac}", self.0 / 4),
        }
    }
}

/// The outcome of the ENISA method, with its parts so the reasoning can be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// The most critical ENISA class found (before adjustments).
    pub class: EnisaDataClass,
    /// Final DPC, 1–4.
    pub dpc: u8,
    /// Ease of identification.
    pub identification: EaseOfIdentification,
    /// Circumstances of the breach, in quarters (0–8).
    pub cb: Score,
    /// `SE = DPC × EI + CB`, in quarters (1–24).
    pub score: Score,
    /// The level the score falls in.
    pub level: SeverityLevel,
}

/// The most critical ENISA class among the data; simple when nothing is known.
pub fn data_class(
    data: &[DataCategory],
    credentials_open: Option<EnisaDataClass>,
) -> EnisaDataClass {
    data.iter()
        .map(|c| {
            c.enisa_class()
                .unwrap_or(credentials_open.unwrap_or(EnisaDataClass::Sensitive))
        })
        .max()
        .unwrap_or(EnisaDataClass::Simple)
}

/// The final DPC: the base score of the most critical class plus the adjustments, kept within 1–4.
pub fn dpc(class: EnisaDataClass, adjustments: &[DpcAdjustment]) -> u8 {
    let sum: i16 = adjustments.iter().map(|a| a.delta()).sum();
    let v = (i16::from(class.base_score()) + sum).clamp(1, 4);
    u8::try_from(v).unwrap_or(4)
}

/// The level for a score: < 2 low, 2–< 3 medium, 3–< 4 high, ≥ 4 very high.
pub fn level_for(score: Score) -> SeverityLevel {
    match score.0 {
        0..=7 => SeverityLevel::Low,
        8..=11 => SeverityLevel::Medium,
        12..=15 => SeverityLevel::High,
        _ => SeverityLevel::VeryHigh,
    }
}

/// Computes the ENISA severity.
pub fn severity(input: &SeverityInput) -> Severity {
    let class = data_class(&input.data, input.credentials_open);
    let dpc = dpc(class, &input.adjustments);
    let cb = input.confidentiality.quarters()
        + input.integrity.quarters()
        + input.availability.quarters()
        + if input.malicious {
            MALICIOUS_QUARTERS
        } else {
            0
        };
    let score = Score(u16::from(dpc) * input.identification.quarters() + cb);
    Severity {
        class,
        dpc,
        identification: input.identification,
        cb: Score(cb),
        score,
        level: level_for(score),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use DataCategory as D;

    /// A neutral input: the given data, directly identifiable, nothing lost yet.
    pub(crate) fn input(data: &[DataCategory]) -> SeverityInput {
        SeverityInput {
            data: data.to_vec(),
            credentials_open: None,
            adjustments: vec![],
            identification: EaseOfIdentification::Maximum,
            confidentiality: ConfidentialityLoss::NotAffected,
            integrity: IntegrityLoss::NotAffected,
            availability: AvailabilityLoss::NotAffected,
            malicious: false,
        }
    }

    fn adj(factor: DpcFactor, points: u8) -> DpcAdjustment {
        DpcAdjustment { factor, points }
    }

    // The DPC tests below mirror the examples ENISA gives per data class in its annex on DPC
    // scoring (as summarised in public secondary sources; we did not have the ENISA tables
    // themselves). The expected numbers are derived from the method text in breach-reference.md §2
    // — base score plus context adjustment, clamped to 1–4 — not copied from ENISA.

    #[test]
    fn enisa_simple_data_examples() {
        // Supermarket customer list (names, phone numbers): simple, no adjustment → 1.
        assert_eq!(dpc(data_class(&[D::Name, D::Phone], None), &[]), 1);
        // The list of a luxury-goods seller hints at wealth: controller characteristics +1 → 2.
        let luxury = [adj(DpcFactor::ControllerCharacteristics, 1)];
        assert_eq!(dpc(EnisaDataClass::Simple, &luxury), 2);
        // Delivery addresses of an adult book shop hint at sexual preferences: +2 → 3.
        let shop = [adj(DpcFactor::ControllerCharacteristics, 2)];
        assert_eq!(dpc(EnisaDataClass::Simple, &shop), 3);
        // A list of undercover officers puts people in danger: vulnerable individuals +3 → 4.
        let officers = [adj(DpcFactor::VulnerableIndividuals, 3)];
        assert_eq!(dpc(EnisaDataClass::Simple, &officers), 4);
    }

    #[test]
    fn enisa_behavioural_data_examples() {
        // Calls to an ISP helpdesk reveal little: 2 − 1 → 1.
        assert_eq!(
            dpc(
                EnisaDataClass::Behavioural,
                &[adj(DpcFactor::RevealsLess, 1)]
            ),
            1
        );
        // One week of call history: 2.
        assert_eq!(dpc(data_class(&[D::Location], None), &[]), 2);
        // One year of call history builds a profile: volume +1 → 3.
        assert_eq!(
            dpc(EnisaDataClass::Behavioural, &[adj(DpcFactor::Volume, 1)]),
            3
        );
        // Calls to a psychological support line reveal health: +2 → 4.
        let support = [adj(DpcFactor::ControllerCharacteristics, 2)];
        assert_eq!(dpc(EnisaDataClass::Behavioural, &support), 4);
    }

    #[test]
    fn enisa_financial_data_examples() {
        // Credit cards that expired long ago: 3 − 2 → 1.
        assert_eq!(
            dpc(EnisaDataClass::Financial, &[adj(DpcFactor::InvalidData, 2)]),
            1
        );
        // A month of account balances: financial, no adjustment → 3.
        assert_eq!(dpc(data_class(&[D::BankAccount, D::Name], None), &[]), 3);
    }

    #[test]
    fn enisa_sensitive_data_examples() {
        // "Had a general blood test" reveals almost nothing: 4 − 3 → 1.
        assert_eq!(
            dpc(
                data_class(&[D::Health], None),
                &[adj(DpcFactor::RevealsLess, 3)]
            ),
            1
        );
        // Actual test results: 4.
        assert_eq!(dpc(data_class(&[D::Health, D::Name], None), &[]), 4);
        // More cannot go above 4.
        assert_eq!(
            dpc(EnisaDataClass::Sensitive, &[adj(DpcFactor::Volume, 3)]),
            4
        );
    }

    #[test]
    fn credentials_take_the_class_of_what_they_open() {
        // Online-banking credentials are financial; a music shop's are simple.
        assert_eq!(
            data_class(&[D::LoginCredentials], Some(EnisaDataClass::Financial)),
            EnisaDataClass::Financial
        );
        assert_eq!(
            data_class(&[D::LoginCredentials], Some(EnisaDataClass::Simple)),
            EnisaDataClass::Simple
        );
        // Unknown scope: assume the worst.
        assert_eq!(
            data_class(&[D::LoginCredentials], None),
            EnisaDataClass::Sensitive
        );
    }

    #[test]
    fn full_score_worked_through() {
        // Names and phone numbers published online by mistake (a customer list on a public web
        // page): DPC 1 × EI 1 + confidentiality to unknown recipients 0.5 = 1.5 → low.
        let mut i = input(&[D::Name, D::Phone]);
        i.confidentiality = ConfidentialityLoss::UnknownRecipients;
        let s = severity(&i);
        assert_eq!(
            (s.dpc, s.score.to_string(), s.level),
            (1, "1.5".into(), SeverityLevel::Low)
        );

        // The same list stolen by a hacker: + malicious 0.5 = 2 → medium, exactly on the boundary.
        i.malicious = true;
        let s = severity(&i);
        assert_eq!(
            (s.score.to_string(), s.level),
            ("2".into(), SeverityLevel::Medium)
        );

        // Health data of identifiable people, sent to a few wrong recipients: 4 × 1 + 0.25 = 4.25
        // → very high.
        let mut h = input(&[D::Health, D::Name]);
        h.confidentiality = ConfidentialityLoss::KnownRecipients;
        let s = severity(&h);
        assert_eq!(
            (s.score.dutch(), s.level),
            ("4,25".into(), SeverityLevel::VeryHigh)
        );

        // Financial data, identifiable with some effort, altered beyond repair and lost without
        // backup: 3 × 0.75 + 0.25 (integrity) + 0.5 (permanent loss) = 3.0 → high, exactly on the
        // boundary.
        let mut f = input(&[D::BankAccount]);
        f.identification = EaseOfIdentification::Significant;
        f.availability = AvailabilityLoss::Permanent;
        f.integrity = IntegrityLoss::AlteredNotRecoverable;
        let s = severity(&f);
        assert_eq!((s.score.0, s.level), (12, SeverityLevel::High));

        // Just below a boundary: 2 × 0.75 + 0.25 = 1.75 → low.
        let mut b = input(&[D::Location]);
        b.identification = EaseOfIdentification::Significant;
        b.confidentiality = ConfidentialityLoss::KnownRecipients;
        assert_eq!(severity(&b).level, SeverityLevel::Low);
    }

    #[test]
    fn level_boundaries_are_exact() {
        let levels: Vec<_> = [7, 8, 11, 12, 15, 16].map(|q| level_for(Score(q))).to_vec();
        use SeverityLevel::*;
        assert_eq!(levels, [Low, Medium, Medium, High, High, VeryHigh]);
    }

    pub(crate) fn any_input() -> impl Strategy<Value = SeverityInput> {
        (
            proptest::collection::vec(proptest::sample::select(DataCategory::ALL), 0..6),
            proptest::option::of(proptest::sample::select(EnisaDataClass::ALL)),
            proptest::collection::vec(
                (proptest::sample::select(DpcFactor::ALL), 0u8..5)
                    .prop_map(|(factor, points)| DpcAdjustment { factor, points }),
                0..4,
            ),
            proptest::sample::select(EaseOfIdentification::ALL),
            proptest::sample::select(ConfidentialityLoss::ALL),
            proptest::sample::select(IntegrityLoss::ALL),
            proptest::sample::select(AvailabilityLoss::ALL),
            any::<bool>(),
        )
            .prop_map(
                |(
                    data,
                    credentials_open,
                    adjustments,
                    identification,
                    confidentiality,
                    integrity,
                    availability,
                    malicious,
                )| {
                    SeverityInput {
                        data,
                        credentials_open,
                        adjustments,
                        identification,
                        confidentiality,
                        integrity,
                        availability,
                        malicious,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn severity_stays_within_bounds(i in any_input()) {
            let s = severity(&i);
            prop_assert!((1..=4).contains(&s.dpc));
            prop_assert!(s.cb.0 <= 8);
            // Minimum 1 × 0.25; maximum 4 × 1 + 0.5 × 4.
            prop_assert!((1..=24).contains(&s.score.0));
            prop_assert_eq!(s.level, level_for(s.score));
        }

        #[test]
        fn special_category_never_lowers_severity(i in any_input(), c in proptest::sample::select(DataCategory::ALL)) {
            prop_assume!(c.is_special() || c == DataCategory::Criminal);
            let before = severity(&i);
            let mut j = i.clone();
            j.data.push(c);
            let after = severity(&j);
            prop_assert!(after.score >= before.score);
            prop_assert!(after.level >= before.level);
        }

        #[test]
        fn malicious_intent_never_lowers_severity(i in any_input()) {
            let mut a = i.clone();
            a.malicious = false;
            let mut b = i;
            b.malicious = true;
            prop_assert!(severity(&b).score >= severity(&a).score);
            prop_assert!(severity(&b).level >= severity(&a).level);
        }
    }
}
