//! The errors a use case can return; the web layer maps each to a status and a message.

use meldpunt_core::lifecycle::LifecycleError;
use meldpunt_core::priority::PriorityError;
use meldpunt_core::validation::ValidationErrors;
use meldpunt_store::StoreError;
use thiserror::Error;

/// Why a use case did not do what was asked.
#[derive(Debug, Error)]
pub enum AppError {
    /// Input did not validate; each field names its problem.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// The lifecycle does not allow this now.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// The requested priority is not allowed.
    #[error(transparent)]
    Priority(#[from] PriorityError),
    /// Not logged in, or the credentials are wrong.
    #[error("authentication required or failed")]
    Unauthenticated,
    /// Too many failed logins; try again later.
    #[error("too many failed attempts; try again later")]
    Throttled,
    /// Logged in, but not allowed. Also used for things outside the caller's scope that exist.
    #[error("not allowed")]
    Forbidden,
    /// No such thing (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The thing changed meanwhile, or a unique value exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// Something outside meldpunt failed (hashing thread, mail server).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(format!("{what} already exists")),
            StoreError::Stale => {
                AppError::Conflict("the incident was changed by someone else; reload".into())
            }
            other => AppError::Store(other),
        }
    }
}

/// Result alias for use cases.
pub type AppResult<T> = Result<T, AppError>;
