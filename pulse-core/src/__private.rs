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
use crate::tables::{for_each_hook, not_a_component, not_a_middleware};
pub use crate::{App, Env, Routes};

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

not_a_middleware! {
    /// Wraps each entry of `stack![…]`, so a non-middleware entry is reported there without the
    /// list of every middleware type.
    pub trait IsMiddleware: PulseMiddleware {}
}

#[diagnostic::do_not_recommend]
impl<M: PulseMiddleware> IsMiddleware for M {}

/// Passes a chain entry through, checking it is a middleware.
pub fn middleware<M: IsMiddleware>(middleware: M) -> M {
    middleware
}

/// One result trait per hook (`PrerenderResult`, …) wrapping the hook's conversion trait, with
/// the same compile error, from the hook table.
macro_rules! results {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident {
        when: $when:literal,
        into: $into:ident :: $into_method:ident,
        result: $result:ident,
        message: $message:literal,
        label: $label:literal,
        note: $note:literal,
    }; )*) => {$(
        #[doc = concat!("A result allowed in a `", $name, "` hook.")]
        #[diagnostic::on_unimplemented(message = $message, label = $label, note = $note)]
        pub trait $result {
            /// Converts the result.
            fn into_response(self) -> $response;
        }

        #[diagnostic::do_not_recommend]
        impl<T: $into> $result for T {
            fn into_response(self) -> $response {
                $into::$into_method(self)
            }
        }
    )*};
}

for_each_hook!(results);

not_a_component! {
    /// Wraps each page of `routes!{…}`, so a handler that is not a component is reported at its
    /// name without the list of every component type.
    pub trait IsComponent: Component {}
}

#[diagnostic::do_not_recommend]
impl<C: Component> IsComponent for C {}

/// Passes a page through, checking it is a component.
pub fn component<C: IsComponent>(component: C) -> C {
    component
}
