//! The identities of open sockets: each socket acts as the session it was opened with, and
//! only that one. Sockets are registered under their session's key so a revocation (the
//! session ended or changed id) closes them; session changes a socket made wait here, under a
//! one-time token, for the browser to fetch its new cookie (`POST /_pulse/set-cookies`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::sessions::Handoff;
use crate::sessions::revocation::session_key;

/// How long a socket's session change waits for the browser to fetch it.
const HANDOFF_TTL: Duration = Duration::from_secs(60);
/// The most session changes waiting at once; the oldest is dropped past it (its browser then
/// keeps its previous cookie, which a revocation has already made anonymous if it ended).
const MAX_HANDOFFS: usize = 10_000;

/// Registered sockets by session key, and session changes waiting for their browser.
#[derive(Clone, Debug, Default)]
pub(crate) struct LiveSessions {
    sockets: Arc<Mutex<HashMap<String, Vec<Arc<Revoke>>>>>,
    handoffs: Arc<Mutex<Handoffs>>,
}

#[derive(Debug, Default)]
struct Handoffs {
    by_token: HashMap<String, (Instant, Handoff)>,
    order: VecDeque<String>,
}

/// A socket's revocation signal: set once, wakes the socket's frame loop.
#[derive(Debug, Default)]
pub(crate) struct Revoke {
    revoked: AtomicBool,
    notify: Notify,
}

impl Revoke {
    /// Whether the socket's session was revoked.
    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }

    /// Completes once the socket's session is revoked.
    pub(crate) async fn revoked(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_revoked() {
                return;
            }
            notified.await;
        }
    }

    /// Marks the socket's session revoked and wakes its frame loop.
    pub(crate) fn fire(&self) {
        self.revoked.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code that can panic runs under these locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LiveSessions {
    /// Closes every socket registered under `key` (called by the revocation bus).
    pub(crate) fn revoke(&self, key: &str) {
        let revokes = lock(&self.sockets).remove(key).unwrap_or_default();
        for revoke in revokes {
            revoke.fire();
        }
    }

    /// Registers a socket of session `id`; the registration ends when the guard drops.
    pub(crate) fn register(&self, id: &str, revoke: Arc<Revoke>) -> Registration {
        let key = session_key(id);
        lock(&self.sockets)
            .entry(key.clone())
            .or_default()
            .push(revoke.clone());
        Registration {
            sessions: self.clone(),
            key,
            revoke,
        }
    }

    fn unregister(&self, key: &str, revoke: &Arc<Revoke>) {
        let mut sockets = lock(&self.sockets);
        if let Some(list) = sockets.get_mut(key) {
            list.retain(|r| !Arc::ptr_eq(r, revoke));
            if list.is_empty() {
                sockets.remove(key);
            }
        }
    }

    /// Keeps `handoff` for the browser; returns the one-time token that claims it.
    pub(crate) fn hand_off(&self, handoff: Handoff) -> String {
        let token = crate::session::new_id();
        let now = Instant::now();
        let mut handoffs = lock(&self.handoffs);
        while let Some(oldest) = handoffs.order.front() {
            let expired = handoffs
                .by_token
                .get(oldest)
                .is_none_or(|(at, _)| now.duration_since(*at) > HANDOFF_TTL);
            if !expired && handoffs.by_token.len() < MAX_HANDOFFS {
                break;
            }
            if let Some(oldest) = handoffs.order.pop_front() {
                handoffs.by_token.remove(&oldest);
            }
        }
        if handoffs.order.len() > 2 * MAX_HANDOFFS {
            // Claimed tokens linger in the queue until they reach its front; drop them.
            let Handoffs { by_token, order } = &mut *handoffs;
            order.retain(|token| by_token.contains_key(token));
        }
        handoffs.by_token.insert(token.clone(), (now, handoff));
        handoffs.order.push_back(token.clone());
        token
    }

    /// The change waiting under `token`, once.
    pub(crate) fn claim(&self, token: &str) -> Option<Handoff> {
        let (at, handoff) = lock(&self.handoffs).by_token.remove(token)?;
        (at.elapsed() <= HANDOFF_TTL).then_some(handoff)
    }
}

/// A socket's registration under its session's key.
#[derive(Debug)]
pub(crate) struct Registration {
    sessions: LiveSessions,
    key: String,
    revoke: Arc<Revoke>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.sessions.unregister(&self.key, &self.revoke);
    }
}
