//! Checks across macros, Rocket-style. Each `#[middleware]` fn emits, beside its struct, a
//! hidden macro of the same name (in the macro namespace, defined in a `__pulse_middleware_<name>`
//! module) carrying its hooks and its `Redirect::to("…")` literals with their original spans.
//! `pulse_app!` (and `routes!` for groups) invokes it through the path the user listed,
//! passing the app's routes; the macro calls back into `__check` (this module), which reports
//! mistakes at the literal or at the entry.
//!
//! Which entries are checked: an entry written as a path whose last segment starts with a
//! lowercase letter (`require_login`, `auth::require_login`), the shape of a `#[middleware]`
//! fn's generated type. Types (`Audit`), calls (`Latency::default()`), blocks (`{ local }`) and
//! nested `stack![]`s are not checked. A lowercase name that is not a `#[middleware]` fn of this
//! crate (a local variable, a fn middleware of another crate) is written as a block:
//! `{ latency }`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

use crate::chain::{List, entry_path};
use crate::hook::{self, Hook};
use crate::routes::Table;
use pulse_route::Pattern;

/// The invocation of an entry's callback macro, if the entry is checkable.
fn callback(entry: &Expr, context: &str, routes: Option<&[LitStr]>) -> Option<TokenStream> {
    let path = entry_path(entry)?;
    let last = path.segments.last()?;
    if !matches!(last.arguments, syn::PathArguments::None) {
        return None;
    }
    let name = last.ident.to_string();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let callback = path.clone();
    let span = last.ident.span();
    let context = Ident::new(context, Span::call_site());
    let routes = routes.map(|r| quote!(, routes = [#(#r),*]));
    Some(quote_spanned! {span=>
        #callback! { context = #context, entry = (#entry) #routes }
    })
}

/// Callback invocations for every checkable entry of a list.
pub(crate) fn list_checks(list: &List, context: &str, routes: Option<&[LitStr]>) -> TokenStream {
    list.entries
        .iter()
        .filter_map(|e| callback(e, context, routes))
        .collect()
}

/// Callback invocations for the middleware of every group of `table`.
pub(crate) fn group_checks(table: &Table, routes: Option<&[LitStr]>) -> TokenStream {
    table
        .groups()
        .into_iter()
        .map(|list| list_checks(list, "group", routes))
        .collect()
}

/// What a callback macro hands to `__check`.
struct Input {
    middleware: Ident,
    hooks: Vec<Ident>,
    redirects: Vec<LitStr>,
    context: Ident,
    entry: TokenStream,
    routes: Option<Vec<LitStr>>,
}

fn key(input: ParseStream<'_>, name: &str) -> syn::Result<()> {
    let ident: Ident = input.parse()?;
    if ident != name {
        return Err(syn::Error::new(ident.span(), format!("expected `{name}`")));
    }
    input.parse::<Token![=]>()?;
    Ok(())
}

fn bracketed<T: Parse>(input: ParseStream<'_>) -> syn::Result<Vec<T>> {
    let content;
    syn::bracketed!(content in input);
    Ok(Punctuated::<T, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        key(input, "middleware")?;
        let middleware = input.parse()?;
        input.parse::<Token![,]>()?;
        key(input, "hooks")?;
        let hooks = bracketed(input)?;
        input.parse::<Token![,]>()?;
        key(input, "redirects")?;
        let redirects = bracketed(input)?;
        input.parse::<Token![,]>()?;
        key(input, "context")?;
        let context = input.parse()?;
        input.parse::<Token![,]>()?;
        key(input, "entry")?;
        let content;
        syn::parenthesized!(content in input);
        let entry = content.parse()?;
        let routes = if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            key(input, "routes")?;
            Some(bracketed(input)?)
        } else {
            None
        };
        Ok(Input {
            middleware,
            hooks,
            redirects,
            context,
            entry,
            routes,
        })
    }
}

/// Whether a redirect target (`/users/7?tab=1`) is matched by one of `routes`.
fn target_matches(target: &str, routes: &[Pattern]) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    routes.iter().any(|p| p.matches(path).is_some())
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: Input = syn::parse2(input)?;
    let mut errors = Vec::new();
    let name = &input.middleware;
    if input.context == "group" {
        for hook in &input.hooks {
            let Some(h) = Hook::from_name(&hook.to_string()) else {
                continue;
            };
            if !h.is_route_scoped() {
                errors.push(syn::Error::new_spanned(
                    &input.entry,
                    format!(
                        "`{name}` has a `{h}` hook, which does not run for a group: a group's middleware runs for its routes' `prerender_route` and `message` hooks and its endpoints' `api` hook only; list `{name}` in `middleware: [..]` instead",
                        h = h.name()
                    ),
                ));
            }
        }
    }
    if let Some(routes) = &input.routes {
        let patterns: Vec<Pattern> = routes
            .iter()
            .filter_map(|r| Pattern::parse(&r.value()).ok())
            .collect();
        for lit in &input.redirects {
            let target = lit.value();
            // Non-local literals are reported by the attribute itself.
            if !pulse_route::is_local_path(&target) || target_matches(&target, &patterns) {
                continue;
            }
            let candidates: Vec<String> = routes.iter().map(LitStr::value).collect();
            let near = hook::suggest(&target, candidates.iter().map(String::as_str));
            let message = match near {
                Some(near) => format!(
                    "redirect target `{target}` matches no route of the app; did you mean `{near}`?"
                ),
                None => format!(
                    "redirect target `{target}` matches no route of the app; its routes are {}",
                    hook::list(&candidates.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            errors.push(syn::Error::new(lit.span(), message));
        }
    }
    Ok(errors.iter().map(syn::Error::to_compile_error).collect())
}
