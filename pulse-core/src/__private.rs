//! Paths the macros expand to. Everything generated refers to the runtime through
//! `::pulse::__private` (or `::pulse_core::__private`), never through names users may shadow.

pub use core;
pub use std;

pub use crate::chain::Chain;
pub use crate::hook::{
    self, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderArgs, PrerenderRouteArgs,
};
pub use crate::middleware::PulseMiddleware;
pub use crate::outcome::{
    ChannelResponse, ConnectResponse, IntoChannelResponse, IntoConnectResponse,
    IntoMessageResponse, IntoPrerenderResponse, IntoRoutePrerenderResponse, MessageResponse,
    PrerenderResponse, RoutePrerenderResponse,
};
pub use crate::page::Component;
pub use crate::{App, Routes};

/// Proves that the return type a user wrote is the hook's response type; the attribute calls
/// [`assert_response`] with the user's type, spanned at it.
#[diagnostic::on_unimplemented(
    message = "this hook returns `{Expected}`, not `{Self}`",
    label = "not the hook's response type",
    note = "write `{Expected}` or leave the return type out"
)]
pub trait ResponseOf<Expected> {}

impl<T> ResponseOf<T> for T {}

/// Compiles only when `Written` is `Expected`.
pub const fn assert_response<Written: ResponseOf<Expected>, Expected>() {}

/// Stands in for a return site the attribute already reported as an error, so that rustc does
/// not report it a second time.
#[doc(hidden)]
pub fn rejected<T, R>(_: T) -> R {
    unreachable!("a rejected hook result is a compile error")
}
