//! Small in-memory token buckets keyed by peer address, for the public report form and login.
//!
//! In memory is enough: the limits only blunt abuse from one address; per-account lockout for
//! logins lives in the database (`App::login`) and holds across instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets beyond this many are pruned (full ones first), so memory stays bounded.
const MAX_KEYS: usize = 10_000;
/// Failed logins allowed per address per minute.
pub const LOGIN_PER_MINUTE: u32 = 10;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One limiter: `per_minute` events per key per minute, with bursts up to `per_minute`.
#[derive(Debug, Default)]
pub struct Limiter {
    // `None` is the shared bucket for requests without a known peer address.
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
}

impl Limiter {
    fn refill(b: &mut Bucket, per_minute: f64, now: Instant) {
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_minute / 60.0).min(per_minute);
        b.at = now;
    }

    /// True when `key` may do one more thing now; uses up one token.
    pub fn try_take(&self, key: Option<IpAddr>, per_minute: u32) -> bool {
        self.take_if(key, per_minute, true)
    }

    /// True when `key` has a token left, without using it.
    pub fn has_token(&self, key: Option<IpAddr>, per_minute: u32) -> bool {
        self.take_if(key, per_minute, false)
    }

    fn take_if(&self, key: Option<IpAddr>, per_minute: u32, take: bool) -> bool {
        let per_minute = f64::from(per_minute.max(1));
        let now = Instant::now();
        let Ok(mut map) = self.buckets.lock() else {
            return true;
        };
        if map.len() >= MAX_KEYS {
            map.retain(|_, b| {
                Self::refill(b, per_minute, now);
                b.tokens < per_minute
            });
        }
        let b = map.entry(key).or_insert(Bucket {
            tokens: per_minute,
            at: now,
        });
        Self::refill(b, per_minute, now);
        if b.tokens >= 1.0 {
            if take {
                b.tokens -= 1.0;
            }
            true
        } else {
            false
        }
    }
}

/// The UI's limiters.
#[derive(Debug, Default)]
pub struct Limiters {
    /// Reports on the public form.
    pub report: Limiter,
    /// Failed logins.
    pub login: Limiter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refuses() {
        let l = Limiter::default();
        assert!(l.try_take(None, 2));
        assert!(l.try_take(None, 2));
        assert!(!l.try_take(None, 2));
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(l.try_take(Some(other), 2));
        assert!(l.has_token(Some(other), 2));
    }
}
