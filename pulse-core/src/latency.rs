//! [`LatencyMiddleware`]: simulated network latency for development, always dev-only.

use std::future::Future;
use std::time::Duration;

use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderArgs,
    PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::tables::for_each_hook;

/// Sleeps before continuing at each hook, to see how an app behaves on a slow network.
///
/// Always dev-only: it never runs when `PULSE_ENV` is `prod` or `ci`. The defaults are Pulse's:
/// prerender 80 ms, prerender_route 60 ms, connect 40 ms, message 25 ms, channel 20 ms; and
/// 40 ms for `api` (a hook Pulse does not have; an endpoint round trip, like `connect`). A zero
/// duration does not sleep.
///
/// ```
/// # use pulse_core as ps;
/// # use std::time::Duration;
/// let latency = ps::LatencyMiddleware {
///     message: Duration::from_millis(100),
///     ..Default::default()
/// };
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyMiddleware {
    /// Delay before `prerender` continues.
    pub prerender: Duration,
    /// Delay before each `prerender_route` continues.
    pub prerender_route: Duration,
    /// Delay before `connect` continues.
    pub connect: Duration,
    /// Delay before each `message` continues.
    pub message: Duration,
    /// Delay before each `channel` message continues.
    pub channel: Duration,
    /// Delay before each `api` request continues.
    pub api: Duration,
}

impl Default for LatencyMiddleware {
    fn default() -> Self {
        LatencyMiddleware {
            prerender: Duration::from_millis(80),
            prerender_route: Duration::from_millis(60),
            connect: Duration::from_millis(40),
            message: Duration::from_millis(25),
            channel: Duration::from_millis(20),
            api: Duration::from_millis(40),
        }
    }
}

/// Sleeps for `delay` in dev, then continues.
async fn delayed<H: Hook>(delay: Duration, next: impl Next<H>) -> H::Response {
    if next.env().is_dev() && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    next.run().await
}

/// Each hook waits its own delay (the field named after the hook), then continues.
macro_rules! delayed_hooks {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
        fn $method(
            &self,
            _: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            delayed(self.$method, next)
        }
    )*};
}

impl PulseMiddleware for LatencyMiddleware {
    for_each_hook!(delayed_hooks);
}
