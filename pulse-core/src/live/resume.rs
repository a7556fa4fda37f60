//! Views that outlive their socket: a page's client names each page load with a random view id
//! and attaches with it; when the socket drops and the page reconnects, the attach with the same
//! view id (and the same session) gets the view's [`ViewState`] back. A view whose last socket
//! closed is kept for a grace period ([`Live::view_grace`](super::Live::view_grace)), then
//! forgotten. Per-process memory: a restarted server starts every view afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::page::ViewState;

/// The default time a view whose socket closed is kept for a reconnect: 2 minutes.
pub const DEFAULT_VIEW_GRACE: Duration = Duration::from_secs(120);
/// The default number of views kept (attached or waiting for a reconnect).
pub const DEFAULT_MAX_VIEWS: usize = 100_000;
/// The longest view id a client may name; longer ones are refused (`bad_request`).
pub(crate) const MAX_VIEW_ID: usize = 64;

type Key = (String, String);

struct Entry {
    /// The session the view was rendered for: only that session may resume it.
    session_id: String,
    state: ViewState,
    /// Connections that have the view attached.
    holders: usize,
    /// When the last holder let go.
    released: Option<Instant>,
}

/// The views of every connection of a [`Live`](super::Live), by (view id, route pattern).
#[derive(Clone)]
pub(crate) struct Views {
    inner: Arc<Mutex<HashMap<Key, Entry>>>,
    pub(crate) grace: Duration,
    pub(crate) max: usize,
}

impl Default for Views {
    fn default() -> Views {
        Views {
            inner: Arc::default(),
            grace: DEFAULT_VIEW_GRACE,
            max: DEFAULT_MAX_VIEWS,
        }
    }
}

impl std::fmt::Debug for Views {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Views")
            .field("len", &self.map().len())
            .field("grace", &self.grace)
            .field("max", &self.max)
            .finish()
    }
}

impl Views {
    fn map(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        // No user code runs while the lock is held.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state of view `view_id` at `path` if session `session_id` may resume it (kept and
    /// not expired), without holding it yet.
    pub(crate) fn find(&self, view_id: &str, path: &str, session_id: &str) -> Option<ViewState> {
        let map = self.map();
        let entry = map.get(&(view_id.to_owned(), path.to_owned()))?;
        let expired = entry.released.is_some_and(|at| at.elapsed() > self.grace);
        (entry.session_id == session_id && !expired).then(|| entry.state.clone())
    }

    /// A connection holds view `view_id` at `path` with `state` (the one [`find`](Views::find)
    /// gave, or a new one). A view id taken by another session is left alone: that view
    /// simply does not survive a reconnect.
    pub(crate) fn hold(&self, view_id: &str, path: &str, session_id: &str, state: &ViewState) {
        let key = (view_id.to_owned(), path.to_owned());
        let mut map = self.map();
        let grace = self.grace;
        if let Some(entry) = map.get_mut(&key) {
            let expired = entry.released.is_some_and(|at| at.elapsed() > grace);
            if entry.session_id != session_id && !expired {
                return;
            }
            if entry.session_id == session_id && !expired {
                entry.holders += 1;
                entry.released = None;
                entry.state = state.clone();
                return;
            }
            map.remove(&key);
        }
        if map.len() >= self.max {
            map.retain(|_, e| e.released.is_none_or(|at| at.elapsed() <= grace));
        }
        if map.len() >= self.max {
            let oldest = map
                .iter()
                .filter_map(|(key, e)| e.released.map(|at| (at, key)))
                .min_by_key(|(at, _)| *at)
                .map(|(_, key)| key.clone());
            match oldest {
                Some(oldest) => {
                    map.remove(&oldest);
                }
                None => {
                    tracing::debug!(max = self.max, "view table full: view not resumable");
                    return;
                }
            }
        }
        map.insert(
            key,
            Entry {
                session_id: session_id.to_owned(),
                state: state.clone(),
                holders: 1,
                released: None,
            },
        );
    }

    /// A connection lets go of view `view_id` at `path` (detached, gone, or the socket closed).
    pub(crate) fn release(&self, view_id: &str, path: &str, session_id: &str) {
        let key = (view_id.to_owned(), path.to_owned());
        let mut map = self.map();
        let Some(entry) = map.get_mut(&key) else {
            return;
        };
        if entry.session_id == session_id && entry.holders > 0 {
            entry.holders -= 1;
            if entry.holders == 0 {
                entry.released = Some(Instant::now());
            }
        }
    }

    /// Forgets view `view_id` at `path` (the view navigated away or was detached on purpose).
    pub(crate) fn forget(&self, view_id: &str, path: &str, session_id: &str) {
        let key = (view_id.to_owned(), path.to_owned());
        let mut map = self.map();
        if map.get(&key).is_some_and(|e| e.session_id == session_id) {
            map.remove(&key);
        }
    }

    /// How many views are kept (attached or waiting for a reconnect).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_view_is_resumed_by_its_session_only() {
        let views = Views::default();
        let state = ViewState::default();
        state.set("count", 3);
        views.hold("v1", "/", "s1", &state);
        views.release("v1", "/", "s1");
        assert!(views.find("v1", "/", "s2").is_none());
        let found = views.find("v1", "/", "s1").expect("kept");
        assert_eq!(found.get::<i64>("count"), Some(3));
        // Another session cannot take the id over.
        views.hold("v1", "/", "s2", &ViewState::default());
        assert_eq!(
            views.find("v1", "/", "s1").unwrap().get::<i64>("count"),
            Some(3)
        );
    }

    #[test]
    fn released_views_expire_and_the_table_is_bounded() {
        let views = Views {
            grace: Duration::ZERO,
            max: 2,
            ..Views::default()
        };
        for id in ["a", "b", "c"] {
            views.hold(id, "/", "s", &ViewState::default());
            views.release(id, "/", "s");
        }
        std::thread::sleep(Duration::from_millis(2));
        assert!(views.find("c", "/", "s").is_none(), "expired");
        assert!(views.len() <= 2);
        // Held views are never evicted; a full table of held views takes no more.
        let views = Views {
            max: 1,
            ..Views::default()
        };
        views.hold("a", "/", "s", &ViewState::default());
        views.hold("b", "/", "s", &ViewState::default());
        assert!(views.find("a", "/", "s").is_some());
        assert!(views.find("b", "/", "s").is_none());
    }
}
