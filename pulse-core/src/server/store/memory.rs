//! [`MemoryStore`]: sessions kept in the server's memory; the cookie only names them.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::{DEFAULT_MAX_AGE, LoadedSession, SessionStore, StoreError, age_check, now};
use crate::server::config::Secret;
use crate::server::signer::Signer;
use crate::session::Session;

/// Sweep expired sessions once every this many saves.
const SWEEP_EVERY: u64 = 256;

/// A server-side store in this process's memory: the cookie carries a signed random id
/// (`m1.<id>.<issued>.<HMAC-SHA256>`), the data stays on the server.
///
/// An id the store did not issue, or one it has forgotten (expired, or the process restarted),
/// is never adopted: the browser gets a fresh session with a new id. Sessions are lost when the
/// process ends and are not shared between processes; use a shared store for that.
#[derive(Clone)]
pub struct MemoryStore {
    signer: Signer,
    max_age: Duration,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    entries: Mutex<HashMap<String, Entry>>,
    saves: AtomicU64,
}

struct Entry {
    data: Map<String, Value>,
    last_seen: u64,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("max_age", &self.max_age)
            .field("sessions", &self.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store signing its ids with `secret`.
    pub fn new(secret: Secret) -> MemoryStore {
        MemoryStore {
            signer: Signer::new(secret, "pulse.session-id.v1"),
            max_age: DEFAULT_MAX_AGE,
            shared: Arc::default(),
        }
    }

    /// Sets how long a session lives without requests (default 7 days).
    pub fn max_age(mut self, max_age: Duration) -> MemoryStore {
        self.max_age = max_age;
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

    pub(crate) fn load_at(&self, cookie: Option<&str>, now: u64) -> LoadedSession {
        let restored = cookie.and_then(|value| {
            let payload = self.signer.verify(value)?.strip_prefix("m1.")?;
            let (id, issued) = payload.split_once('.')?;
            let refresh = age_check(issued.parse().ok()?, now, self.max_age)?;
            let mut entries = self.entries();
            let entry = entries.get_mut(id)?;
            if age_check(entry.last_seen, now, self.max_age).is_none() {
                entries.remove(id);
                return None;
            }
            entry.last_seen = now;
            Some(LoadedSession {
                session: Session::from_parts(id.to_owned(), entry.data.clone(), None),
                refresh,
            })
        });
        restored.unwrap_or_else(|| LoadedSession::fresh(None))
    }

    pub(crate) fn save_at(&self, session: &Session, now: u64) -> String {
        let id = session.id();
        let data = session.to_map();
        let mut entries = self.entries();
        entries.insert(
            id.to_owned(),
            Entry {
                data,
                last_seen: now,
            },
        );
        if self.shared.saves.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            entries.retain(|_, entry| age_check(entry.last_seen, now, self.max_age).is_some());
        }
        drop(entries);
        self.signer.sign(&format!("m1.{id}.{now}"))
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, cookie: Option<&'a str>) -> BoxFuture<'a, LoadedSession> {
        let loaded = self.load_at(cookie, now());
        Box::pin(async move { loaded })
    }

    fn save<'a>(&'a self, session: &'a Session) -> BoxFuture<'a, Result<String, StoreError>> {
        let value = self.save_at(session, now());
        Box::pin(async move { Ok(value) })
    }

    fn max_age(&self) -> Duration {
        self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn store() -> MemoryStore {
        MemoryStore::new(Secret::new([2u8; 32]).unwrap())
    }

    #[test]
    fn keeps_data_on_the_server_and_the_id_in_the_cookie() {
        let store = store();
        let session = store.load_at(None, T0).session;
        session.insert("user_email", "a@b.c").unwrap();
        let cookie = store.save_at(&session, T0);
        assert!(!cookie.contains("a@b.c"));
        let again = store.load_at(Some(&cookie), T0 + 1).session;
        assert_eq!(again.id(), session.id());
        assert_eq!(again.get::<String>("user_email").unwrap(), "a@b.c");
    }

    #[test]
    fn never_adopts_an_id_it_did_not_issue() {
        let store = store();
        let forged = "m1.attacker-chosen-id.1700000000.AAAA";
        let loaded = store.load_at(Some(forged), T0);
        assert_ne!(loaded.session.id(), "attacker-chosen-id");
        // Signed by another store (another secret): not adopted either.
        let other = MemoryStore::new(Secret::new([3u8; 32]).unwrap());
        let session = other.load_at(None, T0).session;
        let cookie = other.save_at(&session, T0);
        assert_ne!(store.load_at(Some(&cookie), T0).session.id(), session.id());
        // A valid signature for an id this store forgot (restart): a fresh id.
        let twin = MemoryStore::new(Secret::new([2u8; 32]).unwrap());
        let lost = twin.save_at(&twin.load_at(None, T0).session, T0);
        let loaded = store.load_at(Some(&lost), T0);
        assert!(store.is_empty());
        assert_ne!(Some(loaded.session.id()), lost.split('.').nth(1));
    }

    #[test]
    fn forgets_sessions_idle_past_max_age() {
        let store = store();
        let session = store.load_at(None, T0).session;
        let cookie = store.save_at(&session, T0);
        let late = store.load_at(Some(&cookie), T0 + DEFAULT_MAX_AGE.as_secs() + 1);
        assert_ne!(late.session.id(), session.id());
    }
}
