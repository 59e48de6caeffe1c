//! Notifications of escalations and on-call alerts: one job per recipient and channel, so each
//! is delivered (and retried with back-off) on its own and recorded in the delivery log.
//!
//! Messages are composed when the job is enqueued, in Dutch, and rendered per channel: e-mail as
//! HTML plus plain text, chat webhooks in the format of the target (see `webhook`). Unique job
//! keys make every notification exactly once across instances; the handler also checks the
//! delivery log before sending, so a job re-run after a crash does not send twice.

use crate::audit::{record, Actor};
use crate::mail::{Mail, Mailer};
use crate::{App, AppError, AppResult};
use jiff::Timestamp;
use meldpunt_core::ids::{BoardId, IncidentId};
use meldpunt_store::jobs::{Job, NewJob, Notification};
use meldpunt_store::Tx;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Job kind: deliver one notification to one recipient or channel.
pub const DELIVER: &str = "deliver_notification";

/// Attempts per delivery (back-off 30 s, 2 min, 8 min, 32 min, 2 h 8 min).
pub const MAX_ATTEMPTS: i64 = 6;

/// A message, channel-independent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Board.
    pub board_id: BoardId,
    /// Incident, if about one.
    pub incident_id: Option<IncidentId>,
    /// `sla.at_risk`, `sla.breached`, `escalation.hierarchical`, `escalation.functional`,
    /// `oncall.alert`, `oncall.exhausted`, `incident.p1`.
    pub event: String,
    /// The subject (without the `[meldpunt]` prefix).
    pub title: String,
    /// Paragraphs.
    pub lines: Vec<String>,
    /// Key–value facts (number, priority, due moment…).
    pub facts: Vec<(String, String)>,
    /// Link to the incident.
    pub link: Option<String>,
    /// Acknowledgement link (on-call alerts).
    pub ack_link: Option<String>,
    /// An exercise: the subject says so.
    pub exercise: bool,
}

fn escape(s: &str) -> String {
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

impl Message {
    /// The title with the exercise marker.
    pub fn full_title(&self) -> String {
        if self.exercise {
            format!("[OEFENING] {}", self.title)
        } else {
            self.title.clone()
        }
    }

    /// A colour per event for chat cards.
    pub fn colour(&self) -> &'static str {
        match self.event.as_str() {
            "sla.at_risk" => "FFB300",
            "oncall.alert" | "oncall.exhausted" | "incident.p1" => "D4351C",
            _ => "B10E1E",
        }
    }

    /// Plain text body (e-mail, generic webhook).
    pub fn plain_text(&self) -> String {
        let mut t = String::new();
        for l in &self.lines {
            t.push_str(l);
            t.push_str("\n\n");
        }
        for (k, v) in &self.facts {
            t.push_str(&format!("{k}: {v}\n"));
        }
        if let Some(l) = &self.ack_link {
            t.push_str(&format!("\nBevestig dat je dit oppakt: {l}\n"));
        }
        if let Some(l) = &self.link {
            t.push_str(&format!("\nOpen de melding: {l}\n"));
        }
        t.push_str(
            "\nDit bericht bevat bewust geen inhoud van de melding; log in om die te lezen.\n",
        );
        t
    }

    /// Markdown (Slack, Mattermost).
    pub fn markdown(&self) -> String {
        let mut t = format!("*{}*\n", self.full_title());
        for l in &self.lines {
            t.push_str(l);
            t.push('\n');
        }
        for (k, v) in &self.facts {
            t.push_str(&format!("• {k}: {v}\n"));
        }
        if let Some(l) = &self.ack_link {
            t.push_str(&format!("Bevestigen: {l}\n"));
        }
        if let Some(l) = &self.link {
            t.push_str(&format!("Openen: {l}\n"));
        }
        t
    }

    /// HTML body (e-mail), everything escaped.
    pub fn html(&self) -> String {
        let mut h = String::from(
            "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:Arial,sans-serif;font-size:16px;line-height:1.5;color:#0b0c0c\">",
        );
        h.push_str(&format!(
            "<h1 style=\"font-size:20px\">{}</h1>",
            escape(&self.full_title())
        ));
        for l in &self.lines {
            h.push_str(&format!("<p>{}</p>", escape(l)));
        }
        if !self.facts.is_empty() {
            h.push_str("<table style=\"border-collapse:collapse\">");
            for (k, v) in &self.facts {
                h.push_str(&format!(
                    "<tr><th style=\"text-align:left;padding:4px 12px 4px 0\">{}</th><td style=\"padding:4px 0\">{}</td></tr>",
                    escape(k),
                    escape(v)
                ));
            }
            h.push_str("</table>");
        }
        if let Some(l) = &self.ack_link {
            h.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;background:#00703c;color:#fff;padding:10px 16px;text-decoration:none;font-weight:bold\">Bevestig dat je dit oppakt</a></p>",
                escape(l)
            ));
        }
        if let Some(l) = &self.link {
            h.push_str(&format!(
                "<p><a href=\"{}\">Open de melding in meldpunt</a></p>",
                escape(l)
            ));
        }
        h.push_str("<p style=\"color:#505a5f;font-size:14px\">Dit bericht bevat bewust geen inhoud van de melding; log in om die te lezen.</p></body></html>");
        h
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// An e-mail address.
    Email {
        /// Address.
        to: String,
    },
    /// A webhook channel of the board.
    Webhook {
        /// Channel id.
        channel: uuid::Uuid,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    target: Target,
    message: Message,
}

/// Enqueues one delivery; `key` makes it unique across instances and retries of the caller.
pub async fn enqueue(
    tx: &mut Tx,
    target: Target,
    message: &Message,
    key: &str,
    now: Timestamp,
) -> AppResult<bool> {
    let payload = serde_json::to_string(&Payload {
        target,
        message: message.clone(),
    })
    .map_err(|e| AppError::Internal(format!("notification payload: {e}")))?;
    Ok(tx
        .enqueue(
            &NewJob {
                kind: DELIVER.into(),
                payload,
                unique_key: Some(format!("notify:{key}")),
                run_at: now,
                max_attempts: MAX_ATTEMPTS,
                urgent: true,
            },
            now,
        )
        .await?)
}

impl App {
    /// Runs a delivery job: sends once, records the attempt in the delivery log.
    pub(crate) async fn deliver(&self, job: &Job, worker: &str) -> AppResult<()> {
        let p: Payload = serde_json::from_str(&job.payload)
            .map_err(|e| AppError::Internal(format!("bad notification payload: {e}")))?;
        // A re-claimed job (its worker died after sending) must not send again. A first attempt
        // cannot have sent before, so the log is only read on later attempts.
        let before = if job.attempts > 1 {
            self.store.deliveries_of_job(job.id).await?
        } else {
            Vec::new()
        };
        if before
            .iter()
            .any(|n| n.status == "sent" || n.status == "not_sent")
        {
            let mut tx = self.store.begin().await?;
            tx.complete_job(job.id, worker, self.now()).await?;
            tx.commit().await?;
            return Ok(());
        }
        let m = &p.message;
        let subject = format!("[meldpunt] {}", m.full_title());
        let (channel, recipient, outcome): (String, String, Result<String, (bool, String)>) =
            match &p.target {
                Target::Email { to } => {
                    let outcome = match &self.config.smtp_url {
                        None => Err((false, "SMTP is not configured (MELDPUNT_SMTP_URL)".into())),
                        Some(url) => {
                            let mail = Mail {
                                to: vec![to.clone()],
                                subject: subject.clone(),
                                text: m.plain_text(),
                                html: Some(m.html()),
                            };
                            match Mailer::from_url(url, &self.config.mail_from) {
                                Ok(mailer) => {
                                    mailer.send(&mail).await.map_err(|e| (true, e.to_string()))
                                }
                                Err(e) => Err((true, e.to_string())),
                            }
                        }
                    };
                    ("email".into(), to.clone(), outcome)
                }
                Target::Webhook { channel } => {
                    let ch = self.store.webhook(*channel).await?;
                    match ch {
                        None => (
                            "webhook".into(),
                            channel.to_string(),
                            Err((false, "the channel no longer exists".into())),
                        ),
                        Some(ch) if !ch.active => (
                            format!("webhook:{}", ch.format),
                            ch.name.clone(),
                            Err((false, "the channel was removed".into())),
                        ),
                        Some(ch) => {
                            let settings = self.sla_settings(ch.board_id).await?;
                            let r = crate::webhook::send(
                                &ch.url,
                                &settings.webhook_hosts,
                                &ch.format,
                                &ch.secret,
                                m,
                                &job.id.to_string(),
                                self.now(),
                            )
                            .await;
                            let outcome = match r {
                                Ok(s) => Ok(s),
                                // Not on the allow-list or a bad URL: retrying does not help.
                                Err(
                                    e @ (crate::webhook::WebhookError::HostNotAllowed(_)
                                    | crate::webhook::WebhookError::Url(_)),
                                ) => Err((false, e.to_string())),
                                Err(e) => Err((true, e.to_string())),
                            };
                            (format!("webhook:{}", ch.format), ch.name.clone(), outcome)
                        }
                    }
                }
            };
        let now = self.now();
        let (status, detail, retry) = match outcome {
            Ok(answer) => ("sent", answer, false),
            Err((false, reason)) => ("not_sent", reason, false),
            Err((true, reason)) => {
                let last = job.attempts >= job.max_attempts;
                let detail = if last {
                    format!(
                        "poging {} van {}, opgegeven: {reason}",
                        job.attempts, job.max_attempts
                    )
                } else {
                    format!(
                        "poging {} van {}, wordt opnieuw geprobeerd: {reason}",
                        job.attempts, job.max_attempts
                    )
                };
                ("failed", detail, true)
            }
        };
        let mut tx = self.store.begin().await?;
        tx.insert_notification(&Notification {
            id: uuid::Uuid::now_v7(),
            board_id: m.board_id,
            incident_id: m.incident_id,
            channel: channel.clone(),
            recipient: recipient.clone(),
            subject: subject.clone(),
            status: status.into(),
            detail: Some(detail.clone()),
            job_id: Some(job.id),
            at: now,
        })
        .await?;
        tx.append_audit(record(
            now,
            &Actor::System,
            &format!("notification.{}", if channel == "email" { "email" } else { "webhook" }),
            Some(m.board_id.to_string()),
            m.incident_id.map(|i| format!("incident:{i}")),
            json!({ "event": m.event, "to": recipient, "channel": channel, "status": status, "detail": detail, "attempt": job.attempts }),
        ))
        .await?;
        if !retry {
            tx.complete_job(job.id, worker, now).await?;
        }
        tx.commit().await?;
        if retry {
            // The runner records the failure and schedules the retry with back-off.
            return Err(AppError::Internal(detail));
        }
        Ok(())
    }
}
