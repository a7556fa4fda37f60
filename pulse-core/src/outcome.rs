//! Hook results: Pulse's `Ok`, `Redirect`, `NotFound` and `Deny`, one response type per hook,
//! and the conversions that decide, at compile time, which result fits which hook.

use std::borrow::Cow;

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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotFound;

/// Refuse; allowed in `connect`, `message` and `channel` hooks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deny;

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
        }

        impl $name {
            /// Whether this is [`Self::Deny`].
            pub fn is_deny(self) -> bool {
                matches!(self, $name::Deny)
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
});
into!(IntoRoutePrerenderResponse::into_route_prerender_response -> RoutePrerenderResponse {
    Redirect => |r| RoutePrerenderResponse::Redirect(r),
    NotFound => |_n| RoutePrerenderResponse::NotFound,
    Ok<View> => |ok| RoutePrerenderResponse::Ok(ok.0),
    View => |v| RoutePrerenderResponse::Ok(v),
});
into!(IntoConnectResponse::into_connect_response -> ConnectResponse {
    Deny => |_d| ConnectResponse::Deny,
    Ok => |_ok| ConnectResponse::Ok,
});
into!(IntoMessageResponse::into_message_response -> MessageResponse {
    Deny => |_d| MessageResponse::Deny,
    Ok => |_ok| MessageResponse::Ok,
});
into!(IntoChannelResponse::into_channel_response -> ChannelResponse {
    Deny => |_d| ChannelResponse::Deny,
    Ok => |_ok| ChannelResponse::Ok,
});
