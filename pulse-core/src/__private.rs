//! Paths the macros expand to. Everything generated refers to the runtime through
//! `::pulse::__private` (or `::pulse_core::__private`), never through names users may shadow.

pub use core;
pub use std;

pub mod check;
pub mod html;

pub use crate::chain::{Chain, InEnv, Seam};
pub use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderArgs,
    PrerenderRouteArgs,
};
pub use crate::middleware::PulseMiddleware;
pub use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, IntoApiResponse, IntoChannelResponse,
    IntoConnectResponse, IntoMessageResponse, IntoPrerenderResponse, IntoRoutePrerenderResponse,
    MessageResponse, PrerenderResponse, RoutePrerenderResponse,
};
pub use crate::page::{Component, IsPage};
use crate::tables::{for_each_hook, not_a_middleware};
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

/// `routes.route(pattern, page)` for `routes!{…}`: one bound, [`IsPage`], so a wrong page is
/// one error at its name saying what a page is (`Routes::route`'s own `Component` bound would
/// add rustc's E0593 for a fn of the wrong arity).
pub fn route<C: IsPage<M>, M>(routes: Routes, pattern: &str, page: C) -> Routes {
    routes.route(pattern, page)
}

/// `app.not_found(page)` for `pulse_app!`, checked like [`route`].
pub fn not_found<C: IsPage<M>, M>(app: App, page: C) -> App {
    app.not_found(page)
}

/// Passes a page of `routes!{…}` through, checking it is one (reported at its name, with
/// what a page is, whatever the wrong shape: see [`IsPage`]).
pub fn component<C: IsPage<M>, M>(component: C) -> C {
    component
}

/// "Which middleware decided", for generated hooks.
pub use crate::decided::{Outcome, decided};
