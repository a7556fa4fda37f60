//! Parameters picked by name: each of a hook fn's parameters must be one the hook provides
//! (the hook table's `params`, in `hook.rs`) or `next`, given once. Validation collects every
//! mistake; expansion binds each parameter from the hook's args struct, with the user's type,
//! spanned at that type.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Pat, PatType, Signature, Type};

use crate::diag;
use crate::hook::Hook;

/// A parameter the hook provides, bound by name.
pub(crate) struct Param {
    /// The user's pattern (`session`, `mut session`, `_session`).
    pub(crate) pat: Pat,
    /// The user's type.
    pub(crate) ty: Type,
    /// The hook's field it is bound from.
    pub(crate) field: &'static str,
}

/// The validated parameters of a hook fn.
pub(crate) struct Params {
    pub(crate) params: Vec<Param>,
    /// The `next` pattern (`next`, `_next`, `mut next`).
    pub(crate) next: Option<Pat>,
}

/// The name a parameter is matched by: the identifier without leading underscores.
fn name_of(pat: &Pat) -> Option<(String, Span)> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => {
            let name = p.ident.to_string();
            Some((name.trim_start_matches('_').to_owned(), p.ident.span()))
        }
        _ => None,
    }
}

/// The type a hook gives a parameter, as written in messages, and the last identifier that
/// names it (`&ps::Session` → `Session`).
fn expected_type(hook: Hook, field: &str) -> (&'static str, &'static str) {
    match (hook, field) {
        (Hook::Prerender, "payload") => ("&ps::PrerenderPayload", "PrerenderPayload"),
        (Hook::Channel, "payload") => ("&serde_json::Value", "Value"),
        (_, "request") => ("&ps::Request", "Request"),
        (_, "session") => ("&ps::Session", "Session"),
        (_, "route_info") => ("&ps::RouteInfo", "RouteInfo"),
        (_, "data") => ("&ps::ClientMessage", "ClientMessage"),
        (_, "request_id") => ("Option<&str>", "Option"),
        _ => ("&str", "str"),
    }
}

/// Checks a parameter's type by name when it is written `&T` with `T` one of the types hooks
/// give (`&ps::Request` for `session`): a targeted message. Other types are left to rustc,
/// whose error lands on the type too.
fn check_type(hook: Hook, field: &str, ty: &Type, errors: &mut Vec<syn::Error>) {
    const KNOWN: [&str; 6] = [
        "PrerenderPayload",
        "Value",
        "Request",
        "Session",
        "RouteInfo",
        "ClientMessage",
    ];
    let (reference, inner) = match ty {
        Type::Reference(r) => (true, &*r.elem),
        other => (false, other),
    };
    let written = match inner {
        Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(last) => last.ident.to_string(),
            None => return,
        },
        _ => return,
    };
    let (expected, ident) = expected_type(hook, field);
    let known = KNOWN.contains(&written.as_str()) || written == "str";
    // `session: ps::Session` (owned) or `session: &ps::Request` (another hook type).
    let owned = !reference && written == ident && ident != "Option";
    if known && (written != ident || owned) {
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "`{field}` is a `{expected}` in {} `{}` hook; write `{field}: {expected}`",
                hook.article(),
                hook.name()
            ),
        ));
    }
}

/// Whether `ty` is written `Next` / `ps::Next` (a path ending in `Next`, without generics).
fn is_next_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|s| {
                s.ident == "Next" && matches!(s.arguments, syn::PathArguments::None)
            })
        }
        _ => false,
    }
}

/// Validates the parameters of `sig` for `hook`. `receiver` says whether `&self` is expected
/// (impl-block methods) and has already been checked.
pub(crate) fn validate(sig: &Signature, hook: Hook, errors: &mut Vec<syn::Error>) -> Params {
    let provided = hook.params();
    let with_next: Vec<&str> = provided.iter().copied().chain(["next"]).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut out = Params {
        params: Vec::new(),
        next: None,
    };
    for input in &sig.inputs {
        let FnArg::Typed(PatType { pat, ty, .. }) = input else {
            continue; // receivers are checked by the caller
        };
        let Some((name, span)) = name_of(pat) else {
            errors.push(syn::Error::new_spanned(
                pat,
                format!(
                    "a middleware parameter is a plain name, one of {}",
                    diag::list(&with_next)
                ),
            ));
            continue;
        };
        if seen.contains(&name) {
            errors.push(syn::Error::new(span, format!("`{name}` is given twice")));
            continue;
        }
        seen.push(name.clone());
        if name == "next" {
            if !is_next_type(ty) {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "`next` has the wrong type; write `next: ps::Next`",
                ));
            }
            out.next = Some((**pat).clone());
        } else if let Some(field) = provided.iter().find(|p| **p == name) {
            check_type(hook, field, ty, errors);
            out.params.push(Param {
                pat: (**pat).clone(),
                ty: (**ty).clone(),
                field,
            });
        } else {
            let other = Hook::ALL
                .into_iter()
                .filter(|h| h.params().contains(&name.as_str()))
                .map(Hook::name)
                .collect::<Vec<_>>();
            let mut message = format!(
                "the `{}` hook has no parameter `{name}`; it provides {}",
                hook.name(),
                diag::list(&with_next)
            );
            if let Some(near) = diag::suggest(&name, with_next.iter().copied()) {
                message = format!(
                    "the `{}` hook has no parameter `{name}`; did you mean `{near}`? it provides {}",
                    hook.name(),
                    diag::list(&with_next)
                );
            } else if !other.is_empty() {
                message.push_str(&format!(
                    " (`{name}` is given to {} hooks)",
                    diag::list(&other)
                ));
            }
            errors.push(syn::Error::new(span, message));
        }
    }
    if out.next.is_none() {
        errors.push(syn::Error::new(
            sig.ident.span(),
            "a middleware takes a `next: ps::Next` parameter; name it `_next` if this middleware never continues",
        ));
    }
    out
}

/// The statements binding each parameter from the args struct, and the `next` parameter.
pub(crate) fn expand(
    params: &Params,
    hook: Hook,
    args: &syn::Ident,
) -> (TokenStream, TokenStream, syn::Ident) {
    let binds = params.params.iter().map(|p| {
        let Param { pat, ty, field } = p;
        let field = syn::Ident::new(field, ty.span());
        // Spanned at the user's type: a wrong type is reported there.
        let args = syn::Ident::new(&args.to_string(), args.span().located_at(ty.span()));
        let value = quote_spanned!(ty.span()=> #args.#field);
        quote!(let #pat: #ty = #value;)
    });
    let marker = hook.marker();
    let next_pat = match &params.next {
        Some(pat) => quote!(#pat),
        None => quote!(_),
    };
    // The parameter has a name of ours, bound to the user's pattern with the other parameters,
    // so that generated code can use `next` before them.
    let next_ident = syn::Ident::new("__pulse_next", Span::mixed_site());
    let next = quote! {
        #next_ident: impl ::pulse::__private::Next<::pulse::__private::hook::#marker>
    };
    (
        quote!(#(#binds)* let #next_pat = #next_ident;),
        next,
        next_ident,
    )
}
