//! `pulse_app!{ routes: { .. }, middleware: [ .. ], not_found: page }`: the app as one checked
//! declaration — route table, app-wide chain, scoped groups, and every redirect literal of the
//! listed `#[middleware]` items checked against the routes; with `guard: required`, every route
//! and endpoint in a group or marked `public`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token, braced, bracketed};

use crate::checks::{self, Context};
use crate::diag;
use crate::routes::Table;
use crate::stack::List;

const KEYS: [&str; 5] = ["routes", "middleware", "not_found", "env", "guard"];

struct AppInput {
    routes: Option<(Ident, Table)>,
    middleware: Option<(Ident, List)>,
    not_found: Option<Expr>,
    env: Option<Expr>,
    /// `guard: required`: every route and endpoint is in a group or marked `public`.
    guard: Option<Ident>,
    errors: Vec<syn::Error>,
}

impl Parse for AppInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut app = AppInput {
            routes: None,
            middleware: None,
            not_found: None,
            env: None,
            guard: None,
            errors: Vec::new(),
        };
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let name = key.to_string();
            let repeated = match name.as_str() {
                "routes" => {
                    let content;
                    braced!(content in input);
                    app.routes
                        .replace((key.clone(), content.parse()?))
                        .is_some()
                }
                "middleware" => {
                    let content;
                    bracketed!(content in input);
                    app.middleware
                        .replace((key.clone(), content.parse()?))
                        .is_some()
                }
                "not_found" => app.not_found.replace(input.parse()?).is_some(),
                "env" => app.env.replace(input.parse()?).is_some(),
                "guard" => {
                    let value: Ident = input.parse()?;
                    if value != "required" {
                        app.errors.push(syn::Error::new(
                            value.span(),
                            format!("unknown guard rule `{value}`; `guard: required` is the only one (every route and endpoint in a group or marked `public`), and leaving `guard` out means none"),
                        ));
                        false
                    } else {
                        app.guard.replace(key.clone()).is_some()
                    }
                }
                _ => {
                    let message = match diag::suggest(&name, KEYS) {
                        Some(near) => format!(
                            "unknown key `{name}`; did you mean `{near}`? `pulse_app!` takes {}",
                            diag::list(&KEYS)
                        ),
                        None => format!(
                            "unknown key `{name}`; `pulse_app!` takes {}",
                            diag::list(&KEYS)
                        ),
                    };
                    return Err(syn::Error::new(key.span(), message));
                }
            };
            if repeated {
                app.errors.push(syn::Error::new(
                    key.span(),
                    format!("`{name}` is given twice"),
                ));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(app)
    }
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let AppInput {
        routes,
        middleware,
        not_found,
        env,
        guard,
        mut errors,
    } = syn::parse2(input)?;
    let Some((routes_key, table)) = routes else {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "`pulse_app!` needs its routes: `routes: { \"/\" => home }`",
        ));
    };
    let chain = middleware.map(|(_, list)| list).unwrap_or(List {
        entries: Vec::new(),
    });
    table.validate(&chain, &mut errors);
    if table.routes().is_empty() {
        errors.push(syn::Error::new(
            routes_key.span(),
            "an app needs at least one route in `routes: { .. }`",
        ));
    }
    if guard.is_some() {
        errors.extend(unguarded(&table));
    }
    errors.extend(chain.duplicates());
    // The routes as a type, which each entry's redirect targets are checked against.
    let routes_ident = Ident::new("AppRoutes", proc_macro2::Span::mixed_site());
    let route_lits: Vec<LitStr> = table.routes().into_iter().cloned().collect();
    let checks = errors
        .is_empty()
        .then(|| checks::routes_type(&routes_ident, &route_lits));
    let routes_type = checks.is_some().then_some(&routes_ident);
    let errors: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
    // The environment is evaluated once, before the routes and the chain that filter by it.
    let env_ident = Ident::new("__pulse_env", proc_macro2::Span::mixed_site());
    let env_binding =
        env.map(|env| quote_spanned!(env.span()=> let #env_ident: ::pulse::__private::Env = #env;));
    let env_used = env_binding.is_some().then_some(&env_ident);
    let routes = table.expand(env_used, routes_type);
    let context = match routes_type {
        Some(routes) => Context::App(routes),
        None => Context::None,
    };
    let chain = chain.expand(env_used, context);
    let mut app = quote!(::pulse::__private::App::new(#routes, #chain));
    if let Some(page) = not_found {
        app = quote_spanned!(page.span()=> ::pulse::__private::not_found(#app, #page));
    }
    Ok(quote!({
        #errors
        #checks
        #env_binding
        #app
    }))
}

/// `guard: required`: one error per route or endpoint that no group guards and that is not
/// `public`, at its pattern, so the list of errors names every one of them.
fn unguarded(table: &Table) -> Vec<syn::Error> {
    table
        .unguarded()
        .into_iter()
        .map(|(lit, endpoint)| {
            let path = lit.value();
            let message = if endpoint {
                format!(
                    "endpoint `{path}` is not guarded: with `guard: required`, every endpoint is inside a group (`[require_token] {{ api \"{path}\" }}`) or marked `public` (`public api \"{path}\"`)"
                )
            } else {
                format!(
                    "route `{path}` is not guarded: with `guard: required`, every route is inside a group (`[require_login] {{ \"{path}\" => .. }}`) or marked `public` (`public \"{path}\" => ..`)"
                )
            };
            syn::Error::new(lit.span(), message)
        })
        .collect()
}
