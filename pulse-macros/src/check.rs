//! The checks `__check` runs when a middleware's callback (see [`crate::callback`]) reaches it:
//! a group's middleware must only have route-scoped hooks, and a literal `Redirect::to("…")`
//! target must match a route of the app. Mistakes are reported at the literal or the entry.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::callback::Input;
use crate::diag;
use crate::hook::Hook;
use pulse_route::Pattern;

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
                let scoped: Vec<&str> = Hook::ALL
                    .into_iter()
                    .filter(|h| h.is_route_scoped())
                    .map(Hook::name)
                    .collect();
                errors.push(syn::Error::new_spanned(
                    &input.entry,
                    format!(
                        "`{name}` has a `{h}` hook, which does not run for a group: a group's middleware runs for its routes' {scoped} hooks only; list `{name}` in `middleware: [..]` instead",
                        h = h.name(),
                        scoped = diag::list(&scoped)
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
            let near = diag::suggest(&target, candidates.iter().map(String::as_str));
            let message = match near {
                Some(near) => format!(
                    "redirect target `{target}` matches no route of the app; did you mean `{near}`?"
                ),
                None => format!(
                    "redirect target `{target}` matches no route of the app; its routes are {}",
                    diag::list(&candidates.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            errors.push(syn::Error::new(lit.span(), message));
        }
    }
    Ok(errors.iter().map(syn::Error::to_compile_error).collect())
}
