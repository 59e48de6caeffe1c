//! Incident use cases: report, register, view, triage, assign, work, close, follow up.

use crate::audit::{record, Actor};
use crate::secrets::{new_token, token_hash};
use crate::{App, AppError, AppResult};
use meldpunt_core::auth::{BoardAction, IncidentAction, Principal, Role};
use meldpunt_core::ids::{BoardId, IncidentId, IncidentNumber, SchoolId, UserId};
use meldpunt_core::incident::{
    Aspects, Category, Classification, Impact, Incident, Kind, Priority, Status, Timeline, Urgency,
};
use meldpunt_core::lifecycle::{apply, Command};
use meldpunt_core::priority::{decide_priority, PriorityMatrix};
use meldpunt_core::report::{limits, NewReport};
use meldpunt_core::validation::{Collector, FieldError, ValidationErrors};
use meldpunt_store::accounts::School;
use meldpunt_store::incidents::{Cursor, Event, Filter, IncidentInsert, Page, Sort};
use meldpunt_store::jobs::NewJob;
use serde_json::json;
use std::collections::HashMap;

/// What the reporter gets back.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The new incident.
    pub incident: Incident,
    /// The private follow-up token (shown once; only its hash is stored).
    pub followup_token: String,
}

/// A report checked and resolved to its board, with who made it: what `report_many` writes.
#[derive(Debug, Clone)]
pub(crate) struct QueuedReport {
    report: NewReport,
    board: BoardId,
    exercise: bool,
    actor_id: Option<UserId>,
    actor_label: String,
    actor_audit_name: String,
}

impl QueuedReport {
    pub(crate) fn new(
        actor: &Actor<'_>,
        report: NewReport,
        board: BoardId,
        exercise: bool,
    ) -> Self {
        QueuedReport {
            report,
            board,
            exercise,
            actor_id: match actor {
                Actor::User(p) => Some(p.user_id),
                _ => None,
            },
            actor_label: actor.label(),
            actor_audit_name: actor.audit_name(),
        }
    }
}

/// The register's filters as a person sets them.
#[derive(Debug, Clone, Default)]
pub struct RegisterQuery {
    /// Statuses; empty means all.
    pub statuses: Vec<Status>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Priority.
    pub priority: Option<Priority>,
    /// School.
    pub school: Option<SchoolId>,
    /// Assignee.
    pub assignee: Option<UserId>,
    /// Reported at or after.
    pub from: Option<jiff::Timestamp>,
    /// Reported before.
    pub until: Option<jiff::Timestamp>,
    /// Free text.
    pub text: Option<String>,
    /// Include exercises.
    pub include_exercises: bool,
    /// Sort.
    pub sort: Sort,
    /// Continue after.
    pub after: Option<Cursor>,
    /// Page size (1–500, default 50).
    pub limit: Option<i64>,
}

/// The statuses that count as open.
pub const OPEN_STATUSES: &[Status] = &[
    Status::Reported,
    Status::Registered,
    Status::InProgress,
    Status::Waiting,
];

/// Triage as a person enters it.
#[derive(Debug, Clone)]
pub struct TriageInput {
    /// Kind.
    pub kind: Kind,
    /// Aspects.
    pub aspects: Aspects,
    /// Category.
    pub category: Category,
    /// Impact.
    pub impact: Impact,
    /// Urgency.
    pub urgency: Urgency,
    /// A priority other than the matrix's (needs a reason).
    pub priority_override: Option<Priority>,
    /// The reason for the override.
    pub override_reason: Option<String>,
    /// Why it is not an incident (kind `no_incident`).
    pub no_incident_reason: Option<String>,
}

/// Everything the detail page shows.
#[derive(Debug, Clone)]
pub struct IncidentView {
    /// The incident.
    pub incident: Incident,
    /// Its timeline.
    pub events: Vec<Event>,
    /// Its school.
    pub school: Option<School>,
    /// The assignee's name.
    pub assignee_name: Option<String>,
    /// What the viewer may do.
    pub allowed: Allowed,
    /// The delivery log.
    pub notifications: Vec<meldpunt_store::jobs::Notification>,
}

/// What the viewer may do, for showing only the forms that will be accepted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    /// Add notes.
    pub note: bool,
    /// Triage.
    pub triage: bool,
    /// Assign.
    pub assign: bool,
    /// Wait, resume, contain, resolve, reopen.
    pub work: bool,
    /// Evaluate.
    pub evaluate: bool,
    /// Close.
    pub close: bool,
}

/// A person who can be assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignable {
    /// Id.
    pub id: UserId,
    /// Name.
    pub name: String,
}

/// The triage command for `change`: the priority from the board's matrix (or an override with a
/// reason) and the no-incident reason, checked like every other stored text.
fn triage_command(
    input: TriageInput,
) -> impl FnOnce(&Incident, &PriorityMatrix) -> AppResult<(Command, serde_json::Value)> {
    move |_, matrix| {
        let (priority, reason) = decide_priority(
            matrix,
            input.kind,
            input.impact,
            input.urgency,
            input.priority_override,
            input.override_reason.as_deref(),
        )
        .map_err(|e| match e {
            meldpunt_core::priority::PriorityError::OverrideWithoutReason => {
                one_error("override_reason", "error-override-reason-required")
            }
            meldpunt_core::priority::PriorityError::BelowFloor => {
                one_error("priority", "error-priority-below-floor")
            }
        })?;
        let mut c = Collector::default();
        let no_incident_reason = c.optional_text(
            "no_incident_reason",
            input.no_incident_reason.as_deref(),
            limits::NOTE,
        );
        if input.kind == Kind::NoIncident && no_incident_reason.is_none() {
            c.add("no_incident_reason", "error-required");
        }
        // Stored text like the other reasons: the same length and character rules.
        c.optional_text(
            "override_reason",
            input.override_reason.as_deref(),
            limits::NOTE,
        );
        c.finish()?;
        let classification = Classification {
            kind: input.kind,
            aspects: input.aspects,
            category: input.category,
            impact: input.impact,
            urgency: input.urgency,
            priority,
            priority_override_reason: reason,
        };
        let details = json!({
            "kind": classification.kind.code(),
            "aspects": classification.aspects.code(),
            "category": classification.category.code(),
            "impact": classification.impact.code(),
            "urgency": classification.urgency.code(),
            "priority": classification.priority.code(),
            "priority_override_reason": classification.priority_override_reason,
            "no_incident_reason": no_incident_reason,
        });
        Ok((
            Command::Triage {
                classification,
                no_incident_reason,
            },
            details,
        ))
    }
}

fn one_error(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

/// The roles that can be assigned to an incident.
const ASSIGNABLE_ROLES: &[Role] = &[
    Role::Handler,
    Role::ServiceDesk,
    Role::IncidentManager,
    Role::IbpOfficer,
];

impl App {
    /// Registers a report from the public form, the API or the service desk, with its audit entry
    /// and the job that tells the service desk, in one transaction.
    pub async fn report_incident(
        &self,
        actor: &Actor<'_>,
        report: NewReport,
        board_hint: Option<BoardId>,
        exercise: bool,
    ) -> AppResult<Receipt> {
        let board = self.report_board(actor, &report, board_hint).await?;
        // Through the intake batch writer: concurrent reports share one transaction.
        self.submit_report(QueuedReport::new(actor, report, board, exercise))
            .await
    }

    /// Registers a report and triages it in the same transaction (the API's create with `kind`):
    /// either both happen or neither does.
    pub async fn report_incident_triaged(
        &self,
        p: &Principal,
        report: NewReport,
        board_hint: Option<BoardId>,
        exercise: bool,
        triage: TriageInput,
    ) -> AppResult<Receipt> {
        let actor = Actor::User(p);
        let board = self.report_board(&actor, &report, board_hint).await?;
        let mut tx = self.store.begin().await?;
        let mut receipt = self
            .report_many(
                &mut tx,
                vec![QueuedReport::new(&actor, report, board, exercise)],
            )
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no receipt".into()))?;
        let id = receipt.incident.id;
        receipt.incident = self
            .change_in(
                &mut tx,
                p,
                id,
                IncidentAction::Triage,
                None,
                false,
                triage_command(triage),
            )
            .await?;
        tx.commit().await?;
        Ok(receipt)
    }

    /// The board a report belongs to, and whether the actor may create incidents there. Reads
    /// through the pool, so it runs before the transaction opens (a transaction that also waits for
    /// a pool connection can starve the pool under load).
    async fn report_board(
        &self,
        actor: &Actor<'_>,
        report: &NewReport,
        board_hint: Option<BoardId>,
    ) -> AppResult<BoardId> {
        let board = match report.school_id {
            Some(s) => match self.store.school(s).await? {
                Some(school)
                    if school.active && board_hint.is_none_or(|b| b == school.board_id) =>
                {
                    school.board_id
                }
                _ => return Err(one_error("school_id", "error-unknown-school")),
            },
            None => match (actor, board_hint) {
                // A board the person holds a grant in exists (foreign key): no lookup needed.
                (Actor::User(p), Some(b)) if p.boards().contains(&b) => b,
                (_, Some(b)) => self.resolve_board(Some(b)).await?,
                (Actor::User(p), None) if p.boards().len() == 1 => p.boards()[0],
                _ => self.resolve_board(None).await.map_err(|e| match e {
                    AppError::Validation(_) => one_error("school_id", "error-school-required"),
                    other => other,
                })?,
            },
        };
        if let Actor::User(p) = actor {
            if !p.may_in_board(BoardAction::CreateIncident, board) {
                return Err(AppError::Forbidden);
            }
        }
        Ok(board)
    }

    /// The body of `report_incident` for one or more checked reports, inside the caller's
    /// transaction: numbers reserved per board, then one multi-row INSERT per table (incidents,
    /// SLA rows, timeline events, audit entries, jobs), so a batch costs about as many
    /// statements as a single report (see `intake`).
    pub(crate) async fn report_many(
        &self,
        tx: &mut meldpunt_store::Tx,
        reports: Vec<QueuedReport>,
    ) -> AppResult<Vec<Receipt>> {
        let now = self.now();
        // The number's year is the Dutch calendar year in which the report arrived.
        let year = now
            .in_tz("Europe/Amsterdam")
            .map(|z| z.year())
            .map_err(|e| AppError::Internal(format!("time zone: {e}")))?;
        let mut boards: Vec<(BoardId, i64)> = Vec::new();
        for q in &reports {
            match boards.iter_mut().find(|(b, _)| *b == q.board) {
                Some((_, n)) => *n += 1,
                None => boards.push((q.board, 1)),
            }
        }
        let mut next_seq = HashMap::new();
        let mut sla_settings = HashMap::new();
        for (board, count) in boards {
            next_seq.insert(
                board,
                tx.reserve_incident_numbers(board, year, count).await?,
            );
            sla_settings.insert(board, crate::sla::settings_in_tx(tx, board).await?);
        }
        let n = reports.len();
        let (mut receipts, mut hashes) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut sla_rows, mut events) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut audits, mut jobs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        // The batch shares one moment; ids in number order keep the register's order (reported
        // at, then id) the same as the numbers'.
        let mut ids: Vec<IncidentId> = (0..n).map(|_| IncidentId::new_v7(now)).collect();
        ids.sort_by_key(|id| id.0);
        for (q, id) in reports.into_iter().zip(ids) {
            let seq = next_seq
                .get_mut(&q.board)
                .ok_or_else(|| AppError::Internal("board without numbers".into()))?;
            let number = IncidentNumber { year, seq: *seq };
            *seq += 1;
            let (settings, calendar) = sla_settings
                .get(&q.board)
                .ok_or_else(|| AppError::Internal("board without settings".into()))?;
            let followup_token = new_token();
            let report = q.report;
            let incident = Incident {
                id,
                board_id: q.board,
                school_id: report.school_id,
                number,
                summary: report.summary,
                description: report.description,
                personal_data: report.personal_data,
                ongoing: report.ongoing,
                reporter: report.reporter,
                status: Status::Reported,
                classification: None,
                assignee_id: None,
                resolution: None,
                cause: None,
                evaluation: None,
                no_incident_reason: None,
                timeline: Timeline {
                    occurred_at: report.occurred_at,
                    reported_at: Some(now),
                    ..Timeline::default()
                },
                exercise: q.exercise,
                version: 1,
            };
            let (sla_row, alerts) = crate::sla::new_report_sla(&incident, settings, calendar, now);
            sla_rows.push(sla_row);
            jobs.extend(alerts);
            events.push(Event {
                id: uuid::Uuid::now_v7(),
                incident_id: id,
                at: now,
                actor_id: q.actor_id,
                actor_label: q.actor_label,
                event_type: "reported".into(),
                public: true,
                body: None,
                details: json!({ "number": number.to_string() }).to_string(),
            });
            audits.push(meldpunt_core::audit::AuditRecord {
                at: now,
                actor: q.actor_audit_name,
                action: "incident.report".into(),
                board_id: Some(q.board.to_string()),
                subject: Some(format!("incident:{id}")),
                details: json!({
                    "number": number.to_string(),
                    "school": incident.school_id.map(|s| s.to_string()),
                    "personal_data": incident.personal_data.code(),
                    "anonymous": incident.reporter.is_anonymous(),
                    "exercise": q.exercise,
                })
                .to_string(),
            });
            jobs.push(NewJob {
                kind: crate::jobs::NOTIFY_SERVICE_DESK.into(),
                payload: json!({ "incident_id": id.to_string() }).to_string(),
                unique_key: Some(format!("{}:{id}", crate::jobs::NOTIFY_SERVICE_DESK)),
                run_at: now,
                max_attempts: 8,
                urgent: false,
            });
            hashes.push(token_hash(&followup_token));
            receipts.push(Receipt {
                incident,
                followup_token,
            });
        }
        let rows: Vec<IncidentInsert<'_>> = receipts
            .iter()
            .zip(&hashes)
            .map(|(r, h)| IncidentInsert {
                incident: &r.incident,
                followup_token_hash: h,
                updated_at: now,
            })
            .collect();
        tx.insert_incidents(&rows).await?;
        tx.put_incident_slas(&sla_rows, now).await?;
        tx.insert_events(&events).await?;
        tx.append_audit_many(audits).await?;
        tx.enqueue_many(&jobs, now).await?;
        Ok(receipts)
    }

    /// The register scope of a person, before their own filters. A superset of what they may see;
    /// every row is checked again with `Principal::may`.
    fn scope(&self, p: &Principal) -> Filter {
        let boards: Vec<BoardId> = p
            .boards()
            .into_iter()
            .filter(|b| p.may_in_board(BoardAction::ViewRegister, *b))
            .collect();
        let grants: Vec<_> = p.grants.iter().filter(|g| g.role != Role::Admin).collect();
        let full = grants
            .iter()
            .any(|g| matches!(g.role, Role::ServiceDesk | Role::IncidentManager));
        let mut f = Filter {
            boards,
            ..Filter::default()
        };
        if grants.iter().all(|g| g.school_id.is_some()) {
            f.only_schools = Some(grants.iter().filter_map(|g| g.school_id).collect());
        }
        if !full {
            let handler = p.has_role(Role::Handler);
            let mut kinds = Vec::new();
            if p.has_role(Role::IbpOfficer) || p.has_role(Role::BoardMember) {
                kinds.extend([Kind::SecurityIncident, Kind::CyberIncident, Kind::Breach]);
            }
            if p.has_role(Role::Dpo) {
                kinds.push(Kind::Breach);
            }
            if kinds.is_empty() && handler {
                f.only_assignee = Some(p.user_id);
            } else {
                f.only_kinds = Some(kinds);
                f.include_untriaged_personal_data = p.has_role(Role::IbpOfficer)
                    || p.has_role(Role::Dpo)
                    || p.has_role(Role::BoardMember);
                if handler {
                    f.or_assignee = Some(p.user_id);
                }
            }
        }
        f
    }

    /// One page of the register as this person may see it.
    pub async fn register(&self, p: &Principal, q: RegisterQuery) -> AppResult<Page> {
        let mut f = self.scope(p);
        f.statuses = q.statuses;
        f.kind = q.kind;
        f.priority = q.priority;
        f.school = q.school;
        f.assignee = q.assignee;
        f.from = q.from;
        f.until = q.until;
        f.text = q
            .text
            .map(|t| t.trim().chars().take(200).collect::<String>())
            .filter(|t| !t.is_empty());
        f.include_exercises = q.include_exercises;
        f.sort = q.sort;
        f.after = q.after;
        f.limit = q.limit.unwrap_or(50).clamp(1, 500);
        let mut page = self.store.list_incidents(&f).await?;
        page.items.retain(|i| p.may(IncidentAction::View, i));
        Ok(page)
    }

    /// Loads an incident the person may see; NotFound hides other boards' incidents.
    async fn visible(&self, p: &Principal, id: IncidentId) -> AppResult<Incident> {
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        if p.may(IncidentAction::View, &i) {
            Ok(i)
        } else if p.boards().contains(&i.board_id) {
            Err(AppError::Forbidden)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The incident with its timeline, for the detail page and the API.
    pub async fn incident_view(&self, p: &Principal, id: IncidentId) -> AppResult<IncidentView> {
        let incident = self.visible(p, id).await?;
        let events = self.store.events(id).await?;
        let school = match incident.school_id {
            Some(s) => self.store.school(s).await?,
            None => None,
        };
        let assignee_name = match incident.assignee_id {
            Some(u) => self.store.user(u).await?.map(|u| u.name),
            None => None,
        };
        let allowed = Allowed {
            note: p.may(IncidentAction::Note, &incident),
            triage: p.may(IncidentAction::Triage, &incident),
            assign: p.may(IncidentAction::Assign, &incident),
            work: p.may(IncidentAction::Work, &incident),
            evaluate: p.may(IncidentAction::Evaluate, &incident),
            close: p.may(IncidentAction::Close, &incident),
        };
        let notifications = self.store.notifications_for_incident(id).await?;
        Ok(IncidentView {
            incident,
            events,
            school,
            assignee_name,
            allowed,
            notifications,
        })
    }

    /// The priority matrix of a board: its own when configured, else the default of domain.md.
    pub async fn priority_matrix(&self, board: BoardId) -> AppResult<PriorityMatrix> {
        match self.store.priority_matrix_json(board).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("stored priority matrix: {e}"))),
            None => Ok(PriorityMatrix::default()),
        }
    }

    /// Sets a board's priority matrix (administrators, incident managers).
    pub async fn set_priority_matrix(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        matrix: PriorityMatrix,
    ) -> AppResult<()> {
        match actor {
            Actor::Cli | Actor::System => {}
            Actor::User(p)
                if p.may_in_board(BoardAction::ManageSchools, board)
                    || p.grants.iter().any(|g| {
                        g.board_id == board
                            && g.school_id.is_none()
                            && g.role == Role::IncidentManager
                    }) => {}
            _ => return Err(AppError::Forbidden),
        }
        let json = serde_json::to_string(&matrix)
            .map_err(|e| AppError::Internal(format!("priority matrix: {e}")))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        tx.set_priority_matrix_json(board, &json).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.priority_matrix",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            serde_json::from_str(&json).unwrap_or(serde_json::Value::Null),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// People who can be assigned to incidents of a board (and school).
    pub async fn assignable_people(
        &self,
        board: BoardId,
        school: Option<SchoolId>,
    ) -> AppResult<Vec<Assignable>> {
        let people = self.store.users_in_board(board).await?;
        Ok(people
            .into_iter()
            .filter(|(u, grants)| {
                u.active
                    && grants.iter().any(|g| {
                        g.board_id == board
                            && ASSIGNABLE_ROLES.contains(&g.role)
                            && (g.school_id.is_none() || g.school_id == school)
                    })
            })
            .map(|(u, _)| Assignable {
                id: u.id,
                name: u.name,
            })
            .collect())
    }

    /// The shared write path: lock, authorise, check the version, apply the lifecycle rule,
    /// write the incident, its timeline event and one audit entry, commit.
    async fn change(
        &self,
        p: &Principal,
        id: IncidentId,
        action: IncidentAction,
        expected_version: Option<i64>,
        public: bool,
        make: impl FnOnce(&Incident, &PriorityMatrix) -> AppResult<(Command, serde_json::Value)>,
    ) -> AppResult<Incident> {
        let mut tx = self.store.begin().await?;
        let next = self
            .change_in(&mut tx, p, id, action, expected_version, public, make)
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The body of `change`, inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    async fn change_in(
        &self,
        tx: &mut meldpunt_store::Tx,
        p: &Principal,
        id: IncidentId,
        action: IncidentAction,
        expected_version: Option<i64>,
        public: bool,
        make: impl FnOnce(&Incident, &PriorityMatrix) -> AppResult<(Command, serde_json::Value)>,
    ) -> AppResult<Incident> {
        let now = self.now();
        let incident = tx
            .incident_for_update(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !p.may(action, &incident) {
            // Visible or of one's own board: forbidden; another board's: not found.
            return Err(
                if p.may(IncidentAction::View, &incident) || p.boards().contains(&incident.board_id)
                {
                    AppError::Forbidden
                } else {
                    AppError::NotFound
                },
            );
        }
        if let Some(v) = expected_version {
            if v != incident.version {
                return Err(AppError::Conflict(
                    "the incident was changed by someone else; reload".into(),
                ));
            }
        }
        // Read through the transaction: waiting for a second pool connection while holding one
        // can starve the pool under load.
        let matrix = match tx.priority_matrix_json(incident.board_id).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("stored priority matrix: {e}")))?,
            None => PriorityMatrix::default(),
        };
        let (command, details) = make(&incident, &matrix)?;
        let name = command.name();
        let body = match &command {
            Command::Note { text } => Some(text.trim().to_string()),
            Command::Wait { reason } | Command::Reopen { reason } => {
                Some(reason.trim().to_string())
            }
            Command::Evaluate { evaluation } => Some(evaluation.trim().to_string()),
            Command::Resolve { resolution, .. } => Some(resolution.trim().to_string()),
            _ => None,
        };
        let (next, change) = apply(&incident, command, now)?;
        tx.update_incident(&next, incident.version, now).await?;
        let breach_opened = crate::breach::on_incident_change(tx, &incident, &next, now).await?;
        let mut details = details;
        if let (true, Some(obj)) = (breach_opened, details.as_object_mut()) {
            obj.insert("breach_record".into(), json!("opened"));
        }
        if let Some(obj) = details.as_object_mut() {
            obj.insert("from".into(), json!(change.from.code()));
            obj.insert("to".into(), json!(change.to.code()));
        }
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            at: now,
            actor_id: Some(p.user_id),
            actor_label: p.name.clone(),
            event_type: name.into(),
            public: public || change.from != change.to,
            body: body.clone(),
            details: details.to_string(),
        })
        .await?;
        crate::sla::sync_incident_sla(tx, Some(&incident), &next, now).await?;
        let mut audit_details = details;
        if let (Some(obj), Some(b)) = (audit_details.as_object_mut(), body) {
            obj.insert("text".into(), json!(b));
        }
        tx.append_audit(record(
            now,
            &Actor::User(p),
            &format!("incident.{name}"),
            Some(incident.board_id.to_string()),
            Some(format!("incident:{id}")),
            audit_details,
        ))
        .await?;
        Ok(next)
    }

    /// Classifies an incident; the priority comes from the board's matrix unless overridden with a reason.
    pub async fn triage(
        &self,
        p: &Principal,
        id: IncidentId,
        input: TriageInput,
        expected_version: Option<i64>,
    ) -> AppResult<Incident> {
        self.change(
            p,
            id,
            IncidentAction::Triage,
            expected_version,
            false,
            triage_command(input),
        )
        .await
    }

    /// Assigns an incident to a person who can work on it.
    pub async fn assign(
        &self,
        p: &Principal,
        id: IncidentId,
        assignee: UserId,
        expected_version: Option<i64>,
    ) -> AppResult<Incident> {
        // Visibility first: another board's incident is NotFound, never "unknown assignee".
        let current = self.visible(p, id).await?;
        let people = self
            .assignable_people(current.board_id, current.school_id)
            .await?;
        let Some(person) = people.into_iter().find(|a| a.id == assignee) else {
            return Err(one_error("assignee_id", "error-unknown-assignee"));
        };
        self.change(
            p,
            id,
            IncidentAction::Assign,
            expected_version,
            false,
            |_, _| {
                Ok((
                    Command::Assign { assignee },
                    json!({ "assignee_id": assignee.to_string(), "assignee": person.name }),
                ))
            },
        )
        .await
    }

    /// Adds a note; `public` notes are shown to the reporter on the follow-up page.
    pub async fn add_note(
        &self,
        p: &Principal,
        id: IncidentId,
        text: &str,
        public: bool,
    ) -> AppResult<Incident> {
        let mut c = Collector::default();
        let text = c.required_text("text", text, limits::NOTE);
        c.finish()?;
        self.change(p, id, IncidentAction::Note, None, public, |_, _| {
            Ok((Command::Note { text }, json!({ "public": public })))
        })
        .await
    }

    /// Wait, resume, contain, resolve, evaluate, close or reopen.
    pub async fn act(
        &self,
        p: &Principal,
        id: IncidentId,
        command: Command,
        expected_version: Option<i64>,
    ) -> AppResult<Incident> {
        let action = match &command {
            Command::Triage { .. } => IncidentAction::Triage,
            Command::Assign { .. } => IncidentAction::Assign,
            Command::Note { .. } => IncidentAction::Note,
            Command::Evaluate { .. } => IncidentAction::Evaluate,
            Command::Close => IncidentAction::Close,
            Command::Wait { .. }
            | Command::Resume
            | Command::Contain
            | Command::Resolve { .. }
            | Command::Reopen { .. } => IncidentAction::Work,
        };
        let mut c = Collector::default();
        let check = |c: &mut Collector, field: &'static str, v: &str| {
            c.required_text(field, v, limits::NOTE);
        };
        match &command {
            Command::Wait { reason } | Command::Reopen { reason } => {
                check(&mut c, "reason", reason)
            }
            Command::Resolve { resolution, cause } => {
                check(&mut c, "resolution", resolution);
                check(&mut c, "cause", cause);
            }
            Command::Evaluate { evaluation } => check(&mut c, "evaluation", evaluation),
            Command::Note { text } => check(&mut c, "text", text),
            _ => {}
        }
        c.finish()?;
        if matches!(command, Command::Close) {
            // A breach cannot be closed while the decision to notify the AP is open (domain.md §2).
            if let Some(i) = self.store.incident(id).await? {
                // The lifecycle's own refusal (e.g. no evaluation yet) comes first.
                if p.may(IncidentAction::View, &i)
                    && apply(&i, Command::Close, self.now()).is_ok()
                    && self.breach_blocks_close(&i).await?
                {
                    return Err(AppError::Lifecycle(
                        meldpunt_core::lifecycle::LifecycleError::BreachDecisionOpen,
                    ));
                }
            }
        }
        let details = match &command {
            Command::Resolve { cause, .. } => json!({ "cause": cause.trim() }),
            _ => json!({}),
        };
        self.change(p, id, action, expected_version, false, |_, _| {
            Ok((command, details))
        })
        .await
    }

    /// The incident and its public timeline for the reporter's follow-up link.
    pub async fn followup(&self, token: &str) -> AppResult<(Incident, Vec<Event>)> {
        let i = self
            .store
            .incident_by_followup(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        let events = self
            .store
            .events(i.id)
            .await?
            .into_iter()
            .filter(|e| e.public)
            .collect();
        Ok((i, events))
    }

    /// The reporter adds information through the follow-up link.
    pub async fn add_followup_info(&self, token: &str, text: &str) -> AppResult<Incident> {
        let mut c = Collector::default();
        let text = c.required_text("text", text, limits::NOTE);
        c.finish()?;
        let i = self
            .store
            .incident_by_followup(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        if matches!(i.status, Status::Closed | Status::NotAnIncident) {
            return Err(AppError::Lifecycle(
                meldpunt_core::lifecycle::LifecycleError::NotAllowed {
                    command: "note",
                    status: i.status,
                },
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: i.id,
            at: now,
            actor_id: None,
            actor_label: Actor::Reporter.label(),
            event_type: "reporter_info".into(),
            public: true,
            body: Some(text.clone()),
            details: "{}".into(),
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::Reporter,
            "incident.reporter_info",
            Some(i.board_id.to_string()),
            Some(format!("incident:{}", i.id)),
            json!({ "text": text }),
        ))
        .await?;
        tx.commit().await?;
        Ok(i)
    }

    /// Finds an incident visible to the person by its number (`2026-0042`) in any of their boards.
    pub async fn incident_by_number(
        &self,
        p: &Principal,
        number: meldpunt_core::ids::IncidentNumber,
    ) -> AppResult<Incident> {
        for b in p.boards() {
            if let Some(i) = self.store.incident_by_number(b, number).await? {
                if p.may(IncidentAction::View, &i) {
                    return Ok(i);
                }
            }
        }
        Err(AppError::NotFound)
    }
}
