//! The cross-macro callback protocol, Rocket-style. Each `#[middleware]` fn emits, beside its
//! struct, a hidden macro of the same name (in the macro namespace, defined in a
//! `__pulse_middleware_<name>` module and glob-imported, so it yields to another macro of that
//! name; a prelude name gets only `__pulse_callback_<name>`) carrying its hooks and its `Redirect::to("…")` literals
//! with their original spans ([`define`]). `pulse_app!` (and `routes!` for groups) invokes it
//! through the path the user listed ([`list_checks`]), passing the app's routes; the macro calls
//! back into the `__check` proc macro with an [`Input`], and [`crate::check`] reports mistakes.
//!
//! Which entries are checked: an entry written as a path whose last segment starts with a
//! lowercase letter (`require_login`, `auth::require_login`), the shape of a `#[middleware]`
//! fn's generated type. Types (`Audit`), calls (`Latency::default()`), blocks (`{ local }`) and
//! nested `stack![]`s are not checked. A lowercase name that is not a `#[middleware]` fn of this
//! crate (a local variable, a fn middleware of another crate) is written as a block:
//! `{ latency }`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token, Visibility};

use crate::hook::Hook;
use crate::stack::{List, entry_path};

/// The hidden callback carrying the fn's hooks and redirect literals (with their spans) to
/// `pulse_app!`, Rocket-style: `pulse_app!` invokes it with the app's routes and it calls back
/// into the `__check` proc macro, which reports errors at the literal.
///
/// The callback shares the fn's name, in the macro namespace (the struct holds the type and
/// value namespaces), so every path that reaches the middleware reaches its callback too:
/// `require_login`, `auth::require_login`, or a `use auth::require_login;` import.
pub(crate) fn define(
    name: &Ident,
    vis: &Visibility,
    hooks: &[Hook],
    redirects: &[syn::LitStr],
) -> TokenStream {
    let module = format_ident!("__pulse_middleware_{}", name);
    let hidden = hidden_name(name);
    // Under the fn's own name, so imports of the fn carry it; left out for a name of the
    // prelude (`format`, `test`, ..), which it would shadow in the whole module.
    let same_name = (!in_prelude(&name.to_string())).then(|| {
        quote! {
            #[allow(unused_imports)]
            pub(crate) use callback as #name;
        }
    });
    let hooks = hooks
        .iter()
        .map(|h| Ident::new(h.name(), Span::call_site()));
    let reexport = match vis {
        Visibility::Inherited => quote!(),
        _ => quote!(pub(crate)),
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[doc(hidden)]
            macro_rules! callback {
                ($($input:tt)*) => {
                    ::pulse::__private::check! {
                        middleware = #name,
                        hooks = [#(#hooks),*],
                        redirects = [#(#redirects),*],
                        $($input)*
                    }
                };
            }
            #[allow(unused_imports)]
            pub(crate) use callback as #hidden;
            #same_name
        }
        // A glob: an item or explicit import of the same name in this module (say
        // `use tracing::info;` beside a middleware fn `info`) shadows it instead of clashing.
        #[doc(hidden)]
        #[allow(unused_imports)]
        #reexport use #module::*;
    }
}

/// The callback's second name, `__pulse_callback_<fn>`, which nothing else uses.
fn hidden_name(name: &Ident) -> Ident {
    format_ident!("__pulse_callback_{}", name)
}

/// Macro and attribute names of the std prelude and the built-in attributes, which a
/// callback of the same name would shadow (or make ambiguous) in the fn's module.
const PRELUDE: [&str; 53] = [
    "allow",
    "assert",
    "assert_eq",
    "assert_ne",
    "bench",
    "cfg",
    "cfg_attr",
    "cold",
    "column",
    "compile_error",
    "concat",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "deny",
    "deprecated",
    "derive",
    "doc",
    "env",
    "eprint",
    "eprintln",
    "expect",
    "file",
    "forbid",
    "format",
    "format_args",
    "global_allocator",
    "ignore",
    "include",
    "include_bytes",
    "include_str",
    "inline",
    "line",
    "matches",
    "module_path",
    "must_use",
    "option_env",
    "panic",
    "print",
    "println",
    "repr",
    "should_panic",
    "stringify",
    "test",
    "thread_local",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "warn",
    "write",
    "writeln",
];

fn in_prelude(name: &str) -> bool {
    PRELUDE.contains(&name)
}

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
    let mut callback = path.clone();
    if in_prelude(&name) {
        // Such a fn's callback only has its hidden name: reachable where the fn is defined or
        // through a path (`auth::format`), not through `use auth::format;`.
        if let Some(last) = callback.segments.last_mut() {
            last.ident = hidden_name(&last.ident);
        }
    }
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

/// What a callback macro hands to `__check`.
pub(crate) struct Input {
    pub(crate) middleware: Ident,
    pub(crate) hooks: Vec<Ident>,
    pub(crate) redirects: Vec<LitStr>,
    pub(crate) context: Ident,
    pub(crate) entry: TokenStream,
    pub(crate) routes: Option<Vec<LitStr>>,
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
