//! `stack![a, b, c]`: the static chain `Chain::new(a, Chain::new(b, Chain::new(c, ())))`, first
//! listed outermost. The same named middleware listed twice is an error.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

/// A comma-separated list of middleware expressions.
pub(crate) struct List {
    pub(crate) entries: Vec<Expr>,
}

impl Parse for List {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let entries = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        Ok(List {
            entries: entries.into_iter().collect(),
        })
    }
}

/// The path of an entry listed by name (`require_login`, `auth::require_login`, `Audit`).
pub(crate) fn entry_path(entry: &Expr) -> Option<&syn::Path> {
    match entry {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Some(&p.path),
        _ => None,
    }
}

fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

impl List {
    /// The entries listed by name.
    pub(crate) fn named(&self) -> Vec<&Expr> {
        self.entries
            .iter()
            .filter(|e| entry_path(e).is_some())
            .collect()
    }

    /// The names of the entries listed by name (`auth::require_login`), in order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(entry_path)
            .map(path_text)
            .collect()
    }

    /// Every entry listed by name more than once, reported at its second mention.
    pub(crate) fn duplicates(&self) -> Vec<syn::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut errors = Vec::new();
        for entry in &self.entries {
            let Some(path) = entry_path(entry) else {
                continue;
            };
            let text = path_text(path);
            if seen.contains(&text) {
                errors.push(syn::Error::new(
                    entry.span(),
                    format!(
                        "`{text}` is listed twice in this chain; a middleware runs once per hook, so list it once"
                    ),
                ));
            } else {
                seen.push(text);
            }
        }
        errors
    }

    /// The nested `Chain::new` calls (`Chain::new_in(env, ..)` when the app names its
    /// environment), each spanned at its entry so a non-middleware entry is reported there.
    pub(crate) fn expand(&self, env: Option<&Ident>) -> TokenStream {
        self.entries.iter().rev().fold(quote!(()), |tail, entry| match env {
            None => quote_spanned!(entry.span()=> ::pulse::__private::Chain::new(::pulse::__private::middleware(#entry), #tail)),
            Some(env) => quote_spanned!(entry.span()=> ::pulse::__private::Chain::new_in(#env, ::pulse::__private::middleware(#entry), #tail)),
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let list: List = syn::parse2(input)?;
    let errors: TokenStream = list
        .duplicates()
        .into_iter()
        .map(|e| e.to_compile_error())
        .collect();
    let chain = list.expand(None);
    if errors.is_empty() {
        // No block around the chain: `stack![]` is `()`, which lints would flag as `{ () }`.
        return Ok(chain);
    }
    Ok(quote!({ #errors #chain }))
}
