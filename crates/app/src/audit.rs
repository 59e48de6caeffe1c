//! Building audit records for use cases.

use jiff::Timestamp;
use meldpunt_core::audit::AuditRecord;
use meldpunt_core::auth::Principal;
use serde_json::Value;

/// Who acts, as the audit trail names them.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    /// A logged-in person or API token owner.
    User(&'a Principal),
    /// The (possibly anonymous) reporter, via the public form or the follow-up link.
    Reporter,
    /// The command line on the server.
    Cli,
    /// Meldpunt itself (jobs).
    System,
}

impl Actor<'_> {
    /// The audit trail's actor string.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::User(p) => format!("user:{}", p.user_id),
            Actor::Reporter => "reporter".into(),
            Actor::Cli => "cli".into(),
            Actor::System => "system".into(),
        }
    }

    /// The name shown on timelines.
    pub fn label(&self) -> String {
        match self {
            Actor::User(p) => p.name.clone(),
            Actor::Reporter => "melder".into(),
            Actor::Cli => "beheer (cli)".into(),
            Actor::System => "meldpunt".into(),
        }
    }
}

/// A record with canonical JSON details (serde_json's map keeps keys sorted).
pub(crate) fn record(
    at: Timestamp,
    actor: &Actor<'_>,
    action: &str,
    board: Option<String>,
    subject: Option<String>,
    details: Value,
) -> AuditRecord {
    AuditRecord {
        at,
        actor: actor.audit_name(),
        action: action.to_string(),
        board_id: board,
        subject,
        details: details.to_string(),
    }
}
