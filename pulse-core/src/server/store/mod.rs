//! Where session data lives between requests: the [`SessionStore`] trait, the default
//! [`CookieStore`] (the whole session in a signed cookie) and the server-side [`MemoryStore`].

mod cookie;
mod memory;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

use crate::session::Session;

pub use self::cookie::{COOKIE_DATA_LIMIT, CookieStore};
pub use self::memory::MemoryStore;

/// How long a session lives without requests: 7 days, renewed as the browser comes back.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A session cookie older than this is re-issued (with a fresh `Max-Age`) on the next request,
/// which makes the expiry sliding without a `Set-Cookie` on every response.
pub(crate) const REFRESH_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A session restored for one request.
#[derive(Debug)]
pub struct LoadedSession {
    /// The session; fresh and empty when the cookie was absent, invalid, expired or unknown.
    pub session: Session,
    /// Whether the browser's cookie must be re-issued even if the data did not change (it is
    /// old enough to refresh its expiry).
    pub refresh: bool,
}

impl LoadedSession {
    /// A fresh, empty session with a new random id.
    pub fn fresh(limit: Option<usize>) -> LoadedSession {
        LoadedSession {
            session: Session::fresh(limit),
            refresh: false,
        }
    }
}

/// Why a store could not save a session (the browser keeps its previous cookie).
#[derive(Debug, thiserror::Error)]
#[error("session store failed: {0}")]
pub struct StoreError(pub String);

/// Keeps sessions between requests, keyed by the `pulse.sid` cookie.
///
/// The server calls [`load`](Self::load) before a request runs and [`save`](Self::save) after it,
/// when the session changed or its cookie needs refreshing. A store never trusts a cookie it
/// cannot verify: an invalid, expired or unknown value yields a fresh session with a new id.
///
/// Stores are async so a shared store (Redis, a database) fits the same trait.
pub trait SessionStore: Send + Sync + 'static {
    /// The session named by `cookie` (the `pulse.sid` value, if the request sent one).
    fn load<'a>(&'a self, cookie: Option<&'a str>) -> BoxFuture<'a, LoadedSession>;

    /// Persists `session`; returns the cookie value to send to the browser.
    fn save<'a>(&'a self, session: &'a Session) -> BoxFuture<'a, Result<String, StoreError>>;

    /// How long a session lives without requests (the cookie's `Max-Age`).
    fn max_age(&self) -> Duration {
        DEFAULT_MAX_AGE
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How far in the future an issue time may be (clocks of several servers, or one clock stepped
/// back) before a cookie is refused.
const CLOCK_SKEW: u64 = 5 * 60;

/// Whether a cookie issued at `issued` is still valid at `now`, and whether it needs refreshing.
pub(crate) fn age_check(issued: u64, now: u64, max_age: Duration) -> Option<bool> {
    if issued > now.saturating_add(CLOCK_SKEW) {
        return None;
    }
    let age = now.saturating_sub(issued);
    (age <= max_age.as_secs()).then_some(age >= REFRESH_AFTER.as_secs())
}
