//! Hook results: Pulse's `Ok`, `Redirect`, `NotFound` and `Deny`, plus `Unauthorized` (the
//! `api` hook) and `TooManyRequests` (every hook); one response type per hook, and the
//! conversions that decide, at compile time, which result fits which hook.

use std::borrow::Cow;
use std::time::Duration;

use crate::prerender::{Prerender, View};
use crate::tables::for_each_hook;

/// Allow, optionally carrying a payload (Pulse's `Ok`).
///
/// In `connect`, `message` and `channel` hooks the payload is `()`: `ps::Ok(())`. In prerender
/// hooks it is the rendered result ([`Prerender`] or [`View`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ok<T = ()>(pub T);

/// Send the browser to another local path; allowed in `prerender` and `prerender_route` hooks.
///
/// The target must be a local path (`/login`, not `//host` or `https://…`). Literal targets
/// inside `#[middleware]` items are checked against the app's routes at compile time; dynamic
/// targets are checked when the response is sent, and a non-local one is refused.
///
/// ```
/// use pulse_core as ps;
///
/// let redirect = ps::Redirect::to("/login?next=/dashboard");
/// assert_eq!(redirect.path(), "/login?next=/dashboard");
/// assert!(redirect.is_local());
/// assert!(!ps::Redirect::to("//evil.example").is_local()); // refused when sent
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    path: Cow<'static, str>,
}

impl Redirect {
    /// A redirect to `path`, a local path such as `"/login"`.
    pub fn to(path: impl Into<Cow<'static, str>>) -> Redirect {
        Redirect { path: path.into() }
    }

    /// The target.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the target is a local path a browser cannot read as another origin.
    pub fn is_local(&self) -> bool {
        pulse_route::is_local_path(&self.path)
    }
}

/// Answer "not found"; allowed in `prerender` and `prerender_route` hooks.
///
/// ```
/// use pulse_core as ps;
///
/// /// Hides drafts: a hand-written `prerender_route` hook (the `#[ps::middleware]` macro writes this
/// /// for an `async fn`).
/// struct HideDrafts;
///
/// impl ps::PulseMiddleware for HideDrafts {
///     async fn prerender_route(
///         &self,
///         args: ps::PrerenderRouteArgs<'_>,
///         next: impl ps::Next<ps::hook::PrerenderRoute>,
///     ) -> ps::RoutePrerenderResponse {
///         if args.path.starts_with("/drafts") {
///             return ps::NotFound.into();
///         }
///         next.run().await
///     }
/// }
/// # let _ = HideDrafts;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotFound;

/// Refuse; allowed in `connect`, `message`, `channel` and `api` hooks (an `api` request gets a
/// 403 JSON answer).
///
/// ```
/// use pulse_core as ps;
///
/// /// Refuses WebSockets of anonymous browsers (hand-written; `#[ps::middleware(connect)]` on an
/// /// `async fn` writes the same).
/// struct MembersOnly;
///
/// impl ps::PulseMiddleware for MembersOnly {
///     async fn connect(
///         &self,
///         args: ps::ConnectArgs<'_>,
///         next: impl ps::Next<ps::hook::Connect>,
///     ) -> ps::ConnectResponse {
///         if !args.session.contains("user_email") {
///             return ps::Deny.into();
///         }
///         next.run().await
///     }
/// }
/// # let _ = MembersOnly;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deny;

/// Answer "sign in first"; allowed in `api` hooks, where it is a 401 JSON answer
/// (`{"error": "unauthorized"}`). Pages redirect to a login page instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unauthorized;

/// Stop because the client sends too much; allowed in every hook.
///
/// A page or `api` request gets 429 with a `Retry-After` header, a refused WebSocket upgrade
/// too; a client or channel message gets a `rate_limited` reply carrying the delay (in
/// milliseconds, `retryAfterMs`) and the socket stays open. [`RateLimit`](crate::RateLimit)
/// returns it; a middleware may too:
///
/// ```
/// # use pulse_core as ps;
/// # use std::time::Duration;
/// let limited = ps::TooManyRequests { retry_after: Duration::from_secs(30) };
/// assert_eq!(limited.retry_after_secs(), 30);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TooManyRequests {
    /// How long the client should wait before trying again.
    pub retry_after: Duration,
}

impl TooManyRequests {
    /// The wait in whole seconds, rounded up and at least 1: the value of `Retry-After`.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        if self.retry_after.subsec_nanos() > 0 || secs == 0 {
            secs + 1
        } else {
            secs
        }
    }

    /// The wait in milliseconds, rounded up and at least 1: what a `rate_limited` socket
    /// reply carries.
    pub fn retry_after_ms(&self) -> u64 {
        u64::try_from(self.retry_after.as_nanos().div_ceil(1_000_000))
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// What a `prerender` hook returns.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum PrerenderResponse {
    /// The rendered views and directives, which a hook may edit after `next.run()`.
    Ok(Prerender),
    /// Stop and redirect the browser.
    Redirect(Redirect),
    /// Stop and answer 404.
    NotFound,
    /// Stop and answer 429 with `Retry-After`.
    TooManyRequests(TooManyRequests),
}

/// What a `prerender_route` hook returns.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum RoutePrerenderResponse {
    /// The rendered view of this route.
    Ok(View),
    /// Stop and redirect the browser.
    Redirect(Redirect),
    /// Stop and answer 404.
    NotFound,
    /// Stop and answer 429 with `Retry-After`.
    TooManyRequests(TooManyRequests),
}

macro_rules! verdict {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[must_use]
        pub enum $name {
            /// Allowed.
            Ok,
            /// Refused; the client is always told.
            Deny,
            /// Refused for now: the client sends too much and is told when to try again.
            TooManyRequests(TooManyRequests),
        }

        impl $name {
            /// Whether this is [`Self::Deny`].
            pub fn is_deny(self) -> bool {
                matches!(self, $name::Deny)
            }

            /// Whether this is [`Self::Ok`].
            pub fn is_ok(self) -> bool {
                matches!(self, $name::Ok)
            }
        }
    };
}

verdict!(
    /// What a `connect` hook returns: `Deny` refuses the WebSocket before it is accepted.
    ConnectResponse
);
verdict!(
    /// What a `message` hook returns: `Deny` is answered with a `server_error` of kind `deny`.
    MessageResponse
);
verdict!(
    /// What a `channel` hook returns: `Deny` is answered with an error reply or event.
    ChannelResponse
);

/// What an `api` hook returns: the endpoint's response (which a hook may modify after
/// `next.run()`), or a refusal answered with JSON.
///
/// | result | answer |
/// |---|---|
/// | `Ok(response)`, or an axum [`Response`](axum::response::Response) | that response |
/// | `Unauthorized` | 401 `{"error": "unauthorized"}` |
/// | `Deny` | 403 `{"error": "forbidden"}` |
/// | `NotFound` | 404 `{"error": "not found"}` |
/// | `TooManyRequests` | 429 `{"error": "too many requests", "retryAfter": secs}` + `Retry-After` |
#[derive(Debug)]
#[must_use]
pub enum ApiResponse {
    /// The response to send: the endpoint's, or one the middleware made.
    Ok(axum::response::Response),
    /// 401: the request needs a signed-in session.
    Unauthorized,
    /// 403: refused.
    Deny,
    /// 404: hidden.
    NotFound,
    /// 429 with `Retry-After`.
    TooManyRequests(TooManyRequests),
}

impl ApiResponse {
    /// The status the answer will have.
    pub fn status(&self) -> http::StatusCode {
        match self {
            ApiResponse::Ok(response) => response.status(),
            ApiResponse::Unauthorized => http::StatusCode::UNAUTHORIZED,
            ApiResponse::Deny => http::StatusCode::FORBIDDEN,
            ApiResponse::NotFound => http::StatusCode::NOT_FOUND,
            ApiResponse::TooManyRequests(_) => http::StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// Whether the endpoint's (or a middleware's) response goes out, not a refusal.
    pub fn is_ok(&self) -> bool {
        matches!(self, ApiResponse::Ok(_))
    }
}

/// One conversion trait per hook (`IntoPrerenderResponse`, …), with the hook table's compile
/// error for a result the hook does not allow.
macro_rules! into_traits {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident {
        when: $when:literal,
        into: $into:ident :: $into_method:ident,
        result: $result:ident,
        message: $message:literal,
        label: $label:literal,
        note: $note:literal,
    }; )*) => {$(
        #[doc = concat!("Converts a hook result into a [`", stringify!($response), "`].")]
        #[diagnostic::on_unimplemented(message = $message, label = $label, note = $note)]
        pub trait $into {
            /// Performs the conversion.
            fn $into_method(self) -> $response;
        }
    )*};
}

for_each_hook!(into_traits);

macro_rules! into {
    ($trait:ident :: $method:ident -> $target:ident { $($from:ty => |$v:ident| $body:expr),* $(,)? }) => {
        impl $trait for $target {
            fn $method(self) -> $target {
                self
            }
        }
        $(
            impl $trait for $from {
                fn $method(self) -> $target {
                    let $v = self;
                    $body
                }
            }
            impl From<$from> for $target {
                fn from(value: $from) -> $target {
                    $trait::$method(value)
                }
            }
        )*
    };
}

into!(IntoPrerenderResponse::into_prerender_response -> PrerenderResponse {
    Redirect => |r| PrerenderResponse::Redirect(r),
    NotFound => |_n| PrerenderResponse::NotFound,
    Ok<Prerender> => |ok| PrerenderResponse::Ok(ok.0),
    Prerender => |p| PrerenderResponse::Ok(p),
    TooManyRequests => |t| PrerenderResponse::TooManyRequests(t),
});
into!(IntoRoutePrerenderResponse::into_route_prerender_response -> RoutePrerenderResponse {
    Redirect => |r| RoutePrerenderResponse::Redirect(r),
    NotFound => |_n| RoutePrerenderResponse::NotFound,
    Ok<View> => |ok| RoutePrerenderResponse::Ok(ok.0),
    View => |v| RoutePrerenderResponse::Ok(v),
    TooManyRequests => |t| RoutePrerenderResponse::TooManyRequests(t),
});
into!(IntoConnectResponse::into_connect_response -> ConnectResponse {
    Deny => |_d| ConnectResponse::Deny,
    Ok => |_ok| ConnectResponse::Ok,
    TooManyRequests => |t| ConnectResponse::TooManyRequests(t),
});
into!(IntoMessageResponse::into_message_response -> MessageResponse {
    Deny => |_d| MessageResponse::Deny,
    Ok => |_ok| MessageResponse::Ok,
    TooManyRequests => |t| MessageResponse::TooManyRequests(t),
});
into!(IntoChannelResponse::into_channel_response -> ChannelResponse {
    Deny => |_d| ChannelResponse::Deny,
    Ok => |_ok| ChannelResponse::Ok,
    TooManyRequests => |t| ChannelResponse::TooManyRequests(t),
});
into!(IntoApiResponse::into_api_response -> ApiResponse {
    Ok<axum::response::Response> => |ok| ApiResponse::Ok(ok.0),
    axum::response::Response => |r| ApiResponse::Ok(r),
    Unauthorized => |_u| ApiResponse::Unauthorized,
    Deny => |_d| ApiResponse::Deny,
    NotFound => |_n| ApiResponse::NotFound,
    TooManyRequests => |t| ApiResponse::TooManyRequests(t),
});
