//! One hook method: the shared core of fn and impl-block middleware. Checks the signature
//! (async, not generic, return type), binds parameters by name, rewrites the body, and emits
//! `async fn <hook>(&self, args, next) -> <Response>` for the `PulseMiddleware` impl.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Block, LitStr, ReturnType, Signature};

use crate::body;
use crate::hook::Hook;
use crate::params::{self, Params};

/// A hook method, validated and ready to expand.
pub(crate) struct Method {
    pub(crate) hook: Hook,
    attrs: Vec<Attribute>,
    params: Params,
    output: ReturnType,
    block: Block,
    /// `Redirect::to("…")` literals of the body.
    pub(crate) redirects: Vec<LitStr>,
    /// Whether the return type is absent or one of the response types, checked by name.
    known_return: bool,
    /// The user's fn name: rustc's errors about the generated method (a future that is not
    /// `Send`) point there.
    name_span: Span,
}

/// Checks a written return type by name when it is one of the five response types; returns
/// whether it was checked (otherwise the type system checks it).
fn check_return(output: &ReturnType, hook: Hook, errors: &mut Vec<syn::Error>) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return true;
    };
    let syn::Type::Path(p) = &**ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let written = last.ident.to_string();
    let known = Hook::ALL.iter().any(|h| h.response_name() == written);
    if known && written != hook.response_name() {
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "{} `{}` hook returns `ps::{}`, not `{written}`; write `ps::{}` or leave the return type out",
                hook.article(),
                hook.name(),
                hook.response_name(),
                hook.response_name()
            ),
        ));
    }
    known
}

/// Checks what every hook fn must satisfy; `what` names the construct in messages.
pub(crate) fn check_signature(sig: &Signature, errors: &mut Vec<syn::Error>) {
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "a middleware fn must be `async`; write `async fn`",
        ));
    }
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new(c.span, "a middleware fn cannot be `const`"));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(syn::Error::new(
            u.span,
            "a middleware fn cannot be `unsafe`",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a middleware fn cannot have an ABI",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a middleware fn cannot be generic; its parameters are fixed by the hook",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "a middleware fn cannot be variadic",
        ));
    }
}

impl Method {
    /// Validates and rewrites a hook method. The receiver, if any, is checked by the caller.
    pub(crate) fn new(
        hook: Hook,
        attrs: Vec<Attribute>,
        sig: &Signature,
        mut block: Block,
        errors: &mut Vec<syn::Error>,
    ) -> Method {
        check_signature(sig, errors);
        let params = params::validate(sig, hook, errors);
        let known_return = check_return(&sig.output, hook, errors);
        let redirects = body::redirect_literals(&block);
        errors.extend(body::check_local(&redirects));
        let next = params.next.as_ref().and_then(body::pat_ident);
        errors.extend(body::rewrite(&mut block, hook, next).errors);
        Method {
            hook,
            attrs,
            params,
            output: sig.output.clone(),
            block,
            redirects,
            known_return,
            name_span: sig.ident.span(),
        }
    }

    /// The method of the `PulseMiddleware` impl. A `dev` middleware first passes straight
    /// through unless its chain runs in `Env::Dev`.
    pub(crate) fn expand(&self, dev: bool) -> TokenStream {
        let hook = self.hook;
        let method = syn::Ident::new(hook.name(), self.name_span);
        let args = syn::Ident::new("__pulse_args", Span::mixed_site());
        let (binds, next, next_ident) = params::expand(&self.params, hook, &args);
        let dev_check = if dev {
            let marker = hook.marker();
            quote! {
                if !<_ as ::pulse::__private::Next<::pulse::__private::hook::#marker>>::env(&#next_ident).is_dev() {
                    return ::pulse::__private::Next::run(#next_ident).await;
                }
            }
        } else {
            quote!()
        };

        let args_ty = hook.args_type();
        let response = hook.response_type();
        let check = match &self.output {
            ReturnType::Type(_, ty) if !self.known_return => quote_spanned! {ty.span()=>
                const _: () = ::pulse::__private::assert_response::<#ty, #response>();
            },
            _ => quote!(),
        };
        let attrs = &self.attrs;
        let stmts = &self.block.stmts;
        quote_spanned! {self.name_span=>
            #(#attrs)*
            async fn #method(&self, #args: #args_ty, #next) -> #response {
                #check
                #dev_check
                #binds
                #(#stmts)*
            }
        }
    }
}
