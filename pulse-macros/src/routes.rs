//! `routes!{ "/" => home, [mw] { "/dashboard" => dashboard, api "/api/me" } }`: the route
//! table (pages, and endpoint patterns whose `api` hook runs group middleware), checked at
//! compile time by `pulse_route::Pattern::parse`, the parser the runtime matcher uses.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token, braced, bracketed};

use crate::checks::Context;
use crate::stack::List;
use pulse_route::{Conflict, Pattern};

pub(crate) mod kw {
    syn::custom_keyword!(public);
    syn::custom_keyword!(api);
}

/// One entry of a route table.
pub(crate) enum Entry {
    /// `"/users/:id" => user`, or `public "/" => home` (exempt from `guard: required`)
    Route {
        public: Option<kw::public>,
        pattern: LitStr,
        handler: Expr,
    },
    /// `api "/api/me"`: an endpoint of `Server::routes` whose `api` hook runs the enclosing
    /// groups' middleware; `public api "/api/health"` is exempt from `guard: required`.
    Endpoint {
        public: Option<kw::public>,
        pattern: LitStr,
    },
    /// `[a, b] { ... }`: routes whose `prerender_route` and `message` hooks also run `a`, `b`.
    Group {
        bracket: Span,
        middleware: List,
        brace: Span,
        routes: Table,
    },
}

/// The body of `routes!{}` or of `routes: { ... }` in `pulse_app!`.
pub(crate) struct Table {
    pub(crate) entries: Vec<Entry>,
}

impl Parse for Table {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut entries = Vec::new();
        while !input.is_empty() {
            if input.peek(syn::token::Bracket) {
                let list;
                let bracket = bracketed!(list in input).span.join();
                let middleware: List = list.parse()?;
                let body;
                let brace = braced!(body in input).span.join();
                let routes: Table = body.parse()?;
                entries.push(Entry::Group {
                    bracket,
                    middleware,
                    brace,
                    routes,
                });
            } else if input.peek(kw::api) && input.peek2(LitStr) {
                input.parse::<kw::api>()?;
                entries.push(Entry::Endpoint {
                    public: None,
                    pattern: input.parse()?,
                });
            } else if input.peek(kw::public) && input.peek2(kw::api) {
                let public = input.parse()?;
                input.parse::<kw::api>()?;
                if !input.peek(LitStr) {
                    return Err(input.error(
                        "expected the endpoint's pattern after `public api`, as in `public api \"/api/health\"`",
                    ));
                }
                entries.push(Entry::Endpoint {
                    public: Some(public),
                    pattern: input.parse()?,
                });
            } else if input.peek(LitStr) || input.peek(kw::public) {
                let public: Option<kw::public> = input.parse()?;
                if public.is_some() && !input.peek(LitStr) {
                    return Err(input.error(
                        "expected a route or an endpoint after `public`, as in `public \"/\" => home` or `public api \"/api/health\"`",
                    ));
                }
                let pattern: LitStr = input.parse()?;
                input.parse::<Token![=>]>()?;
                let handler: Expr = input.parse()?;
                entries.push(Entry::Route {
                    public,
                    pattern,
                    handler,
                });
            } else {
                return Err(input.error(
                    "expected a route (`\"/path\" => page`, `public \"/path\" => page`), an endpoint (`api \"/path\"`) or a group (`[middleware] { routes }`)",
                ));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Table { entries })
    }
}

/// A span inside a string literal for a byte range of its value, when the compiler can give
/// one (a plain literal without escapes); otherwise the whole literal.
pub(crate) fn span_within(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    let token = lit.token();
    let text = token.to_string();
    if text.starts_with('"')
        && !text.contains('\\')
        && range.end < text.len()
        && let Some(span) = token.subspan(range.start + 1..range.end + 1)
    {
        return span;
    }
    lit.span()
}

impl Table {
    /// Every route, in declaration order, with the groups it is in.
    pub(crate) fn routes(&self) -> Vec<&LitStr> {
        let mut out = Vec::new();
        for entry in &self.entries {
            match entry {
                Entry::Route { pattern, .. } => out.push(pattern),
                Entry::Endpoint { .. } => {}
                Entry::Group { routes, .. } => out.extend(routes.routes()),
            }
        }
        out
    }

    /// Every endpoint pattern, in declaration order.
    pub(crate) fn endpoints(&self) -> Vec<&LitStr> {
        let mut out = Vec::new();
        for entry in &self.entries {
            match entry {
                Entry::Endpoint { pattern, .. } => out.push(pattern),
                Entry::Route { .. } => {}
                Entry::Group { routes, .. } => out.extend(routes.endpoints()),
            }
        }
        out
    }

    /// Routes and endpoints outside every group and not marked `public`, in declaration order,
    /// each with whether it is an endpoint: the ones `guard: required` rejects.
    pub(crate) fn unguarded(&self) -> Vec<(&LitStr, bool)> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Route {
                    public: None,
                    pattern,
                    ..
                } => Some((pattern, false)),
                Entry::Endpoint {
                    public: None,
                    pattern,
                } => Some((pattern, true)),
                _ => None,
            })
            .collect()
    }

    /// Checks patterns, conflicts, empty groups and duplicate group middleware. `outer` holds
    /// the app-wide chain, whose middleware a group must not list again.
    pub(crate) fn validate(&self, outer: &List, errors: &mut Vec<syn::Error>) {
        let pages = validate_patterns(self.routes(), "route", &[], errors);
        validate_patterns(self.endpoints(), "endpoint", &pages, errors);
        let outer: Vec<(String, &'static str)> =
            outer.names().into_iter().map(|n| (n, "app-wide")).collect();
        self.validate_groups(&outer, errors);
    }

    fn validate_groups(&self, outer: &[(String, &'static str)], errors: &mut Vec<syn::Error>) {
        for entry in &self.entries {
            if let Entry::Group {
                bracket,
                middleware,
                brace,
                routes,
            } = entry
            {
                if middleware.entries.is_empty() {
                    errors.push(syn::Error::new(
                        *bracket,
                        "this group lists no middleware; name at least one, as in `[require_login] { .. }`, or move its routes out",
                    ));
                }
                if routes.routes().is_empty() && routes.endpoints().is_empty() {
                    errors.push(syn::Error::new(
                        *brace,
                        "this group covers no route; add routes (or endpoints, `api \"/path\"`) inside `{ }` or remove the group",
                    ));
                }
                errors.extend(middleware.duplicates());
                for (name, entry) in middleware.names().into_iter().zip(middleware.named()) {
                    if let Some((_, place)) = outer.iter().find(|(n, _)| *n == name) {
                        errors.push(syn::Error::new(
                            entry.span(),
                            format!(
                                "`{name}` already runs {place} for these routes; listed here too, it would run twice"
                            ),
                        ));
                    }
                }
                for entry in &routes.entries {
                    let (public, pattern, what) = match entry {
                        Entry::Route {
                            public: Some(public),
                            pattern,
                            ..
                        } => (public, pattern, "route"),
                        Entry::Endpoint {
                            public: Some(public),
                            pattern,
                        } => (public, pattern, "endpoint"),
                        _ => continue,
                    };
                    errors.push(syn::Error::new(
                        public.span,
                        format!(
                            "{what} `{}` is marked `public` inside a group, whose middleware guards it; move it out of the group or drop `public`",
                            pattern.value()
                        ),
                    ));
                }
                let mut inner = outer.to_vec();
                inner.extend(
                    middleware
                        .names()
                        .into_iter()
                        .map(|n| (n, "in an enclosing group")),
                );
                routes.validate_groups(&inner, errors);
            }
        }
    }

    /// `Routes::new()` with each route added by `__private::route(routes, pattern, page)` (so
    /// that a wrong page is one error, at its name) and each group by `.group(..)`; groups use
    /// `group_in(env, ..)` when the app names its environment. Group middleware is checked
    /// as such, and, in an app (`routes` names its routes type), for its redirect targets.
    pub(crate) fn expand(&self, env: Option<&Ident>, routes_type: Option<&Ident>) -> TokenStream {
        let mut routes = quote!(::pulse::__private::Routes::new());
        for entry in &self.entries {
            routes = match entry {
                Entry::Route {
                    pattern, handler, ..
                } => quote_spanned! {handler.span()=>
                    ::pulse::__private::route(#routes, #pattern, #handler)
                },
                Entry::Endpoint { pattern, .. } => quote!(#routes.endpoint(#pattern)),
                Entry::Group {
                    middleware,
                    routes: inner,
                    ..
                } => {
                    let chain = middleware.expand(env, Context::Group(routes_type));
                    let inner = inner.expand(env, routes_type);
                    match env {
                        None => quote!(#routes.group(#chain, #inner)),
                        Some(env) => quote!(#routes.group_in(#env, #chain, #inner)),
                    }
                }
            };
        }
        routes
    }
}

/// Parses and checks `lits` (`what` is "route" or "endpoint"): syntax, the reserved prefix,
/// duplicates and ambiguity among themselves, and, for endpoints, a page declared at the same
/// path (`pages`). Returns the patterns that parsed.
fn validate_patterns(
    lits: Vec<&LitStr>,
    what: &str,
    pages: &[Pattern],
    errors: &mut Vec<syn::Error>,
) -> Vec<Pattern> {
    let mut parsed: Vec<Pattern> = Vec::new();
    for lit in lits {
        let source = lit.value();
        let pattern = match Pattern::parse(&source) {
            Ok(p) => p,
            Err(e) => {
                errors.push(syn::Error::new(
                    span_within(lit, e.span.clone()),
                    format!("invalid {what} `{source}`: {e}"),
                ));
                continue;
            }
        };
        if let Err(reserved) = pulse_route::check_not_reserved(&source) {
            errors.push(syn::Error::new(lit.span(), reserved.to_string()));
            continue;
        }
        if pages
            .iter()
            .any(|page| pulse_route::conflict(page, &pattern) == Some(Conflict::Duplicate))
        {
            errors.push(syn::Error::new(
                lit.span(),
                format!("`{source}` is declared both as a page and as an endpoint; a path is one or the other"),
            ));
            continue;
        }
        let clash = parsed
            .iter()
            .find_map(|other| pulse_route::conflict(other, &pattern).map(|c| (other, c)));
        match clash {
            Some((_, Conflict::Duplicate)) => errors.push(syn::Error::new(
                lit.span(),
                format!("duplicate {what} `{source}`; each path is declared once"),
            )),
            Some((other, Conflict::Ambiguous)) => errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "{what}s `{other}` and `{source}` match the same URLs; rename one so they differ"
                ),
            )),
            None => parsed.push(pattern),
        }
    }
    parsed
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let table: Table = syn::parse2(input)?;
    let mut errors = Vec::new();
    table.validate(
        &List {
            entries: Vec::new(),
        },
        &mut errors,
    );
    if !errors.is_empty() {
        let errors: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
        return Ok(quote!({ #errors ::pulse::__private::Routes::new() }));
    }
    Ok(table.expand(None, None))
}
