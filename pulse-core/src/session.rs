//! [`Session`]: per-browser data that persists across requests, shared by every hook of a request.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A handle to one browser's session data: JSON values by key.
///
/// Cloning the handle shares the data, as with Pulse's session dict: what one middleware
/// writes is seen by the middleware downstream, the page, and later requests (once the store
/// has saved it). The session knows whether it changed, so the server only sends a new cookie
/// when needed.
///
/// ```
/// use pulse_core as ps;
///
/// let session = ps::Session::new();
/// session.insert("user_email", "ada@example.com").unwrap();
/// session.insert("visits", 3).unwrap();
/// assert!(session.contains("user_email"));
/// assert_eq!(session.get::<u32>("visits"), Some(3));
/// assert_eq!(session.get::<u32>("user_email"), None); // not a number
/// session.remove("user_email"); // signing out
/// assert!(!session.contains("user_email"));
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    /// Drawn on first use: a fresh session that is never saved never needs one.
    id: OnceLock<String>,
    limit: Option<usize>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    data: Map<String, Value>,
    changed: bool,
}

/// Why a session write failed; the session keeps its previous data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value could not be turned into JSON.
    #[error("session value for `{key}` is not serializable to JSON: {source}")]
    Serialize {
        /// The key being written.
        key: String,
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// The data would no longer fit the store (for the cookie store, a cookie).
    #[error(
        "session data would be {size} bytes, over the store's limit of {limit} bytes; the write was refused and the previous data kept"
    )]
    TooLarge {
        /// Encoded size the write would have produced.
        size: usize,
        /// The store's limit.
        limit: usize,
    },
}

impl Session {
    /// An empty session with a fresh random id.
    pub fn new() -> Session {
        Session::fresh(None)
    }

    /// An empty session with a fresh random id (drawn when first needed) for a store whose
    /// encoded data may not exceed `limit` bytes of JSON.
    pub fn fresh(limit: Option<usize>) -> Session {
        Session::build(OnceLock::new(), Map::new(), limit)
    }

    /// A session restored by a store: its id, data, and the largest encoded size the store
    /// accepts (JSON bytes of the data), if any.
    pub fn from_parts(id: String, data: Map<String, Value>, limit: Option<usize>) -> Session {
        Session::build(OnceLock::from(id), data, limit)
    }

    fn build(id: OnceLock<String>, data: Map<String, Value>, limit: Option<usize>) -> Session {
        Session {
            inner: Arc::new(Inner {
                id,
                limit,
                state: Mutex::new(State {
                    data,
                    changed: false,
                }),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No user code runs while the lock is held, so a poisoned lock still holds valid data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The session id.
    pub fn id(&self) -> &str {
        self.inner.id.get_or_init(new_id)
    }

    /// The value at `key` as `T`; `None` when absent or not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// The value at `key` as `T`, telling "absent" (`Ok(None)`) from "not a `T`" (`Err`).
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        let value = self.state().data.get(key).cloned();
        value.map(serde_json::from_value).transpose()
    }

    /// The raw JSON value at `key`.
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.state().data.get(key).cloned()
    }

    /// Whether `key` is set (to anything but `null`).
    pub fn contains(&self, key: &str) -> bool {
        self.state().data.get(key).is_some_and(|v| !v.is_null())
    }

    /// Stores `value` at `key`, replacing what was there.
    ///
    /// Fails, keeping the previous data, when the value is not JSON or the data would exceed the
    /// store's size limit: a session is never wiped silently.
    pub fn insert<T: Serialize>(
        &self,
        key: impl Into<String>,
        value: T,
    ) -> Result<(), SessionError> {
        let key = key.into();
        let value = serde_json::to_value(value).map_err(|source| SessionError::Serialize {
            key: key.clone(),
            source,
        })?;
        let mut state = self.state();
        if state.data.get(&key) == Some(&value) {
            return Ok(());
        }
        let previous = state.data.insert(key.clone(), value);
        if let Some(limit) = self.inner.limit {
            let size = encoded_len(&state.data);
            if size > limit {
                match previous {
                    Some(previous) => state.data.insert(key, previous),
                    None => state.data.remove(&key),
                };
                return Err(SessionError::TooLarge { size, limit });
            }
        }
        state.changed = true;
        Ok(())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut state = self.state();
        let removed = state.data.remove(key);
        state.changed |= removed.is_some();
        removed
    }

    /// Removes everything.
    pub fn clear(&self) {
        let mut state = self.state();
        if !state.data.is_empty() {
            state.data.clear();
            state.changed = true;
        }
    }

    /// Whether the data changed since the session was loaded (or since [`Self::mark_saved`]).
    pub fn is_changed(&self) -> bool {
        self.state().changed
    }

    /// Records that a store saved the current data.
    pub fn mark_saved(&self) {
        self.state().changed = false;
    }

    /// A copy of the data.
    pub fn to_map(&self) -> Map<String, Value> {
        self.state().data.clone()
    }

    /// Whether the session holds no data.
    pub fn is_empty(&self) -> bool {
        self.state().data.is_empty()
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Session")
            .field("id", &self.inner.id.get())
            .field("keys", &state.data.keys().collect::<Vec<_>>())
            .field("changed", &state.changed)
            .finish()
    }
}

fn encoded_len(data: &Map<String, Value>) -> usize {
    serde_json::to_vec(data).map_or(usize::MAX, |bytes| bytes.len())
}

/// A new random session id: 128 bits, URL-safe base64.
pub(crate) fn new_id() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
