//! Personal-data breaches (*datalekken*, AVG art. 33 and 34): the AP form's vocabulary, the 72-hour
//! deadline and its warnings, the ENISA severity score and the EDPB-based notification suggestion.
//!
//! The system prepares and records; people decide (domain.md §4). Nothing here says "you must
//! notify": [`assess`] returns a [`Suggestion`] with its [`Reason`]s, and the board records its
//! own decision. The sources are summarised in `breach-reference.md`.

pub mod assessment;
pub mod deadline;
pub mod enisa;
pub mod record;
pub mod vocab;

pub use assessment::{
    assess, dutch_reason, Mitigation, PeopleCount, Reason, RiskAssessment, RiskFacts,
    LARGE_NUMBER_OF_PEOPLE,
};
pub use deadline::{
    check_notification_time, deadline, due_warnings, in_board_time_zone, is_late, next_warning_at,
    render_moment_nl, render_time_left_nl, time_left, warning_moment, NOTIFICATION_WINDOW,
};
pub use enisa::{
    severity, AvailabilityLoss, ConfidentialityLoss, DpcAdjustment, DpcFactor,
    EaseOfIdentification, IntegrityLoss, Score, Severity, SeverityInput,
};
pub use vocab::{
    ApIncidentKind, ApSeverity, BreachNature, Consequence, DataCategory, DataSubjectGroup,
    EnisaDataClass, PriorMeasure, SeverityLevel, Suggestion, WarningKind,
};
