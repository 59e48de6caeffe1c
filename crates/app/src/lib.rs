//! Meldpunt's use cases. Each mutating use case checks authorisation, runs the pure domain rule,
//! and writes the business rows, one audit entry and any jobs in one transaction.

pub mod accounts;
mod audit;
pub mod breach;
pub mod clock;
pub mod error;
pub mod escalation;
pub mod incidents;
mod intake;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod oncall;
pub mod secrets;
pub mod sla;
pub mod webhook;

pub use audit::Actor;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{AppError, AppResult};
pub use meldpunt_core as core;
pub use meldpunt_store as store;

use meldpunt_store::Store;
use std::sync::Arc;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `smtp://host:port`, `smtps://…` or `smtp+starttls://…`; None means mail is not configured.
    pub smtp_url: Option<String>,
    /// Sender address of notifications.
    pub mail_from: String,
    /// Base URL people reach meldpunt at, for links in messages (no trailing slash).
    pub public_base_url: String,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "meldpunt@localhost".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The application: the store, a clock and the configuration. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// Persistence.
    pub store: Store,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Arc<AppConfig>,
    /// The intake batch writer's queue, started on first use (see `intake`).
    intake: Arc<std::sync::OnceLock<intake::Intake>>,
}

impl App {
    /// Builds the application around an opened, migrated store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: AppConfig) -> Self {
        Self {
            store,
            clock,
            config: Arc::new(config),
            intake: Arc::default(),
        }
    }

    /// The same application without the intake queue (for the intake writer itself).
    pub(crate) fn new_detached(app: &App) -> Self {
        Self {
            store: app.store.clone(),
            clock: app.clock.clone(),
            config: app.config.clone(),
            intake: Arc::default(),
        }
    }

    /// The current time from the clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
