//! Outgoing e-mail over SMTP (lettre). The transport is built from `MELDPUNT_SMTP_URL`.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

/// Why a message could not be sent.
#[derive(Debug, Error)]
pub enum MailError {
    /// The SMTP URL is not usable.
    #[error("invalid SMTP configuration: {0}")]
    Config(String),
    /// An address is not valid.
    #[error("invalid address '{0}'")]
    Address(String),
    /// Building the message failed.
    #[error("cannot build message: {0}")]
    Build(String),
    /// The server refused or could not be reached.
    #[error("SMTP delivery failed: {0}")]
    Send(String),
}

/// One message.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (escaped by the caller).
    pub html: Option<String>,
}

/// An SMTP mailer.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// Builds a mailer from a URL such as `smtp://127.0.0.1:2525`, `smtps://user:pass@host` or
    /// `smtp://host:587?tls=required` (STARTTLS).
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| MailError::Address(from.to_string()))?;
        Ok(Self { transport, from })
    }

    /// Sends one message; returns the server's answer.
    pub async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        // Summaries come from reporters; line breaks must never reach a header.
        let subject: String = mail
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut b = Message::builder().from(self.from.clone()).subject(subject);
        for to in &mail.to {
            let mb = to
                .parse::<Mailbox>()
                .map_err(|_| MailError::Address(to.clone()))?;
            b = b.to(mb);
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone());
        let msg = match &mail.html {
            Some(html) => b.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => b.singlepart(text),
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        let resp = self
            .transport
            .send(msg)
            .await
            .map_err(|e| MailError::Send(e.to_string()))?;
        Ok(resp.message().collect::<Vec<_>>().join(" "))
    }
}
