//! [`MemoryStore`]: sessions kept in the server's memory; the cookie only names them.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::{SessionStore, StoreError};
use crate::session::Session;
use crate::sessions::config::{Clock, KeyRing, SystemClock};
use crate::sessions::signer::Signer;

/// Sweep expired sessions once every this many saves (and whenever the store is full).
const SWEEP_EVERY: u64 = 1024;

/// The default bound on sessions held at once (see [`MemoryStore::max_sessions`]).
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

/// A server-side store in this process's memory: the cookie carries a signed random id
/// (`m2.<id>.<HMAC-SHA256>`, 128 random bits from a CSPRNG), the data stays on the server.
///
/// - An id the store did not issue, or one it has forgotten (ended, expired, or the process
///   restarted), is never adopted: the browser gets a fresh session with a new id.
/// - **Concurrent writes**: each request works on its own copy, and a save applies only the
///   keys that request wrote or removed ([`Session::changes`]), so two requests of one session
///   writing different keys at once both keep their writes; for the same key the last save
///   wins. A session deleted meanwhile (a logout) is not brought back by a slower request.
/// - **Bounded**: at most [`max_sessions`](Self::max_sessions) sessions (default
///   [`DEFAULT_MAX_SESSIONS`]); expired ones are swept every 1024 saves and whenever the store
///   is full. A new session that does not fit is not stored (logged), never one evicted early.
///
/// Sessions are lost when the process ends and are not shared between processes; use a shared
/// store (Redis, or any `tower-sessions` store through `TowerStore`, feature `tower-sessions`).
#[derive(Clone)]
pub struct MemoryStore {
    signer: Signer,
    shared: Arc<Shared>,
}

struct Shared {
    entries: Mutex<HashMap<String, Entry>>,
    saves: AtomicU64,
    max: AtomicU64,
    clock: Box<dyn Clock>,
}

struct Entry {
    data: Map<String, Value>,
    created: u64,
    seen: u64,
    expires_at: u64,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store signing its ids with `keys` (a [`Secret`](crate::Secret) or a [`KeyRing`]).
    pub fn new(keys: impl Into<KeyRing>) -> MemoryStore {
        MemoryStore::with_clock(keys, SystemClock)
    }

    /// A store that sweeps expired sessions by `clock` (the server's
    /// [`SessionConfig`](crate::server::SessionConfig) clock in tests).
    pub fn with_clock(keys: impl Into<KeyRing>, clock: impl Clock) -> MemoryStore {
        MemoryStore {
            signer: Signer::new(&keys.into(), "pulse.session-id.v2"),
            shared: Arc::new(Shared {
                entries: Mutex::default(),
                saves: AtomicU64::new(0),
                max: AtomicU64::new(DEFAULT_MAX_SESSIONS as u64),
                clock: Box::new(clock),
            }),
        }
    }

    /// Bounds how many sessions the store holds (default [`DEFAULT_MAX_SESSIONS`]).
    pub fn max_sessions(self, max: usize) -> MemoryStore {
        self.shared.max.store(max as u64, Ordering::Relaxed);
        self
    }

    /// How many sessions the store holds.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // No code that can panic runs under the lock.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn load_now(&self, cookie: &str) -> Option<Session> {
        let verified = self.signer.verify(cookie)?;
        let id = verified.payload.strip_prefix("m2.")?;
        let now = self.shared.clock.now();
        let mut entries = self.entries();
        let entry = entries.get(id)?;
        if entry.expires_at < now {
            entries.remove(id);
            return None;
        }
        let session =
            Session::restore(id.to_owned(), entry.data.clone(), entry.created, entry.seen);
        if verified.old_key {
            session.reissue();
        }
        Some(session)
    }

    pub(crate) fn save_now(
        &self,
        session: &Session,
        expires_at: u64,
    ) -> Result<String, StoreError> {
        let id = session.id();
        let now = self.shared.clock.now();
        let max = usize::try_from(self.shared.max.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        let mut entries = self.entries();
        let sweep =
            self.shared.saves.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1;
        if sweep || (session.is_new() && entries.len() >= max) {
            entries.retain(|_, entry| entry.expires_at >= now);
        }
        if session.is_new() {
            if entries.contains_key(&id) {
                return Err(StoreError::Failed("session id collision".into()));
            }
            if entries.len() >= max {
                return Err(StoreError::Failed(format!(
                    "the memory store is full ({max} sessions); raise `MemoryStore::max_sessions`"
                )));
            }
            entries.insert(
                id.clone(),
                Entry {
                    data: session.to_map(),
                    created: session.created_at(),
                    seen: session.seen_at(),
                    expires_at,
                },
            );
        } else {
            let entry = entries.get_mut(&id).ok_or(StoreError::Gone)?;
            for (key, value) in session.changes() {
                match value {
                    Some(value) => entry.data.insert(key, value),
                    None => entry.data.remove(&key),
                };
            }
            entry.seen = entry.seen.max(session.seen_at());
            entry.expires_at = entry.expires_at.max(expires_at);
        }
        drop(entries);
        Ok(self.signer.sign(&format!("m2.{id}")))
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        let loaded = self.load_now(cookie);
        Box::pin(async move { Ok(loaded) })
    }

    fn save<'a>(
        &'a self,
        session: &'a Session,
        expires_at: u64,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        let value = self.save_now(session, expires_at);
        Box::pin(async move { value })
    }

    fn delete<'a>(&'a self, id: &'a str, _until: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries().remove(id);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::config::{ManualClock, Secret};

    const T0: u64 = 1_700_000_000;

    fn store() -> (MemoryStore, ManualClock) {
        let clock = ManualClock::new(T0);
        (
            MemoryStore::with_clock(Secret::new([2u8; 32]).unwrap(), clock.clone()),
            clock,
        )
    }

    fn save(store: &MemoryStore, session: &Session, now: u64) -> String {
        session.stamp(now);
        let cookie = store.save_now(session, now + 100).unwrap();
        session.mark_saved();
        cookie
    }

    #[test]
    fn keeps_data_on_the_server_and_the_id_in_the_cookie() {
        let (store, _) = store();
        let session = Session::new();
        session.insert("user_email", "a@b.c").unwrap();
        let cookie = save(&store, &session, T0);
        assert!(!cookie.contains("a@b.c"));
        let again = store.load_now(&cookie).unwrap();
        assert_eq!(again.id(), session.id());
        assert_eq!(again.get::<String>("user_email").unwrap(), "a@b.c");
        assert_eq!(again.created_at(), T0);
    }

    #[test]
    fn never_adopts_an_id_it_did_not_issue() {
        let (store, _) = store();
        assert!(store.load_now("m2.attacker-chosen-id.AAAA").is_none());
        // Signed by another store (another secret): not adopted either.
        let other = MemoryStore::new(Secret::new([3u8; 32]).unwrap());
        let cookie = save(&other, &Session::new(), T0);
        assert!(store.load_now(&cookie).is_none());
        // A valid signature for an id this store forgot (restart): nothing.
        let (twin, _) = self::store();
        let lost = save(&twin, &Session::new(), T0);
        assert!(store.load_now(&lost).is_none());
    }

    #[test]
    fn concurrent_writes_of_different_keys_both_survive_and_a_deleted_session_stays_deleted() {
        let (store, _) = store();
        let session = Session::new();
        session.insert("a", 0).unwrap();
        let cookie = save(&store, &session, T0);
        let one = store.load_now(&cookie).unwrap();
        let two = store.load_now(&cookie).unwrap();
        one.insert("a", 1).unwrap();
        two.insert("b", 2).unwrap();
        save(&store, &one, T0 + 1);
        save(&store, &two, T0 + 2);
        let merged = store.load_now(&cookie).unwrap();
        assert_eq!(
            (merged.get::<i32>("a"), merged.get::<i32>("b")),
            (Some(1), Some(2))
        );
        // A logout deletes the session; a slower request holding a copy cannot revive it.
        let slow = store.load_now(&cookie).unwrap();
        futures_util::FutureExt::now_or_never(store.delete(&session.id(), 0));
        slow.insert("c", 3).unwrap();
        slow.stamp(T0 + 3);
        assert!(matches!(
            store.save_now(&slow, T0 + 100),
            Err(StoreError::Gone)
        ));
        assert!(store.load_now(&cookie).is_none());
    }

    #[test]
    fn expired_sessions_are_forgotten_and_the_store_is_bounded() {
        let (store, clock) = store();
        let store = store.max_sessions(2);
        let a = save(&store, &Session::new(), T0);
        save(&store, &Session::new(), T0);
        let third = Session::new();
        third.stamp(T0);
        assert!(matches!(
            store.save_now(&third, T0 + 100),
            Err(StoreError::Failed(_))
        ));
        assert!(store.load_now(&a).is_some());
        clock.advance(std::time::Duration::from_secs(101));
        // Full of expired sessions: they are swept to make room.
        assert!(store.save_now(&third, T0 + 300).is_ok());
        assert_eq!(store.len(), 1);
        assert!(store.load_now(&a).is_none());
    }

    #[test]
    fn ids_are_128_random_bits() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| Session::new().id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, id)
                    .unwrap();
            assert_eq!(bytes.len(), 16);
        }
    }
}
