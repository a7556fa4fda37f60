//! `stack![a, b, c]`: the static chain `Chain::new(a, Chain::new(b, InEnv::new(c)))`, first
//! listed outermost. The same named middleware listed twice is an error.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::checks::Context;

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

    /// The chain: nested `Chain::new` calls (`Chain::new_in(env, ..)` when the app names its
    /// environment), each spanned at its entry so a non-middleware entry is reported there.
    ///
    /// A list longer than [`RUN`] is cut into runs of at most [`RUN`] entries, joined by a
    /// balanced tree of `Seam`s: a future nests at most [`RUN`] middleware futures plus the
    /// tree's depth, so rustc lays out a chain of any length within its default limits.
    ///
    /// `context` says what each entry is checked against, at the entry (see [`Context`]).
    pub(crate) fn expand(&self, env: Option<&Ident>, context: Context<'_>) -> TokenStream {
        let runs: Vec<TokenStream> = self
            .entries
            .chunks(RUN)
            .map(|run| expand_run(run, env, context))
            .collect();
        match runs.len() {
            0 => quote!(()),
            _ => seams(&runs, env),
        }
    }
}

/// How many entries one run of plain `Chain`s holds; `Seam::RUN` in pulse-core.
const RUN: usize = 12;

/// One run: `Chain::new(a, Chain::new(b, InEnv::new(c)))`. The last entry is the run's tail
/// as itself (in the run's environment), not a `Chain` with an empty tail: a link to that empty
/// tail would carry each hook's arguments once more in every layer's future.
fn expand_run(entries: &[Expr], env: Option<&Ident>, context: Context<'_>) -> TokenStream {
    let Some((last, rest)) = entries.split_last() else {
        return quote!(());
    };
    let head = context.entry(last);
    let tail = match env {
        None => quote_spanned!(last.span()=> ::pulse::__private::InEnv::new(#head)),
        Some(env) => quote_spanned!(last.span()=> ::pulse::__private::InEnv::new_in(#env, #head)),
    };
    rest.iter().rev().fold(tail, |tail, entry| {
        let head = context.entry(entry);
        match env {
            None => quote_spanned!(entry.span()=> ::pulse::__private::Chain::new(#head, #tail)),
            Some(env) => {
                quote_spanned!(entry.span()=> ::pulse::__private::Chain::new_in(#env, #head, #tail))
            }
        }
    })
}

/// Runs joined in order by a balanced tree of `Seam::new(first, second)`.
fn seams(runs: &[TokenStream], env: Option<&Ident>) -> TokenStream {
    if let [run] = runs {
        return run.clone();
    }
    let (first, second) = runs.split_at(runs.len() / 2);
    let (first, second) = (seams(first, env), seams(second, env));
    match env {
        None => quote!(::pulse::__private::Seam::new(#first, #second)),
        Some(env) => quote!(::pulse::__private::Seam::new_in(#env, #first, #second)),
    }
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let list: List = syn::parse2(input)?;
    let errors: TokenStream = list
        .duplicates()
        .into_iter()
        .map(|e| e.to_compile_error())
        .collect();
    let chain = list.expand(None, Context::None);
    if errors.is_empty() {
        // No block around the chain: `stack![]` is `()`, which lints would flag as `{ () }`.
        return Ok(chain);
    }
    Ok(quote!({ #errors #chain }))
}
