//! `PULSE_ENV`: which environment the app runs in, read once when a chain is built.

use std::fmt;

/// The environment, from `PULSE_ENV` (`dev`, `ci` or `prod`).
///
/// Unset means [`Env::Dev`] in debug builds and [`Env::Prod`] in release builds. Any other
/// value is treated as [`Env::Prod`] (with a warning), so a typo never turns dev-only
/// middleware on in production.
///
/// ```
/// use pulse_core as ps;
///
/// assert_eq!(ps::Env::from_value(Some("ci")), ps::Env::Ci);
/// assert_eq!(ps::Env::from_value(Some("prdo")), ps::Env::Prod); // a typo never means dev
/// assert!(ps::Env::Dev.is_dev());
/// let _now = ps::Env::current(); // what PULSE_ENV says
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Env {
    /// Development: dev-only middleware runs.
    Dev,
    /// Continuous integration: dev-only middleware is skipped.
    Ci,
    /// Production: dev-only middleware is skipped, secrets are required.
    Prod,
}

impl Env {
    /// The name of the variable this is read from.
    pub const VAR: &'static str = "PULSE_ENV";

    /// Reads `PULSE_ENV` now.
    pub fn current() -> Env {
        Env::from_value(std::env::var(Env::VAR).ok().as_deref())
    }

    /// Interprets a value of `PULSE_ENV` (`None` when unset).
    pub fn from_value(value: Option<&str>) -> Env {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") => {
                if cfg!(debug_assertions) {
                    Env::Dev
                } else {
                    Env::Prod
                }
            }
            Some("dev") => Env::Dev,
            Some("ci") => Env::Ci,
            Some("prod") => Env::Prod,
            Some(other) => {
                tracing::warn!(
                    value = other,
                    "PULSE_ENV is not one of dev, ci, prod; treating it as prod"
                );
                Env::Prod
            }
        }
    }

    /// Whether dev-only middleware runs.
    pub fn is_dev(self) -> bool {
        self == Env::Dev
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Env::Dev => "dev",
            Env::Ci => "ci",
            Env::Prod => "prod",
        })
    }
}
