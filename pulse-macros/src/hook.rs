//! The six hooks as the macros see them: names, parameters, responses, allowed results.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// A hook point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hook {
    Prerender,
    PrerenderRoute,
    Connect,
    Message,
    Channel,
    Api,
}

/// A result users write literally, checked by the syntactic pre-pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Redirect,
    NotFound,
    Deny,
    Unauthorized,
}

impl Outcome {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Outcome::Redirect => "Redirect",
            Outcome::NotFound => "NotFound",
            Outcome::Deny => "Deny",
            Outcome::Unauthorized => "Unauthorized",
        }
    }
}

impl Hook {
    pub(crate) const ALL: [Hook; 6] = [
        Hook::Prerender,
        Hook::PrerenderRoute,
        Hook::Connect,
        Hook::Message,
        Hook::Channel,
        Hook::Api,
    ];

    pub(crate) const NAMES: [&'static str; 6] = [
        "prerender",
        "prerender_route",
        "connect",
        "message",
        "channel",
        "api",
    ];

    pub(crate) fn from_name(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Hook::Prerender => "prerender",
            Hook::PrerenderRoute => "prerender_route",
            Hook::Connect => "connect",
            Hook::Message => "message",
            Hook::Channel => "channel",
            Hook::Api => "api",
        }
    }

    /// The parameters the hook provides besides `next`, in the order of its args struct.
    pub(crate) fn params(self) -> &'static [&'static str] {
        match self {
            Hook::Prerender => &["payload", "request", "session"],
            Hook::PrerenderRoute => &["path", "route_info", "request", "session"],
            Hook::Connect => &["request", "session"],
            Hook::Message => &["data", "session", "request"],
            Hook::Channel => &["channel_id", "event", "payload", "request_id", "session"],
            Hook::Api => &["request", "session"],
        }
    }

    /// Whether results of this hook may be `Redirect`/`NotFound` (else `Deny`).
    pub(crate) fn is_prerender(self) -> bool {
        matches!(self, Hook::Prerender | Hook::PrerenderRoute)
    }

    /// Results written literally that the hook allows; `Ok` and `TooManyRequests` are allowed
    /// everywhere.
    pub(crate) fn allows(self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Redirect => self.is_prerender(),
            Outcome::NotFound => self.is_prerender() || self == Hook::Api,
            Outcome::Deny => !self.is_prerender(),
            Outcome::Unauthorized => self == Hook::Api,
        }
    }

    /// "`Ok`, `Redirect`, `NotFound` or `TooManyRequests`", ….
    pub(crate) fn allowed_text(self) -> &'static str {
        match self {
            Hook::Prerender | Hook::PrerenderRoute => {
                "`Ok`, `Redirect`, `NotFound` or `TooManyRequests`"
            }
            Hook::Connect | Hook::Message | Hook::Channel => "`Ok`, `Deny` or `TooManyRequests`",
            Hook::Api => {
                "`Ok`, `Unauthorized`, `Deny`, `NotFound`, `TooManyRequests` or a response"
            }
        }
    }

    /// "a `connect` hook", "an `api` hook".
    pub(crate) fn article(self) -> &'static str {
        if self == Hook::Api { "an" } else { "a" }
    }

    pub(crate) fn marker(self) -> Ident {
        let name = match self {
            Hook::Prerender => "Prerender",
            Hook::PrerenderRoute => "PrerenderRoute",
            Hook::Connect => "Connect",
            Hook::Message => "Message",
            Hook::Channel => "Channel",
            Hook::Api => "Api",
        };
        Ident::new(name, Span::call_site())
    }

    pub(crate) fn args_type(self) -> TokenStream {
        let name = match self {
            Hook::Prerender => quote!(PrerenderArgs),
            Hook::PrerenderRoute => quote!(PrerenderRouteArgs),
            Hook::Connect => quote!(ConnectArgs),
            Hook::Message => quote!(MessageArgs),
            Hook::Channel => quote!(ChannelArgs),
            Hook::Api => quote!(ApiArgs),
        };
        quote!(::pulse::__private::#name<'_>)
    }

    pub(crate) fn response_name(self) -> &'static str {
        match self {
            Hook::Prerender => "PrerenderResponse",
            Hook::PrerenderRoute => "RoutePrerenderResponse",
            Hook::Connect => "ConnectResponse",
            Hook::Message => "MessageResponse",
            Hook::Channel => "ChannelResponse",
            Hook::Api => "ApiResponse",
        }
    }

    pub(crate) fn response_type(self) -> TokenStream {
        let name = match self {
            Hook::Prerender => quote!(PrerenderResponse),
            Hook::PrerenderRoute => quote!(RoutePrerenderResponse),
            Hook::Connect => quote!(ConnectResponse),
            Hook::Message => quote!(MessageResponse),
            Hook::Channel => quote!(ChannelResponse),
            Hook::Api => quote!(ApiResponse),
        };
        quote!(::pulse::__private::#name)
    }

    /// The conversion trait and its method, for wrapping return sites.
    pub(crate) fn into_trait(self) -> (Ident, Ident) {
        let (t, m) = match self {
            Hook::Prerender => ("PrerenderResult", "into_response"),
            Hook::PrerenderRoute => ("RoutePrerenderResult", "into_response"),
            Hook::Connect => ("ConnectResult", "into_response"),
            Hook::Message => ("MessageResult", "into_response"),
            Hook::Channel => ("ChannelResult", "into_response"),
            Hook::Api => ("ApiResult", "into_response"),
        };
        (
            Ident::new(t, Span::call_site()),
            Ident::new(m, Span::call_site()),
        )
    }

    /// Whether the hook runs for group (route-scoped) middleware: the routes' `prerender_route`
    /// and `message`, the endpoints' `api`.
    pub(crate) fn is_route_scoped(self) -> bool {
        matches!(self, Hook::PrerenderRoute | Hook::Message | Hook::Api)
    }
}

/// "`a`, `b` and `c`".
pub(crate) fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
