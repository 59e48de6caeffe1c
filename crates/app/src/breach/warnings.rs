//! Deadline warnings: a periodic scan claims each due (breach, warning) once in the database and
//! enqueues one job for it; the job mails the IBP officers, FGs and incident managers of the board
//! (and the board members at expiry) and records the delivery on the incident. Safe with several
//! instances: the claim row's primary key and the job's unique key make each warning go out once.

use crate::audit::{record, Actor};
use crate::mail::{Mail, Mailer};
use crate::{App, AppError, AppResult};
use jiff::Timestamp;
use meldpunt_core::auth::Role;
use meldpunt_core::breach::record::BreachRecord;
use meldpunt_core::breach::{
    due_warnings, render_moment_nl, render_time_left_nl, time_left, warning_moment, WarningKind,
};
use meldpunt_core::ids::IncidentId;
use meldpunt_core::incident::Incident;
use meldpunt_store::jobs::{Job, NewJob, Notification};
use meldpunt_store::Tx;
use serde_json::json;

/// Periodic job kind: find breaches whose next deadline warning is due.
pub const BREACH_WARNING_SCAN: &str = "breach_warning_scan";
/// Job kind: send one deadline warning.
pub const BREACH_WARNING: &str = "breach_warning";

/// Claims a warning and enqueues its job, inside the caller's transaction. False when it was
/// claimed before.
pub(crate) async fn enqueue_in_tx(
    tx: &mut Tx,
    b: &BreachRecord,
    kind: WarningKind,
    now: Timestamp,
) -> AppResult<bool> {
    let due = warning_moment(kind, b.awareness_at);
    if !tx
        .claim_breach_warning(b.incident_id, kind, due, now)
        .await?
    {
        return Ok(false);
    }
    tx.enqueue(
        &NewJob {
            kind: BREACH_WARNING.into(),
            payload: json!({ "incident_id": b.incident_id.to_string(), "warning": kind.code() })
                .to_string(),
            unique_key: Some(format!(
                "{BREACH_WARNING}:{}:{}",
                b.incident_id,
                kind.code()
            )),
            run_at: now,
            max_attempts: 8,
            urgent: true,
        },
        now,
    )
    .await?;
    Ok(true)
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

impl App {
    /// The periodic scan: claims and enqueues every due warning. Returns how many it enqueued.
    pub async fn scan_breach_warnings(&self) -> AppResult<usize> {
        let now = self.now();
        let mut enqueued = 0;
        for candidate in self.store.breaches_due_warning(now, 500).await? {
            let mut tx = self.store.begin().await?;
            let Some(b) = tx.breach_for_update(candidate.incident_id).await? else {
                continue;
            };
            let claimed = tx.breach_warnings_tx(b.incident_id).await?;
            let mut kinds: Vec<WarningKind> = claimed.iter().map(|w| w.kind).collect();
            for kind in due_warnings(b.awareness_at, !b.decision_open(), &kinds, now) {
                if enqueue_in_tx(&mut tx, &b, kind, now).await? {
                    enqueued += 1;
                }
                kinds.push(kind);
            }
            let next =
                meldpunt_core::breach::next_warning_at(b.awareness_at, !b.decision_open(), &kinds);
            tx.set_next_breach_warning(b.incident_id, next).await?;
            tx.commit().await?;
        }
        Ok(enqueued)
    }

    /// Who hears about a breach's deadline: IBP officers, FGs and incident managers whose grant
    /// reaches the incident, plus board members at expiry.
    async fn breach_warning_recipients(
        &self,
        i: &Incident,
        kind: WarningKind,
    ) -> AppResult<Vec<String>> {
        let mut out: Vec<String> = self
            .store
            .users_in_board(i.board_id)
            .await?
            .into_iter()
            .filter(|(u, grants)| {
                u.active
                    && grants.iter().any(|g| {
                        g.board_id == i.board_id
                            && (g.school_id.is_none() || g.school_id == i.school_id)
                            && (matches!(
                                g.role,
                                Role::IbpOfficer | Role::Dpo | Role::IncidentManager
                            ) || (kind == WarningKind::Expired && g.role == Role::BoardMember))
                    })
            })
            .map(|(u, _)| u.email)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Sends one deadline warning (the job handler).
    pub(crate) async fn send_breach_warning(
        &self,
        job: &Job,
        worker: &str,
        payload: &serde_json::Value,
    ) -> AppResult<()> {
        let id: IncidentId = payload["incident_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| AppError::Internal("payload without incident_id".into()))?;
        let kind = payload["warning"]
            .as_str()
            .and_then(WarningKind::from_code)
            .ok_or_else(|| AppError::Internal("payload without warning kind".into()))?;
        let now = self.now();
        let i = self.store.incident(id).await?.ok_or(AppError::NotFound)?;
        let b = self.store.breach(id).await?.ok_or(AppError::NotFound)?;
        // Idempotence: a re-claimed job does not send twice.
        let done_before = self
            .store
            .notifications_for_incident(id)
            .await?
            .iter()
            .any(|n| n.job_id == Some(job.id) && n.status != "failed");
        if done_before {
            let mut tx = self.store.begin().await?;
            tx.complete_job(job.id, worker, now).await?;
            tx.commit().await?;
            return Ok(());
        }
        if !b.decision_open() {
            // Decided meanwhile: nothing to warn about any more.
            let mut tx = self.store.begin().await?;
            tx.mark_breach_warning(id, kind, "cancelled", now).await?;
            tx.complete_job(job.id, worker, now).await?;
            tx.commit().await?;
            return Ok(());
        }
        let recipients = self.breach_warning_recipients(&i, kind).await?;
        let (subject, text, html) = self.breach_warning_mail(&i, &b, kind, now);
        let (status, detail) = match (&self.config.smtp_url, recipients.is_empty()) {
            (None, _) => (
                "not_sent",
                Some("SMTP is not configured (MELDPUNT_SMTP_URL)".to_string()),
            ),
            (Some(_), true) => (
                "not_sent",
                Some("no IBP officer, FG or incident manager with an account".to_string()),
            ),
            (Some(url), false) => {
                let mail = Mail {
                    to: recipients.clone(),
                    subject: subject.clone(),
                    text,
                    html: Some(html),
                };
                let sent = match Mailer::from_url(url, &self.config.mail_from) {
                    Ok(m) => m.send(&mail).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(answer) => ("sent", Some(answer)),
                    Err(e) => {
                        self.record_breach_warning(
                            job,
                            worker,
                            &i,
                            kind,
                            &recipients,
                            &subject,
                            "failed",
                            Some(e.to_string()),
                            false,
                        )
                        .await?;
                        return Err(AppError::Internal(e.to_string()));
                    }
                }
            }
        };
        self.record_breach_warning(
            job,
            worker,
            &i,
            kind,
            &recipients,
            &subject,
            status,
            detail,
            true,
        )
        .await
    }

    /// Subject, plain text and escaped HTML of a warning, in Dutch.
    fn breach_warning_mail(
        &self,
        i: &Incident,
        b: &BreachRecord,
        kind: WarningKind,
        now: Timestamp,
    ) -> (String, String, String) {
        let deadline = b.deadline();
        let left = render_time_left_nl(time_left(deadline, now));
        let headline = match kind {
            WarningKind::Registered => "Er is een datalek geregistreerd. De meldtermijn van 72 uur loopt.",
            WarningKind::Before24h => "Nog 24 uur tot de meldtermijn van het datalek verloopt, en er is nog geen besluit over melden bij de AP.",
            WarningKind::Before6h => "Nog 6 uur tot de meldtermijn van het datalek verloopt, en er is nog geen besluit over melden bij de AP.",
            WarningKind::Expired => "De meldtermijn van 72 uur is verlopen zonder besluit over melden bij de AP. Meld zo snel mogelijk en leg de reden van de vertraging vast.",
        };
        let short = match kind {
            WarningKind::Registered => "geregistreerd",
            WarningKind::Before24h => "nog 24 uur",
            WarningKind::Before6h => "nog 6 uur",
            WarningKind::Expired => "termijn verlopen",
        };
        let exercise = if i.exercise { "[OEFENING] " } else { "" };
        let subject = format!("{exercise}[meldpunt] Datalek {}: {short}", i.number);
        let link = format!(
            "{}/incidenten/{}/datalek",
            self.config.public_base_url, i.id
        );
        let text = format!(
            "{headline}\n\nIncident: {}\nKennisname: {}\nUiterste meldmoment: {}\nResterende tijd: {left}\n\nBekijk het datalek en leg het besluit vast: {link}\n\nDit bericht bevat bewust geen inhoud van het datalek; log in om het te lezen.\n",
            i.number,
            render_moment_nl(b.awareness_at),
            render_moment_nl(deadline),
        );
        let html = format!(
            "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><body><p>{}</p><ul><li>Incident: {}</li><li>Kennisname: {}</li><li>Uiterste meldmoment: <strong>{}</strong></li><li>Resterende tijd: {}</li></ul><p><a href=\"{}\">Bekijk het datalek en leg het besluit vast</a></p><p>Dit bericht bevat bewust geen inhoud van het datalek; log in om het te lezen.</p></body></html>",
            html_escape(headline),
            html_escape(&i.number.to_string()),
            html_escape(&render_moment_nl(b.awareness_at)),
            html_escape(&render_moment_nl(deadline)),
            html_escape(&left),
            html_escape(&link),
        );
        (subject, text, html)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_breach_warning(
        &self,
        job: &Job,
        worker: &str,
        i: &Incident,
        kind: WarningKind,
        recipients: &[String],
        subject: &str,
        status: &str,
        detail: Option<String>,
        complete: bool,
    ) -> AppResult<()> {
        let now = self.now();
        let recipient = if recipients.is_empty() {
            "-".to_string()
        } else {
            recipients.join(", ")
        };
        let mut tx = self.store.begin().await?;
        tx.insert_notification(&Notification {
            id: uuid::Uuid::now_v7(),
            board_id: i.board_id,
            incident_id: Some(i.id),
            channel: "email".into(),
            recipient: recipient.clone(),
            subject: subject.to_string(),
            status: status.to_string(),
            detail: detail.clone(),
            job_id: Some(job.id),
            at: now,
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::System,
            "breach.warning",
            Some(i.board_id.to_string()),
            Some(format!("incident:{}", i.id)),
            json!({ "warning": kind.code(), "to": recipient, "status": status, "detail": detail, "attempt": job.attempts }),
        ))
        .await?;
        if complete {
            tx.mark_breach_warning(i.id, kind, status, now).await?;
            tx.complete_job(job.id, worker, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(
            super::html_escape("<a & 'b'>"),
            "&lt;a &amp; &#39;b&#39;&gt;"
        );
    }
}
