//! [`CookieStore`]: the whole session, signed (not encrypted), in the `pulse.sid` cookie.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DEFAULT_MAX_AGE, LoadedSession, SessionStore, StoreError, age_check, now};
use crate::server::config::Secret;
use crate::server::signer::Signer;
use crate::session::Session;

/// Browsers keep cookies of up to 4096 bytes, name, value and attributes included.
const COOKIE_BUDGET: usize = 4096;
/// Room for `pulse.sid=` and the attributes (`; HttpOnly; SameSite=Lax; Path=/; Max-Age=…; Secure`).
const ATTRIBUTES: usize = 96;
/// `v1.`, the signature's `.` and 43 characters of base64 signature.
const SIGNATURE: usize = 3 + 1 + 43;
/// The envelope around the data: `{"id":"<22>","iat":<up to 20 digits>,"data":…}`.
const ENVELOPE: usize = 66;

/// The largest session data, in JSON bytes, that fits a cookie once encoded and signed. A write
/// past it fails with [`SessionError::TooLarge`](crate::SessionError::TooLarge) and keeps the
/// previous data.
pub const COOKIE_DATA_LIMIT: usize = (COOKIE_BUDGET - ATTRIBUTES - SIGNATURE) / 4 * 3 - ENVELOPE;

/// The default store: the session travels in the `pulse.sid` cookie as
/// `v1.<base64url(JSON)>.<HMAC-SHA256>`.
///
/// The data is signed, not encrypted: the browser can read it, not change it. Keep secrets out
/// of the session or use a server-side store ([`MemoryStore`](super::MemoryStore)). The data is
/// limited to [`COOKIE_DATA_LIMIT`] JSON bytes.
///
/// Like every stateless cookie session, an old cookie stays valid until it expires: after a
/// logout, a copy of the logged-in cookie still authenticates for up to `max_age`. A server-side
/// store forgets data on the server and has no such window.
#[derive(Clone)]
pub struct CookieStore {
    signer: Signer,
    max_age: Duration,
}

impl fmt::Debug for CookieStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieStore")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    id: &'a str,
    iat: u64,
    data: &'a Map<String, Value>,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    iat: u64,
    data: Map<String, Value>,
}

impl CookieStore {
    /// A store signing with `secret`.
    pub fn new(secret: Secret) -> CookieStore {
        CookieStore {
            signer: Signer::new(secret, "pulse.session.v1"),
            max_age: DEFAULT_MAX_AGE,
        }
    }

    /// Sets how long a session lives without requests (default 7 days).
    pub fn max_age(mut self, max_age: Duration) -> CookieStore {
        self.max_age = max_age;
        self
    }

    pub(crate) fn load_at(&self, cookie: Option<&str>, now: u64) -> LoadedSession {
        let restored = cookie.and_then(|value| {
            let payload = self.signer.verify(value)?.strip_prefix("v1.")?;
            let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
            let envelope: Envelope = serde_json::from_slice(&json).ok()?;
            let refresh = age_check(envelope.iat, now, self.max_age)?;
            Some(LoadedSession {
                session: Session::from_parts(envelope.id, envelope.data, Some(COOKIE_DATA_LIMIT)),
                refresh,
            })
        });
        restored.unwrap_or_else(|| LoadedSession::fresh(Some(COOKIE_DATA_LIMIT)))
    }

    pub(crate) fn encode_at(&self, session: &Session, now: u64) -> Result<String, StoreError> {
        let data = session.to_map();
        let json = serde_json::to_vec(&EnvelopeRef {
            id: session.id(),
            iat: now,
            data: &data,
        })
        .map_err(|e| StoreError(e.to_string()))?;
        let value = self
            .signer
            .sign(&format!("v1.{}", URL_SAFE_NO_PAD.encode(json)));
        if value.len() > COOKIE_BUDGET - ATTRIBUTES {
            // Unreachable through `Session::insert`, which enforces the data limit.
            return Err(StoreError(format!(
                "session cookie would be {} bytes, over the {COOKIE_BUDGET}-byte cookie limit",
                value.len()
            )));
        }
        Ok(value)
    }
}

impl SessionStore for CookieStore {
    fn load<'a>(&'a self, cookie: Option<&'a str>) -> BoxFuture<'a, LoadedSession> {
        let loaded = self.load_at(cookie, now());
        Box::pin(async move { loaded })
    }

    fn save<'a>(&'a self, session: &'a Session) -> BoxFuture<'a, Result<String, StoreError>> {
        let value = self.encode_at(session, now());
        Box::pin(async move { value })
    }

    fn max_age(&self) -> Duration {
        self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionError;

    fn store() -> CookieStore {
        CookieStore::new(Secret::new([1u8; 32]).unwrap())
    }

    const T0: u64 = 1_700_000_000;

    #[test]
    fn round_trips_id_and_data() {
        let store = store();
        let session = Session::new();
        session.insert("user_email", "a@b.c").unwrap();
        let cookie = store.encode_at(&session, T0).unwrap();
        let loaded = store.load_at(Some(&cookie), T0 + 10);
        assert_eq!(loaded.session.id(), session.id());
        assert_eq!(loaded.session.get::<String>("user_email").unwrap(), "a@b.c");
        assert!(!loaded.refresh);
        assert!(!loaded.session.is_changed());
    }

    #[test]
    fn refreshes_after_a_day_and_expires_after_max_age() {
        let store = store();
        let session = Session::new();
        let cookie = store.encode_at(&session, T0).unwrap();
        let day = REFRESH.as_secs();
        let later = store.load_at(Some(&cookie), T0 + day);
        assert!(later.refresh);
        assert_eq!(later.session.id(), session.id());
        let expired = store.load_at(Some(&cookie), T0 + DEFAULT_MAX_AGE.as_secs() + 1);
        assert_ne!(expired.session.id(), session.id());
        let skewed = store.load_at(Some(&cookie), T0 - 60);
        assert_eq!(skewed.session.id(), session.id());
        let from_the_future = store.load_at(Some(&cookie), T0 - 3600);
        assert_ne!(from_the_future.session.id(), session.id());
    }

    use super::super::REFRESH_AFTER as REFRESH;

    #[test]
    fn a_session_at_the_limit_fits_a_cookie_and_one_byte_more_is_refused() {
        let session = store().load_at(None, T0).session;
        // `{"k":"…"}` is 8 bytes plus the string.
        let fits = "x".repeat(COOKIE_DATA_LIMIT - 8);
        session.insert("k", &fits).unwrap();
        let value = store().encode_at(&session, u64::MAX).unwrap();
        let header =
            format!("pulse.sid={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800; Secure");
        assert!(header.len() <= COOKIE_BUDGET, "{}", header.len());
        let err = session.insert("k", format!("{fits}y")).unwrap_err();
        assert!(matches!(err, SessionError::TooLarge { .. }));
        assert_eq!(session.get::<String>("k").unwrap(), fits);
    }
}
