//! The on-call rota (*bereikbaarheidsdienst*): a weekly rotation of people with overrides (swaps,
//! holidays), who is on call now and next, a private iCal feed per person, and the alert chain.
//!
//! A P1 incident, or a report with possible personal data, that arrives outside working hours
//! alerts the person on call at once (e-mail with an acknowledgement link, and the board's on-call
//! webhook channels). Without an acknowledgement within the board's window (default 15 minutes)
//! the next person in the chain is alerted; when the chain is exhausted the incident managers and
//! the crisis channel are told. Each step is a row unique per incident, trigger and step, created
//! in the same transaction as its notifications, so with several instances it happens once.

use crate::audit::{record, Actor};
use crate::escalation::{local, people_with_role, send_to};
use crate::notify::Message;
use crate::secrets::{new_token, token_hash};
use crate::sla::{settings_in_tx, OncallSettings, SlaSettings};
use crate::{App, AppError, AppResult};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use meldpunt_core::auth::{BoardAction, IncidentAction, Principal, Role};
use meldpunt_core::calendar::amsterdam;
use meldpunt_core::ids::{BoardId, IncidentId, UserId};
use meldpunt_core::validation::{Collector, FieldError, ValidationErrors};
use meldpunt_store::incidents::Event;
use meldpunt_store::jobs::NewJob;
use meldpunt_store::oncall::{Alert, Override};
use serde_json::json;

/// Job kind: alert one step of the on-call chain.
pub const ONCALL_ALERT: &str = "oncall_alert";
/// Trigger: a P1 incident outside working hours.
pub const TRIGGER_P1: &str = "p1";
/// Trigger: a report with possible personal data outside working hours.
pub const TRIGGER_PERSONAL_DATA: &str = "personal_data";

/// One stretch of on-call duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// From.
    pub start: Timestamp,
    /// Until (exclusive).
    pub end: Timestamp,
    /// Who.
    pub user: UserId,
    /// The override's reason when this stretch is an override.
    pub override_reason: Option<String>,
}

fn handover_at(s: &OncallSettings, d: Date) -> Timestamp {
    amsterdam()
        .to_timestamp(d.to_datetime(s.handover_time))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn align(d: Date, s: &OncallSettings) -> Date {
    let back = (i64::from(d.weekday().to_monday_zero_offset())
        - i64::from(s.handover_weekday.clamp(1, 7))
        + 1)
    .rem_euclid(7);
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

/// The rotation week containing `t`: (week index since the anchor, start, end).
pub fn rota_week(s: &OncallSettings, t: Timestamp) -> (i64, Timestamp, Timestamp) {
    let local = amsterdam().to_datetime(t).date();
    let mut d = align(local, s);
    if handover_at(s, d) > t {
        d = d.checked_sub(jiff::Span::new().days(7)).unwrap_or(d);
    }
    let anchor = align(s.anchor, s);
    let days = d.duration_since(anchor).as_hours().div_euclid(24);
    let next = d.checked_add(jiff::Span::new().days(7)).unwrap_or(d);
    (days.div_euclid(7), handover_at(s, d), handover_at(s, next))
}

/// The rotation member of week `index`.
fn member(members: &[UserId], index: i64) -> Option<UserId> {
    if members.is_empty() {
        return None;
    }
    let n = i64::try_from(members.len()).unwrap_or(1);
    members
        .get(usize::try_from(index.rem_euclid(n)).unwrap_or(0))
        .copied()
}

/// Who is on call at `t`: the latest override covering it, else the rotation.
pub fn on_call_at(
    s: &OncallSettings,
    members: &[UserId],
    overrides: &[Override],
    t: Timestamp,
) -> Option<(UserId, Option<String>)> {
    if let Some(o) = overrides
        .iter()
        .rev()
        .find(|o| o.starts_at <= t && t < o.ends_at)
    {
        return Some((o.user_id, Some(o.reason.clone())));
    }
    member(members, rota_week(s, t).0).map(|u| (u, None))
}

/// Who is alerted in turn at `t`: the person on call, then the rotation in order from this
/// week's member, each once.
pub fn chain(
    s: &OncallSettings,
    members: &[UserId],
    overrides: &[Override],
    t: Timestamp,
) -> Vec<UserId> {
    let mut out = Vec::new();
    if let Some((u, _)) = on_call_at(s, members, overrides, t) {
        out.push(u);
    }
    let week = rota_week(s, t).0;
    for k in 0..i64::try_from(members.len()).unwrap_or(0) {
        if let Some(u) = member(members, week + k) {
            if !out.contains(&u) {
                out.push(u);
            }
        }
    }
    out
}

/// The on-call schedule between `from` and `to`, consecutive stretches of one person merged.
pub fn schedule(
    s: &OncallSettings,
    members: &[UserId],
    overrides: &[Override],
    from: Timestamp,
    to: Timestamp,
) -> Vec<Shift> {
    let mut cuts = vec![from, to];
    let mut t = from;
    while t < to {
        let (_, _, end) = rota_week(s, t);
        if end <= t {
            break;
        }
        cuts.push(end.min(to));
        t = end;
    }
    for o in overrides {
        for x in [o.starts_at, o.ends_at] {
            if x > from && x < to {
                cuts.push(x);
            }
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut out: Vec<Shift> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if let Some((user, reason)) = on_call_at(s, members, overrides, a) {
            match out.last_mut() {
                Some(last)
                    if last.user == user && last.end == a && last.override_reason == reason =>
                {
                    last.end = b;
                }
                _ => out.push(Shift {
                    start: a,
                    end: b,
                    user,
                    override_reason: reason,
                }),
            }
        }
    }
    out
}

fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out.push_str("\r\n");
    out
}

fn ics_time(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// An iCalendar (RFC 5545) document with one event per shift.
pub fn ical(board_name: &str, shifts: &[Shift], now: Timestamp, base_url: &str) -> String {
    let mut s = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//meldpunt//bereikbaarheidsdienst//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        s.push_str(&fold(l));
    }
    s.push_str(&fold(&format!(
        "X-WR-CALNAME:{}",
        ics_escape(&format!("Bereikbaarheidsdienst {board_name}"))
    )));
    s.push_str(&fold("X-WR-TIMEZONE:Europe/Amsterdam"));
    for sh in shifts {
        s.push_str(&fold("BEGIN:VEVENT"));
        s.push_str(&fold(&format!(
            "UID:{}-{}@meldpunt",
            sh.user,
            sh.start.as_second()
        )));
        s.push_str(&fold(&format!("DTSTAMP:{}", ics_time(now))));
        s.push_str(&fold(&format!("DTSTART:{}", ics_time(sh.start))));
        s.push_str(&fold(&format!("DTEND:{}", ics_time(sh.end))));
        s.push_str(&fold(&format!(
            "SUMMARY:{}",
            ics_escape(&format!("Bereikbaarheidsdienst {board_name}"))
        )));
        let desc = match &sh.override_reason {
            Some(r) => format!("Vervanging: {r}. Rooster: {base_url}/bereikbaarheid"),
            None => format!("Rooster: {base_url}/bereikbaarheid"),
        };
        s.push_str(&fold(&format!("DESCRIPTION:{}", ics_escape(&desc))));
        s.push_str(&fold("TRANSP:OPAQUE"));
        s.push_str(&fold("END:VEVENT"));
    }
    s.push_str(&fold("END:VCALENDAR"));
    s
}

/// The rota page's data.
#[derive(Debug, Clone)]
pub struct RotaView {
    /// Board.
    pub board_id: BoardId,
    /// Settings.
    pub settings: OncallSettings,
    /// Rotation members in order (id, name).
    pub members: Vec<(UserId, String)>,
    /// Who is on call now, until when, and why (override).
    pub now: Option<(UserId, String, Timestamp, Option<String>)>,
    /// Who is next and from when.
    pub next: Option<(UserId, String, Timestamp)>,
    /// The coming weeks.
    pub schedule: Vec<(Shift, String)>,
    /// Current and future overrides.
    pub overrides: Vec<(Override, String)>,
    /// Unacknowledged alerts (alert, incident number, person name).
    pub open_alerts: Vec<(Alert, String, String)>,
    /// People who may be put on the rota (service desk, incident managers, board-wide).
    pub candidates: Vec<(UserId, String)>,
    /// The viewer may change the rota.
    pub can_manage: bool,
    /// The viewer has an iCal feed.
    pub has_feed: bool,
}

fn invalid(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

/// The boards whose rota a person may see (anyone with a non-admin role in the board, and admins).
pub fn rota_boards(p: &Principal) -> Vec<BoardId> {
    p.boards()
        .into_iter()
        .filter(|b| {
            p.may_in_board(BoardAction::ViewRegister, *b) || crate::sla::may_configure(p, *b)
        })
        .collect()
}

fn may_manage(p: &Principal, board: BoardId) -> bool {
    crate::sla::may_configure(p, board)
}

impl App {
    async fn names(&self, board: BoardId) -> AppResult<std::collections::BTreeMap<UserId, String>> {
        Ok(self
            .store
            .users_in_board(board)
            .await?
            .into_iter()
            .map(|(u, _)| (u.id, u.name))
            .collect())
    }

    /// Who is on call in a board at `t` (for the API and other modules).
    pub async fn on_call(&self, board: BoardId, t: Timestamp) -> AppResult<Option<UserId>> {
        let settings = self.sla_settings(board).await?;
        let members = self.store.oncall_members(board).await?;
        let overrides = self
            .store
            .oncall_overrides(board, t - SignedDuration::from_hours(24 * 400))
            .await?;
        Ok(on_call_at(&settings.oncall, &members, &overrides, t).map(|(u, _)| u))
    }

    /// The rota page of a board.
    pub async fn rota(&self, p: &Principal, board: BoardId, weeks: i64) -> AppResult<RotaView> {
        if !rota_boards(p).contains(&board) {
            return Err(if p.boards().contains(&board) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let now = self.now();
        let settings = self.sla_settings(board).await?.oncall;
        let member_ids = self.store.oncall_members(board).await?;
        let overrides = self
            .store
            .oncall_overrides(board, now - SignedDuration::from_hours(24 * 400))
            .await?;
        let names = self.names(board).await?;
        let name = |u: &UserId| names.get(u).cloned().unwrap_or_default();
        let horizon = now + SignedDuration::from_hours(24 * 7 * weeks.clamp(1, 26));
        let sched = schedule(&settings, &member_ids, &overrides, now, horizon);
        let current = sched
            .first()
            .filter(|s| s.start <= now)
            .map(|s| (s.user, name(&s.user), s.end, s.override_reason.clone()));
        let next = sched
            .iter()
            .find(|s| current.as_ref().is_none_or(|c| s.user != c.0) && s.start > now)
            .map(|s| (s.user, name(&s.user), s.start));
        let mut open_alerts = Vec::new();
        for a in self.store.open_alerts(board).await? {
            let number = self
                .store
                .incident(a.incident_id)
                .await?
                .filter(|i| p.may(IncidentAction::View, i))
                .map(|i| i.number.to_string());
            if let Some(n) = number {
                let who = a.user_id.map(|u| name(&u)).unwrap_or_default();
                open_alerts.push((a, n, who));
            }
        }
        let candidates = self
            .store
            .users_in_board(board)
            .await?
            .into_iter()
            .filter(|(u, g)| {
                u.active
                    && g.iter().any(|g| {
                        g.board_id == board
                            && g.school_id.is_none()
                            && matches!(g.role, Role::ServiceDesk | Role::IncidentManager)
                    })
            })
            .map(|(u, _)| (u.id, u.name))
            .collect();
        Ok(RotaView {
            board_id: board,
            settings,
            members: member_ids.iter().map(|u| (*u, name(u))).collect(),
            now: current,
            next,
            schedule: sched
                .into_iter()
                .map(|s| {
                    let n = name(&s.user);
                    (s, n)
                })
                .collect(),
            overrides: overrides
                .into_iter()
                .filter(|o| o.ends_at > now)
                .map(|o| {
                    let n = name(&o.user_id);
                    (o, n)
                })
                .collect(),
            open_alerts,
            candidates,
            can_manage: may_manage(p, board),
            has_feed: self.store.has_feed(p.user_id).await?,
        })
    }

    /// Replaces the rotation; the first member is on call from the current week's handover.
    pub async fn set_rota(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        members: Vec<UserId>,
    ) -> AppResult<()> {
        if let Actor::User(p) = actor {
            if !may_manage(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let mut uniq = members.clone();
        uniq.sort();
        uniq.dedup();
        if uniq.len() != members.len() {
            return Err(invalid("members", "error-sla-duplicate-member"));
        }
        let allowed: Vec<UserId> = self
            .store
            .users_in_board(board)
            .await?
            .into_iter()
            .filter(|(u, g)| {
                u.active
                    && g.iter().any(|g| {
                        g.board_id == board
                            && g.school_id.is_none()
                            && matches!(g.role, Role::ServiceDesk | Role::IncidentManager)
                    })
            })
            .map(|(u, _)| u.id)
            .collect();
        if members.iter().any(|m| !allowed.contains(m)) {
            return Err(invalid("members", "error-sla-not-on-call-role"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.board(board).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let mut settings = SlaSettings::from_row(tx.sla_settings(board, true).await?)?;
        // Week 0 is the week running now, so the list reads "this week, next week, …".
        let (_, start, _) = rota_week(&settings.oncall, now);
        settings.oncall.anchor = amsterdam().to_datetime(start).date();
        tx.put_sla_settings(board, &settings.to_row()?, now).await?;
        tx.set_oncall_members(board, &members).await?;
        tx.append_audit(record(
            now,
            actor,
            "board.oncall.rota",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({ "members": members.iter().map(|m| m.to_string()).collect::<Vec<_>>(), "anchor": settings.oncall.anchor.to_string() }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an override (swap, holiday cover): `user` is on call in `[from, until)`.
    pub async fn add_override(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        user: UserId,
        from: Timestamp,
        until: Timestamp,
        reason: &str,
    ) -> AppResult<uuid::Uuid> {
        let by = match actor {
            Actor::User(p) => {
                // Managers enter any override; a member may take over a shift themselves.
                let self_cover = p.user_id == user
                    && self.store.oncall_members(board).await?.contains(&p.user_id);
                if !may_manage(p, board) && !self_cover {
                    return Err(AppError::Forbidden);
                }
                Some(p.user_id)
            }
            _ => None,
        };
        let mut c = Collector::default();
        let reason = c.required_text("reason", reason, 200);
        if until <= from {
            c.add("until", "error-sla-date-order");
        }
        if until.duration_since(from) > SignedDuration::from_hours(24 * 62) {
            c.add("until", "error-sla-too-long");
        }
        c.finish()?;
        let eligible = self
            .store
            .users_in_board(board)
            .await?
            .into_iter()
            .any(|(u, g)| {
                u.id == user
                    && u.active
                    && g.iter().any(|g| {
                        g.board_id == board
                            && g.school_id.is_none()
                            && matches!(g.role, Role::ServiceDesk | Role::IncidentManager)
                    })
            });
        if !eligible {
            return Err(invalid("user", "error-sla-not-on-call-role"));
        }
        let now = self.now();
        let id = uuid::Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        tx.insert_override(
            &Override {
                id,
                board_id: board,
                user_id: user,
                starts_at: from,
                ends_at: until,
                reason: reason.clone(),
                created_by: by,
            },
            now,
        )
        .await?;
        tx.append_audit(record(
            now,
            actor,
            "board.oncall.override",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({ "user": user.to_string(), "from": from.to_string(), "until": until.to_string(), "reason": reason }),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes an override.
    pub async fn remove_override(
        &self,
        actor: &Actor<'_>,
        board: BoardId,
        id: uuid::Uuid,
    ) -> AppResult<()> {
        if let Actor::User(p) = actor {
            if !may_manage(p, board) {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_override(board, id).await? {
            return Err(AppError::NotFound);
        }
        tx.append_audit(record(
            now,
            actor,
            "board.oncall.override_removed",
            Some(board.to_string()),
            Some(format!("board:{board}")),
            json!({ "override": id.to_string() }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates (or replaces) the person's private iCal feed token; returns it (shown once).
    pub async fn create_feed_token(&self, p: &Principal) -> AppResult<String> {
        let token = new_token();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_feed_token(p.user_id, &token_hash(&token), now)
            .await?;
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "user.oncall_feed",
            None,
            Some(format!("user:{}", p.user_id)),
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The iCal document a feed token opens: the person's shifts from four weeks back to half a
    /// year ahead, in every board they are on the rota of.
    pub async fn feed(&self, token: &str) -> AppResult<String> {
        let user = self
            .store
            .feed_owner(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        let active = self.store.user(user).await?.is_some_and(|u| u.active);
        if !active {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let (from, to) = (
            now - SignedDuration::from_hours(24 * 28),
            now + SignedDuration::from_hours(24 * 183),
        );
        let mut shifts = Vec::new();
        let mut board_names = Vec::new();
        let mut boards = self.store.oncall_boards_of(user).await?;
        // Overrides put people on call who are not rotation members too.
        for b in self.store.boards().await? {
            if !boards.contains(&b.id)
                && self
                    .store
                    .oncall_overrides(b.id, from)
                    .await?
                    .iter()
                    .any(|o| o.user_id == user)
            {
                boards.push(b.id);
            }
        }
        for b in boards {
            let settings = self.sla_settings(b).await?.oncall;
            let members = self.store.oncall_members(b).await?;
            let overrides = self
                .store
                .oncall_overrides(b, from - SignedDuration::from_hours(24 * 400))
                .await?;
            shifts.extend(
                schedule(&settings, &members, &overrides, from, to)
                    .into_iter()
                    .filter(|s| s.user == user),
            );
            if let Some(board) = self.store.board(b).await? {
                board_names.push(board.name);
            }
        }
        shifts.sort_by_key(|s| s.start);
        Ok(ical(
            &board_names.join(", "),
            &shifts,
            now,
            &self.config.public_base_url,
        ))
    }

    /// Runs one step of the alert chain (job `oncall_alert`): alerts the next person unless the
    /// chain was acknowledged or this step already happened.
    pub(crate) async fn oncall_step(
        &self,
        incident: IncidentId,
        trigger: &str,
        step: i64,
    ) -> AppResult<()> {
        let i = self
            .store
            .incident(incident)
            .await?
            .ok_or(AppError::NotFound)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let existing = tx.alerts_for_update(incident, trigger).await?;
        if existing.iter().any(|a| a.acknowledged_at.is_some())
            || existing.iter().any(|a| a.step >= step)
            || !i.status.is_open()
        {
            // Acknowledged, already done, or the incident was handled meanwhile.
            return Ok(());
        }
        let (settings, _) = settings_in_tx(&mut tx, i.board_id).await?;
        let members = tx.oncall_members_in_tx(i.board_id).await?;
        let overrides = tx
            .oncall_overrides_in_tx(i.board_id, now - SignedDuration::from_hours(24 * 400))
            .await?;
        let people = chain(&settings.oncall, &members, &overrides, now);
        let target = usize::try_from(step)
            .ok()
            .and_then(|s| people.get(s))
            .copied();
        let token = new_token();
        let ack_due = now + SignedDuration::from_mins(i64::from(settings.oncall.ack_minutes));
        let alert = Alert {
            id: uuid::Uuid::now_v7(),
            board_id: i.board_id,
            incident_id: incident,
            trigger: trigger.into(),
            step,
            user_id: target,
            alerted_at: now,
            ack_due_at: ack_due,
            acknowledged_at: None,
            acknowledged_by: None,
            ack_via: None,
        };
        if !tx.insert_alert(&alert, &token_hash(&token)).await? {
            return Ok(());
        }
        let channels = tx.webhooks_in_tx(i.board_id).await?;
        let why = match trigger {
            TRIGGER_P1 => "een P1-incident buiten kantoortijd",
            _ => "een melding met mogelijk persoonsgegevens buiten kantoortijd",
        };
        let key = format!("oncall:{incident}:{trigger}:{step}");
        let (event_type, body, audit_action) = match target {
            Some(u) => {
                let user = tx.user_in_tx(u).await?.ok_or(AppError::NotFound)?;
                let ack_link = format!(
                    "{}/bereikbaarheid/bevestigen/{token}",
                    self.config.public_base_url
                );
                let reason = if step == 0 {
                    format!("Bereikbaarheidsdienst gealarmeerd: {why}.")
                } else {
                    format!(
                        "Niet bevestigd binnen {} minuten: volgende in de keten gealarmeerd.",
                        settings.oncall.ack_minutes
                    )
                };
                let m = Message {
                    board_id: i.board_id,
                    incident_id: Some(incident),
                    event: "oncall.alert".into(),
                    title: format!("Bereikbaarheidsdienst: {} {}", i.number, i.summary),
                    lines: vec![
                        format!("{}, je bent gealarmeerd voor {why}.", user.name),
                        reason.clone(),
                        format!(
                            "Bevestig binnen {} minuten; anders wordt de volgende persoon gealarmeerd.",
                            settings.oncall.ack_minutes
                        ),
                    ],
                    facts: vec![
                        ("Melding".into(), i.number.to_string()),
                        ("Samenvatting".into(), i.summary.clone()),
                        (
                            "Prioriteit".into(),
                            i.priority()
                                .map(|p| p.code().to_uppercase())
                                .unwrap_or_else(|| "nog niet beoordeeld".into()),
                        ),
                        ("Gealarmeerd".into(), user.name.clone()),
                        ("Bevestigen vóór".into(), local(ack_due)),
                    ],
                    link: Some(format!("{}/incidenten/{}", self.config.public_base_url, i.id)),
                    ack_link: Some(ack_link),
                    exercise: i.exercise,
                };
                let chans: Vec<uuid::Uuid> = channels
                    .iter()
                    .filter(|c| c.on_oncall)
                    .map(|c| c.id)
                    .collect();
                send_to(
                    &mut tx,
                    &[(u, user.name.clone(), user.email.clone())],
                    &chans,
                    &m,
                    &key,
                    now,
                )
                .await?;
                // Check for the acknowledgement when the window closes.
                tx.enqueue(
                    &NewJob {
                        kind: ONCALL_ALERT.into(),
                        payload: json!({ "incident_id": incident.to_string(), "trigger": trigger, "step": step + 1 })
                            .to_string(),
                        unique_key: Some(format!("oncall-alert:{incident}:{trigger}:{}", step + 1)),
                        run_at: ack_due,
                        max_attempts: 5,
                        urgent: true,
                    },
                    now,
                )
                .await?;
                (
                    "oncall_alert",
                    format!(
                        "{reason} Gealarmeerd: {}; bevestigen vóór {}.",
                        user.name,
                        local(ack_due)
                    ),
                    "incident.oncall_alert",
                )
            }
            None => {
                // Nobody (left) on the rota: the incident managers and the crisis channel hear.
                let ims =
                    people_with_role(self, i.board_id, i.school_id, Role::IncidentManager).await?;
                let text = if members.is_empty() && step == 0 {
                    format!("Niemand ingeroosterd voor de bereikbaarheidsdienst bij {why}.")
                } else {
                    "Niemand in de bereikbaarheidsketen heeft bevestigd.".to_string()
                };
                let m = Message {
                    board_id: i.board_id,
                    incident_id: Some(incident),
                    event: "oncall.exhausted".into(),
                    title: format!("Niet opgepakt: {} {}", i.number, i.summary),
                    lines: vec![text.clone()],
                    facts: vec![("Melding".into(), i.number.to_string())],
                    link: Some(format!(
                        "{}/incidenten/{}",
                        self.config.public_base_url, i.id
                    )),
                    ack_link: Some(format!(
                        "{}/bereikbaarheid/bevestigen/{token}",
                        self.config.public_base_url
                    )),
                    exercise: i.exercise,
                };
                let chans: Vec<uuid::Uuid> = channels
                    .iter()
                    .filter(|c| c.on_oncall || c.crisis)
                    .map(|c| c.id)
                    .collect();
                send_to(&mut tx, &ims, &chans, &m, &key, now).await?;
                (
                    "oncall_alert",
                    format!("{text} Incidentmanagers en crisiskanaal geïnformeerd."),
                    "incident.oncall_exhausted",
                )
            }
        };
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: incident,
            at: now,
            actor_id: None,
            actor_label: Actor::System.label(),
            event_type: event_type.into(),
            public: false,
            body: Some(body.clone()),
            details: json!({ "trigger": trigger, "step": step, "to_user": target.map(|u| u.to_string()), "ack_due_at": ack_due.to_string() })
                .to_string(),
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::System,
            audit_action,
            Some(i.board_id.to_string()),
            Some(format!("incident:{incident}")),
            json!({ "trigger": trigger, "step": step, "to_user": target.map(|u| u.to_string()) }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The alert a link token belongs to, with the incident number (for the confirmation page).
    pub async fn alert_for_token(&self, token: &str) -> AppResult<(Alert, String)> {
        let a = self
            .store
            .alert_by_token(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        let number = self
            .store
            .incident(a.incident_id)
            .await?
            .map(|i| i.number.to_string())
            .unwrap_or_default();
        Ok((a, number))
    }

    /// Acknowledges an alert by the link in the message (no login: the token is the proof).
    /// Returns false when the chain was already acknowledged.
    pub async fn acknowledge_by_token(&self, token: &str) -> AppResult<bool> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let a = tx
            .alert_by_token_for_update(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        let name = match a.user_id {
            Some(u) => tx.user_in_tx(u).await?.map(|u| u.name),
            None => None,
        };
        let n = tx
            .acknowledge_alerts(a.incident_id, &a.trigger, a.user_id, "link", now)
            .await?;
        if n == 0 {
            return Ok(false);
        }
        let label = name.unwrap_or_else(|| "bereikbaarheidsdienst".into());
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: a.incident_id,
            at: now,
            actor_id: a.user_id,
            actor_label: label.clone(),
            event_type: "oncall_ack".into(),
            public: false,
            body: Some(format!(
                "Alarm bevestigd door {label} (via de link in het bericht)."
            )),
            details: json!({ "trigger": a.trigger, "step": a.step, "via": "link" }).to_string(),
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::System,
            "incident.oncall_ack",
            Some(a.board_id.to_string()),
            Some(format!("incident:{}", a.incident_id)),
            json!({ "trigger": a.trigger, "step": a.step, "via": "link", "user": a.user_id.map(|u| u.to_string()) }),
        ))
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Acknowledges the open alerts of an incident in the UI: the people alerted, and anyone
    /// who may assign the incident (service desk, incident manager).
    pub async fn acknowledge_in_ui(&self, p: &Principal, id: IncidentId) -> AppResult<bool> {
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        if !p.may(IncidentAction::View, &i) {
            return Err(if p.boards().contains(&i.board_id) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let alerts = self.store.alerts_for_incident(id).await?;
        let alerted = alerts.iter().any(|a| a.user_id == Some(p.user_id));
        if !alerted && !p.may(IncidentAction::Assign, &i) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let mut triggers: Vec<String> = alerts
            .iter()
            .filter(|a| a.acknowledged_at.is_none())
            .map(|a| a.trigger.clone())
            .collect();
        triggers.sort();
        triggers.dedup();
        if triggers.is_empty() {
            return Ok(false);
        }
        let mut tx = self.store.begin().await?;
        let mut n = 0;
        for t in &triggers {
            tx.alerts_for_update(id, t).await?;
            n += tx
                .acknowledge_alerts(id, t, Some(p.user_id), "ui", now)
                .await?;
        }
        if n == 0 {
            return Ok(false);
        }
        tx.insert_event(&Event {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            at: now,
            actor_id: Some(p.user_id),
            actor_label: p.name.clone(),
            event_type: "oncall_ack".into(),
            public: false,
            body: Some(format!("Alarm bevestigd door {} (in meldpunt).", p.name)),
            details: json!({ "triggers": triggers, "via": "ui" }).to_string(),
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::User(p),
            "incident.oncall_ack",
            Some(i.board_id.to_string()),
            Some(format!("incident:{id}")),
            json!({ "triggers": triggers, "via": "ui" }),
        ))
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, Time};

    fn ams(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        amsterdam()
            .to_timestamp(date(y, m, d).at(h, min, 0, 0))
            .unwrap()
    }

    fn users(n: usize) -> Vec<UserId> {
        (0..n)
            .map(|i| UserId(uuid::Uuid::from_u128(i as u128 + 1)))
            .collect()
    }

    fn settings() -> OncallSettings {
        OncallSettings {
            ack_minutes: 15,
            handover_weekday: 1,
            handover_time: Time::constant(9, 0, 0, 0),
            anchor: date(2026, 10, 5),
        }
    }

    #[test]
    fn weekly_rotation_hands_over_on_monday_morning() {
        let s = settings();
        let m = users(3);
        // Week of 5 Oct: member 0; Monday 12 Oct 08:59 still member 0, 09:00 member 1.
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 7, 12, 0)).unwrap().0,
            m[0]
        );
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 12, 8, 59)).unwrap().0,
            m[0]
        );
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 12, 9, 0)).unwrap().0,
            m[1]
        );
        // Saturday 17 Oct 02:00: member 1; three weeks on it wraps around.
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 17, 2, 0)).unwrap().0,
            m[1]
        );
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 26, 10, 0)).unwrap().0,
            m[0]
        );
        // Before the anchor it runs backwards.
        assert_eq!(
            on_call_at(&s, &m, &[], ams(2026, 10, 1, 10, 0)).unwrap().0,
            m[2]
        );
        // Over the DST change the handover stays at 09:00 local.
        let (_, start, end) = rota_week(&s, ams(2026, 10, 21, 12, 0));
        assert_eq!(start, ams(2026, 10, 19, 9, 0));
        assert_eq!(end, ams(2026, 10, 26, 9, 0));
        assert_eq!(end.duration_since(start), SignedDuration::from_hours(169));
    }

    #[test]
    fn overrides_win_and_the_chain_follows_the_rotation() {
        let s = settings();
        let m = users(3);
        let o = Override {
            id: uuid::Uuid::nil(),
            board_id: BoardId(uuid::Uuid::nil()),
            user_id: m[2],
            starts_at: ams(2026, 10, 16, 17, 0),
            ends_at: ams(2026, 10, 19, 9, 0),
            reason: "ruil".into(),
            created_by: None,
        };
        let t = ams(2026, 10, 17, 2, 0);
        assert_eq!(
            on_call_at(&s, &m, std::slice::from_ref(&o), t),
            Some((m[2], Some("ruil".into())))
        );
        assert_eq!(
            chain(&s, &m, std::slice::from_ref(&o), t),
            vec![m[2], m[1], m[0]]
        );
        assert_eq!(chain(&s, &m, &[], t), vec![m[1], m[2], m[0]]);
        assert!(chain(&s, &[], &[], t).is_empty());
        let sched = schedule(
            &s,
            &m,
            std::slice::from_ref(&o),
            ams(2026, 10, 12, 9, 0),
            ams(2026, 10, 26, 9, 0),
        );
        let who: Vec<UserId> = sched.iter().map(|x| x.user).collect();
        assert_eq!(who, vec![m[1], m[2], m[2]]);
        assert_eq!(sched[1].start, o.starts_at);
        assert_eq!(sched[1].end, o.ends_at);
        assert_eq!(sched[2].start, ams(2026, 10, 19, 9, 0));
    }

    #[test]
    fn ical_is_crlf_folded_and_escaped() {
        let s = settings();
        let m = users(1);
        let sched = schedule(
            &s,
            &m,
            &[],
            ams(2026, 10, 12, 9, 0),
            ams(2026, 10, 19, 9, 0),
        );
        let doc = ical(
            "Stichting, Noord; Oost",
            &sched,
            ams(2026, 10, 1, 0, 0),
            "https://m.nl",
        );
        assert!(doc.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(doc.ends_with("END:VCALENDAR\r\n"));
        assert!(doc.contains("DTSTART:20261012T070000Z\r\n"));
        assert!(doc.contains("Stichting\\, Noord\\; Oost"));
        assert!(doc.lines().all(|l| l.len() <= 76));
    }
}
