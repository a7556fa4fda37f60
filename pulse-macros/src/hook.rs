//! The five hooks as the macros see them: names, parameters, responses, allowed results.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The one list of hook points as the macros see them (the runtime has its own table, in
/// `pulse-core/src/tables.rs`; the two must name the same hooks). Each row: the variant, the
/// name users write, the marker, args and response types under `::pulse::__private`, the
/// result-conversion trait, and the parameters the hook provides besides `next`, in the order
/// of its args struct; whether its results are a prerender's (`Redirect`, `NotFound`) or a
/// verdict (`Deny`); whether it runs for a group's middleware.
macro_rules! hooks {
    ($( $variant:ident = $name:literal, $args:ident -> $response:ident, $result:ident,
        [$($param:literal),*], prerender: $prerender:literal, scoped: $scoped:literal; )*) => {
        /// A hook point.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Hook {
            $($variant,)*
        }

        impl Hook {
            pub(crate) const ALL: [Hook; [$($name),*].len()] = [$(Hook::$variant),*];

            pub(crate) const NAMES: [&'static str; [$($name),*].len()] = [$($name),*];

            pub(crate) fn from_name(name: &str) -> Option<Hook> {
                Hook::ALL.into_iter().find(|h| h.name() == name)
            }

            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Hook::$variant => $name,)*
                }
            }

            /// The parameters the hook provides besides `next`, in the order of its args struct.
            pub(crate) fn params(self) -> &'static [&'static str] {
                match self {
                    $(Hook::$variant => &[$($param),*],)*
                }
            }

            /// Whether results of this hook may be `Redirect`/`NotFound` (else `Deny`).
            pub(crate) fn is_prerender(self) -> bool {
                match self {
                    $(Hook::$variant => $prerender,)*
                }
            }

            /// Whether the hook runs for group (route-scoped) middleware.
            pub(crate) fn is_route_scoped(self) -> bool {
                match self {
                    $(Hook::$variant => $scoped,)*
                }
            }

            /// The marker type (`Prerender`), as `::pulse::__private::hook::…` names it.
            pub(crate) fn marker(self) -> Ident {
                let name = match self {
                    $(Hook::$variant => stringify!($variant),)*
                };
                Ident::new(name, Span::call_site())
            }

            pub(crate) fn args_type(self) -> TokenStream {
                match self {
                    $(Hook::$variant => quote!(::pulse::__private::$args<'_>),)*
                }
            }

            pub(crate) fn response_name(self) -> &'static str {
                match self {
                    $(Hook::$variant => stringify!($response),)*
                }
            }

            pub(crate) fn response_type(self) -> TokenStream {
                match self {
                    $(Hook::$variant => quote!(::pulse::__private::$response),)*
                }
            }

            /// The conversion trait and its method, for wrapping return sites.
            pub(crate) fn into_trait(self) -> (Ident, Ident) {
                let name = match self {
                    $(Hook::$variant => stringify!($result),)*
                };
                (
                    Ident::new(name, Span::call_site()),
                    Ident::new("into_response", Span::call_site()),
                )
            }
        }
    };
}

hooks! {
    Prerender = "prerender", PrerenderArgs -> PrerenderResponse, PrerenderResult,
        ["payload", "request", "session"], prerender: true, scoped: false;
    PrerenderRoute = "prerender_route", PrerenderRouteArgs -> RoutePrerenderResponse, RoutePrerenderResult,
        ["path", "route_info", "request", "session"], prerender: true, scoped: true;
    Connect = "connect", ConnectArgs -> ConnectResponse, ConnectResult,
        ["request", "session"], prerender: false, scoped: false;
    Message = "message", MessageArgs -> MessageResponse, MessageResult,
        ["data", "session", "request"], prerender: false, scoped: true;
    Channel = "channel", ChannelArgs -> ChannelResponse, ChannelResult,
        ["channel_id", "event", "payload", "request_id", "session"], prerender: false, scoped: false;
}

/// A result users write literally, checked by the syntactic pre-pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Redirect,
    NotFound,
    Deny,
}

impl Outcome {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Outcome::Redirect => "Redirect",
            Outcome::NotFound => "NotFound",
            Outcome::Deny => "Deny",
        }
    }
}

impl Hook {
    pub(crate) fn allows(self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Redirect | Outcome::NotFound => self.is_prerender(),
            Outcome::Deny => !self.is_prerender(),
        }
    }

    /// "`Ok`, `Redirect` or `NotFound`" / "`Ok` or `Deny`".
    pub(crate) fn allowed_text(self) -> &'static str {
        if self.is_prerender() {
            "`Ok`, `Redirect` or `NotFound`"
        } else {
            "`Ok` or `Deny`"
        }
    }
}
