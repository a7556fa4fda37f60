//! The compile-time checks `pulse_app!` runs on each middleware it lists, carried at the type
//! level (see `pulse_core::__private::check`), so that every entry is checked the same way,
//! whatever it is: a `#[middleware]` item by any path, a local variable, a call, a nested
//! `stack![]`.
//!
//! - `#[middleware]` overrides two hidden methods of `PulseMiddleware` ([`methods`]): one
//!   `const { }` block per `Redirect::to("…")` literal, spanned at the literal, which fails when
//!   the target matches no route of the app; one per hook that does not run for a group,
//!   spanned at the hook's name, which fails when the middleware is listed in a group.
//! - `pulse_app!` declares its routes as a type ([`routes_type`]) and calls those methods on each
//!   entry, spanned at the entry ([`Context`]); rustc then reports a failing check at the
//!   literal or hook, with a note pointing at the entry.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr};

use crate::diag;
use crate::hook::Hook;
use pulse_route::{Pattern, Segment};

/// What the generated code checks an entry of a chain against.
#[derive(Clone, Copy)]
pub(crate) enum Context<'a> {
    /// `stack![]`: nothing.
    None,
    /// The app-wide chain of `pulse_app!`: redirect targets against the routes type.
    App(&'a Ident),
    /// A group: its hooks, and, in `pulse_app!`, redirect targets against the routes type.
    Group(Option<&'a Ident>),
}

impl Context<'_> {
    /// The entry, checked as a middleware (an error at the entry otherwise) and, in an app or
    /// a group, by the hidden checks of its type, called at the entry.
    pub(crate) fn entry(self, entry: &Expr) -> TokenStream {
        let checked = quote_spanned!(entry.span()=> ::pulse::__private::middleware(#entry));
        let (routes, group) = match self {
            Context::None => return checked,
            Context::App(routes) => (Some(routes), false),
            Context::Group(routes) => (routes, true),
        };
        // Each check passes the middleware through (no binding, so no name of the user's can
        // interfere). A call starts at the entry's first token and ends at its last, so rustc's
        // note ("encountered while instantiating") underlines the whole entry.
        let tokens = entry.to_token_stream();
        let first = tokens
            .clone()
            .into_iter()
            .next()
            .map_or(entry.span(), |t| t.span());
        let last = tokens.into_iter().last().map_or(first, |t| t.span());
        let call = |method: TokenStream, value: TokenStream| {
            let mut args = Group::new(Delimiter::Parenthesis, value);
            args.set_span(last);
            quote_spanned!(first=> ::pulse::__private::PulseMiddleware::#method #args)
        };
        let mut value = checked;
        if let Some(routes) = routes {
            let routes = Ident::new(&routes.to_string(), routes.span().located_at(first));
            value = call(quote_spanned!(first=> __check_redirects::<#routes>), value);
        }
        if group {
            value = call(
                quote_spanned!(first=> __check_group::<::pulse::__private::check::InGroup>),
                value,
            );
        }
        value
    }
}

/// `struct <name>; impl AppRoutes for <name> { const ROUTES = &[..]; }`: the app's routes as a
/// type, for the redirect checks.
pub(crate) fn routes_type(name: &Ident, routes: &[LitStr]) -> TokenStream {
    let routes = routes.iter().filter_map(|lit| {
        let pattern = Pattern::parse(&lit.value()).ok()?;
        let segments = pattern.segments().iter().map(|segment| match segment {
            Segment::Static(s) => quote!(::pulse::__private::check::Segment::Static(#s)),
            Segment::Param(_) => quote!(::pulse::__private::check::Segment::Param),
            Segment::Optional(_) => quote!(::pulse::__private::check::Segment::Optional),
            Segment::CatchAll => quote!(::pulse::__private::check::Segment::CatchAll),
        });
        Some(quote! {
            ::pulse::__private::check::Route { source: #lit, segments: &[#(#segments),*] }
        })
    });
    quote! {
        struct #name;
        impl ::pulse::__private::check::AppRoutes for #name {
            const ROUTES: &'static [::pulse::__private::check::Route] = &[#(#routes),*];
        }
    }
}

/// The two hidden methods of a `#[middleware]` item's `PulseMiddleware` impl: its redirect
/// literals checked against an app's routes, and its hooks checked against a group. `name`
/// is how messages call the middleware; `hooks` pairs each hook with the span of its name.
pub(crate) fn methods(name: &str, hooks: &[(Hook, Span)], redirects: &[LitStr]) -> TokenStream {
    let redirects = redirects.iter().map(|lit| {
        let message =
            quote_spanned!(lit.span()=> ::pulse::__private::check::unknown_target::<R>(#lit));
        quote_spanned! {lit.span()=>
            const {
                if !#message.is_empty() {
                    ::pulse::__private::core::panic!("{}", #message.as_str());
                }
            }
        }
    });
    let scoped: Vec<&str> = Hook::ALL
        .into_iter()
        .filter(|h| h.is_route_scoped())
        .map(Hook::name)
        .collect();
    let groups = hooks
        .iter()
        .filter(|(hook, _)| !hook.is_route_scoped())
        .map(|(hook, span)| {
            let message = format!(
                "`{name}` has a `{hook}` hook, which does not run for a group: a group's middleware runs for its routes' {scoped} hooks only; list `{name}` in `middleware: [..]` instead",
                hook = hook.name(),
                scoped = diag::list(&scoped)
            );
            quote_spanned! {*span=>
                const { ::pulse::__private::core::panic!(#message) }
            }
        });
    quote! {
        #[inline]
        fn __check_redirects<R: ::pulse::__private::check::AppRoutes>(self) -> Self {
            #(#redirects)*
            self
        }

        #[inline]
        fn __check_group<G>(self) -> Self {
            #(#groups)*
            self
        }
    }
}

/// The record of the hooks a generated impl defines (`PulseMiddleware::__HOOKS`): the server
/// skips the work of a hook no middleware of the app acts in.
pub(crate) fn hooks_const(hooks: impl IntoIterator<Item = Hook>) -> TokenStream {
    let bits = hooks.into_iter().map(|hook| {
        let marker = hook.marker();
        quote!(| <::pulse::__private::hook::#marker as ::pulse::__private::Hook>::__BIT)
    });
    quote! {
        const __HOOKS: u8 = 0 #(#bits)*;
    }
}
