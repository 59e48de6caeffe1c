//! Escalation (domain.md §3): automatic at the SLA thresholds (at risk → handler and incident
//! manager; breached → incident manager → IBP officer → board), and by hand — functional (to
//! another person or a supplier, with a reason) and hierarchical (up the line, with a reason).
//!
//! Every escalation is an `escalation` event on the incident naming who, to whom, why and when,
//! and it notifies the targets (e-mail, and the board's webhook channels).

use crate::audit::{record, Actor};
use crate::notify::{self, Message, Target};
use crate::sla::SlaSettings;
use crate::{App, AppError, AppResult};
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::auth::{IncidentAction, Principal, Role};
use meldpunt_core::ids::{BoardId, IncidentId, SchoolId, UserId};
use meldpunt_core::incident::Incident;
use meldpunt_core::lifecycle::{apply, Command};
use meldpunt_core::report::limits;
use meldpunt_core::sla::{SlaReading, SlaStatus};
use meldpunt_core::validation::{Collector, FieldError, ValidationErrors};
use meldpunt_store::incidents::Event;
use meldpunt_store::Tx;
use serde_json::json;

/// A threshold an incident's clock passed.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// `response` or `resolution`.
    pub clock: &'static str,
    /// 1 = at risk, 2.. = breach levels.
    pub level: i64,
    /// The percentage of the target.
    pub percent: u32,
    /// The clock's reading.
    pub reading: SlaReading,
}

/// The Dutch name of a role as used in escalation texts.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::ServiceDesk => "servicedesk",
        Role::Handler => "behandelaar",
        Role::IncidentManager => "incidentmanager",
        Role::IbpOfficer => "IBP-verantwoordelijke",
        Role::Dpo => "FG",
        Role::BoardMember => "bestuur",
        Role::Admin => "beheerder",
    }
}

fn clock_name(c: &str) -> &'static str {
    if c == "response" {
        "Reactietijd"
    } else {
        "Oplostijd"
    }
}

/// A duration as Dutch text: `45 min`, `2 u 15 min`, `3 dagen 4 u`.
pub fn human_duration(d: SignedDuration) -> String {
    let neg = d.is_negative();
    let mins = d.abs().as_secs() / 60;
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let s = if days >= 2 {
        format!("{days} dagen {hours} u")
    } else if mins >= 60 {
        let h = mins / 60;
        if m == 0 {
            format!("{h} u")
        } else {
            format!("{h} u {m} min")
        }
    } else {
        format!("{mins} min")
    };
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

/// Local (Amsterdam) time as `dd-mm-yyyy HH:MM`.
pub fn local(t: Timestamp) -> String {
    t.in_tz("Europe/Amsterdam")
        .map(|z| z.strftime("%d-%m-%Y %H:%M").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// Active people of a board holding `role` board-wide or for `school`, as (id, name, e-mail).
pub(crate) async fn people_with_role(
    app: &App,
    board: BoardId,
    school: Option<SchoolId>,
    role: Role,
) -> AppResult<Vec<(UserId, String, String)>> {
    Ok(app
        .store
        .users_in_board(board)
        .await?
        .into_iter()
        .filter(|(u, grants)| {
            u.active
                && grants.iter().any(|g| {
                    g.board_id == board
                        && g.role == role
                        && (g.school_id.is_none() || g.school_id == school)
                })
        })
        .map(|(u, _)| (u.id, u.name, u.email))
        .collect())
}

fn base_message(app: &App, i: &Incident, event: &str, title: String) -> Message {
    let mut facts = vec![
        ("Melding".to_string(), i.number.to_string()),
        ("Samenvatting".to_string(), i.summary.clone()),
    ];
    if let Some(p) = i.priority() {
        facts.push(("Prioriteit".into(), p.code().to_uppercase()));
    }
    Message {
        board_id: i.board_id,
        incident_id: Some(i.id),
        event: event.into(),
        title,
        lines: Vec::new(),
        facts,
        link: Some(format!(
            "{}/incidenten/{}",
            app.config.public_base_url, i.id
        )),
        ack_link: None,
        exercise: i.exercise,
    }
}

/// Enqueues a message to people (e-mail) and channels; `key` is the escalation's unique key.
pub(crate) async fn send_to(
    tx: &mut Tx,
    people: &[(UserId, String, String)],
    channels: &[uuid::Uuid],
    m: &Message,
    key: &str,
    now: Timestamp,
) -> AppResult<()> {
    for (id, _, email) in people {
        notify::enqueue(
            tx,
            Target::Email { to: email.clone() },
            m,
            &format!("{key}:user:{id}"),
            now,
        )
        .await?;
    }
    for c in channels {
        notify::enqueue(
            tx,
            Target::Webhook { channel: *c },
            m,
            &format!("{key}:webhook:{c}"),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Tells the board's crisis channel that an incident became P1 (once per incident).
pub(crate) async fn enqueue_crisis_p1(tx: &mut Tx, i: &Incident, now: Timestamp) -> AppResult<()> {
    let channels: Vec<uuid::Uuid> = tx
        .webhooks_in_tx(i.board_id)
        .await?
        .into_iter()
        .filter(|c| c.crisis)
        .map(|c| c.id)
        .collect();
    if channels.is_empty() {
        return Ok(());
    }
    let m = Message {
        board_id: i.board_id,
        incident_id: Some(i.id),
        event: "incident.p1".into(),
        title: format!("P1-incident {}: {}", i.number, i.summary),
        lines: vec![format!(
            "Melding {} is geclassificeerd als P1 (kritiek). De reactietermijn is 15 minuten, dag en nacht.",
            i.number
        )],
        facts: vec![
            ("Melding".into(), i.number.to_string()),
            ("Prioriteit".into(), "P1".into()),
            ("Tijdstip".into(), local(now)),
        ],
        link: None,
        ack_link: None,
        exercise: i.exercise,
    };
    send_to(tx, &[], &channels, &m, &format!("crisis-p1:{}", i.id), now).await
}

fn one_error(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

impl App {
    /// Writes the escalation events and notifications for thresholds an incident passed, with
    /// one audit entry, inside the scan's transaction.
    pub(crate) async fn record_sla_escalations(
        &self,
        tx: &mut Tx,
        i: &Incident,
        status: &SlaStatus,
        settings: &SlaSettings,
        thresholds: &[Threshold],
        now: Timestamp,
    ) -> AppResult<()> {
        let channels = tx.webhooks_in_tx(i.board_id).await?;
        let escalation_channels: Vec<uuid::Uuid> = channels
            .iter()
            .filter(|c| c.on_escalation)
            .map(|c| c.id)
            .collect();
        let crisis: Vec<uuid::Uuid> = channels.iter().filter(|c| c.crisis).map(|c| c.id).collect();
        let last_level = 1 + i64::try_from(settings.escalation.breach_levels.len()).unwrap_or(0);
        let assignee = match i.assignee_id {
            Some(u) => self
                .store
                .user(u)
                .await?
                .filter(|u| u.active)
                .map(|u| (u.id, u.name, u.email)),
            None => None,
        };
        let mut audit = Vec::new();
        for t in thresholds {
            let clock = clock_name(t.clock);
            let target = t.reading.target.map(human_duration).unwrap_or_default();
            let (kind, roles, title, reason) = if t.level == 1 {
                let mut roles = Vec::new();
                let r = settings.escalation.at_risk;
                if r.handler {
                    roles.push(Role::Handler);
                }
                if r.incident_manager {
                    roles.push(Role::IncidentManager);
                }
                if r.service_desk {
                    roles.push(Role::ServiceDesk);
                }
                (
                    "at_risk",
                    roles,
                    format!("SLA dreigt te verlopen: {} {}", i.number, i.summary),
                    format!(
                        "{clock} dreigt te verlopen: {} % van {target} gebruikt.",
                        t.percent
                    ),
                )
            } else {
                let idx = usize::try_from(t.level - 2).unwrap_or(0);
                let role = settings
                    .escalation
                    .breach_levels
                    .get(idx)
                    .map(|l| l.role)
                    .unwrap_or(Role::IncidentManager);
                (
                    "hierarchical",
                    vec![role],
                    format!(
                        "Escalatie: {} verlopen bij {} {}",
                        clock.to_lowercase(),
                        i.number,
                        i.summary
                    ),
                    if t.percent == 100 {
                        format!(
                            "{clock} verlopen ({target}): hiërarchisch geëscaleerd naar {}.",
                            role_name(role)
                        )
                    } else {
                        format!(
                            "{clock} {} % van {target}: hiërarchisch geëscaleerd naar {}.",
                            t.percent,
                            role_name(role)
                        )
                    },
                )
            };
            let mut people: Vec<(UserId, String, String)> = Vec::new();
            let mut to_labels = Vec::new();
            for role in &roles {
                let found = if *role == Role::Handler {
                    assignee.clone().into_iter().collect()
                } else {
                    people_with_role(self, i.board_id, i.school_id, *role).await?
                };
                if found.is_empty() {
                    to_labels.push(format!("{} (niemand)", role_name(*role)));
                }
                for p in found {
                    to_labels.push(format!("{} ({})", p.1, role_name(*role)));
                    if !people.iter().any(|q| q.0 == p.0) {
                        people.push(p);
                    }
                }
            }
            let mut chans = escalation_channels.clone();
            if t.level >= 2 && t.level == last_level {
                for c in &crisis {
                    if !chans.contains(c) {
                        chans.push(*c);
                    }
                }
            }
            let body = format!("{reason} Gemeld aan: {}.", to_labels.join(", "));
            let key = format!(
                "escalate:{}:{}:{}:{}",
                i.id,
                status.priority.code(),
                t.clock,
                t.level
            );
            let details = json!({
                "escalation": kind,
                "clock": t.clock,
                "level": t.level,
                "percent": t.percent,
                "priority": status.priority.code(),
                "roles": roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                "to": to_labels,
                "due_at": t.reading.due_at.map(|d| d.to_string()),
                "key": key,
            });
            tx.insert_event(&Event {
                id: uuid::Uuid::now_v7(),
                incident_id: i.id,
                at: now,
                actor_id: None,
                actor_label: Actor::System.label(),
                event_type: "escalation".into(),
                public: false,
                body: Some(body.clone()),
                details: details.to_string(),
            })
            .await?;
            let mut m = base_message(
                self,
                i,
                if t.level == 1 {
                    "sla.at_risk"
                } else {
                    "sla.breached"
                },
                title,
            );
            m.lines.push(reason.clone());
            m.facts.push(("Klok".into(), clock.to_lowercase()));
            m.facts.push(("Termijn".into(), target.clone()));
            if let Some(d) = t.reading.due_at {
                m.facts.push(("Uiterlijk".into(), local(d)));
            }
            m.facts
                .push(("Geëscaleerd naar".into(), to_labels.join(", ")));
            send_to(tx, &people, &chans, &m, &key, now).await?;
            if people.is_empty() && chans.is_empty() {
                // Nobody to tell: visible as a warning to administrators.
                tx.insert_notification(&meldpunt_store::jobs::Notification {
                    id: uuid::Uuid::now_v7(),
                    board_id: i.board_id,
                    incident_id: Some(i.id),
                    channel: "email".into(),
                    recipient: "-".into(),
                    subject: format!("[meldpunt] {}", m.full_title()),
                    status: "not_sent".into(),
                    detail: Some("niemand met deze rol en geen kanaal ingesteld".into()),
                    job_id: None,
                    at: now,
                })
                .await?;
            }
            audit.push(details);
        }
        tx.append_audit(record(
            now,
            &Actor::System,
            "incident.sla_escalation",
            Some(i.board_id.to_string()),
            Some(format!("incident:{}", i.id)),
            json!({ "escalations": audit }),
        ))
        .await?;
        Ok(())
    }

    /// Functional escalation to another person: reassigns with a reason, records the
    /// escalation and notifies the new assignee, in one transaction.
    pub async fn escalate_to_person(
        &self,
        p: &Principal,
        id: IncidentId,
        to: UserId,
        reason: &str,
        expected_version: Option<i64>,
    ) -> AppResult<Incident> {
        let mut c = Collector::default();
        let reason = c.required_text("reason", reason, limits::NOTE);
        c.finish()?;
        let current = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        if !p.may(IncidentAction::View, &current) {
            return Err(if p.boards().contains(&current.board_id) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let people = self
            .assignable_people(current.board_id, current.school_id)
            .await?;
        let Some(person) = people.into_iter().find(|a| a.id == to) else {
            return Err(one_error("to", "error-unknown-assignee"));
        };
        let email = self.store.user(to).await?.map(|u| u.email);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let incident = tx
            .incident_for_update(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !p.may(IncidentAction::Assign, &incident) {
            return Err(AppError::Forbidden);
        }
        if expected_version.is_some_and(|v| v != incident.version) {
            return Err(AppError::Conflict(
                "the incident was changed by someone else; reload".into(),
            ));
        }
        let (next, change) = apply(&incident, Command::Assign { assignee: to }, now)?;
        tx.update_incident(&next, incident.version, now).await?;
        let details = json!({
            "escalation": "functional",
            "to_user": to.to_string(),
            "to": person.name,
            "reason": reason,
            "from": change.from.code(),
            "to_status": change.to.code(),
        });
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            at: now,
            actor_id: Some(p.user_id),
            actor_label: p.name.clone(),
            event_type: "escalation".into(),
            public: false,
            body: Some(format!(
                "Functioneel geëscaleerd naar {}: {reason}",
                person.name
            )),
            details: details.to_string(),
        })
        .await?;
        crate::sla::sync_incident_sla(&mut tx, Some(&incident), &next, now).await?;
        if let Some(email) = email {
            let mut m = base_message(
                self,
                &next,
                "escalation.functional",
                format!("Melding {} is naar jou geëscaleerd", next.number),
            );
            m.lines.push(format!(
                "{} heeft deze melding functioneel naar je geëscaleerd.",
                p.name
            ));
            m.lines.push(format!("Reden: {reason}"));
            send_to(
                &mut tx,
                &[(to, person.name.clone(), email)],
                &[],
                &m,
                &format!("functional:{id}:{}", next.version),
                now,
            )
            .await?;
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "incident.escalate_functional",
            Some(incident.board_id.to_string()),
            Some(format!("incident:{id}")),
            details,
        ))
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Functional escalation to a supplier: records who, to which supplier and why; with
    /// `notify` the supplier's contact address gets the reason by e-mail (no incident content).
    pub async fn escalate_to_supplier(
        &self,
        p: &Principal,
        id: IncidentId,
        supplier: uuid::Uuid,
        reason: &str,
        notify_supplier: bool,
    ) -> AppResult<()> {
        let mut c = Collector::default();
        let reason = c.required_text("reason", reason, limits::NOTE);
        c.finish()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let incident = tx
            .incident_for_update(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !p.may(IncidentAction::Assign, &incident) {
            return Err(
                if p.may(IncidentAction::View, &incident) || p.boards().contains(&incident.board_id)
                {
                    AppError::Forbidden
                } else {
                    AppError::NotFound
                },
            );
        }
        let Some(s) = tx
            .supplier(incident.board_id, supplier)
            .await?
            .filter(|s| s.active)
        else {
            return Err(one_error("supplier", "error-unknown-supplier"));
        };
        if !incident.status.is_open() {
            return Err(AppError::Lifecycle(
                meldpunt_core::lifecycle::LifecycleError::NotAllowed {
                    command: "escalate",
                    status: incident.status,
                },
            ));
        }
        let details = json!({
            "escalation": "functional",
            "supplier_id": s.id.to_string(),
            "to": s.name,
            "reason": reason,
            "notified": notify_supplier && s.email.is_some(),
        });
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            at: now,
            actor_id: Some(p.user_id),
            actor_label: p.name.clone(),
            event_type: "escalation".into(),
            public: false,
            body: Some(format!(
                "Functioneel geëscaleerd naar leverancier {}: {reason}",
                s.name
            )),
            details: details.to_string(),
        })
        .await?;
        if let (true, Some(email)) = (notify_supplier, s.email.clone()) {
            let m = Message {
                board_id: incident.board_id,
                incident_id: Some(id),
                event: "escalation.functional".into(),
                title: format!("Verzoek om ondersteuning bij melding {}", incident.number),
                lines: vec![
                    format!(
                        "{} vraagt uw ondersteuning bij melding {}.",
                        p.name, incident.number
                    ),
                    format!("Toelichting: {reason}"),
                ],
                facts: vec![("Melding".into(), incident.number.to_string())],
                link: None,
                ack_link: None,
                exercise: incident.exercise,
            };
            notify::enqueue(
                &mut tx,
                Target::Email { to: email },
                &m,
                &format!("supplier:{id}:{}:{}", s.id, now.as_microsecond()),
                now,
            )
            .await?;
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "incident.escalate_supplier",
            Some(incident.board_id.to_string()),
            Some(format!("incident:{id}")),
            details,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Hierarchical escalation by hand (a decision is needed, impact grows): notifies everyone
    /// with `role` (and the crisis channel for the board level), with a reason.
    pub async fn escalate_hierarchically(
        &self,
        p: &Principal,
        id: IncidentId,
        role: Role,
        reason: &str,
    ) -> AppResult<()> {
        let mut c = Collector::default();
        let reason = c.required_text("reason", reason, limits::NOTE);
        c.finish()?;
        if !matches!(
            role,
            Role::IncidentManager | Role::IbpOfficer | Role::BoardMember
        ) {
            return Err(one_error("role", "error-invalid-choice"));
        }
        let current = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        if !(p.may(IncidentAction::Work, &current) || p.may(IncidentAction::Assign, &current)) {
            return Err(
                if p.may(IncidentAction::View, &current) || p.boards().contains(&current.board_id) {
                    AppError::Forbidden
                } else {
                    AppError::NotFound
                },
            );
        }
        if !current.status.is_open() {
            return Err(AppError::Lifecycle(
                meldpunt_core::lifecycle::LifecycleError::NotAllowed {
                    command: "escalate",
                    status: current.status,
                },
            ));
        }
        let people = people_with_role(self, current.board_id, current.school_id, role).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let channels = tx.webhooks_in_tx(current.board_id).await?;
        let chans: Vec<uuid::Uuid> = channels
            .iter()
            .filter(|c| c.on_escalation || (role == Role::BoardMember && c.crisis))
            .map(|c| c.id)
            .collect();
        let names: Vec<String> = if people.is_empty() {
            vec![format!("{} (niemand)", role_name(role))]
        } else {
            people
                .iter()
                .map(|p| format!("{} ({})", p.1, role_name(role)))
                .collect()
        };
        let details = json!({
            "escalation": "hierarchical",
            "manual": true,
            "role": role.code(),
            "to": names,
            "reason": reason,
        });
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            at: now,
            actor_id: Some(p.user_id),
            actor_label: p.name.clone(),
            event_type: "escalation".into(),
            public: false,
            body: Some(format!(
                "Hiërarchisch geëscaleerd naar {}: {reason} Gemeld aan: {}.",
                role_name(role),
                names.join(", ")
            )),
            details: details.to_string(),
        })
        .await?;
        let mut m = base_message(
            self,
            &current,
            "escalation.hierarchical",
            format!(
                "Escalatie naar {}: {} {}",
                role_name(role),
                current.number,
                current.summary
            ),
        );
        m.lines.push(format!(
            "{} escaleert deze melding naar {}.",
            p.name,
            role_name(role)
        ));
        m.lines.push(format!("Reden: {reason}"));
        send_to(
            &mut tx,
            &people,
            &chans,
            &m,
            &format!("manual:{id}:{}:{}", role.code(), now.as_microsecond()),
            now,
        )
        .await?;
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "incident.escalate_hierarchical",
            Some(current.board_id.to_string()),
            Some(format!("incident:{id}")),
            details,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a supplier to a board (administrators, board-wide incident managers).
    pub async fn add_supplier(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> AppResult<uuid::Uuid> {
        if let Actor::User(p) = actor {
            if !crate::sla::may_configure(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let mut c = Collector::default();
        let name = c.required_text("name", name, 200);
        let email = c.optional_text("email", email, 254);
        let phone = c.optional_text("phone", phone, 40);
        if let Some(e) = &email {
            if !meldpunt_core::validation::is_plausible_email(e) {
                c.add("email", "error-invalid-email");
            }
        }
        c.finish()?;
        let now = self.now();
        let id = uuid::Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        tx.insert_supplier(
            board,
            &meldpunt_store::sla::Supplier {
                id,
                board: Some(board),
                name: name.clone(),
                email: email.clone(),
                phone,
                active: true,
            },
            now,
        )
        .await?;
        tx.append_audit(record(
            now,
            actor,
            "board.supplier.add",
            Some(board.to_string()),
            Some(format!("supplier:{id}")),
            json!({ "name": name, "email": email }),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a supplier from the escalation list.
    pub async fn remove_supplier(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        id: uuid::Uuid,
    ) -> AppResult<()> {
        if let Actor::User(p) = actor {
            if !crate::sla::may_configure(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.set_supplier_active(board, id, false).await? {
            return Err(AppError::NotFound);
        }
        tx.append_audit(record(
            now,
            actor,
            "board.supplier.remove",
            Some(board.to_string()),
            Some(format!("supplier:{id}")),
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a webhook channel (the host must be on the board's allow-list).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_webhook(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        name: &str,
        format: &str,
        url: &str,
        secret: Option<&str>,
        on_escalation: bool,
        on_oncall: bool,
        crisis: bool,
    ) -> AppResult<uuid::Uuid> {
        if let Actor::User(p) = actor {
            if !crate::sla::may_configure(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let mut c = Collector::default();
        let name = c.required_text("name", name, 100);
        let url = c.required_text("url", url, 2000);
        let secret = c.optional_text("secret", secret, 200);
        if !crate::webhook::FORMATS.contains(&format) {
            c.add("format", "error-invalid-choice");
        }
        // The receiver verifies the signature, so it must know the secret: ask for it.
        if format == "generic" && secret.as_deref().is_none_or(|s| s.chars().count() < 16) {
            c.add("secret", "error-sla-secret");
        }
        c.finish()?;
        let settings = self.sla_settings(board).await?;
        match crate::webhook::check_url(&url, &settings.webhook_hosts) {
            Ok(_) => {}
            Err(crate::webhook::WebhookError::HostNotAllowed(_)) => {
                return Err(one_error("url", "error-sla-host-not-allowed"))
            }
            Err(_) => return Err(one_error("url", "error-sla-url")),
        }
        let secret = secret.unwrap_or_else(crate::secrets::new_token);
        let now = self.now();
        let id = uuid::Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        tx.insert_webhook(
            &meldpunt_store::sla::WebhookChannel {
                id,
                board_id: board,
                name: name.clone(),
                format: format.into(),
                url: url.clone(),
                secret,
                on_escalation,
                on_oncall,
                crisis,
                active: true,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            meldpunt_store::StoreError::Conflict(_) => one_error("crisis", "error-sla-one-crisis"),
            other => other.into(),
        })?;
        let host = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        tx.append_audit(record(
            now,
            actor,
            "board.webhook.add",
            Some(board.to_string()),
            Some(format!("webhook:{id}")),
            json!({ "name": name, "format": format, "host": host, "on_escalation": on_escalation, "on_oncall": on_oncall, "crisis": crisis }),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a webhook channel.
    pub async fn remove_webhook(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        id: uuid::Uuid,
    ) -> AppResult<()> {
        if let Actor::User(p) = actor {
            if !crate::sla::may_configure(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.deactivate_webhook(board, id).await? {
            return Err(AppError::NotFound);
        }
        tx.append_audit(record(
            now,
            actor,
            "board.webhook.remove",
            Some(board.to_string()),
            Some(format!("webhook:{id}")),
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_dutch() {
        assert_eq!(human_duration(SignedDuration::from_mins(15)), "15 min");
        assert_eq!(human_duration(SignedDuration::from_mins(60)), "1 u");
        assert_eq!(human_duration(SignedDuration::from_mins(570)), "9 u 30 min");
        assert_eq!(human_duration(SignedDuration::from_mins(-45)), "-45 min");
        assert_eq!(
            human_duration(SignedDuration::from_hours(75)),
            "3 dagen 3 u"
        );
    }
}
