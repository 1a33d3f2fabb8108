//! Request quotas, per replica: every authenticated request counts against its service
//! client's or account's quota, and every token request against its source address's.
//!
//! Each quota is a number of requests per minute, as a burst of that many refilled
//! evenly over the minute (governor's GCRA: one cell per `60 s / quota`). A request over
//! quota is answered 429 with `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy`
//! headers (draft-ietf-httpapi-ratelimit-headers: `"client";q=1200;w=60` and
//! `"client";r=0;t=3`); every counted answer carries them too, so a client can pace
//! itself before it is refused. The state lives in this replica's memory: with several
//! replicas behind a balancer a caller may make up to that many times the quota (README,
//! "Security and limits").

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use crate::auth::{Actor, Principal};
use crate::config::Settings;
pub use crate::error::QuotaState;

/// The header naming the quota (`"client";q=1200;w=60`).
pub const POLICY_HEADER: &str = "ratelimit-policy";
/// The header with what is left of it (`"client";r=1199;t=1`).
pub const STATE_HEADER: &str = "ratelimit";

/// Adds the quota headers of `quota` to an answer's headers.
pub fn insert_headers(headers: &mut actix_web::http::header::HeaderMap, quota: &QuotaState) {
    use actix_web::http::header::{HeaderName, HeaderValue};
    for (name, value) in [(POLICY_HEADER, quota.policy_header()), (STATE_HEADER, quota.state_header())] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

type Keyed<K> =
    RateLimiter<K, governor::state::keyed::DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One keyed quota.
struct Limiter<K: Hash + Eq + Clone> {
    policy: &'static str,
    per_minute: u32,
    inner: Keyed<K>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(policy: &'static str, per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Limiter { policy, per_minute, inner: RateLimiter::keyed(Quota::per_minute(n)).with_middleware() })
    }

    /// Counts one request of `key`: its state, or the state of the refusal.
    fn check(&self, key: &K) -> Result<QuotaState, QuotaState> {
        let period_ms = 60_000 / u64::from(self.per_minute);
        match self.inner.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = u64::from(self.per_minute.saturating_sub(remaining));
                Ok(self.state(remaining, (used * period_ms).div_ceil(1000)))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(self.state(0, wait.as_millis().div_ceil(1000).max(1) as u64))
            }
        }
    }

    fn state(&self, remaining: u32, reset: u64) -> QuotaState {
        QuotaState { policy: self.policy, quota: self.per_minute, window: 60, remaining, reset }
    }

    /// Forgets keys whose quota is whole again (they would start afresh anyway).
    fn forget_idle(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// The replica's quotas (each absent when configured 0).
pub struct RateLimits {
    clients: Option<Limiter<Uuid>>,
    accounts: Option<Limiter<Uuid>>,
    token_addresses: Option<Limiter<IpAddr>>,
}

impl RateLimits {
    /// The quotas of the settings.
    pub fn from_settings(settings: &Settings) -> RateLimits {
        RateLimits {
            clients: Limiter::new("client", settings.rate_limit_client),
            accounts: Limiter::new("account", settings.rate_limit_account),
            token_addresses: Limiter::new("token", settings.rate_limit_token),
        }
    }

    /// Counts a request of `actor` (the server's own actor is never limited).
    pub fn check_caller(&self, actor: &Actor) -> Option<Result<QuotaState, QuotaState>> {
        match &actor.principal {
            Principal::Client { id, .. } => self.clients.as_ref().map(|l| l.check(id)),
            Principal::User { user_id, .. } => self.accounts.as_ref().map(|l| l.check(user_id)),
            Principal::System => None,
        }
    }

    /// Counts a token request from `address`.
    pub fn check_token(&self, address: Option<IpAddr>) -> Option<Result<QuotaState, QuotaState>> {
        let address = address?;
        self.token_addresses.as_ref().map(|l| l.check(&address))
    }

    /// Forgets callers whose quota is whole again, so that memory follows the callers of
    /// the last minute, not every address ever seen.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.clients {
            l.forget_idle();
        }
        if let Some(l) = &self.accounts {
            l.forget_idle();
        }
        if let Some(l) = &self.token_addresses {
            l.forget_idle();
        }
    }

    /// How often [`forget_idle`](Self::forget_idle) runs.
    pub const FORGET_INTERVAL: Duration = Duration::from_secs(60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_a_burst_refilled_over_the_minute_and_refusals_say_when_to_retry() {
        let l: Limiter<u8> = Limiter::new("client", 3).unwrap_or_else(|| unreachable!());
        let first = l.check(&1);
        assert_eq!(first.as_ref().map(|s| (s.remaining, s.reset)), Ok((2, 20)));
        assert_eq!(l.check(&1).map(|s| s.remaining), Ok(1));
        assert_eq!(l.check(&1).map(|s| (s.remaining, s.reset)), Ok((0, 60)));
        let refused = l.check(&1).err().unwrap_or_else(|| unreachable!());
        assert_eq!((refused.remaining, refused.policy, refused.quota), (0, "client", 3));
        assert!((1..=20).contains(&refused.reset), "{refused:?}");
        assert_eq!(refused.policy_header(), "\"client\";q=3;w=60");
        assert_eq!(refused.state_header(), format!("\"client\";r=0;t={}", refused.reset));
        // Another key has its own quota.
        assert_eq!(l.check(&2).map(|s| s.remaining), Ok(2));
        assert!(Limiter::<u8>::new("client", 0).is_none());
    }
}
