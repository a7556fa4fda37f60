//! Server configuration read from the environment: `PULSE_ENV` and `PULSE_SECRET`.
//!
//! The source is injectable ([`Config::from_lookup`]) so the production rule is testable without
//! touching the process environment.

use std::fmt;
use std::sync::{Arc, OnceLock};

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
}

/// What the server reads from its environment: the environment name and the session secret.
#[derive(Clone)]
pub struct Config {
    env: Env,
    secret: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Config {
    /// Reads `PULSE_ENV` and `PULSE_SECRET` from the process environment.
    pub fn from_env() -> Config {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the same variables through `lookup` (a map in tests, a secrets manager, …).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        Config {
            env: Env::from_value(lookup(Env::VAR).as_deref()),
            secret: lookup(Secret::VAR).filter(|s| !s.is_empty()),
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
