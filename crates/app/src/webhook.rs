//! Outgoing chat webhooks: Microsoft Teams, Slack, Mattermost and a generic JSON format signed
//! with HMAC-SHA256.
//!
//! Targets are restricted to the board's allow-list of hosts; requests have short timeouts and
//! never follow redirects (a redirect could lead outside the allow-list).
//!
//! Generic format: `POST` of a JSON body with headers
//! `X-Meldpunt-Event`, `X-Meldpunt-Delivery` (stable per delivery, so receivers can drop
//! repeats) and `X-Meldpunt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Receivers recompute the HMAC over the timestamp, a dot and the raw body, compare in constant
//! time and reject old timestamps (e.g. older than five minutes) against replays.

use crate::notify::Message;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::sync::OnceLock;
use std::time::Duration;
use thiserror::Error;

/// The formats a channel can have.
pub const FORMATS: &[&str] = &["teams", "slack", "mattermost", "generic"];

/// Why a webhook was not delivered.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// The URL is not a valid http(s) URL.
    #[error("invalid webhook URL: {0}")]
    Url(String),
    /// The host is not on the board's allow-list.
    #[error("host '{0}' is not on the board's list of allowed webhook hosts")]
    HostNotAllowed(String),
    /// The request failed (connection, timeout).
    #[error("request failed: {0}")]
    Request(String),
    /// The receiver answered with an error status.
    #[error("receiver answered HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the answer.
        body: String,
    },
}

/// Checks a URL against an allow-list of host patterns (`host` or `*.domain`).
pub fn check_url(url: &str, allowed: &[String]) -> Result<url::Url, WebhookError> {
    let u = url::Url::parse(url.trim()).map_err(|e| WebhookError::Url(e.to_string()))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(WebhookError::Url("only http and https are allowed".into()));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(WebhookError::Url(
            "credentials in the URL are not allowed".into(),
        ));
    }
    let host = u
        .host_str()
        .ok_or_else(|| WebhookError::Url("no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ok = allowed.iter().any(|p| {
        let p = p.trim().to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == p,
        }
    });
    if ok {
        Ok(u)
    } else {
        Err(WebhookError::HostNotAllowed(host))
    }
}

/// `hex(HMAC-SHA256(secret, "<t>.<body>"))`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies a `X-Meldpunt-Signature` header value (for receivers and tests): the HMAC matches
/// and the timestamp lies within `tolerance_secs` of `now`.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    match hex::decode(v1) {
        Ok(sig) => mac.verify_slice(&sig).is_ok(),
        Err(_) => false,
    }
}

/// The body of a message in `format`, as JSON bytes.
pub fn body(format: &str, m: &Message, delivery: &str, sent_at: jiff::Timestamp) -> Vec<u8> {
    let title = m.full_title();
    let v = match format {
        "teams" => {
            // Office 365 connector card (MessageCard), accepted by Teams incoming webhooks and
            // Workflows; links as OpenUri actions.
            let mut actions = Vec::new();
            if let Some(l) = &m.link {
                actions.push(json!({"@type": "OpenUri", "name": "Open in meldpunt",
                    "targets": [{"os": "default", "uri": l}]}));
            }
            if let Some(l) = &m.ack_link {
                actions.push(json!({"@type": "OpenUri", "name": "Bevestigen",
                    "targets": [{"os": "default", "uri": l}]}));
            }
            json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": title,
                "themeColor": m.colour(),
                "title": title,
                "sections": [{
                    "text": m.lines.join("\n\n"),
                    "facts": m.facts.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
                }],
                "potentialAction": actions,
            })
        }
        "slack" | "mattermost" => json!({ "text": m.markdown() }),
        _ => json!({
            "event": m.event,
            "delivery_id": delivery,
            "sent_at": sent_at.to_string(),
            "board_id": m.board_id.to_string(),
            "incident_id": m.incident_id.map(|i| i.to_string()),
            "title": title,
            "text": m.plain_text(),
            "facts": m.facts.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "link": m.link,
            "ack_link": m.ack_link,
            "exercise": m.exercise,
        }),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

fn client() -> &'static reqwest::Client {
    static C: OnceLock<reqwest::Client> = OnceLock::new();
    C.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("meldpunt/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// Posts one message; returns the receiver's status line on 2xx.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    url: &str,
    allowed: &[String],
    format: &str,
    secret: &str,
    m: &Message,
    delivery: &str,
    now: jiff::Timestamp,
) -> Result<String, WebhookError> {
    let u = check_url(url, allowed)?;
    let body = body(format, m, delivery, now);
    let mut req = client()
        .post(u)
        .header("content-type", "application/json")
        .header("x-meldpunt-event", m.event.as_str())
        .header("x-meldpunt-delivery", delivery);
    if format == "generic" {
        let t = now.as_second();
        req = req.header(
            "x-meldpunt-signature",
            format!("t={t},v1={}", signature(secret, t, &body)),
        );
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| WebhookError::Request(e.without_url().to_string()))?;
    let status = resp.status();
    if status.is_success() {
        Ok(format!("HTTP {}", status.as_u16()))
    } else {
        let text = resp.text().await.unwrap_or_default();
        Err(WebhookError::Status {
            status: status.as_u16(),
            body: text.chars().take(200).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_hosts_and_subdomains() {
        let allowed = vec!["hooks.slack.com".to_string(), "*.webhook.office.com".into()];
        assert!(check_url("https://hooks.slack.com/services/x", &allowed).is_ok());
        assert!(check_url("https://org.webhook.office.com/x", &allowed).is_ok());
        assert!(matches!(
            check_url("https://webhook.office.com.evil.nl/x", &allowed),
            Err(WebhookError::HostNotAllowed(_))
        ));
        assert!(matches!(
            check_url("https://169.254.169.254/", &allowed),
            Err(WebhookError::HostNotAllowed(_))
        ));
        assert!(check_url("ftp://hooks.slack.com/", &allowed).is_err());
        assert!(check_url("https://u:p@hooks.slack.com/", &allowed).is_err());
        assert!(check_url("https://hooks.slack.com/", &[]).is_err());
    }

    #[test]
    fn signature_round_trips_and_rejects_tampering() {
        let sig = signature("geheim", 1_800_000_000, b"{\"a\":1}");
        let header = format!("t=1800000000,v1={sig}");
        assert!(verify_signature(
            "geheim",
            &header,
            b"{\"a\":1}",
            1_800_000_010,
            300
        ));
        assert!(!verify_signature(
            "geheim",
            &header,
            b"{\"a\":2}",
            1_800_000_010,
            300
        ));
        assert!(!verify_signature(
            "anders",
            &header,
            b"{\"a\":1}",
            1_800_000_010,
            300
        ));
        assert!(!verify_signature(
            "geheim",
            &header,
            b"{\"a\":1}",
            1_800_001_000,
            300
        ));
        // Known vector: HMAC-SHA256("key", "1.x").
        assert_eq!(signature("key", 1, b"x").len(), 64);
    }
}
