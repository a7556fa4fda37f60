//! The arguments of `#[middleware(...)]`: an optional hook name, then an optional `dev`.

use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

use crate::diag;
use crate::hook::Hook;

/// `#[middleware]`, `#[middleware(dev)]`, `#[middleware(connect)]`, `#[middleware(connect, dev)]`.
pub(crate) struct Args {
    /// The hook and the span of its name.
    pub(crate) hook: Option<(Hook, Span)>,
    /// Set by `dev`: the middleware only runs when `PULSE_ENV` is `dev`.
    pub(crate) dev: Option<Span>,
}

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        syn::parse::Parser::parse2(Args::parse_inner, tokens)
    }

    fn parse_inner(input: ParseStream<'_>) -> syn::Result<Args> {
        let words = Punctuated::<Ident, Token![,]>::parse_terminated(input)?;
        let mut args = Args {
            hook: None,
            dev: None,
        };
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        for word in words {
            let name = word.to_string();
            if name == "dev" {
                if args.dev.is_some() {
                    push(syn::Error::new(word.span(), "`dev` is given twice"));
                }
                args.dev = Some(word.span());
            } else if let Some(h) = Hook::from_name(&name) {
                if args.dev.is_some() {
                    push(syn::Error::new(
                        word.span(),
                        "the hook comes first, then `dev`: `#[ps::middleware(connect, dev)]`",
                    ));
                } else if args.hook.is_some() {
                    push(syn::Error::new(
                        word.span(),
                        "a `#[ps::middleware]` fn has exactly one hook; for several hooks, put `#[ps::middleware]` on an impl block with one method per hook",
                    ));
                } else {
                    args.hook = Some((h, word.span()));
                }
            } else {
                push(unknown_hook(&word));
            }
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(args),
        }
    }
}

/// "unknown hook `conect`; did you mean `connect`?"
pub(crate) fn unknown_hook(word: &Ident) -> syn::Error {
    let name = word.to_string();
    let message = match diag::suggest(&name, Hook::NAMES.iter().copied().chain(["dev"])) {
        Some(near) => format!(
            "unknown hook `{name}`; did you mean `{near}`? (hooks: {}; option: `dev`)",
            diag::list(&Hook::NAMES)
        ),
        None => format!(
            "unknown hook `{name}`; the hooks are {}, optionally followed by `dev`",
            diag::list(&Hook::NAMES)
        ),
    };
    syn::Error::new(word.span(), message)
}
