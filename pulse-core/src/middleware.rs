//! The [`PulseMiddleware`] trait: five hooks, each passing through unless overridden.

use std::future::Future;

use crate::hook::{
    self, ChannelArgs, ConnectArgs, MessageArgs, Next, PrerenderArgs, PrerenderRouteArgs,
};
use crate::outcome::{
    ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse, RoutePrerenderResponse,
};
use crate::tables::{for_each_hook, not_a_middleware};

/// The trait's hook methods, from the hook table: each passes through unless overridden.
macro_rules! hook_methods {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident {
        when: $when:literal, $($facts:tt)*
    }; )*) => {$(
        #[doc = concat!("The `", $name, "` hook: ", $when, ".")]
        fn $method(
            &self,
            args: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            let _ = args;
            next.run()
        }
    )*};
}

not_a_middleware! {
/// Code that runs at Pulse's five hook points and may continue (`next.run().await`) or stop
/// with a result that fits the hook.
///
/// Usually written with [`#[ps::middleware]`](../pulse/attr.middleware.html); the attribute
/// generates an impl of this trait. Writing it by hand works the same way: implement any subset
/// of the hooks, the others pass through.
///
/// ```
/// use pulse_core as ps;
///
/// struct RejectAnonymous;
///
/// impl ps::PulseMiddleware for RejectAnonymous {
///     async fn connect(
///         &self,
///         args: ps::ConnectArgs<'_>,
///         next: impl ps::Next<ps::hook::Connect>,
///     ) -> ps::ConnectResponse {
///         if !args.session.contains("user_email") {
///             return ps::ConnectResponse::Deny;
///         }
///         next.run().await
///     }
/// }
/// ```
pub trait PulseMiddleware: Send + Sync + 'static {
    /// Whether this middleware only runs in development (`PULSE_ENV` is `dev`). Read once,
    /// when a chain is built.
    fn dev_only(&self) -> bool {
        false
    }

    for_each_hook!(hook_methods);
}
}

/// The empty chain: every hook passes through.
impl PulseMiddleware for () {}
