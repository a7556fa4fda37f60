//! Which middleware decided: when a hook's outcome is a stop (`Deny`, `Redirect`, `NotFound`,
//! `Unauthorized`, `TooManyRequests`),
//! the `#[ps::middleware]` item that produced it emits one `tracing` event, at `DEBUG` level
//! with target `pulse::chain`:
//!
//! ```text
//! DEBUG pulse::chain: middleware stopped the chain middleware="myapp::require_login" hook="prerender_route" outcome="redirect" location="/login"
//! ```
//!
//! The attribute decides from the hook's syntax which results are the hook's own: every result
//! it returns except `next.run().await` itself, or a variable bound to it
//! (`let out = next.run().await; … out`), which pass on the rest of the chain's outcome. A stop
//! passed on that way is named once, by the middleware that produced it. Middleware written as
//! a hand-made `impl PulseMiddleware` emits nothing.
//!
//! A dispatch keeps no state for this: on the allow path the cost is one compare per result,
//! and the event's code runs only on a stop, emitting only when a subscriber enables its level.

use std::any::type_name;

use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};

/// A stop, as the event names it.
#[derive(Debug)]
pub enum Stop<'a> {
    /// `Deny`.
    Deny,
    /// `Redirect`, with its target.
    Redirect(&'a str),
    /// `NotFound`.
    NotFound,
    /// `Unauthorized` (the `api` hook).
    Unauthorized,
    /// `TooManyRequests`.
    TooManyRequests,
}

/// A hook's response: which hook it belongs to, and whether it stops the chain.
pub trait Outcome {
    /// The hook's name.
    const HOOK: &'static str;
    /// The stop this outcome is, if it is one.
    fn stop(&self) -> Option<Stop<'_>>;
}

macro_rules! prerender_outcome {
    ($($response:ty => $hook:literal),*) => {$(
        impl Outcome for $response {
            const HOOK: &'static str = $hook;
            #[inline]
            fn stop(&self) -> Option<Stop<'_>> {
                match self {
                    Self::Ok(_) => None,
                    Self::Redirect(redirect) => Some(Stop::Redirect(redirect.path())),
                    Self::NotFound => Some(Stop::NotFound),
                    Self::TooManyRequests(_) => Some(Stop::TooManyRequests),
                }
            }
        }
    )*};
}

macro_rules! verdict_outcome {
    ($($response:ty => $hook:literal),*) => {$(
        impl Outcome for $response {
            const HOOK: &'static str = $hook;
            #[inline]
            fn stop(&self) -> Option<Stop<'_>> {
                match self {
                    Self::Ok => None,
                    Self::Deny => Some(Stop::Deny),
                    Self::TooManyRequests(_) => Some(Stop::TooManyRequests),
                }
            }
        }
    )*};
}

prerender_outcome!(PrerenderResponse => "prerender", RoutePrerenderResponse => "prerender_route");
verdict_outcome!(ConnectResponse => "connect", MessageResponse => "message", ChannelResponse => "channel");

impl Outcome for ApiResponse {
    const HOOK: &'static str = "api";
    #[inline]
    fn stop(&self) -> Option<Stop<'_>> {
        match self {
            Self::Ok(_) => None,
            Self::Unauthorized => Some(Stop::Unauthorized),
            Self::Deny => Some(Stop::Deny),
            Self::NotFound => Some(Stop::NotFound),
            Self::TooManyRequests(_) => Some(Stop::TooManyRequests),
        }
    }
}

/// Returns `out`, this hook's own result (not the rest of the chain's, passed on), first
/// naming `M` as the middleware that decided when `out` stops the chain.
#[inline]
pub fn decided<M: ?Sized, R: Outcome>(out: R) -> R {
    if let Some(stop) = out.stop() {
        emit(type_name::<M>(), R::HOOK, stop);
    }
    out
}

#[cold]
#[inline(never)]
fn emit(middleware: &'static str, hook: &'static str, stop: Stop<'_>) {
    let (outcome, location) = match stop {
        Stop::Deny => ("deny", None),
        Stop::NotFound => ("not_found", None),
        Stop::Unauthorized => ("unauthorized", None),
        Stop::TooManyRequests => ("too_many_requests", None),
        Stop::Redirect(location) => ("redirect", Some(location)),
    };
    // `location` is recorded only for a redirect (`None` records nothing).
    tracing::debug!(
        target: "pulse::chain",
        middleware,
        hook,
        outcome,
        location,
        "middleware stopped the chain"
    );
}
