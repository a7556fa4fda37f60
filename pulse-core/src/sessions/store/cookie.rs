//! [`CookieStore`]: the whole session in the `pulse.sid` cookie, signed (default) or encrypted,
//! with a bounded, expiring set of revoked ids so that logout is final.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::decoded::{Decoded, DecodedCookies};
use super::{SessionStore, StoreError};
use crate::session::{Session, Shared};
use crate::sessions::config::{Clock, KeyRing, SystemClock};
use crate::sessions::signer::Signer;

/// Browsers keep cookies of up to 4096 bytes, name, value and attributes included.
const COOKIE_BUDGET: usize = 4096;
/// Room for `pulse.sid=` and the attributes (`; HttpOnly; SameSite=Lax; Path=/; Max-Age=…; Secure`).
const ATTRIBUTES: usize = 96;
/// The value's prefix (`v2.` or `e2.`).
const PREFIX: usize = 3;
/// The largest overhead of a mode around the envelope, in raw bytes: the encrypted mode's
/// 24-byte nonce and 16-byte tag (the signed mode's `.` and 43-character signature is less).
const SEAL: usize = 24 + 16;
/// The envelope around the data: `{"id":"<22>","c":<up to 20 digits>,"s":<up to 20>,"d":…}`.
const ENVELOPE: usize = 86;

/// The largest session data, in JSON bytes, that fits a cookie once encoded and signed (or
/// encrypted). A write past it fails with
/// [`SessionError::TooLarge`](crate::SessionError::TooLarge) and keeps the previous data.
pub const COOKIE_DATA_LIMIT: usize =
    (COOKIE_BUDGET - ATTRIBUTES - PREFIX) / 4 * 3 - SEAL - ENVELOPE;

/// The default bound on revoked ids remembered at once (see [`CookieStore::max_revoked`]).
pub const DEFAULT_MAX_REVOKED: usize = 100_000;

/// The default store: the session travels in the `pulse.sid` cookie.
///
/// - **Signed** ([`CookieStore::new`], the default): `v2.<base64url(JSON)>.<HMAC-SHA256>`. The
///   browser can read the data, not change it: keep secrets out of the session, or use the
///   encrypted mode or a server-side store.
/// - **Encrypted** ([`CookieStore::encrypted`], opt-in): `e2.<base64url(nonce ‖ ciphertext)>`,
///   XChaCha20-Poly1305 under a key derived from each secret with HKDF-SHA256; the data is
///   confidential as well as authentic.
///
/// Both carry the session id, when it began and when the cookie was issued, so the server's
/// idle timeout and absolute lifetime hold for a copied cookie too. The data is limited to
/// [`COOKIE_DATA_LIMIT`] JSON bytes. Keys come from a [`KeyRing`]: the newest signs, all verify,
/// and a cookie of an older key is re-issued under the newest.
///
/// **Revocation.** [`Session::end`] and [`Session::regenerate`] put the old id in a set of
/// revoked ids kept in this process's memory until the session would have expired anyway; a
/// replayed cookie of a revoked id loads as an anonymous session. The set holds at most
/// [`max_revoked`](Self::max_revoked) ids (default [`DEFAULT_MAX_REVOKED`]); when it is full of
/// unexpired ids it forgets the oldest revocation and refuses, from then on, every cookie last
/// issued before that revocation (those users sign in again; a cookie re-issued since, as an
/// active browser's is daily, lives on) rather than let a revoked cookie back in. Each sign-out
/// adds one entry: rate-limit sign-in and sign-out so nobody can churn through the set. What it cannot revoke: the set is not shared between processes
/// nor kept across a restart (a copied cookie of a signed-out session works again on another
/// instance or after a restart, until its idle timeout or lifetime); several instances should
/// use a shared server-side store.
#[derive(Clone)]
pub struct CookieStore {
    signer: Signer,
    /// Set in encrypted mode: one cipher per key, the newest first.
    ciphers: Option<Arc<[XChaCha20Poly1305]>>,
    revoked: Arc<Revoked>,
    /// Cookies verified before (see [`DecodedCookies`]).
    decoded: Arc<DecodedCookies>,
}

struct Revoked {
    ids: Mutex<RevokedIds>,
    /// How many ids `ids` holds, written under its lock: a load with none revoked (most of
    /// them, on most servers) does not take the lock every request would otherwise share.
    len: AtomicUsize,
    max: AtomicU64,
    /// Cookies issued before this time (unix seconds) are refused: set when the set overflows.
    not_before: AtomicU64,
    clock: Box<dyn Clock>,
}

/// Revoked ids with when they may be forgotten, and the order they were revoked in.
#[derive(Default)]
struct RevokedIds {
    until: HashMap<String, u64>,
    /// `(revoked at, id)`, oldest first.
    order: VecDeque<(u64, String)>,
}

impl fmt::Debug for CookieStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieStore")
            .field("encrypted", &self.ciphers.is_some())
            .field("revoked", &self.revoked_len())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    id: &'a str,
    c: u64,
    s: u64,
    d: &'a Map<String, Value>,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    c: u64,
    s: u64,
    d: Map<String, Value>,
}

/// HKDF `info` for the encryption key: a key derived for this purpose never signs.
const ENCRYPTION_INFO: &[u8] = b"pulse.session.cookie-encryption.v2";
/// Authenticated with the ciphertext, binding it to the cookie's name.
const AAD: &[u8] = b"pulse.sid";

impl CookieStore {
    /// A store signing with `keys` (a [`Secret`](crate::Secret) or a [`KeyRing`]).
    pub fn new(keys: impl Into<KeyRing>) -> CookieStore {
        let keys = keys.into();
        CookieStore {
            signer: Signer::new(&keys, "pulse.session.v2"),
            ciphers: None,
            revoked: Arc::new(Revoked {
                ids: Mutex::default(),
                len: AtomicUsize::new(0),
                max: AtomicU64::new(DEFAULT_MAX_REVOKED as u64),
                not_before: AtomicU64::new(0),
                clock: Box::new(SystemClock),
            }),
            decoded: Arc::default(),
        }
    }

    /// A store encrypting with keys derived from `keys`: the browser can neither read nor
    /// change the session.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// let secret = ps::Secret::new("a secret of at least thirty-two bytes").unwrap();
    /// let store = ps::CookieStore::encrypted(secret);
    /// # let _ = store;
    /// ```
    pub fn encrypted(keys: impl Into<KeyRing>) -> CookieStore {
        let keys = keys.into();
        let ciphers = keys
            .keys()
            .iter()
            .map(|secret| {
                let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, secret.bytes());
                let mut key = [0u8; 32];
                hkdf.expand(ENCRYPTION_INFO, &mut key)
                    .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
                XChaCha20Poly1305::new(&key.into())
            })
            .collect();
        CookieStore {
            ciphers: Some(ciphers),
            // A fresh memory: the signed-mode store built here never decoded anything.
            ..CookieStore::new(keys)
        }
    }

    /// Bounds how many revoked ids the store remembers at once (default
    /// [`DEFAULT_MAX_REVOKED`], about 100 bytes each).
    pub fn max_revoked(self, max: usize) -> CookieStore {
        self.revoked.max.store(max as u64, Ordering::Relaxed);
        self
    }

    fn revoked_ids(&self) -> MutexGuard<'_, RevokedIds> {
        // No code that can panic runs under the lock.
        self.revoked
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn revoked_len(&self) -> usize {
        self.revoked_ids().until.len()
    }

    /// Whether `id` was revoked. A revocation a request made happened before any later
    /// request of that browser: its count is written (`Release`) before the response is
    /// sent, and read here (`Acquire`).
    fn is_revoked(&self, id: &str) -> bool {
        self.revoked.len.load(Ordering::Acquire) > 0 && self.revoked_ids().until.contains_key(id)
    }

    pub(crate) fn decode(&self, cookie: &str) -> Option<Session> {
        let decoded = match self.decoded.get(cookie) {
            Some(decoded) => decoded,
            None => {
                let (decoded, size) = self.verify(cookie)?;
                self.decoded.insert(cookie, decoded.clone(), size);
                decoded
            }
        };
        if decoded.seen < self.revoked.not_before.load(Ordering::Relaxed)
            || self.is_revoked(&decoded.id)
        {
            return None;
        }
        // The id and data are shared with the cache: a request that only reads its session
        // copies nothing, and its first write copies the data for itself alone.
        let session = Session::restore_shared(
            Shared::Shared(decoded.id),
            Shared::Shared(decoded.data),
            decoded.created,
            decoded.seen,
            Some(COOKIE_DATA_LIMIT),
        );
        if decoded.old_key {
            session.reissue();
        }
        Some(session)
    }

    /// What `cookie` holds if its signature (or encryption) is valid under a key of the ring,
    /// with the length of its JSON.
    fn verify(&self, cookie: &str) -> Option<(Decoded, usize)> {
        let (json, old_key) = match &self.ciphers {
            None => {
                let verified = self.signer.verify(cookie)?;
                let payload = verified.payload.strip_prefix("v2.")?;
                (URL_SAFE_NO_PAD.decode(payload).ok()?, verified.old_key)
            }
            Some(ciphers) => {
                let sealed = URL_SAFE_NO_PAD.decode(cookie.strip_prefix("e2.")?).ok()?;
                if sealed.len() < 24 {
                    return None;
                }
                let (nonce, ciphertext) = sealed.split_at(24);
                let nonce = XNonce::from_slice(nonce);
                ciphers.iter().enumerate().find_map(|(index, cipher)| {
                    let payload = Payload {
                        msg: ciphertext,
                        aad: AAD,
                    };
                    let json = cipher.decrypt(nonce, payload).ok()?;
                    Some((json, index > 0))
                })?
            }
        };
        let envelope: Envelope = serde_json::from_slice(&json).ok()?;
        let decoded = Decoded {
            id: Arc::new(envelope.id),
            created: envelope.c,
            seen: envelope.s,
            data: Arc::new(envelope.d),
            old_key,
        };
        Some((decoded, json.len()))
    }

    pub(crate) fn encode(&self, session: &Session) -> Result<String, StoreError> {
        let data = session.to_map();
        let id = session.id();
        let json = serde_json::to_vec(&EnvelopeRef {
            id: &id,
            c: session.created_at(),
            s: session.seen_at(),
            d: &data,
        })
        .map_err(|e| StoreError::Failed(e.to_string()))?;
        let value = match &self.ciphers {
            None => self
                .signer
                .sign(&format!("v2.{}", URL_SAFE_NO_PAD.encode(json))),
            Some(ciphers) => {
                let nonce: [u8; 24] = rand::random();
                let payload = Payload {
                    msg: &json,
                    aad: AAD,
                };
                let mut sealed = nonce.to_vec();
                let ciphertext = ciphers[0]
                    .encrypt(XNonce::from_slice(&nonce), payload)
                    .map_err(|_| StoreError::Failed("session encryption failed".into()))?;
                sealed.extend_from_slice(&ciphertext);
                format!("e2.{}", URL_SAFE_NO_PAD.encode(sealed))
            }
        };
        if value.len() > COOKIE_BUDGET - ATTRIBUTES {
            // Unreachable through `Session::insert`, which enforces the data limit.
            return Err(StoreError::Failed(format!(
                "session cookie would be {} bytes, over the {COOKIE_BUDGET}-byte cookie limit",
                value.len()
            )));
        }
        Ok(value)
    }

    pub(crate) fn revoke(&self, id: &str, until: u64) {
        let now = self.revoked.clock.now();
        let max = usize::try_from(self.revoked.max.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        let mut ids = self.revoked_ids();
        let RevokedIds { until: map, order } = &mut *ids;
        // Forget revocations of sessions that have expired anyway.
        while order
            .front()
            .is_some_and(|(_, id)| map.get(id).is_none_or(|until| *until <= now))
        {
            if let Some((_, id)) = order.pop_front() {
                map.remove(&id);
            }
        }
        while map.len() >= max.max(1) {
            let Some((revoked_at, oldest)) = order.pop_front() else {
                break;
            };
            if map.remove(&oldest).is_some() {
                // Every copy of that cookie was issued at or before its revocation.
                let not_before = revoked_at.saturating_add(1);
                self.revoked
                    .not_before
                    .fetch_max(not_before, Ordering::Relaxed);
                tracing::warn!(
                    max,
                    "the cookie store's set of revoked sessions is full; cookies last issued before the oldest revocation now end (raise `CookieStore::max_revoked`, rate-limit sign-in/out, or use a server-side store)"
                );
            }
        }
        if map.insert(id.to_owned(), until).is_none() {
            order.push_back((now, id.to_owned()));
        }
        self.revoked.len.store(map.len(), Ordering::Release);
    }
}

impl SessionStore for CookieStore {
    fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        let loaded = self.decode(cookie);
        Box::pin(async move { Ok(loaded) })
    }

    /// The cookie holds the session: decoded at once.
    fn load_now(&self, cookie: &str) -> Option<Result<Option<Session>, StoreError>> {
        Some(Ok(self.decode(cookie)))
    }

    fn save<'a>(
        &'a self,
        session: &'a Session,
        _expires_at: u64,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        let value = self.encode(session);
        Box::pin(async move { value })
    }

    fn delete<'a>(&'a self, id: &'a str, until: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        self.revoke(id, until);
        Box::pin(async { Ok(()) })
    }

    fn data_limit(&self) -> Option<usize> {
        Some(COOKIE_DATA_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionError;
    use crate::sessions::config::Secret;

    fn secret(byte: u8) -> Secret {
        Secret::new([byte; 32]).unwrap()
    }

    fn saved(store: &CookieStore, session: &Session, now: u64) -> String {
        session.stamp(now);
        store.encode(session).unwrap()
    }

    const T0: u64 = 1_700_000_000;

    /// Each mode's store, with a session holding `user_email` saved at `T0`, and its cookie.
    fn saved_in_both_modes() -> [(CookieStore, Session, String); 2] {
        [
            CookieStore::new(secret(1)),
            CookieStore::encrypted(secret(1)),
        ]
        .map(|store| {
            let session = Session::new();
            session.insert("user_email", "a@b.c").unwrap();
            let cookie = saved(&store, &session, T0);
            (store, session, cookie)
        })
    }

    #[test]
    fn round_trips_id_data_and_times_in_both_modes() {
        for (store, session, cookie) in saved_in_both_modes() {
            let loaded = store.decode(&cookie).unwrap();
            assert_eq!(loaded.id(), session.id());
            assert_eq!(loaded.get::<String>("user_email").unwrap(), "a@b.c");
            assert_eq!((loaded.created_at(), loaded.seen_at()), (T0, T0));
            assert!(!loaded.is_changed() && !loaded.is_new() && !loaded.wants_reissue());
        }
    }

    #[test]
    fn the_encrypted_mode_hides_the_data_and_refuses_changes() {
        let store = CookieStore::encrypted(secret(1));
        let session = Session::new();
        session.insert("user_email", "ada@example.com").unwrap();
        let cookie = saved(&store, &session, T0);
        let raw = URL_SAFE_NO_PAD
            .decode(cookie.strip_prefix("e2.").unwrap())
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("ada"));
        let mut bytes = cookie.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(store.decode(&String::from_utf8(bytes).unwrap()).is_none());
        // A signed-mode store with the same secret cannot read it, and vice versa.
        assert!(CookieStore::new(secret(1)).decode(&cookie).is_none());
        let signed = saved(&CookieStore::new(secret(1)), &session, T0);
        assert!(store.decode(&signed).is_none());
        assert!(CookieStore::encrypted(secret(2)).decode(&cookie).is_none());
    }

    #[test]
    fn an_old_key_still_verifies_and_asks_for_a_reissue() {
        for encrypted in [false, true] {
            let make = |keys: KeyRing| {
                if encrypted {
                    CookieStore::encrypted(keys)
                } else {
                    CookieStore::new(keys)
                }
            };
            let before = make(secret(1).into());
            let during = make(KeyRing::new(secret(2)).with_previous(secret(1)));
            let after = make(secret(2).into());
            let session = Session::new();
            session.insert("k", 1).unwrap();
            let old = saved(&before, &session, T0);
            let loaded = during.decode(&old).unwrap();
            assert!(loaded.wants_reissue());
            let new = saved(&during, &loaded, T0 + 1);
            assert!(!during.decode(&new).unwrap().wants_reissue());
            assert_eq!(after.decode(&new).unwrap().get::<i32>("k"), Some(1));
            assert!(after.decode(&old).is_none());
        }
    }

    #[test]
    fn revoked_ids_load_as_nothing_and_a_full_set_refuses_cookies_older_than_its_oldest_revocation()
    {
        let store = CookieStore::new(secret(1)).max_revoked(2);
        let now = SystemClock.now();
        let cookies: Vec<(String, String)> = (0..3)
            .map(|_| {
                let session = Session::new();
                (session.id(), saved(&store, &session, now - 10))
            })
            .collect();
        store.revoke(&cookies[0].0, now + 100);
        assert!(store.decode(&cookies[0].1).is_none());
        assert!(store.decode(&cookies[1].1).is_some());
        store.revoke(&cookies[1].0, now + 100);
        store.revoke(&cookies[2].0, now + 100);
        for (_, cookie) in &cookies {
            assert!(
                store.decode(cookie).is_none(),
                "full: cookies not re-issued since the oldest revocation end"
            );
        }
        let later = Session::new();
        assert!(store.decode(&saved(&store, &later, now + 5)).is_some());
    }

    #[test]
    fn the_count_of_revoked_ids_follows_the_set() {
        let store = CookieStore::new(secret(1));
        let now = SystemClock.now();
        let counted = |store: &CookieStore| store.revoked.len.load(Ordering::Acquire);
        let (gone, kept) = (Session::new(), Session::new());
        let (gone_cookie, kept_cookie) = (saved(&store, &gone, now), saved(&store, &kept, now));
        assert_eq!(counted(&store), 0);
        // Revoked until a time already past: forgotten at the next revocation.
        store.revoke(&gone.id(), now - 1);
        assert_eq!(counted(&store), 1);
        assert!(store.decode(&gone_cookie).is_none());
        store.revoke(&kept.id(), now + 100);
        assert_eq!(counted(&store), 1);
        assert_eq!(counted(&store), store.revoked_len());
        assert!(
            store.decode(&gone_cookie).is_some(),
            "its revocation expired"
        );
        assert!(store.decode(&kept_cookie).is_none());
    }

    #[test]
    fn a_verified_cookie_is_remembered_and_only_a_verified_one() {
        for (store, session, cookie) in saved_in_both_modes() {
            let mut tampered = cookie.clone().into_bytes();
            let last = tampered.len() - 3;
            tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap();
            assert!(store.decode(&tampered).is_none());
            assert_eq!(store.decoded.len(), 0, "a value that fails is not kept");
            for _ in 0..2 {
                let loaded = store.decode(&cookie).unwrap();
                assert_eq!(loaded.id(), session.id());
                assert_eq!(loaded.get::<String>("user_email").unwrap(), "a@b.c");
                // Each load is a session of its own: a change to one is not in the next.
                loaded.insert("user_email", "x@y.z").unwrap();
            }
            assert_eq!(store.decoded.len(), 1);
            assert!(store.decode(&tampered).is_none());
            // Revoking the id refuses the remembered value too.
            store.revoke(&session.id(), u64::MAX);
            assert!(store.decode(&cookie).is_none());
        }
    }

    #[test]
    fn sessions_of_a_remembered_cookie_share_its_data_and_a_write_copies_it() {
        for (store, session, cookie) in saved_in_both_modes() {
            let reader = store.decode(&cookie).unwrap();
            let writer = store.decode(&cookie).unwrap();
            assert!(
                reader.shares_data() && writer.shares_data(),
                "nothing copied"
            );

            writer.insert("user_email", "x@y.z").unwrap();
            writer.insert("theme", "dark").unwrap();
            assert!(!writer.shares_data() && reader.shares_data());
            assert_eq!(reader.get::<String>("user_email").unwrap(), "a@b.c");
            assert!(!reader.contains("theme") && !reader.is_changed());

            // The next request with the same cookie sees what the cookie holds, and the
            // writer's cookie holds the write.
            let next = store.decode(&cookie).unwrap();
            assert_eq!(next.to_map(), session.to_map());
            let written = saved(&store, &writer, T0 + 1);
            let after = store.decode(&written).unwrap();
            assert_eq!(after.get::<String>("user_email").unwrap(), "x@y.z");
            assert_eq!(after.get::<String>("theme").unwrap(), "dark");
            assert_eq!(store.decoded.len(), 2);
        }
    }

    #[test]
    fn a_session_at_the_limit_fits_a_cookie_and_one_byte_more_is_refused() {
        for store in [
            CookieStore::new(secret(1)),
            CookieStore::encrypted(secret(1)),
        ] {
            let session = Session::fresh(Some(COOKIE_DATA_LIMIT));
            // `{"k":"…"}` is 8 bytes plus the string.
            let fits = "x".repeat(COOKIE_DATA_LIMIT - 8);
            session.insert("k", &fits).unwrap();
            session.stamp(u64::MAX);
            let value = store.encode(&session).unwrap();
            let header = format!(
                "pulse.sid={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000; Secure"
            );
            assert!(header.len() <= COOKIE_BUDGET, "{}", header.len());
            let err = session.insert("k", format!("{fits}y")).unwrap_err();
            assert!(matches!(err, SessionError::TooLarge { .. }));
            assert_eq!(session.get::<String>("k").unwrap(), fits);
        }
    }
}
