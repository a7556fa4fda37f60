//! Server configuration: `PULSE_ENV`, `PULSE_SECRET` and `PULSE_SECRET_PREVIOUS` from the
//! environment, the secrets' [`KeyRing`], and the sessions' [`SessionConfig`] (expiry, clock).
//!
//! The source is injectable ([`Config::from_lookup`]) so the production rule is testable without
//! touching the process environment.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::env::Env;

/// The smallest secret accepted, in bytes (an HMAC-SHA256 key should be at least this long).
pub const MIN_SECRET_LEN: usize = 32;

/// A key for signing session cookies. Its `Debug` output never shows the key.
///
/// ```
/// use pulse_core as ps;
///
/// assert!(ps::Secret::new("too short").is_err());
/// // In production, read it from PULSE_SECRET (the default server does): `Config::from_env`.
/// let secret = ps::Secret::new("a random string of at least thirty-two bytes").unwrap();
/// let routes = ps::Routes::new().route("/", |_: ps::PageContext| async { ps::html! {} });
/// let server = ps::App::new(routes, ()).server().session_store(ps::CookieStore::new(secret));
/// # let _ = server;
/// ```
#[derive(Clone)]
pub struct Secret(Arc<[u8]>);

impl Secret {
    /// The variable the secret is read from.
    pub const VAR: &'static str = "PULSE_SECRET";

    /// A secret from bytes; at least [`MIN_SECRET_LEN`] of them.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Secret, ConfigError> {
        let bytes = bytes.as_ref();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(ConfigError::SecretTooShort { len: bytes.len() });
        }
        Ok(Secret(bytes.into()))
    }

    /// A fresh random secret (sessions signed with it die with the process).
    pub fn random() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret(bytes.as_slice().into())
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `PULSE_ENV` is `prod` and `PULSE_SECRET` is unset.
    #[error(
        "PULSE_SECRET is not set; it is required when PULSE_ENV is prod (set it to a random string of at least 32 bytes, e.g. `openssl rand -base64 48`)"
    )]
    MissingSecret,
    /// The secret is too short to sign sessions safely.
    #[error("PULSE_SECRET is {len} bytes long; it must be at least 32 bytes")]
    SecretTooShort {
        /// The secret's length.
        len: usize,
    },
    /// A secret of `PULSE_SECRET_PREVIOUS` is too short.
    #[error(
        "line {line} of PULSE_SECRET_PREVIOUS is {len} bytes long; each secret must be at least 32 bytes"
    )]
    PreviousSecretTooShort {
        /// The line of the secret (from 1).
        line: usize,
        /// The secret's length.
        len: usize,
    },
}

/// The secrets that sign (and, in encrypted mode, encrypt) session cookies: the newest signs,
/// every one verifies. A cookie verified by an older key is accepted and re-issued under the
/// newest, so rotating the secret keeps users signed in:
///
/// 1. set the new secret as `PULSE_SECRET` and move the old one to `PULSE_SECRET_PREVIOUS`;
/// 2. after the session lifetime (30 days by default), drop it from `PULSE_SECRET_PREVIOUS`.
///
/// ```
/// # use pulse_core as ps;
/// let new = ps::Secret::new("the new secret, at least thirty-two bytes").unwrap();
/// let old = ps::Secret::new("the old secret, at least thirty-two bytes").unwrap();
/// let store = ps::CookieStore::new(ps::server::KeyRing::new(new).with_previous(old));
/// # let _ = store;
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<Secret>,
}

impl KeyRing {
    /// A ring of one key, which signs and verifies.
    pub fn new(current: Secret) -> KeyRing {
        KeyRing {
            keys: vec![current],
        }
    }

    /// Adds an older key that still verifies (never signs). Add newer ones first.
    pub fn with_previous(mut self, previous: Secret) -> KeyRing {
        self.keys.push(previous);
        self
    }

    /// Every key, the signing key first.
    pub fn keys(&self) -> &[Secret] {
        &self.keys
    }
}

impl From<Secret> for KeyRing {
    fn from(secret: Secret) -> KeyRing {
        KeyRing::new(secret)
    }
}

/// How long sessions live: an idle timeout that each visit renews (sliding) and an absolute
/// lifetime counted from sign-in (from [`Session::regenerate`](crate::Session::regenerate), or
/// the session's first save) that renewing never extends. Also the clock both are measured on.
///
/// ```
/// # use pulse_core as ps;
/// use std::time::Duration;
/// let config = ps::server::SessionConfig::default()
///     .idle_timeout(Duration::from_secs(2 * 60 * 60))
///     .lifetime(Duration::from_secs(12 * 60 * 60));
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub(crate) idle_timeout: Duration,
    pub(crate) lifetime: Duration,
    pub(crate) socket_recheck: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// The default idle timeout: 7 days without a request ends a session.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The default absolute lifetime: 30 days after sign-in a session ends, however active.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The default interval of a socket's re-check of its session against the store: 5 seconds.
pub const DEFAULT_SOCKET_RECHECK: Duration = Duration::from_secs(5);

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            lifetime: DEFAULT_LIFETIME,
            socket_recheck: DEFAULT_SOCKET_RECHECK,
            clock: Arc::new(SystemClock),
        }
    }
}

impl SessionConfig {
    /// Ends sessions unused for `timeout` (default [`DEFAULT_IDLE_TIMEOUT`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> SessionConfig {
        self.idle_timeout = timeout;
        self
    }

    /// Ends sessions `lifetime` after they began, however active (default [`DEFAULT_LIFETIME`]).
    pub fn lifetime(mut self, lifetime: Duration) -> SessionConfig {
        self.lifetime = lifetime;
        self
    }

    /// How often, at most, a live socket re-checks its session against the store before
    /// running a message (default [`DEFAULT_SOCKET_RECHECK`]). Revocations reach sockets at
    /// once through the revocation bus; the re-check bounds how long one missed across
    /// instances, or an expiry, goes unnoticed by a socket that keeps sending.
    pub fn socket_recheck(mut self, interval: Duration) -> SessionConfig {
        self.socket_recheck = interval;
        self
    }

    /// Measures time on `clock` (a [`ManualClock`] in tests).
    pub fn clock(mut self, clock: impl Clock) -> SessionConfig {
        self.clock = Arc::new(clock);
        self
    }

    /// Now, in unix seconds, on the configured clock.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// A cookie older than this is re-issued on the next request, so the idle timeout slides
    /// without a `Set-Cookie` on every response: a day, or a seventh of the idle timeout.
    pub(crate) fn refresh_after(&self) -> u64 {
        (self.idle_timeout.as_secs() / 7).min(24 * 60 * 60)
    }

    /// When a session of these times expires: idle timeout after it was last seen, capped by
    /// its lifetime.
    pub(crate) fn expires_at(&self, created: u64, seen: u64) -> u64 {
        let idle = seen.saturating_add(self.idle_timeout.as_secs());
        let absolute = created.saturating_add(self.lifetime.as_secs());
        idle.min(absolute)
    }
}

/// Where the server reads the time (unix seconds) for session expiry.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// Now, in seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A clock that moves only when told: for tests of expiry. Clones share the time.
///
/// ```
/// # use pulse_core as ps;
/// use ps::server::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(std::time::Duration::from_secs(60));
/// assert_eq!(clock.now(), 1_700_000_060);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `now` (unix seconds).
    pub fn new(now: u64) -> ManualClock {
        ManualClock(Arc::new(AtomicU64::new(now)))
    }

    /// A clock standing at the system's time now.
    pub fn starting_now() -> ManualClock {
        ManualClock::new(SystemClock.now())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    /// Sets the time.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the server reads from its environment: the environment name and the session secrets.
#[derive(Clone)]
pub struct Config {
    env: Env,
    secret: Option<String>,
    previous: Vec<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .field("previous", &self.previous.len())
            .finish()
    }
}

impl Config {
    /// The variable holding older secrets that still verify (one per line, newest first).
    pub const PREVIOUS_VAR: &'static str = "PULSE_SECRET_PREVIOUS";

    /// Reads `PULSE_ENV`, `PULSE_SECRET` and `PULSE_SECRET_PREVIOUS` from the process
    /// environment.
    pub fn from_env() -> Config {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the same variables through `lookup` (a map in tests, a secrets manager, …).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        Config {
            env: Env::from_value(lookup(Env::VAR).as_deref()),
            secret: lookup(Secret::VAR).filter(|s| !s.is_empty()),
            previous: lookup(Self::PREVIOUS_VAR)
                .map(|v| {
                    v.lines()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The environment.
    pub fn env(&self) -> Env {
        self.env
    }

    /// The session secret: `PULSE_SECRET` when set; otherwise an error in `prod`, and elsewhere a
    /// random secret shared by the whole process, announced by one warning.
    pub fn secret(&self) -> Result<Secret, ConfigError> {
        match (&self.secret, self.env) {
            (Some(secret), _) => Secret::new(secret),
            (None, Env::Prod) => Err(ConfigError::MissingSecret),
            (None, env) => Ok(dev_secret(env)),
        }
    }
}

impl Config {
    /// The key ring: [`secret`](Self::secret) signs, and each secret of
    /// `PULSE_SECRET_PREVIOUS` (one per line, newest first) still verifies.
    pub fn keys(&self) -> Result<KeyRing, ConfigError> {
        let mut ring = KeyRing::new(self.secret()?);
        for (index, previous) in self.previous.iter().enumerate() {
            let secret =
                Secret::new(previous).map_err(|_| ConfigError::PreviousSecretTooShort {
                    line: index + 1,
                    len: previous.len(),
                })?;
            ring = ring.with_previous(secret);
        }
        Ok(ring)
    }
}

fn dev_secret(env: Env) -> Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET
        .get_or_init(|| {
            tracing::warn!(
                %env,
                "PULSE_SECRET is not set; using a random secret for this process, so sessions end when it restarts"
            );
            Secret::random()
        })
        .clone()
}
