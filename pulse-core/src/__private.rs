//! Paths the macros expand to. Everything generated refers to the runtime through
//! `::pulse::__private` (or `::pulse_core::__private`), never through names users may shadow.

pub use core;
pub use std;

pub use crate::chain::{Chain, Seam};
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

/// Wraps each entry of `stack![…]`, so a non-middleware entry is reported there without the
/// list of every middleware type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Pulse middleware",
    label = "not a middleware",
    note = "put `#[ps::middleware(hook)]` on an async fn, `#[ps::middleware]` on an impl block, or implement `ps::PulseMiddleware`"
)]
pub trait IsMiddleware: PulseMiddleware {}

#[diagnostic::do_not_recommend]
impl<M: PulseMiddleware> IsMiddleware for M {}

/// Passes a chain entry through, checking it is a middleware.
pub fn middleware<M: IsMiddleware>(middleware: M) -> M {
    middleware
}

macro_rules! results {
    ($($trait:ident: $into:ident :: $method:ident -> $response:ident, $doc:literal, $message:literal, $label:literal, $note:literal;)*) => {
        $(
            #[doc = $doc]
            #[diagnostic::on_unimplemented(message = $message, label = $label, note = $note)]
            pub trait $trait {
                /// Converts the result.
                fn into_response(self) -> $response;
            }

            #[diagnostic::do_not_recommend]
            impl<T: $into> $trait for T {
                fn into_response(self) -> $response {
                    $into::$method(self)
                }
            }
        )*
    };
}

results! {
    PrerenderResult: IntoPrerenderResponse::into_prerender_response -> PrerenderResponse,
        "A result allowed in a `prerender` hook.",
        "`{Self}` is not allowed in a `prerender` hook; a `prerender` hook returns `Ok`, `Redirect` or `NotFound`",
        "not allowed in a `prerender` hook",
        "`Deny` belongs to the `connect`, `message` and `channel` hooks";
    RoutePrerenderResult: IntoRoutePrerenderResponse::into_route_prerender_response -> RoutePrerenderResponse,
        "A result allowed in a `prerender_route` hook.",
        "`{Self}` is not allowed in a `prerender_route` hook; a `prerender_route` hook returns `Ok`, `Redirect` or `NotFound`",
        "not allowed in a `prerender_route` hook",
        "`Deny` belongs to the `connect`, `message` and `channel` hooks";
    ConnectResult: IntoConnectResponse::into_connect_response -> ConnectResponse,
        "A result allowed in a `connect` hook.",
        "`{Self}` is not allowed in a `connect` hook; a `connect` hook returns `Ok` or `Deny`",
        "not allowed in a `connect` hook",
        "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks";
    MessageResult: IntoMessageResponse::into_message_response -> MessageResponse,
        "A result allowed in a `message` hook.",
        "`{Self}` is not allowed in a `message` hook; a `message` hook returns `Ok` or `Deny`",
        "not allowed in a `message` hook",
        "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks";
    ChannelResult: IntoChannelResponse::into_channel_response -> ChannelResponse,
        "A result allowed in a `channel` hook.",
        "`{Self}` is not allowed in a `channel` hook; a `channel` hook returns `Ok` or `Deny`",
        "not allowed in a `channel` hook",
        "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks";
}

/// Wraps each page of `routes!{…}`, so a handler that is not a component is reported at its
/// name without the list of every component type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a page component",
    label = "not a page component",
    note = "a page component is an `async fn(cx: ps::PageContext) -> ps::Markup`"
)]
pub trait IsComponent: Component {}

#[diagnostic::do_not_recommend]
impl<C: Component> IsComponent for C {}

/// Passes a page through, checking it is a component.
pub fn component<C: IsComponent>(component: C) -> C {
    component
}

/// "Which middleware decided", for generated hooks.
pub use crate::decided::{Outcome, decided};
