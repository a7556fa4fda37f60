//! The app's sessions, apart from HTTP serving: the store and its cookie ([`Sessions`]), expiry
//! rules and secrets (`config`), revocation of ended sessions (`revocation`), the cross-site
//! check (`csrf`) and the stores themselves (`store`). The server's session layer
//! (`server/session.rs`) and the live layer both build on this module; it depends on neither.

pub(crate) mod config;
pub(crate) mod csrf;
pub(crate) mod revocation;
pub(crate) mod signer;
pub(crate) mod store;

use std::fmt;
use std::sync::Arc;

use http::header::COOKIE;
use http::request::Parts;
use http::{HeaderMap, HeaderValue};

use self::config::SessionConfig;
use self::revocation::{RevocationBus, session_key};
use self::store::{SessionStore, StoreError};
use crate::request::{Request, Scheme};
use crate::session::{Facts, Session};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "pulse.sid";

/// How far in the future a cookie's issue time may be (clocks of several servers, or one clock
/// stepped back) before it is refused.
const CLOCK_SKEW: u64 = 5 * 60;

/// The one constructor of what a framework endpoint (a page, `POST /_pulse/prerender`, the
/// WebSocket upgrade) hands the engine: the hooks' view of the HTTP request (client address
/// from the TCP peer, when the server was started with connect info) and the session the layer
/// loaded (a fresh one if the layer is missing, which `Server` prevents).
pub(crate) fn request_and_session(parts: &Parts, scheme: Scheme) -> (Request, Session) {
    let client = crate::peer::peer(&parts.extensions);
    let session = parts
        .extensions
        .get::<Session>()
        .cloned()
        .unwrap_or_default();
    (Request::from_parts(parts, client, scheme), session)
}

/// [`request_and_session`] for a handler done with the request's head: the request takes it
/// over instead of copying its URI and headers.
pub(crate) fn request_and_session_owned(mut parts: Parts, scheme: Scheme) -> (Request, Session) {
    let session = parts.extensions.remove::<Session>().unwrap_or_default();
    (request_owned(parts, scheme), session)
}

/// The hooks' view of a request whose head the handler is done with, for a handler the
/// session layer hands the session to directly (see `server/session.rs`'s `TakesSession`).
pub(crate) fn request_owned(parts: Parts, scheme: Scheme) -> Request {
    let Parts {
        method,
        uri,
        headers,
        extensions,
        ..
    } = parts;
    let client = crate::peer::peer(&extensions);
    Request::from_head(method, uri, headers, client, scheme)
}

/// The app's sessions: a store, the expiry rules, the revocation bus and the cookie's
/// attributes. Cheap to clone (one reference count: the session layer clones it per request).
///
/// Crate-visible so other server parts (the WebSocket upgrade, `/_pulse/set-cookies`) load and
/// persist sessions exactly as the layer does.
#[derive(Clone)]
pub(crate) struct Sessions {
    inner: Arc<SessionsInner>,
}

struct SessionsInner {
    store: Arc<dyn SessionStore>,
    /// The store's [`SessionStore::data_limit`], asked once.
    data_limit: Option<usize>,
    config: SessionConfig,
    bus: Arc<dyn RevocationBus>,
    secure: bool,
}

/// What a browser's cookie must become after a session changed outside an HTTP request (over
/// a socket).
#[derive(Clone, Debug)]
pub(crate) enum Handoff {
    /// Apply these key changes to the browser's session, if it is still session `id`.
    Changes {
        id: String,
        changes: Vec<(String, Option<serde_json::Value>)>,
    },
    /// The session changed id: set this cookie value (if the browser is still `id`, or
    /// anonymous now that `id` is revoked).
    Replace { id: String, value: String },
    /// The session ended: remove the cookie (same condition).
    Remove { id: String },
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    pub(crate) fn new(
        store: Arc<dyn SessionStore>,
        config: SessionConfig,
        bus: Arc<dyn RevocationBus>,
        scheme: Scheme,
    ) -> Sessions {
        Sessions {
            inner: Arc::new(SessionsInner {
                data_limit: store.data_limit(),
                store,
                config,
                bus,
                secure: scheme == Scheme::Https,
            }),
        }
    }

    pub(crate) fn bus(&self) -> &Arc<dyn RevocationBus> {
        &self.inner.bus
    }

    /// How often a socket re-checks its session.
    pub(crate) fn socket_recheck(&self) -> std::time::Duration {
        self.inner.config.socket_recheck
    }

    fn fresh(&self) -> Session {
        Session::fresh(self.inner.data_limit)
    }

    /// The session named by the request's `pulse.sid` cookie (the first one sent), or a fresh
    /// one when it is absent, invalid, unknown, idle past the timeout or past its lifetime;
    /// `Err` when the store cannot answer.
    pub(crate) async fn load(&self, headers: &HeaderMap) -> Result<Session, StoreError> {
        let Some(cookie) = session_cookie_value(headers) else {
            return Ok(self.fresh());
        };
        Ok(self
            .load_value(cookie)
            .await?
            .unwrap_or_else(|| self.fresh()))
    }

    /// [`Sessions::load`] without waiting, when there is no cookie or the store answers at
    /// once ([`SessionStore::load_now`]); `None` when the store must be awaited.
    pub(crate) fn load_now(&self, headers: &HeaderMap) -> Option<Result<Session, StoreError>> {
        let Some(cookie) = session_cookie_value(headers) else {
            return Some(Ok(self.fresh()));
        };
        let loaded = self.inner.store.load_now(cookie)?;
        Some(loaded.map(|session| {
            session
                .and_then(|session| self.admit(session))
                .unwrap_or_else(|| self.fresh())
        }))
    }

    /// Whether the session cookie `value` still names session `id` (not ended, rotated or
    /// expired): a socket's periodic re-check, which holds even when a revocation from
    /// another instance was missed.
    pub(crate) async fn still_valid(&self, value: &str, id: &str) -> Result<bool, StoreError> {
        let session = self.load_value(value).await?;
        Ok(session.and_then(|s| s.current_id()).as_deref() == Some(id))
    }

    /// The session a cookie value names, `None` when invalid, unknown or expired.
    async fn load_value(&self, cookie: &str) -> Result<Option<Session>, StoreError> {
        let loaded = match self.inner.store.load_now(cookie) {
            Some(loaded) => loaded?,
            None => self.inner.store.load(cookie).await?,
        };
        Ok(loaded.and_then(|session| self.admit(session)))
    }

    /// `session` as loaded by the store, unless it is idle past the timeout or past its
    /// lifetime. A cookie due for re-issuing (older than the refresh interval) is marked
    /// [`Session::reissue`] here, so persisting the session after its request needs no second
    /// look at the clock.
    fn admit(&self, session: Session) -> Option<Session> {
        let (created, seen) = session.times();
        if seen == 0 {
            // A store that keeps no times: they start now (when it is saved).
            session.reissue();
            return Some(session);
        }
        let now = self.inner.config.now();
        if now.saturating_sub(seen) >= self.inner.config.refresh_after() {
            session.reissue();
        }
        let expired = self.inner.config.expires_at(created, seen) < now;
        // An expired session is not deleted here: with the cookie store, an old copy of a
        // cookie expires while the browser's fresher one of the same id lives on. Stores drop
        // records past the `expires_at` they were saved with.
        if expired || seen > now.saturating_add(CLOCK_SKEW) {
            return None;
        }
        Some(session)
    }

    /// Revokes the ids `session` gave up: the store forgets them, their sockets close.
    async fn revoke(&self, session: &Session, now: u64) {
        for id in session.take_revoked() {
            let until = now.saturating_add(self.inner.config.idle_timeout.as_secs());
            if let Err(error) = self.inner.store.delete(&id, until).await {
                tracing::error!(%error, "could not delete a revoked session from the store");
            }
            let key = session_key(&id);
            if let Err(error) = self.inner.bus.publish(&key).await {
                tracing::error!(%error, "could not publish a session revocation");
            }
        }
    }

    /// Saves `session` when it changed or its cookie needs re-issuing (older than a day, or
    /// signed with an older key); revokes the ids it gave up. Returns the `Set-Cookie` header
    /// to send: the new cookie, a removal after [`Session::end`], or nothing. A failed save is
    /// logged and sends nothing: the browser keeps its previous cookie. A store that is down is
    /// an error: the request's changes did not stick, and the caller answers 503 rather than
    /// letting the browser believe they did (a sign-in that looks successful but isn't).
    pub(crate) async fn persist(
        &self,
        session: &Session,
    ) -> Result<Option<HeaderValue>, StoreError> {
        if let Some(done) = self.persist_now(session) {
            return done;
        }
        let now = self.inner.config.now();
        self.revoke(session, now).await;
        if session.is_ended() {
            session.mark_saved();
            return Ok(self.removal());
        }
        Ok(self
            .save(session, now)
            .await?
            .and_then(|(value, max_age)| self.set_cookie(&value, max_age)))
    }

    /// [`Sessions::persist`] without waiting, when the store has nothing to do (the session is
    /// unchanged and its cookie fresh, or it ended with no id to revoke): most requests. `None`
    /// when the store must be called.
    pub(crate) fn persist_now(
        &self,
        session: &Session,
    ) -> Option<Result<Option<HeaderValue>, StoreError>> {
        let facts = session.facts();
        if facts.revoked {
            return None;
        }
        if facts.ended {
            session.mark_saved();
            return Some(Ok(self.removal()));
        }
        // The load asked for a reissue if the cookie was due for one: no clock read here.
        if self.needs_save(facts, None) {
            return None;
        }
        Some(Ok(None))
    }

    /// Whether a session with these facts is saved: it changed, or its cookie needs re-issuing
    /// (signed with an older key, or older than the refresh interval: at `now`, or, without
    /// it, as [`Sessions::admit`] found when the session was loaded). A new session is saved
    /// only once it holds something.
    fn needs_save(&self, facts: Facts, now: Option<u64>) -> bool {
        if facts.new {
            return facts.changed && !facts.empty;
        }
        facts.changed
            || facts.reissue
            || now.is_some_and(|now| {
                now.saturating_sub(facts.seen) >= self.inner.config.refresh_after()
            })
    }

    /// Saves `session` if needed, returning the cookie value and its max age in seconds; an
    /// error only when the store is unavailable (other failures are logged and send nothing).
    async fn save(&self, session: &Session, now: u64) -> Result<Option<(String, u64)>, StoreError> {
        if !self.needs_save(session.facts(), Some(now)) {
            return Ok(None);
        }
        session.stamp(now);
        let expires_at = self
            .inner
            .config
            .expires_at(session.created_at(), session.seen_at());
        match self.inner.store.save(session, expires_at).await {
            Ok(value) => {
                session.mark_saved();
                Ok(Some((value, expires_at.saturating_sub(now))))
            }
            Err(StoreError::Gone) => {
                tracing::debug!("the session was deleted meanwhile; its changes are dropped");
                Ok(None)
            }
            Err(error @ StoreError::Unavailable(_)) => Err(error),
            Err(error) => {
                tracing::error!(%error, "could not save the session; its changes are lost");
                Ok(None)
            }
        }
    }

    /// Stores what a socket's message did to `session` right away (a revocation takes effect
    /// now, not when the browser comes back), and says what the browser's cookie must become.
    /// `cookie` is the value the socket was opened with.
    pub(crate) async fn commit(&self, session: &Session, cookie: Option<&str>) -> Option<Handoff> {
        let now = self.inner.config.now();
        // The id the browser's cookie names, if the socket's message gave it up.
        let gave_up = session.revoked_ids().into_iter().next();
        self.revoke(session, now).await;
        if session.is_ended() {
            session.mark_saved();
            return gave_up.map(|id| Handoff::Remove { id });
        }
        let was_new = session.is_new();
        let changes = session.changes();
        let saved = self.save(session, now).await.unwrap_or_else(|error| {
            tracing::error!(%error, "session store unavailable; the socket's changes are lost");
            None
        });
        let (value, _) = saved?;
        match gave_up {
            Some(id) => Some(Handoff::Replace { id, value }),
            // A session the browser has no cookie for yet.
            None if was_new => Some(Handoff::Replace {
                id: session.id(),
                value,
            }),
            None if cookie == Some(value.as_str()) => None,
            None => Some(Handoff::Changes {
                id: session.id(),
                changes,
            }),
        }
    }

    /// Applies a socket's [`Handoff`] to the session of the `set-cookies` request, returning
    /// a `Set-Cookie` to send besides the layer's own (for a replaced or removed cookie).
    pub(crate) fn apply(&self, handoff: Handoff, session: &Session) -> Option<HeaderValue> {
        let current = session.current_id();
        let same = |id: &str| current.as_deref() == Some(id);
        // A browser that is someone else by now is left alone.
        let anonymous_or = |id: &str| session.is_new() || same(id);
        match handoff {
            Handoff::Changes { id, changes } if same(&id) => {
                for (key, value) in changes {
                    let written = match value {
                        Some(value) => session.insert(key, value),
                        None => {
                            session.remove(&key);
                            Ok(())
                        }
                    };
                    if let Err(error) = written {
                        tracing::error!(%error, "could not apply a socket's session change");
                    }
                }
                None
            }
            Handoff::Replace { id, value } if anonymous_or(&id) => {
                let max_age = self.inner.config.idle_timeout.as_secs();
                self.set_cookie(&value, max_age)
            }
            Handoff::Remove { id } if anonymous_or(&id) => self.removal(),
            _ => {
                tracing::debug!("a socket's session change was for another session; dropped");
                None
            }
        }
    }

    fn cookie(&self, value: &str, max_age: u64) -> Option<HeaderValue> {
        let cookie = cookie::Cookie::build((COOKIE_NAME, value))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .path("/")
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age).unwrap_or(i64::MAX),
            ))
            .secure(self.inner.secure)
            .build();
        HeaderValue::try_from(cookie.to_string())
            .inspect_err(|error| tracing::error!(%error, "session cookie is not a valid header"))
            .ok()
    }

    fn set_cookie(&self, value: &str, max_age: u64) -> Option<HeaderValue> {
        self.cookie(value, max_age)
    }

    /// A `Set-Cookie` that removes the session cookie (empty, `Max-Age=0`).
    fn removal(&self) -> Option<HeaderValue> {
        self.cookie("", 0)
    }
}

/// The `pulse.sid` value a request sent (the first one), if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    session_cookie_value(headers).map(str::to_owned)
}

/// [`session_cookie`], borrowed from the headers.
fn session_cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .find_map(|value| cookie_in(value.as_bytes()))
}

/// The raw value of the first `pulse.sid` pair of one `Cookie` header, as the `cookie` crate's
/// `Cookie::split_parse` finds it (pairs split at `;`, name and value trimmed, pairs without
/// `=` or with an empty name skipped), `None` if that value is not UTF-8. This runs on every
/// request: it looks at the bytes once (`split_parse` wants the header as `&str`, checked
/// byte by byte, and walks each pair several times), and checks only the value it returns,
/// with SIMD (the store verifies it: a value it did not issue loads as no session).
fn cookie_in(header: &[u8]) -> Option<&str> {
    let mut rest = header;
    loop {
        let end = memchr::memchr(b';', rest);
        let pair = &rest[..end.unwrap_or(rest.len())];
        if let Some(equals) = pair.iter().position(|&byte| byte == b'=')
            && pair[..equals].trim_ascii() == COOKIE_NAME.as_bytes()
        {
            let value = pair[equals + 1..].trim_ascii();
            return simdutf8::basic::from_utf8(value).ok();
        }
        rest = &rest[end? + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the `cookie` crate's parser finds: `cookie_in` must agree with it.
    fn parsed(header: &str) -> Option<&str> {
        cookie::Cookie::split_parse(header)
            .flatten()
            .find(|cookie| cookie.name() == COOKIE_NAME)
            .and_then(|cookie| cookie.value_raw())
    }

    #[test]
    fn the_session_cookie_is_found_as_the_cookie_crate_parses_it() {
        let headers = [
            "",
            ";",
            " ; ;",
            "pulse.sid=v2.abc.sig",
            "pulse.sid=",
            "pulse.sid",
            "pulse.sid; pulse.sid=second",
            "theme=dark; pulse.sid=v2.a=b.c; other=1",
            "  pulse.sid  =  spaced  ; x=y",
            "\tpulse.sid=\ttabbed\t",
            "xpulse.sid=no; pulse.sidx=no; pulse.sid=yes",
            "a=pulse.sid=no; pulse.sid=\"quoted\"",
            "=empty-name; pulse.sid=first; pulse.sid=second",
            "theme=dark",
            "pulse.sid=a;pulse.sid=b",
            "PULSE.SID=upper",
            "pulse.sid==double",
        ];
        for header in headers {
            assert_eq!(cookie_in(header.as_bytes()), parsed(header), "{header:?}");
        }
        // Bytes that are not UTF-8 (obs-text) make no session cookie, and do not hide one in a
        // later pair.
        assert_eq!(cookie_in(b"pulse.sid=\xff"), None);
        assert_eq!(cookie_in(b"other=\xff; pulse.sid=v"), Some("v"));
        let mut map = HeaderMap::new();
        map.append(COOKIE, HeaderValue::from_static("theme=dark"));
        map.append(
            COOKIE,
            HeaderValue::from_static("pulse.sid=one; pulse.sid=two"),
        );
        map.append(COOKIE, HeaderValue::from_static("pulse.sid=three"));
        assert_eq!(
            session_cookie_value(&map),
            Some("one"),
            "the first one sent"
        );
    }
}
