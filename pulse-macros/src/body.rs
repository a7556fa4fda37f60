//! Rewrites a hook body: each return site (`return e`, the tail expression, and the tails of
//! `if`/`match`/blocks in tail position) is converted to the hook's response, spanned at the
//! user's expression so rustc's "not allowed" errors land there. A syntactic pre-pass reports
//! literal results the hook does not allow (`return ps::Deny;` in `prerender_route`), and
//! collects `Redirect::to("…")` literals for the route checks. Closures, async blocks and nested
//! items are left alone: their `return`s are not the hook's.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprPath, LitStr, Stmt};

use crate::hook::{Hook, Outcome};

/// The result of rewriting one hook body.
pub(crate) struct Rewritten {
    pub(crate) errors: Vec<syn::Error>,
}

/// The identifier a pattern binds (`next`, `mut next`, `_next`).
pub(crate) fn pat_ident(pat: &syn::Pat) -> Option<Ident> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.clone()),
        _ => None,
    }
}

/// Rewrites `block` in place for `hook`; `next` is the name of the `next` parameter.
///
/// Each converted result other than the rest of the chain's own (`next.run().await`, or a
/// variable bound to it with `let`) passes through `decided`, which names this middleware in
/// a `tracing` event when the result stops the chain. The choice is made here, from the syntax,
/// so that a dispatch keeps no state for it.
pub(crate) fn rewrite(block: &mut Block, hook: Hook, next: Option<Ident>) -> Rewritten {
    let downstream = next
        .as_ref()
        .map(|next| downstream_bindings(block, next))
        .unwrap_or_default();
    let mut rewriter = Rewriter {
        hook,
        errors: Vec::new(),
        next,
        downstream,
    };
    rewriter.visit_block_mut(block);
    rewriter.tail_of_block(block);
    Rewritten {
        errors: rewriter.errors,
    }
}

struct Rewriter {
    hook: Hook,
    errors: Vec<syn::Error>,
    /// The `next` parameter.
    next: Option<Ident>,
    /// Variables bound to `next.run().await`.
    downstream: Vec<Ident>,
}

/// Whether `expr` is `next.run().await`.
fn is_next_run(expr: &Expr, next: &Ident) -> bool {
    let Expr::Await(awaited) = expr else {
        return false;
    };
    let Expr::MethodCall(call) = &*awaited.base else {
        return false;
    };
    call.method == "run"
        && call.args.is_empty()
        && matches!(&*call.receiver, Expr::Path(p) if p.qself.is_none() && p.path.is_ident(next))
}

/// The variables a body binds to the rest of the chain's result: `let out = next.run().await;`.
fn downstream_bindings(block: &Block, next: &Ident) -> Vec<Ident> {
    struct Collect<'n> {
        next: &'n Ident,
        found: Vec<Ident>,
    }
    impl<'ast> Visit<'ast> for Collect<'_> {
        fn visit_local(&mut self, local: &'ast syn::Local) {
            if let Some(init) = &local.init {
                let pat = match &local.pat {
                    syn::Pat::Type(t) => &*t.pat,
                    pat => pat,
                };
                let is_run = init.diverge.is_none() && is_next_run(&init.expr, self.next);
                if let (true, Some(ident)) = (is_run, pat_ident(pat)) {
                    self.found.push(ident);
                }
            }
            visit::visit_local(self, local);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut collect = Collect {
        next,
        found: Vec::new(),
    };
    collect.visit_block(block);
    collect.found
}

impl Rewriter {
    fn tail_of_block(&mut self, block: &mut Block) {
        if let Some(Stmt::Expr(expr, None)) = block.stmts.last_mut() {
            self.tail(expr);
        }
    }

    /// Converts a value in tail position, descending into `if`, `match` and blocks so that
    /// branches returning different results (`Deny` and `next.run().await`) both convert.
    fn tail(&mut self, expr: &mut Expr) {
        match expr {
            Expr::If(e) => {
                self.tail_of_block(&mut e.then_branch);
                if let Some((_, else_branch)) = &mut e.else_branch {
                    self.tail(else_branch);
                }
            }
            Expr::Match(e) => {
                for arm in &mut e.arms {
                    self.tail(&mut arm.body);
                }
            }
            Expr::Block(e) if e.label.is_none() => self.tail_of_block(&mut e.block),
            Expr::Unsafe(e) => self.tail_of_block(&mut e.block),
            Expr::Paren(e) => self.tail(&mut e.expr),
            // Diverging tails need no conversion.
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => {}
            Expr::Macro(m) if is_diverging_macro(&m.mac) => {}
            // `x.into()` already converts to the declared response type.
            Expr::MethodCall(m) if m.method == "into" && m.args.is_empty() => {
                if !self.is_downstream(expr) {
                    let span = expr.span();
                    let inner = expr.to_token_stream();
                    *expr = Expr::Verbatim(self.decided(span, inner));
                }
            }
            _ => self.convert(expr),
        }
    }

    fn convert(&mut self, expr: &mut Expr) {
        let span = expr.span();
        if let Some(outcome) = literal_outcome(expr)
            && !self.hook.allows(outcome)
        {
            let hook = self.hook.name();
            let a = self.hook.article();
            let hint = match (outcome, self.hook) {
                (Outcome::Redirect, Hook::Api) => {
                    "; endpoints are called by scripts, which do not follow a redirect to a page: answer `Unauthorized` (401) or `Deny` (403)"
                }
                _ => "",
            };
            self.errors.push(syn::Error::new_spanned(
                &*expr,
                format!(
                    "`{}` is not allowed in {a} `{hook}` hook; {a} `{hook}` hook returns {}{hint}",
                    outcome.name(),
                    self.hook.allowed_text()
                ),
            ));
            let inner = expr.to_token_stream();
            *expr = syn::parse_quote_spanned!(span=> ::pulse::__private::rejected(#inner));
            return;
        }
        let (trait_, method) = self.hook.into_trait();
        let downstream = self.is_downstream(expr);
        let inner = expr.to_token_stream();
        let wrapped: TokenStream =
            quote_spanned!(span=> ::pulse::__private::#trait_::#method(#inner));
        *expr = Expr::Verbatim(if downstream {
            wrapped
        } else {
            self.decided(span, wrapped)
        });
    }

    /// Whether `expr` is the rest of the chain's result, passed on.
    fn is_downstream(&self, expr: &Expr) -> bool {
        let Some(next) = &self.next else {
            return false;
        };
        match expr {
            Expr::Path(p) if p.qself.is_none() => p
                .path
                .get_ident()
                .is_some_and(|ident| self.downstream.contains(ident)),
            Expr::MethodCall(m) if m.method == "into" => self.is_downstream(&m.receiver),
            expr => is_next_run(expr, next),
        }
    }

    /// `response`, this hook's own result, on its way out: named if it stops the chain.
    fn decided(&self, span: Span, response: TokenStream) -> TokenStream {
        let ty = self.hook.response_type();
        quote_spanned!(span=> ::pulse::__private::decided::<Self, #ty>(#response))
    }
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    visit_mut::visit_expr_mut(self, value);
                    self.tail(value);
                } else {
                    // `return;` converts `()`, which rustc reports as not allowed in the hook.
                    let span = ret.return_token.span;
                    ret.expr = Some(Box::new(syn::parse_quote_spanned!(span=> ())));
                    if let Some(value) = &mut ret.expr {
                        self.convert(value);
                    }
                }
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

fn is_diverging_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        ["panic", "unreachable", "todo", "unimplemented"].contains(&s.ident.to_string().as_str())
    })
}

fn last_ident(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|s| s.ident.to_string())
}

/// `Deny`, `ps::NotFound`, `ps::Redirect::to(..)`: a result written literally.
fn literal_outcome(expr: &Expr) -> Option<Outcome> {
    match expr {
        Expr::Path(ExprPath {
            path, qself: None, ..
        }) => match last_ident(path)?.as_str() {
            "Deny" if path.segments.len() == 1 || is_pulse_path(path) => Some(Outcome::Deny),
            "NotFound" if path.segments.len() == 1 || is_pulse_path(path) => {
                Some(Outcome::NotFound)
            }
            "Unauthorized" if path.segments.len() == 1 || is_pulse_path(path) => {
                Some(Outcome::Unauthorized)
            }
            _ => None,
        },
        Expr::Call(call) => match &*call.func {
            Expr::Path(ExprPath {
                path, qself: None, ..
            }) => redirect_ctor(path),
            _ => None,
        },
        _ => None,
    }
}

/// A path such as `ps::Deny`: one module then the result, or `pulse::outcome::Deny`. Not
/// `ConnectResponse::Deny`, which is a typed response checked by the type system.
fn is_pulse_path(path: &syn::Path) -> bool {
    let n = path.segments.len();
    n >= 2 && {
        let owner = path.segments[n - 2].ident.to_string();
        !owner.ends_with("Response")
    }
}

/// `Redirect::to`, `ps::Redirect::to`.
fn redirect_ctor(path: &syn::Path) -> Option<Outcome> {
    let n = path.segments.len();
    (n >= 2 && path.segments[n - 1].ident == "to" && path.segments[n - 2].ident == "Redirect")
        .then_some(Outcome::Redirect)
}

/// Every `Redirect::to("…")` string literal in a body, including inside closures and helpers
/// written inline: the literal is what the app checks, wherever it is built.
pub(crate) fn redirect_literals(block: &Block) -> Vec<LitStr> {
    struct Collect(Vec<LitStr>);
    impl<'ast> Visit<'ast> for Collect {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let Expr::Path(ExprPath {
                path, qself: None, ..
            }) = &*call.func
                && redirect_ctor(path).is_some()
                && call.args.len() == 1
                && let Some(Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(lit),
                    ..
                })) = call.args.first()
            {
                self.0.push(lit.clone());
            }
            visit::visit_expr_call(self, call);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut collect = Collect(Vec::new());
    collect.visit_block(block);
    collect.0
}

/// Redirect literals that are not local paths: always an error.
pub(crate) fn check_local(literals: &[LitStr]) -> Vec<syn::Error> {
    literals
        .iter()
        .filter(|lit| !pulse_route::is_local_path(&lit.value()))
        .map(|lit| {
            syn::Error::new(
                lit.span(),
                format!(
                    "redirect target `{}` is not a local path; a redirect goes to a path of this app, such as `/login`",
                    lit.value().escape_default()
                ),
            )
        })
        .collect()
}
