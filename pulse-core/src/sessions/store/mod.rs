//! Where session data lives between requests: the [`SessionStore`] trait, the default
//! [`CookieStore`] (the whole session in a signed or encrypted cookie), the server-side
//! [`MemoryStore`], and [`TowerStore`], which plugs in any `tower-sessions` store.

mod cookie;
mod decoded;
mod memory;
#[cfg(feature = "tower-sessions")]
mod tower;

use futures_util::future::BoxFuture;

use crate::session::Session;

pub use self::cookie::{COOKIE_DATA_LIMIT, CookieStore, DEFAULT_MAX_REVOKED};
pub use self::memory::{DEFAULT_MAX_SESSIONS, MemoryStore};
#[cfg(feature = "tower-sessions")]
pub use self::tower::TowerStore;

/// Why a store could not load, save or delete a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached (a database or Redis outage). A load that fails this way is
    /// answered with 503 and a log line, never with an anonymous session.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// The session no longer exists (a concurrent logout deleted it): a save must not bring it
    /// back.
    #[error("the session no longer exists in the store")]
    Gone,
    /// Anything else (encoding, a full store, an id collision).
    #[error("session store failed: {0}")]
    Failed(String),
}

/// Keeps sessions between requests, keyed by the `pulse.sid` cookie.
///
/// The server calls [`load`](Self::load) before a request runs and [`save`](Self::save) after
/// it, when the session changed or its cookie needs re-issuing, and [`delete`](Self::delete)
/// when a session ended or changed id ([`Session::end`], [`Session::regenerate`]).
///
/// Expiry is the server's job, not the store's: it reads [`Session::created_at`] and
/// [`Session::seen_at`] of a loaded session and treats one idle or older than its limits as
/// absent (see [`SessionConfig`](crate::server::SessionConfig)). A store keeps both times and
/// may drop a record after the `expires_at` it was saved with.
///
/// Rules every store follows:
/// - a cookie it cannot verify, or one naming a session it does not hold, loads as `Ok(None)`
///   (the browser gets a fresh session with a new id); never adopt an id the store did not issue;
/// - an outage is `Err(StoreError::Unavailable)`, never `Ok(None)`, so a session is not treated
///   as anonymous and then overwritten;
/// - a session that [`is_new`](Session::is_new) is created, never written over another one;
///   otherwise only [`Session::changes`] are applied, and a session deleted meanwhile is not
///   brought back (`Err(StoreError::Gone)`).
///
/// ```
/// # use pulse_core as ps;
/// use futures_util::future::BoxFuture;
/// use ps::server::StoreError;
///
/// /// Sessions in a map of (id → data), the cookie holding the raw id (a real store signs it).
/// #[derive(Default)]
/// struct MapStore(std::sync::Mutex<std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>>>);
///
/// impl ps::SessionStore for MapStore {
///     fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<ps::Session>, StoreError>> {
///         let data = self.0.lock().unwrap().get(cookie).cloned();
///         Box::pin(async move { Ok(data.map(|data| ps::Session::restore(cookie.into(), data, 0, 0))) })
///     }
///     fn save<'a>(&'a self, session: &'a ps::Session, _expires_at: u64) -> BoxFuture<'a, Result<String, StoreError>> {
///         self.0.lock().unwrap().insert(session.id(), session.to_map());
///         Box::pin(async move { Ok(session.id()) })
///     }
///     fn delete<'a>(&'a self, id: &'a str, _until: u64) -> BoxFuture<'a, Result<(), StoreError>> {
///         self.0.lock().unwrap().remove(id);
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The session named by `cookie` (the `pulse.sid` value the request sent); `Ok(None)` when
    /// the value is invalid or names no session; `Err` when the store cannot answer.
    fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<Session>, StoreError>>;

    /// [`load`](Self::load) for a store that can answer without waiting (the cookie store
    /// decodes the value itself; a store may answer from a cache): `Some` with what `load`
    /// would return, or `None` (the default) to have the server call `load`. Saves the
    /// server a boxed future per request.
    fn load_now(&self, cookie: &str) -> Option<Result<Option<Session>, StoreError>> {
        let _ = cookie;
        None
    }

    /// Persists `session` until `expires_at` (unix seconds) at the latest; returns the cookie
    /// value to send to the browser.
    fn save<'a>(
        &'a self,
        session: &'a Session,
        expires_at: u64,
    ) -> BoxFuture<'a, Result<String, StoreError>>;

    /// Forgets session `id`: a cookie naming it loads as `Ok(None)` from now on. `until` (unix
    /// seconds) is when the session would have expired anyway: a store that remembers revoked
    /// ids (the cookie store) may forget them then.
    fn delete<'a>(&'a self, id: &'a str, until: u64) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The largest session data the store accepts, in JSON bytes (the cookie store's limit).
    /// Asked once, when the server is built.
    fn data_limit(&self) -> Option<usize> {
        None
    }
}
