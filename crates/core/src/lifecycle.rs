//! The incident lifecycle (domain.md §2): which command is allowed in which state, and what it changes.
//!
//! `apply` is the only way an incident changes. It is pure: the caller passes the current time.

use crate::ids::UserId;
use crate::incident::{Classification, Incident, Kind, Status};
use jiff::Timestamp;
use serde::Serialize;
use thiserror::Error;

/// A request to change an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Classify (or reclassify) the incident. With kind `no_incident` the reason is required.
    Triage {
        /// The new classification (priority already decided by `priority::decide_priority`).
        classification: Classification,
        /// Why it is not an incident, when kind is `no_incident`.
        no_incident_reason: Option<String>,
    },
    /// Assign to a handler (first assignment moves it to *in behandeling*).
    Assign {
        /// The new assignee.
        assignee: UserId,
    },
    /// Wait on a third party; the SLA clock pauses.
    Wait {
        /// What is awaited.
        reason: String,
    },
    /// Resume work after waiting.
    Resume,
    /// Record that the damage is contained.
    Contain,
    /// Resolve with a resolution and a cause.
    Resolve {
        /// What was done.
        resolution: String,
        /// What caused it.
        cause: String,
    },
    /// Record the evaluation.
    Evaluate {
        /// What happened, what went well, what can be better.
        evaluation: String,
    },
    /// Close.
    Close,
    /// Reopen a resolved, evaluated or closed incident.
    Reopen {
        /// Why it is reopened.
        reason: String,
    },
    /// Add a note to the timeline (no state change; counts as a first response).
    Note {
        /// The note text.
        text: String,
    },
}

impl Command {
    /// Stable name, used in the audit trail and the timeline.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Triage { .. } => "triage",
            Command::Assign { .. } => "assign",
            Command::Wait { .. } => "wait",
            Command::Resume => "resume",
            Command::Contain => "contain",
            Command::Resolve { .. } => "resolve",
            Command::Evaluate { .. } => "evaluate",
            Command::Close => "close",
            Command::Reopen { .. } => "reopen",
            Command::Note { .. } => "note",
        }
    }
}

/// Why a command was refused. Each is a clear message, never a crash.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LifecycleError {
    /// The command is not allowed in the current state.
    #[error("'{command}' is not allowed while the incident is '{status}'")]
    NotAllowed {
        /// The command's name.
        command: &'static str,
        /// The current status.
        status: Status,
    },
    /// Assigning, waiting, resolving need a triaged incident.
    #[error("the incident must be triaged first")]
    NotTriaged,
    /// A security incident or breach needs an evaluation before closing.
    #[error("a security incident or breach cannot be closed without an evaluation")]
    EvaluationRequired,
    /// A required text was empty.
    #[error("'{field}' must not be empty")]
    MissingText {
        /// Which text.
        field: &'static str,
    },
    /// Already assigned to this person.
    #[error("the incident is already assigned to this person")]
    AlreadyAssigned,
    /// Containment was already recorded.
    #[error("containment was already recorded")]
    AlreadyContained,
    /// A breach cannot be closed while the decision to notify the AP is open (domain.md §2).
    #[error("a breach cannot be closed while the decision to notify the AP is open")]
    BreachDecisionOpen,
}

/// What changed, for the timeline and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The command's name.
    pub action: &'static str,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
}

fn require_text(field: &'static str, s: &str) -> Result<String, LifecycleError> {
    let t = s.trim();
    if t.is_empty() {
        Err(LifecycleError::MissingText { field })
    } else {
        Ok(t.to_string())
    }
}

/// Applies a command to an incident at `now`. Returns the changed incident and what changed.
///
/// The actor's permission is checked elsewhere (`auth`); this function only knows the lifecycle.
pub fn apply(
    incident: &Incident,
    command: Command,
    now: Timestamp,
) -> Result<(Incident, Change), LifecycleError> {
    use Status::*;
    let from = incident.status;
    let name = command.name();
    let not_allowed = || LifecycleError::NotAllowed {
        command: name,
        status: from,
    };
    let mut next = incident.clone();
    let t = &mut next.timeline;
    match command {
        Command::Triage {
            classification,
            no_incident_reason,
        } => {
            if !matches!(from, Reported | Registered | InProgress | Waiting) {
                return Err(not_allowed());
            }
            if classification.kind == Kind::NoIncident {
                if !matches!(from, Reported | Registered) {
                    return Err(not_allowed());
                }
                let reason = require_text(
                    "no_incident_reason",
                    no_incident_reason.as_deref().unwrap_or(""),
                )?;
                next.no_incident_reason = Some(reason);
                next.status = NotAnIncident;
            } else if from == Reported {
                next.status = Registered;
            }
            t.registered_at.get_or_insert(now);
            t.first_response_at.get_or_insert(now);
            next.classification = Some(classification);
        }
        Command::Assign { assignee } => {
            match from {
                Registered | InProgress | Waiting => {}
                Reported => return Err(LifecycleError::NotTriaged),
                _ => return Err(not_allowed()),
            }
            if next.assignee_id == Some(assignee) {
                return Err(LifecycleError::AlreadyAssigned);
            }
            next.assignee_id = Some(assignee);
            if from == Registered {
                next.status = InProgress;
            }
            t.first_response_at.get_or_insert(now);
        }
        Command::Wait { reason } => {
            require_text("reason", &reason)?;
            if from != InProgress {
                return Err(not_allowed());
            }
            next.status = Waiting;
        }
        Command::Resume => {
            if from != Waiting {
                return Err(not_allowed());
            }
            next.status = InProgress;
        }
        Command::Contain => {
            if !matches!(from, Registered | InProgress | Waiting) {
                return Err(not_allowed());
            }
            if t.contained_at.is_some() {
                return Err(LifecycleError::AlreadyContained);
            }
            t.contained_at = Some(now);
        }
        Command::Resolve { resolution, cause } => {
            let resolution = require_text("resolution", &resolution)?;
            let cause = require_text("cause", &cause)?;
            match from {
                InProgress | Waiting => {}
                Reported | Registered => return Err(not_allowed()),
                _ => return Err(not_allowed()),
            }
            next.status = Resolved;
            next.resolution = Some(resolution);
            next.cause = Some(cause);
            t.resolved_at = Some(now);
        }
        Command::Evaluate { evaluation } => {
            let evaluation = require_text("evaluation", &evaluation)?;
            if from != Resolved {
                return Err(not_allowed());
            }
            next.status = Evaluated;
            next.evaluation = Some(evaluation);
            t.evaluated_at = Some(now);
        }
        Command::Close => {
            match from {
                Evaluated => {}
                Resolved => {
                    if incident.kind().is_some_and(Kind::is_security_related) {
                        return Err(LifecycleError::EvaluationRequired);
                    }
                }
                _ => return Err(not_allowed()),
            }
            next.status = Closed;
            t.closed_at = Some(now);
        }
        Command::Reopen { reason } => {
            require_text("reason", &reason)?;
            if !matches!(from, Resolved | Evaluated | Closed) {
                return Err(not_allowed());
            }
            next.status = if next.assignee_id.is_some() {
                InProgress
            } else {
                Registered
            };
            // A reopened incident must be resolved (and closed) again.
            t.resolved_at = None;
            t.evaluated_at = None;
            t.closed_at = None;
        }
        Command::Note { text } => {
            require_text("text", &text)?;
            if matches!(from, NotAnIncident) {
                return Err(not_allowed());
            }
            t.first_response_at.get_or_insert(now);
        }
    }
    next.version += 1;
    let to = next.status;
    Ok((
        next,
        Change {
            action: name,
            from,
            to,
        },
    ))
}

/// Fixtures shared by the core's tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::ids::*;
    use crate::incident::*;
    use jiff::Timestamp;

    /// A fresh, untriaged report.
    pub(crate) fn reported() -> Incident {
        let now = Timestamp::from_second(1_767_225_600).unwrap();
        Incident {
            id: IncidentId::new_v7(now),
            board_id: BoardId::new_v7(now),
            school_id: None,
            number: IncidentNumber { year: 2026, seq: 1 },
            summary: "Wifi valt uit".into(),
            description: "In lokaal 12".into(),
            personal_data: PersonalDataAnswer::No,
            ongoing: Some(true),
            reporter: Reporter::default(),
            status: Status::Reported,
            classification: None,
            assignee_id: None,
            resolution: None,
            cause: None,
            evaluation: None,
            no_incident_reason: None,
            timeline: Timeline {
                reported_at: Some(now),
                ..Timeline::default()
            },
            exercise: false,
            version: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use crate::incident::*;
    use proptest::prelude::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    fn reported() -> Incident {
        super::tests_support::reported()
    }

    fn class(kind: Kind) -> Classification {
        Classification {
            kind,
            aspects: Aspects {
                availability: true,
                ..Aspects::default()
            },
            category: Category::Outage,
            impact: Impact::School,
            urgency: Urgency::EducationHindered,
            priority: Priority::P2,
            priority_override_reason: None,
        }
    }

    fn triage(kind: Kind) -> Command {
        Command::Triage {
            classification: class(kind),
            no_incident_reason: None,
        }
    }

    fn resolve() -> Command {
        Command::Resolve {
            resolution: "Access point vervangen".into(),
            cause: "Defect".into(),
        }
    }

    #[test]
    fn happy_path_disruption() {
        let h = UserId::new_v7(ts(0));
        let i = reported();
        let (i, c) = apply(&i, triage(Kind::Disruption), ts(60)).unwrap();
        assert_eq!((c.from, c.to), (Status::Reported, Status::Registered));
        assert_eq!(i.timeline.registered_at, Some(ts(60)));
        let (i, _) = apply(&i, Command::Assign { assignee: h }, ts(120)).unwrap();
        assert_eq!(i.status, Status::InProgress);
        assert_eq!(i.timeline.first_response_at, Some(ts(60)));
        let (i, _) = apply(
            &i,
            Command::Wait {
                reason: "leverancier".into(),
            },
            ts(180),
        )
        .unwrap();
        assert_eq!(i.status, Status::Waiting);
        let (i, _) = apply(&i, Command::Resume, ts(240)).unwrap();
        let (i, _) = apply(&i, resolve(), ts(300)).unwrap();
        assert_eq!(i.status, Status::Resolved);
        assert_eq!(i.timeline.resolved_at, Some(ts(300)));
        let (i, _) = apply(&i, Command::Close, ts(360)).unwrap();
        assert_eq!(i.status, Status::Closed);
        assert_eq!(i.timeline.closed_at, Some(ts(360)));
        assert_eq!(i.version, 7);
    }

    #[test]
    fn breach_needs_evaluation_before_close() {
        let h = UserId::new_v7(ts(0));
        let i = reported();
        let (i, _) = apply(&i, triage(Kind::Breach), ts(1)).unwrap();
        let (i, _) = apply(&i, Command::Assign { assignee: h }, ts(2)).unwrap();
        let (i, _) = apply(&i, resolve(), ts(3)).unwrap();
        assert_eq!(
            apply(&i, Command::Close, ts(4)).unwrap_err(),
            LifecycleError::EvaluationRequired
        );
        let (i, _) = apply(
            &i,
            Command::Evaluate {
                evaluation: "Goed gegaan".into(),
            },
            ts(5),
        )
        .unwrap();
        let (i, _) = apply(&i, Command::Close, ts(6)).unwrap();
        assert_eq!(i.status, Status::Closed);
    }

    #[test]
    fn assignment_needs_triage() {
        let i = reported();
        assert_eq!(
            apply(
                &i,
                Command::Assign {
                    assignee: UserId::new_v7(ts(0))
                },
                ts(1)
            )
            .unwrap_err(),
            LifecycleError::NotTriaged
        );
    }

    #[test]
    fn no_incident_needs_reason_and_is_terminal() {
        let i = reported();
        assert_eq!(
            apply(&i, triage(Kind::NoIncident), ts(1)).unwrap_err(),
            LifecycleError::MissingText {
                field: "no_incident_reason"
            }
        );
        let (i, _) = apply(
            &i,
            Command::Triage {
                classification: class(Kind::NoIncident),
                no_incident_reason: Some("Vraag, geen storing".into()),
            },
            ts(1),
        )
        .unwrap();
        assert_eq!(i.status, Status::NotAnIncident);
        assert!(matches!(
            apply(&i, triage(Kind::Disruption), ts(2)),
            Err(LifecycleError::NotAllowed { .. })
        ));
    }

    #[test]
    fn reopen_clears_closure() {
        let h = UserId::new_v7(ts(0));
        let i = reported();
        let (i, _) = apply(&i, triage(Kind::Disruption), ts(1)).unwrap();
        let (i, _) = apply(&i, Command::Assign { assignee: h }, ts(2)).unwrap();
        let (i, _) = apply(&i, resolve(), ts(3)).unwrap();
        let (i, _) = apply(&i, Command::Close, ts(4)).unwrap();
        let (i, _) = apply(
            &i,
            Command::Reopen {
                reason: "Weer kapot".into(),
            },
            ts(5),
        )
        .unwrap();
        assert_eq!(i.status, Status::InProgress);
        assert_eq!(i.timeline.closed_at, None);
        assert_eq!(i.timeline.resolved_at, None);
    }

    fn any_command() -> impl Strategy<Value = Command> {
        let users = [UserId::new_v7(ts(0)), UserId::new_v7(ts(1))];
        prop_oneof![
            proptest::sample::select(Kind::ALL).prop_map(|k| Command::Triage {
                classification: class(k),
                no_incident_reason: Some("reden".into())
            }),
            proptest::sample::select(users.to_vec()).prop_map(|u| Command::Assign { assignee: u }),
            Just(Command::Wait {
                reason: "leverancier".into()
            }),
            Just(Command::Resume),
            Just(Command::Contain),
            Just(resolve()),
            Just(Command::Evaluate {
                evaluation: "ok".into()
            }),
            Just(Command::Close),
            Just(Command::Reopen {
                reason: "weer".into()
            }),
            Just(Command::Note { text: "n".into() }),
        ]
    }

    proptest! {
        /// Whatever sequence of commands is tried, the invariants of domain.md §2 hold after each step.
        #[test]
        fn lifecycle_invariants(cmds in proptest::collection::vec(any_command(), 0..40)) {
            let mut i = reported();
            let mut now = 0;
            for cmd in cmds {
                now += 60;
                let before = i.clone();
                match apply(&i, cmd, ts(now)) {
                    Ok((next, change)) => {
                        prop_assert_eq!(change.from, before.status);
                        prop_assert_eq!(change.to, next.status);
                        prop_assert_eq!(next.version, before.version + 1);
                        i = next;
                    }
                    Err(_) => prop_assert_eq!(&i, &before),
                }
                // Closed security incidents always have an evaluation.
                if i.status == Status::Closed && i.kind().is_some_and(Kind::is_security_related) {
                    prop_assert!(i.evaluation.is_some());
                }
                // Beyond `gemeld`, there is always a classification and a registration time.
                if i.status != Status::Reported {
                    prop_assert!(i.classification.is_some());
                    prop_assert!(i.timeline.registered_at.is_some());
                }
                // Working states have an assignee, except a freshly reopened unassigned one.
                if matches!(i.status, Status::InProgress | Status::Waiting | Status::Resolved) {
                    prop_assert!(i.assignee_id.is_some());
                }
                if i.status == Status::Resolved { prop_assert!(i.resolution.is_some() && i.timeline.resolved_at.is_some()); }
                if i.status == Status::Closed { prop_assert!(i.timeline.closed_at.is_some()); }
                // `geen incident` is terminal.
                if before.status == Status::NotAnIncident { prop_assert_eq!(i.status, Status::NotAnIncident); }
                // First response never moves once set.
                if let Some(fr) = before.timeline.first_response_at { prop_assert_eq!(i.timeline.first_response_at, Some(fr)); }
            }
        }
    }
}
