//! Personal-data breach use cases (AVG art. 33/34): the breach record, awareness and the 72-hour
//! deadline, the risk assessment, the decisions, the AP notification pack, letters, other
//! notifications, the breach register and its exports, and the deadline warnings.
//!
//! Access is decided here, per request, with [`meldpunt_core::breach::record::access`]: the FG
//! reads and advises, the IBP officer and incident manager edit, board members read, the service
//! desk sees only that a breach exists (or reads it when the board allows), handlers and
//! suppliers see nothing.

pub mod export;
pub mod letters;
pub mod pack;
pub mod pdf;
mod warnings;

pub use warnings::{BREACH_WARNING, BREACH_WARNING_SCAN};

use crate::audit::{record, Actor};
use crate::{App, AppError, AppResult};
use jiff::Timestamp;
use meldpunt_core::auth::{BoardAction, IncidentAction, Principal, Role};
use meldpunt_core::breach::record::{
    access, ApNotification, AssessmentAnswers, BreachAccess, BreachFacts, BreachRecord, FgAdvice,
    FollowupKind, InformChannel, InformDecision, InformGround, LetterAudience, NotifyDecision,
    OtherRecipient, SHORT_MAX, TEXT_MAX,
};
use meldpunt_core::breach::{
    check_notification_time, next_warning_at, RiskAssessment, WarningKind,
};
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId};
use meldpunt_core::incident::{Incident, Kind};
use meldpunt_core::validation::{Collector, FieldError, ValidationErrors};
use meldpunt_store::accounts::{Board, School};
use meldpunt_store::breach::{BreachFilter, BreachNote, BreachSettings, Letter, WarningRow};
use meldpunt_store::Tx;
use serde_json::json;

/// What the breach page and the API show. Fields beyond the summary are present only when the
/// viewer may read the record.
#[derive(Debug, Clone)]
pub struct BreachView {
    /// The incident.
    pub incident: Incident,
    /// The viewer's access.
    pub access: BreachAccess,
    /// Awareness, deadline and whether the decision is open (always shown, from `Existence` up).
    pub summary: BreachSummary,
    /// The full record (`Read` and up).
    pub record: Option<BreachRecord>,
    /// The assessment of the record (`Read` and up).
    pub assessment: Option<RiskAssessment>,
    /// AP follow-ups.
    pub followups: Vec<BreachNote>,
    /// Other notifications.
    pub others: Vec<BreachNote>,
    /// Letters (saved drafts and sent ones).
    pub letters: Vec<Letter>,
    /// Deadline warnings.
    pub warnings: Vec<WarningRow>,
    /// The incident's school.
    pub school: Option<School>,
    /// The board.
    pub board: Board,
    /// The board's breach settings.
    pub settings: BreachSettings,
}

/// The part of a breach everyone with `Existence` sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachSummary {
    /// Awareness.
    pub awareness_at: Timestamp,
    /// Awareness + 72 h.
    pub deadline: Timestamp,
    /// No art. 33 decision yet.
    pub decision_open: bool,
    /// Notified to the AP.
    pub notified_at: Option<Timestamp>,
}

/// The art. 34 decision as entered.
#[derive(Debug, Clone, Default)]
pub struct InformInput {
    /// Inform the data subjects?
    pub inform: bool,
    /// Ground when not.
    pub ground: Option<InformGround>,
    /// Explanation.
    pub reasoning: Option<String>,
    /// Public communication (ground c).
    pub public_communication: Option<String>,
    /// When informed.
    pub informed_at: Option<Timestamp>,
    /// How.
    pub channel: Option<InformChannel>,
    /// How many.
    pub count: Option<u64>,
    /// The text used.
    pub text: Option<String>,
}

/// One row of the breach register.
#[derive(Debug, Clone)]
pub struct RegisterEntry {
    /// The record.
    pub record: BreachRecord,
    /// The incident.
    pub incident: Incident,
    /// The school's name.
    pub school: Option<String>,
    /// The assessment.
    pub assessment: RiskAssessment,
    /// Whether data subjects were informed (yes / no / open).
    pub informed: Option<bool>,
}

/// The register's filters.
#[derive(Debug, Clone, Default)]
pub struct BreachRegisterQuery {
    /// One school.
    pub school: Option<SchoolId>,
    /// Awareness at or after.
    pub from: Option<Timestamp>,
    /// Awareness before.
    pub until: Option<Timestamp>,
}

pub(crate) fn one_error(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

fn not_in_future(c: &mut Collector, field: &'static str, t: Option<Timestamp>, now: Timestamp) {
    if t.is_some_and(|t| t > now + jiff::SignedDuration::from_mins(5)) {
        c.add(field, "error-in-future");
    }
}

/// Where the next warning is due for a record, given the warnings claimed so far.
fn next_warning(b: &BreachRecord, claimed: &[WarningRow]) -> Option<Timestamp> {
    let kinds: Vec<WarningKind> = claimed.iter().map(|w| w.kind).collect();
    next_warning_at(b.awareness_at, !b.decision_open(), &kinds)
}

/// Creates the breach record of an incident inside a transaction, and claims and enqueues the
/// "registered" warning. Returns false when the incident already has one.
pub(crate) async fn create_in_tx(
    tx: &mut Tx,
    incident: &Incident,
    awareness_at: Timestamp,
    now: Timestamp,
) -> AppResult<bool> {
    if tx.breach_for_update(incident.id).await?.is_some() {
        return Ok(false);
    }
    let b = BreachRecord::new(incident, awareness_at);
    let kinds = [WarningKind::Registered];
    tx.insert_breach(&b, next_warning_at(b.awareness_at, false, &kinds), now)
        .await?;
    warnings::enqueue_in_tx(tx, &b, WarningKind::Registered, now).await?;
    Ok(true)
}

/// The incident lifecycle's hook: a triage to kind *datalek* opens the breach record
/// (first signal = report, awareness = triage time). Returns true when it opened one.
pub(crate) async fn on_incident_change(
    tx: &mut Tx,
    before: &Incident,
    after: &Incident,
    now: Timestamp,
) -> AppResult<bool> {
    if after.kind() == Some(Kind::Breach) && before.kind() != Some(Kind::Breach) {
        return create_in_tx(tx, after, now, now).await;
    }
    Ok(false)
}

impl App {
    /// The breach settings of a board.
    pub async fn breach_settings(&self, board: BoardId) -> AppResult<BreachSettings> {
        Ok(self.store.breach_settings(board).await?)
    }

    /// The viewer's access to the breach record of an incident.
    pub async fn breach_access(&self, p: &Principal, i: &Incident) -> AppResult<BreachAccess> {
        let s = self.store.breach_settings(i.board_id).await?;
        Ok(access(p, i, s.service_desk_sees_assessment))
    }

    /// Loads the incident and checks the access; Forbidden inside one's boards, NotFound outside.
    async fn breach_guard(
        &self,
        p: &Principal,
        id: IncidentId,
        need: BreachAccess,
    ) -> AppResult<(Incident, BreachAccess)> {
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        let a = self.breach_access(p, &i).await?;
        if a >= need && a > BreachAccess::None {
            Ok((i, a))
        } else if p.boards().contains(&i.board_id) {
            Err(AppError::Forbidden)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The breach of an incident as the viewer may see it. NotFound when the incident has no
    /// breach record (and the viewer may know the incident).
    pub async fn breach_view(&self, p: &Principal, id: IncidentId) -> AppResult<BreachView> {
        let (incident, access) = self.breach_guard(p, id, BreachAccess::Existence).await?;
        let b = self.store.breach(id).await?.ok_or(AppError::NotFound)?;
        let summary = BreachSummary {
            awareness_at: b.awareness_at,
            deadline: b.deadline(),
            decision_open: b.decision_open(),
            notified_at: b.ap.as_ref().map(|a| a.notified_at),
        };
        let board = self
            .store
            .board(incident.board_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let settings = self.store.breach_settings(incident.board_id).await?;
        let school = match incident.school_id {
            Some(s) => self.store.school(s).await?,
            None => None,
        };
        let read = access >= BreachAccess::Read;
        let (followups, others, letters) = if read {
            (
                self.store.breach_followups(id).await?,
                self.store.breach_other_notifications(id).await?,
                self.store.breach_letters(id).await?,
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let warnings = self.store.breach_warnings(id).await?;
        let assessment = read.then(|| b.assessment());
        Ok(BreachView {
            incident,
            access,
            summary,
            record: read.then_some(b),
            assessment,
            followups,
            others,
            letters,
            warnings,
            school,
            board,
            settings,
        })
    }

    /// Opens a breach record for an incident that turned out to involve personal data (the
    /// IBP officer or incident manager). Awareness defaults to now.
    pub async fn open_breach(
        &self,
        p: &Principal,
        id: IncidentId,
        awareness_at: Option<Timestamp>,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        let (incident, _) = self.breach_guard(p, id, BreachAccess::Edit).await?;
        if !p.may(IncidentAction::View, &incident) {
            return Err(AppError::Forbidden);
        }
        let mut c = Collector::default();
        not_in_future(&mut c, "awareness_at", awareness_at, now);
        c.finish()?;
        let awareness = awareness_at.unwrap_or(now);
        let mut tx = self.store.begin().await?;
        let incident = tx
            .incident_for_update(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !create_in_tx(&mut tx, &incident, awareness, now).await? {
            return Err(AppError::Conflict(
                "the breach record already exists".into(),
            ));
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "breach.open",
            Some(incident.board_id.to_string()),
            Some(format!("incident:{id}")),
            json!({ "awareness_at": awareness.to_string() }),
        ))
        .await?;
        tx.commit().await?;
        self.store.breach(id).await?.ok_or(AppError::NotFound)
    }

    /// The shared write path: lock the record, check access and version, change it, write it
    /// with one audit entry, commit.
    async fn breach_change(
        &self,
        p: &Principal,
        id: IncidentId,
        need: BreachAccess,
        expected_version: Option<i64>,
        action: &str,
        change: impl FnOnce(&mut BreachRecord, Timestamp) -> AppResult<serde_json::Value>,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        self.breach_guard(p, id, need).await?;
        let mut tx = self.store.begin().await?;
        let current = tx.breach_for_update(id).await?.ok_or(AppError::NotFound)?;
        if let Some(v) = expected_version {
            if v != current.version {
                return Err(AppError::Conflict(
                    "the breach record was changed by someone else; reload".into(),
                ));
            }
        }
        let mut next = current.clone();
        let details = change(&mut next, now)?;
        next.version = current.version + 1;
        let claimed = tx.breach_warnings_tx(id).await?;
        tx.update_breach(&next, current.version, next_warning(&next, &claimed), now)
            .await?;
        let a = next.assessment();
        let mut details = details;
        if let Some(o) = details.as_object_mut() {
            o.insert("version".into(), json!(next.version));
            o.insert("suggestion".into(), json!(a.suggestion.code()));
            o.insert("severity".into(), json!(a.severity.score.to_string()));
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            action,
            Some(next.board_id.to_string()),
            Some(format!("incident:{id}")),
            details,
        ))
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Replaces the facts of the breach.
    pub async fn update_breach_facts(
        &self,
        p: &Principal,
        id: IncidentId,
        facts: BreachFacts,
        expected_version: Option<i64>,
    ) -> AppResult<BreachRecord> {
        facts.validate()?;
        let now = self.now();
        let mut c = Collector::default();
        for (f, t) in [
            ("started_at", facts.started_at),
            ("ended_at", facts.ended_at),
            ("discovered_at", facts.discovered_at),
            ("processor_informed_at", facts.processor_informed_at),
        ] {
            not_in_future(&mut c, f, t, now);
        }
        c.finish()?;
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            expected_version,
            "breach.facts",
            |b, _| {
                b.facts = facts;
                Ok(serde_json::to_value(&b.facts).unwrap_or_default())
            },
        )
        .await
    }

    /// Changes the awareness moment; needs a reason, which the audit trail keeps.
    pub async fn set_breach_awareness(
        &self,
        p: &Principal,
        id: IncidentId,
        awareness_at: Timestamp,
        reason: &str,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        let mut c = Collector::default();
        let reason = c.required_text("reason", reason, TEXT_MAX);
        not_in_future(&mut c, "awareness_at", Some(awareness_at), now);
        c.finish()?;
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            None,
            "breach.awareness",
            |b, _| {
                let from = b.awareness_at;
                b.awareness_at = awareness_at;
                Ok(json!({
                    "from": from.to_string(),
                    "to": awareness_at.to_string(),
                    "deadline": b.deadline().to_string(),
                    "reason": reason,
                }))
            },
        )
        .await
    }

    /// Records the answers to the risk questions.
    pub async fn update_breach_assessment(
        &self,
        p: &Principal,
        id: IncidentId,
        answers: AssessmentAnswers,
        expected_version: Option<i64>,
    ) -> AppResult<BreachRecord> {
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            expected_version,
            "breach.assessment",
            |b, _| {
                b.answers = answers;
                Ok(serde_json::to_value(&b.answers).unwrap_or_default())
            },
        )
        .await
    }

    /// Records the decision whether to notify the AP; reasoning is mandatory when not.
    pub async fn decide_breach_notification(
        &self,
        p: &Principal,
        id: IncidentId,
        notify: bool,
        reasoning: Option<&str>,
        expected_version: Option<i64>,
    ) -> AppResult<BreachRecord> {
        let mut c = Collector::default();
        let reasoning = c.optional_text("reasoning", reasoning, TEXT_MAX);
        if !notify && reasoning.is_none() {
            c.add("reasoning", "error-breach-reasoning-required");
        }
        c.finish()?;
        let name = p.name.clone();
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            expected_version,
            "breach.decision",
            |b, now| {
                if !notify && b.ap.is_some() {
                    return Err(one_error("notify", "error-breach-already-notified"));
                }
                let a = b.assessment();
                b.notify = Some(NotifyDecision {
                    notify,
                    reasoning: reasoning.clone(),
                    decided_by: name,
                    decided_at: now,
                });
                Ok(json!({
                    "notify": notify,
                    "reasoning": reasoning,
                    "suggestion_at_decision": a.suggestion.code(),
                    "late": now > b.deadline(),
                }))
            },
        )
        .await
    }

    /// Records the FG's advice (the FG, or an editor on the FG's behalf).
    pub async fn record_fg_advice(
        &self,
        p: &Principal,
        id: IncidentId,
        text: &str,
        given_at: Option<Timestamp>,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        let mut c = Collector::default();
        let text = c.required_text("advice", text, TEXT_MAX);
        not_in_future(&mut c, "advice_at", given_at, now);
        c.finish()?;
        let name = p.name.clone();
        self.breach_change(
            p,
            id,
            BreachAccess::Advise,
            None,
            "breach.fg_advice",
            |b, now| {
                let at = given_at.unwrap_or(now);
                b.fg_advice = Some(FgAdvice {
                    text: text.clone(),
                    given_at: at,
                    recorded_by: name,
                });
                Ok(json!({ "advice": text, "given_at": at.to_string() }))
            },
        )
        .await
    }

    /// Records the notification to the AP. Needs a decision to notify; after the deadline, a
    /// reason for the delay.
    pub async fn record_ap_notification(
        &self,
        p: &Principal,
        id: IncidentId,
        notified_at: Timestamp,
        reference: Option<&str>,
        is_final: bool,
        delay_reason: Option<&str>,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        let mut c = Collector::default();
        let reference = c.optional_text("reference", reference, SHORT_MAX);
        not_in_future(&mut c, "notified_at", Some(notified_at), now);
        c.finish()?;
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            None,
            "breach.ap_notification",
            |b, _| {
                if b.notify.as_ref().map(|d| d.notify) != Some(true) {
                    return Err(one_error("notified_at", "error-breach-decide-first"));
                }
                let delay = check_notification_time(b.awareness_at, notified_at, delay_reason)?;
                b.ap = Some(ApNotification {
                    notified_at,
                    reference: reference.clone(),
                    is_final,
                    delay_reason: delay.clone(),
                });
                Ok(json!({
                    "notified_at": notified_at.to_string(),
                    "reference": reference,
                    "final": is_final,
                    "delay_reason": delay,
                    "late": notified_at > b.deadline(),
                }))
            },
        )
        .await
    }

    /// Records a follow-up to the AP notification (supplement, amend, withdraw).
    pub async fn add_ap_followup(
        &self,
        p: &Principal,
        id: IncidentId,
        kind: FollowupKind,
        at: Timestamp,
        reference: Option<&str>,
        note: Option<&str>,
    ) -> AppResult<BreachNote> {
        self.add_breach_note(p, id, true, kind.code(), at, reference, note)
            .await
    }

    /// Records a notification to another party (Inspectie, police, insurer, School-CERT).
    pub async fn add_breach_other_notification(
        &self,
        p: &Principal,
        id: IncidentId,
        recipient: OtherRecipient,
        at: Timestamp,
        reference: Option<&str>,
        note: Option<&str>,
    ) -> AppResult<BreachNote> {
        self.add_breach_note(p, id, false, recipient.code(), at, reference, note)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_breach_note(
        &self,
        p: &Principal,
        id: IncidentId,
        followup: bool,
        what: &str,
        at: Timestamp,
        reference: Option<&str>,
        note: Option<&str>,
    ) -> AppResult<BreachNote> {
        let now = self.now();
        let mut c = Collector::default();
        let reference = c.optional_text("reference", reference, SHORT_MAX);
        let note = c.optional_text("note", note, TEXT_MAX);
        not_in_future(&mut c, "at", Some(at), now);
        c.finish()?;
        self.breach_guard(p, id, BreachAccess::Edit).await?;
        let mut tx = self.store.begin().await?;
        let b = tx.breach_for_update(id).await?.ok_or(AppError::NotFound)?;
        if followup && b.ap.is_none() {
            return Err(one_error("kind", "error-breach-not-notified"));
        }
        let n = BreachNote {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            what: what.to_string(),
            at,
            reference,
            note,
            recorded_by: p.name.clone(),
        };
        if followup {
            tx.insert_breach_followup(&n, now).await?;
        } else {
            tx.insert_breach_other_notification(&n, now).await?;
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            if followup {
                "breach.ap_followup"
            } else {
                "breach.other_notification"
            },
            Some(b.board_id.to_string()),
            Some(format!("incident:{id}")),
            json!({ "what": what, "at": at.to_string(), "reference": n.reference, "note": n.note }),
        ))
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Records the decision whether to inform the data subjects (art. 34).
    pub async fn decide_breach_inform(
        &self,
        p: &Principal,
        id: IncidentId,
        input: InformInput,
        expected_version: Option<i64>,
    ) -> AppResult<BreachRecord> {
        let now = self.now();
        let mut c = Collector::default();
        let reasoning = c.optional_text("inform_reasoning", input.reasoning.as_deref(), TEXT_MAX);
        let public = c.optional_text(
            "public_communication",
            input.public_communication.as_deref(),
            TEXT_MAX,
        );
        let text = c.optional_text("inform_text", input.text.as_deref(), TEXT_MAX);
        not_in_future(&mut c, "informed_at", input.informed_at, now);
        if !input.inform {
            match input.ground {
                None => c.add("ground", "error-breach-ground-required"),
                Some(InformGround::DisproportionateEffort) if public.is_none() => c.add(
                    "public_communication",
                    "error-breach-public-communication-required",
                ),
                _ => {}
            }
        }
        c.finish()?;
        let name = p.name.clone();
        self.breach_change(
            p,
            id,
            BreachAccess::Edit,
            expected_version,
            "breach.inform",
            |b, _| {
                let d = InformDecision {
                    inform: input.inform,
                    ground: if input.inform { None } else { input.ground },
                    reasoning,
                    public_communication: public,
                    informed_at: input.informed_at,
                    channel: input.channel,
                    count: input.count,
                    text,
                    decided_by: name,
                };
                let details = json!({
                    "inform": d.inform,
                    "ground": d.ground.map(|g| g.code()),
                    "reasoning": d.reasoning,
                    "public_communication": d.public_communication,
                    "informed_at": d.informed_at.map(|t| t.to_string()),
                    "channel": d.channel.map(|c| c.code()),
                    "count": d.count,
                });
                b.inform = Some(d);
                Ok(details)
            },
        )
        .await
    }

    /// Saves an edited letter; a sent letter is kept as sent and cannot change.
    pub async fn save_breach_letter(
        &self,
        p: &Principal,
        id: IncidentId,
        audience: LetterAudience,
        body: &str,
        mark_sent: bool,
    ) -> AppResult<Letter> {
        let now = self.now();
        let mut c = Collector::default();
        let body = c.required_text("body", body, TEXT_MAX);
        c.finish()?;
        self.breach_guard(p, id, BreachAccess::Edit).await?;
        let mut tx = self.store.begin().await?;
        let b = tx.breach_for_update(id).await?.ok_or(AppError::NotFound)?;
        if let Some(existing) = tx.breach_letter(id, audience).await? {
            if existing.sent_at.is_some() {
                return Err(one_error("body", "error-breach-letter-sent"));
            }
        }
        let l = Letter {
            audience,
            body: body.clone(),
            sent_at: mark_sent.then_some(now),
            updated_by: p.name.clone(),
            updated_at: now,
        };
        tx.upsert_breach_letter(id, &l).await?;
        tx.append_audit(record(
            now,
            &Actor::User(p),
            if mark_sent {
                "breach.letter_sent"
            } else {
                "breach.letter_draft"
            },
            Some(b.board_id.to_string()),
            Some(format!("incident:{id}")),
            json!({ "audience": audience.code(), "body": body }),
        ))
        .await?;
        tx.commit().await?;
        Ok(l)
    }

    /// The letter as saved, or a fresh draft generated from the record.
    pub fn breach_letter_text(&self, v: &BreachView, audience: LetterAudience) -> Option<Letter> {
        if let Some(l) = v.letters.iter().find(|l| l.audience == audience) {
            return Some(l.clone());
        }
        let r = v.record.as_ref()?;
        Some(Letter {
            audience,
            body: letters::draft(
                r,
                &v.incident,
                &v.board,
                v.school.as_ref(),
                &v.settings,
                audience,
            ),
            sent_at: None,
            updated_by: String::new(),
            updated_at: self.now(),
        })
    }

    /// Saves a board's breach settings (administrators of the board, or the command line).
    pub async fn update_breach_settings(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        settings: BreachSettings,
    ) -> AppResult<BreachSettings> {
        match actor {
            Actor::Cli | Actor::System => {}
            Actor::User(p) if p.may_in_board(BoardAction::ManageSchools, board) => {}
            _ => return Err(AppError::Forbidden),
        }
        let mut c = Collector::default();
        let s = BreachSettings {
            address: c.optional_text("address", settings.address.as_deref(), SHORT_MAX),
            contact_name: c.optional_text(
                "contact_name",
                settings.contact_name.as_deref(),
                SHORT_MAX,
            ),
            contact_function: c.optional_text(
                "contact_function",
                settings.contact_function.as_deref(),
                SHORT_MAX,
            ),
            contact_email: c.optional_text(
                "contact_email",
                settings.contact_email.as_deref(),
                SHORT_MAX,
            ),
            contact_phone: c.optional_text(
                "contact_phone",
                settings.contact_phone.as_deref(),
                SHORT_MAX,
            ),
            service_desk_sees_assessment: settings.service_desk_sees_assessment,
        };
        if let Some(e) = &s.contact_email {
            if !meldpunt_core::validation::is_plausible_email(e) {
                c.add("contact_email", "error-invalid-email");
            }
        }
        c.finish()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        tx.upsert_breach_settings(board, &s, now).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.breach_settings",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({
                "address": s.address,
                "contact_name": s.contact_name,
                "contact_function": s.contact_function,
                "contact_email": s.contact_email,
                "contact_phone": s.contact_phone,
                "service_desk_sees_assessment": s.service_desk_sees_assessment,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// May this person see a breach register at all (in some board)?
    pub fn may_see_breach_register(&self, p: &Principal) -> bool {
        p.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::IncidentManager
                    | Role::IbpOfficer
                    | Role::Dpo
                    | Role::BoardMember
                    | Role::ServiceDesk
            )
        })
    }

    /// The breach register (art. 33(5)): every breach the person may read, notified or not,
    /// exercises excluded, oldest awareness first.
    pub async fn breach_register(
        &self,
        p: &Principal,
        q: BreachRegisterQuery,
    ) -> AppResult<Vec<RegisterEntry>> {
        if !self.may_see_breach_register(p) {
            return Err(AppError::Forbidden);
        }
        let boards = p.boards();
        let school_scoped = p.grants.iter().all(|g| g.school_id.is_some());
        let f = BreachFilter {
            boards: boards.clone(),
            only_schools: school_scoped
                .then(|| p.grants.iter().filter_map(|g| g.school_id).collect()),
            school: q.school,
            from: q.from,
            until: q.until,
        };
        let mut names = std::collections::HashMap::new();
        for b in &boards {
            for s in self.store.schools(*b).await? {
                names.insert(s.id, s.name);
            }
        }
        let mut out = Vec::new();
        for r in self.store.breaches(&f).await? {
            let Some(incident) = self.store.incident(r.incident_id).await? else {
                continue;
            };
            if self.breach_access(p, &incident).await? < BreachAccess::Read {
                continue;
            }
            let assessment = r.assessment();
            out.push(RegisterEntry {
                school: r.school_id.and_then(|s| names.get(&s).cloned()),
                informed: r.inform.as_ref().map(|d| d.inform),
                record: r,
                incident,
                assessment,
            });
        }
        Ok(out)
    }

    /// True when the incident is a breach whose art. 33 decision is still open (it cannot be
    /// closed then, domain.md §2).
    pub async fn breach_blocks_close(&self, i: &Incident) -> AppResult<bool> {
        match self.store.breach(i.id).await? {
            Some(b) => Ok(b.decision_open()),
            None => Ok(i.kind() == Some(Kind::Breach)),
        }
    }
}
