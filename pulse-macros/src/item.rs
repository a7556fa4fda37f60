//! `#[middleware]` on an item: a free async fn (one hook) or an inherent impl block (one method
//! per hook). Both become an `impl PulseMiddleware`, whose two hidden check methods let
//! `pulse_app!` check the item's redirect targets and hooks against the app (see
//! [`crate::checks`]).

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, Item, ItemFn, ItemImpl, LitStr, Visibility};

use crate::attr::Args;
use crate::checks;
use crate::diag;
use crate::hook::Hook;
use crate::method::Method;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        // rustc parses the item before expanding the attribute and has reported the syntax
        // error already, better than syn would. Emit the middleware type with a pass-through
        // impl so that uses of it add no error.
        Err(_) => return stub(input),
    };
    let args = Args::parse(args);
    match item {
        Item::Fn(f) => expand_fn(args, f),
        Item::Impl(i) => expand_impl(args, i),
        other => {
            let error = syn::Error::new(
                item_keyword_span(&other),
                "`#[ps::middleware]` goes on an `async fn` (with a hook: `#[ps::middleware(connect)]`) or on an inherent `impl` block",
            );
            let mut out = error.to_compile_error();
            out.extend(quote!(#other));
            out
        }
    }
}

/// The fallback for an item syn cannot parse (a syntax error in a fn body, which rustc reports
/// itself): the unit struct named after the fn, with a pass-through impl.
fn stub(input: TokenStream) -> TokenStream {
    struct Header {
        vis: Visibility,
        name: Ident,
    }
    impl syn::parse::Parse for Header {
        fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
            input.call(syn::Attribute::parse_outer)?;
            let vis = input.parse()?;
            let sig: syn::Signature = input.parse()?;
            input.parse::<TokenStream>()?;
            Ok(Header {
                vis,
                name: sig.ident,
            })
        }
    }
    match syn::parse2::<Header>(input) {
        Ok(Header { vis, name }) => {
            quote! {
                #[allow(non_camel_case_types)]
                #[derive(::pulse::__private::core::clone::Clone, ::pulse::__private::core::marker::Copy, ::pulse::__private::core::fmt::Debug, ::pulse::__private::core::default::Default)]
                #vis struct #name;
                impl ::pulse::__private::PulseMiddleware for #name {}
            }
        }
        Err(_) => TokenStream::new(),
    }
}

fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        other => other.span(),
    }
}

fn combine(errors: Vec<syn::Error>) -> TokenStream {
    errors.into_iter().map(|e| e.to_compile_error()).collect()
}

/// `#[middleware(hook)] async fn name(..) -> R { body }`.
fn expand_fn(args: syn::Result<Args>, f: ItemFn) -> TokenStream {
    let mut errors = Vec::new();
    let mut hook_span = None;
    let (hook, dev) = match args {
        Ok(Args {
            hook: Some((hook, span)),
            dev,
        }) => {
            hook_span = Some(span);
            (Some(hook), dev.is_some())
        }
        Ok(Args { hook: None, dev }) => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "`#[ps::middleware]` on a fn needs its hook, as in `#[ps::middleware(connect)]`; the hooks are {}",
                    diag::list(&Hook::NAMES)
                ),
            ));
            (None, dev.is_some())
        }
        Err(e) => {
            errors.push(e);
            (None, false)
        }
    };
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = f;
    let name = sig.ident.clone();
    let (docs, other_attrs): (Vec<_>, Vec<_>) =
        attrs.into_iter().partition(|a| a.path().is_ident("doc"));
    for input in &sig.inputs {
        if let FnArg::Receiver(r) = input {
            errors.push(syn::Error::new(
                r.self_token.span,
                "a `#[ps::middleware(hook)]` fn takes no `self`; for a middleware with state, put `#[ps::middleware]` on an `impl` block of your type",
            ));
        }
    }
    let method = hook.map(|hook| Method::new(hook, other_attrs, &sig, *block, &mut errors));
    let body = match (&method, errors.is_empty(), hook_span) {
        (Some(m), true, Some(span)) => {
            let checks = checks::methods(&name.to_string(), &[(m.hook, span)], &m.redirects);
            let hooks = checks::hooks_const([m.hook]);
            let method = m.expand(dev);
            quote!(#hooks #method #checks)
        }
        // One error, not a cascade: a pass-through impl stands in for the invalid fn.
        _ => quote!(),
    };
    let doc_default = if docs.is_empty() {
        let text = format!(" Middleware generated by `#[ps::middleware]` from `async fn {name}`.");
        quote!(#[doc = #text])
    } else {
        quote!()
    };
    let errors = combine(errors);
    quote! {
        #errors
        #(#docs)*
        #doc_default
        #[allow(non_camel_case_types)]
        #[derive(::pulse::__private::core::clone::Clone, ::pulse::__private::core::marker::Copy, ::pulse::__private::core::fmt::Debug, ::pulse::__private::core::default::Default)]
        #vis struct #name;

        impl ::pulse::__private::PulseMiddleware for #name {
            #body
        }
    }
}

/// `#[middleware] impl Type { async fn connect(&self, ..) .. }`.
fn expand_impl(args: syn::Result<Args>, imp: ItemImpl) -> TokenStream {
    let mut errors = Vec::new();
    let dev = match args {
        Ok(Args {
            hook: Some((_, span)),
            ..
        }) => {
            errors.push(syn::Error::new(
                span,
                "on an impl block, each method named after a hook is that hook; write `#[ps::middleware]` (or `#[ps::middleware(dev)]`) without a hook",
            ));
            false
        }
        Ok(Args { dev, .. }) => dev.is_some(),
        Err(e) => {
            errors.push(e);
            false
        }
    };
    if let Some((_, path, _)) = &imp.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "`#[ps::middleware]` goes on an inherent impl block (`impl Audit { .. }`), whose methods named after hooks become the `PulseMiddleware` impl; remove the attribute from a hand-written trait impl",
        ));
        let errors = combine(errors);
        return quote!(#errors #imp);
    }
    let mut methods: Vec<Method> = Vec::new();
    let mut seen: Vec<(Hook, Span)> = Vec::new();
    for item in &imp.items {
        let ImplItem::Fn(f) = item else {
            errors.push(syn::Error::new(
                item.span(),
                "a `#[ps::middleware]` impl block holds only hook methods; put other items in a separate `impl` block",
            ));
            continue;
        };
        let name = f.sig.ident.to_string();
        let Some(hook) = Hook::from_name(&name) else {
            let message = match diag::suggest(&name, Hook::NAMES) {
                Some(near) => format!(
                    "`{name}` is not a hook; did you mean `{near}`? In a `#[ps::middleware]` impl block every method is a hook ({}); put helpers in a separate `impl` block",
                    diag::list(&Hook::NAMES)
                ),
                None => format!(
                    "`{name}` is not a hook; in a `#[ps::middleware]` impl block every method is a hook ({}); put helpers in a separate `impl` block",
                    diag::list(&Hook::NAMES)
                ),
            };
            errors.push(syn::Error::new(f.sig.ident.span(), message));
            continue;
        };
        if seen.iter().any(|(h, _)| *h == hook) {
            errors.push(syn::Error::new(
                f.sig.ident.span(),
                format!("the `{name}` hook is defined twice in this impl block"),
            ));
            continue;
        }
        seen.push((hook, f.sig.ident.span()));
        match f.sig.inputs.first() {
            Some(FnArg::Receiver(r))
                if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
            Some(FnArg::Receiver(r)) => errors.push(syn::Error::new_spanned(
                r,
                "a hook method takes `&self`; the middleware is shared between requests",
            )),
            _ => errors.push(syn::Error::new(
                f.sig.ident.span(),
                format!("the `{name}` hook method takes `&self` first, then parameters by name"),
            )),
        }
        methods.push(Method::new(
            hook,
            f.attrs.clone(),
            &f.sig,
            f.block.clone(),
            &mut errors,
        ));
    }
    let self_ty = &imp.self_ty;
    let body: Vec<TokenStream> = if errors.is_empty() {
        // Redirect targets are checked as for a fn. Hooks are not: a type with several hooks
        // may be listed in a group for its route-scoped ones (a fn has one, so a fn whose hook
        // cannot run in a group is a mistake).
        let redirects: Vec<LitStr> = methods.iter().flat_map(|m| m.redirects.clone()).collect();
        let name = quote!(#self_ty).to_string().replace(' ', "");
        [checks::hooks_const(methods.iter().map(|m| m.hook))]
            .into_iter()
            .chain(methods.iter().map(|m| m.expand(dev)))
            .chain([checks::methods(&name, &[], &redirects)])
            .collect()
    } else {
        Vec::new()
    };
    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let attrs = &imp.attrs;
    let errors = combine(errors);
    quote! {
        #errors
        #(#attrs)*
        impl #impl_generics ::pulse::__private::PulseMiddleware for #self_ty #where_clause {
            #(#body)*
        }
    }
}
