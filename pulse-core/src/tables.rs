//! Facts written once. [`for_each_hook!`] is the one list of hook points: the marker types,
//! the middleware trait's methods, the chain's and the erased chain's dispatch, the result
//! conversions and their compile-error texts are all generated from it, so adding a hook is
//! adding a row. The two other compile-error texts the runtime shares with the macros' support
//! code (not a middleware, not a page) are written once below too.

/// Calls `$callback! { rows }` with one row per hook point, in hook order:
///
/// ```text
/// /// docs of the marker
/// Marker = "name", method(ArgsStruct) -> ResponseType {
///     when: "when it runs",
///     into: IntoTrait::into_method,
///     result: ResultTrait,
///     message: "…", label: "…", note: "…",   // for a result the hook does not allow
/// };
/// ```
macro_rules! for_each_hook {
    ($callback:ident) => {
        $callback! {
            Prerender = "prerender", prerender(PrerenderArgs) -> PrerenderResponse {
                when: "once per page request, around the rendering of all matched routes",
                into: IntoPrerenderResponse::into_prerender_response,
                result: PrerenderResult,
                message: "`{Self}` is not allowed in a `prerender` hook; a `prerender` hook returns `Ok`, `Redirect` or `NotFound`",
                label: "not allowed in a `prerender` hook",
                note: "`Deny` belongs to the `connect`, `message` and `channel` hooks",
            };
            PrerenderRoute = "prerender_route", prerender_route(PrerenderRouteArgs) -> RoutePrerenderResponse {
                when: "once per matched route, inside `prerender`",
                into: IntoRoutePrerenderResponse::into_route_prerender_response,
                result: RoutePrerenderResult,
                message: "`{Self}` is not allowed in a `prerender_route` hook; a `prerender_route` hook returns `Ok`, `Redirect` or `NotFound`",
                label: "not allowed in a `prerender_route` hook",
                note: "`Deny` belongs to the `connect`, `message` and `channel` hooks",
            };
            Connect = "connect", connect(ConnectArgs) -> ConnectResponse {
                when: "when a WebSocket opens, before it is accepted",
                into: IntoConnectResponse::into_connect_response,
                result: ConnectResult,
                message: "`{Self}` is not allowed in a `connect` hook; a `connect` hook returns `Ok` or `Deny`",
                label: "not allowed in a `connect` hook",
                note: "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks",
            };
            Message = "message", message(MessageArgs) -> MessageResponse {
                when: "for each client message",
                into: IntoMessageResponse::into_message_response,
                result: MessageResult,
                message: "`{Self}` is not allowed in a `message` hook; a `message` hook returns `Ok` or `Deny`",
                label: "not allowed in a `message` hook",
                note: "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks",
            };
            Channel = "channel", channel(ChannelArgs) -> ChannelResponse {
                when: "for each pub/sub channel message",
                into: IntoChannelResponse::into_channel_response,
                result: ChannelResult,
                message: "`{Self}` is not allowed in a `channel` hook; a `channel` hook returns `Ok` or `Deny`",
                label: "not allowed in a `channel` hook",
                note: "`Redirect` and `NotFound` belong to the `prerender` and `prerender_route` hooks",
            };
        }
    };
}
pub(crate) use for_each_hook;

/// Puts the "not a Pulse middleware" compile error on a trait (`PulseMiddleware`, and the
/// wrapper the `stack!` macro checks each entry with).
macro_rules! not_a_middleware {
    ($item:item) => {
        #[diagnostic::on_unimplemented(
            message = "`{Self}` is not a Pulse middleware",
            label = "not a middleware",
            note = "put `#[ps::middleware(hook)]` on an async fn, `#[ps::middleware]` on an impl block, or implement `ps::PulseMiddleware`"
        )]
        $item
    };
}
pub(crate) use not_a_middleware;

/// Puts the "not a page" compile error on a trait (`Component`, and `IsPage`, the bound the
/// macros and `Page::new` check each page with).
macro_rules! not_a_component {
    ($item:item) => {
        #[diagnostic::on_unimplemented(
            message = "`{Self}` is not a page",
            label = "not a page",
            note = "a page is an `async fn(cx: ps::PageContext) -> ps::Markup`, or `ps::Page::new(render)` (with callbacks)"
        )]
        $item
    };
}
pub(crate) use not_a_component;
