//! The per-replica cache behind authentication: what turning a verified access token
//! into an [`Actor`] reads (the account or client with its token version and disabled
//! flag, its grants with their subtree paths, the person's home organisation, and the
//! current key epoch), so the hot path of a request costs no database round trip.
//!
//! # Staleness
//! An entry is used for at most `DANGJIAN_AUTH_CACHE_SECS` (default 5 s) after it was
//! read. Every write that can change what authentication reads (accounts, clients,
//! role grants, organisations, people, key epochs) is audited, and the audit trail
//! calls [`changed`] for those entities: this replica then reads everything again on
//! the next request. Another replica sees such a change (a disabled account, a revoked
//! grant, a new key epoch) within the bound. A change committed while a request of this
//! replica was reading the old values is also seen within the bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::auth::Actor;

/// Bumped by every change authentication depends on (process-wide: every replica state
/// in this process forgets its entries).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The most entries kept; beyond it the cache starts over (a replica serving more
/// distinct callers within the staleness bound reads them again).
const MAX_ENTRIES: usize = 20_000;

/// The entities whose changes authentication depends on (audit entity names).
const AUTH_ENTITIES: [&str; 6] =
    ["user_account", "role_assignment", "service_client", "organization", "person", "auth_epoch"];

/// Records that something authentication reads has changed (called by the audit trail
/// for the entities in question, and by the few unaudited writers).
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Whether a change to `entity` (an audit entity name) invalidates the cache.
pub fn depends_on(entity: &str) -> bool {
    AUTH_ENTITIES.contains(&entity)
}

fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// What authentication knows of one account or client.
#[derive(Debug, Clone)]
pub struct Known {
    /// The current token version (a token must carry it).
    pub token_version: i32,
    /// Whether the account or client is disabled.
    pub disabled: bool,
    /// The actor it acts as (request id and origin empty).
    pub actor: Actor,
}

#[derive(Debug)]
struct Entry<T> {
    value: T,
    loaded: Instant,
    generation: u64,
}

impl<T: Clone> Entry<T> {
    fn fresh(&self, ttl: Duration, generation: u64) -> Option<T> {
        (self.generation == generation && self.loaded.elapsed() < ttl).then(|| self.value.clone())
    }
}

/// The cache of one replica (kept in the application state).
#[derive(Debug)]
pub struct AuthCache {
    ttl: Duration,
    principals: Mutex<HashMap<(bool, Uuid), Entry<Known>>>,
    epoch: Mutex<Option<Entry<i32>>>,
}

impl AuthCache {
    /// A cache whose entries live at most `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration) -> Self {
        AuthCache { ttl, principals: Mutex::new(HashMap::new()), epoch: Mutex::new(None) }
    }

    /// The generation to stamp a value about to be read with (taken before reading, so
    /// a change during the read makes the value stale at once).
    pub fn stamp(&self) -> u64 {
        generation()
    }

    /// The cached account (`client = false`) or client, if fresh.
    pub fn principal(&self, client: bool, id: Uuid) -> Option<Known> {
        let map = self.principals.lock().ok()?;
        map.get(&(client, id))?.fresh(self.ttl, generation())
    }

    /// Keeps what was read about an account or client at generation `stamp`.
    pub fn keep_principal(&self, client: bool, id: Uuid, value: Known, stamp: u64) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.principals.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert((client, id), Entry { value, loaded: Instant::now(), generation: stamp });
        }
    }

    /// The cached current key epoch, if fresh.
    pub fn epoch(&self) -> Option<i32> {
        self.epoch.lock().ok()?.as_ref()?.fresh(self.ttl, generation())
    }

    /// Keeps the current key epoch read at generation `stamp`.
    pub fn keep_epoch(&self, epoch: i32, stamp: u64) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut slot) = self.epoch.lock() {
            *slot = Some(Entry { value: epoch, loaded: Instant::now(), generation: stamp });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_changes_forget_them() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let stamp = cache.stamp();
        cache.keep_epoch(3, stamp);
        assert_eq!(cache.epoch(), Some(3));
        changed();
        assert_eq!(cache.epoch(), None, "a change makes every entry stale");
        let stamp = cache.stamp();
        cache.keep_epoch(4, stamp);
        assert_eq!(cache.epoch(), Some(4));

        let off = AuthCache::new(Duration::ZERO);
        off.keep_epoch(5, off.stamp());
        assert_eq!(off.epoch(), None, "a zero bound caches nothing");
    }
}
