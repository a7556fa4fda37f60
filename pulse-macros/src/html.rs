//! `html!{ .. }`: maud's template syntax, parsed into a small model ([`Node`]) that
//! [`crate::html_expand`] turns into pushes onto one `String`. Our own macro rather than a
//! re-export of maud's: maud's expansion names the `maud` crate (`extern crate maud`), which a
//! crate depending on `pulse` alone does not have, and owning the parser lets every mistake be
//! reported at its token in the words of this crate.
//!
//! Fatal mistakes (the template cannot be read further) are `syn::Error`s; mistakes after which
//! parsing can go on (a number where text belongs, `/` ending a void element, a second `#id`)
//! are collected in [`Parser::errors`], so one compile reports them all.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Expr, Ident, Lit, LitStr, Pat, Token, braced, bracketed, parenthesized};

use crate::diag;

/// The control-flow keywords that follow `@`.
const KEYWORDS: [&str; 5] = ["if", "for", "while", "match", "let"];

/// One piece of a template.
pub(crate) enum Node {
    /// `"text"`, escaped.
    Text(String),
    /// `(expr)`: a value rendered through `ps::Render` (or `Display`), escaped.
    Splice(Expr),
    /// `{ .. }`
    Block(Block),
    Element(Element),
    /// `@if cond { .. } @else if .. { .. } @else { .. }`, `cond` may be `let PAT = EXPR`.
    If(If),
    /// `@for PAT in EXPR { .. }`
    For {
        pat: Pat,
        expr: Expr,
        body: Block,
    },
    /// `@while cond { .. }`
    While {
        cond: Expr,
        body: Block,
    },
    /// `@match EXPR { PAT [if GUARD] => NODE, .. }`
    Match {
        expr: Expr,
        arms: Vec<Arm>,
    },
    /// `@let PAT = EXPR;`: a binding for the rest of the enclosing block.
    Let(syn::Local),
}

pub(crate) struct Block {
    pub(crate) nodes: Vec<Node>,
}

pub(crate) struct If {
    pub(crate) cond: Expr,
    pub(crate) then: Block,
    pub(crate) otherwise: Option<Else>,
}

pub(crate) enum Else {
    If(Box<If>),
    Block(Block),
}

pub(crate) struct Arm {
    pub(crate) pat: Pat,
    pub(crate) guard: Option<Expr>,
    pub(crate) body: Node,
}

/// An HTML name (`div`, `data-pulse-callback`, `xlink:href`) with the tokens it was written as.
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) tokens: TokenStream,
}

/// A class or an id: a name, or markup computing it (`.(theme)`).
pub(crate) enum NameOrNode {
    Name(Name),
    Node(Box<Node>),
}

pub(crate) enum AttrValue {
    /// `name="text"`, `name=(expr)`, `name={ .. }`
    Value(Box<Node>),
    /// `name=[option]`: present when the `Option` is `Some`.
    Optional(Expr),
    /// `name`: an empty attribute (`checked`).
    Empty,
    /// `name[cond]`: an empty attribute present when `cond` is true.
    Toggle(Expr),
}

pub(crate) struct Attr {
    pub(crate) name: Name,
    pub(crate) value: AttrValue,
}

pub(crate) struct Element {
    /// `None` for `.class { .. }` and `#id { .. }`, which are `div`s.
    pub(crate) name: Option<Name>,
    /// Classes in order, each with its toggle (`.active[cond]`).
    pub(crate) classes: Vec<(NameOrNode, Option<Expr>)>,
    pub(crate) id: Option<NameOrNode>,
    pub(crate) attrs: Vec<Attr>,
    /// `None` for a void element (`br;`).
    pub(crate) body: Option<Block>,
}

/// Reads a template, collecting the mistakes it can read past.
#[derive(Default)]
pub(crate) struct Parser {
    pub(crate) errors: Vec<syn::Error>,
}

/// Where a node sits: element content, or an attribute value (no elements there).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Content,
    Attribute,
}

impl Parser {
    /// The nodes of `input` up to its end.
    pub(crate) fn nodes(&mut self, input: ParseStream<'_>) -> syn::Result<Vec<Node>> {
        self.nodes_in(input, Place::Content)
    }

    fn nodes_in(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<Vec<Node>> {
        let mut nodes = Vec::new();
        while !input.is_empty() {
            // A stray `;` is accepted and ignored, as maud does.
            if input.parse::<Option<Token![;]>>()?.is_some() {
                continue;
            }
            nodes.push(self.node(input, place)?);
        }
        Ok(nodes)
    }

    fn block(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<Block> {
        let content;
        braced!(content in input);
        Ok(Block {
            nodes: self.nodes_in(&content, place)?,
        })
    }

    /// A block after `@if cond`, `@for .. in ..`, `@while cond` or `@else`.
    fn body(&mut self, input: ParseStream<'_>, after: &str, place: Place) -> syn::Result<Block> {
        if !input.peek(syn::token::Brace) {
            return Err(input.error(format!("expected `{{ .. }}` after {after}")));
        }
        self.block(input, place)
    }

    fn node(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<Node> {
        if let Some(keyword) = rust_keyword(input) {
            return Err(syn::Error::new(
                keyword.span(),
                format!(
                    "`{keyword}` without `@`: control flow in `ps::html!` starts with `@`, as in `@{keyword}`"
                ),
            ));
        }
        if input.peek(syn::token::Brace) {
            return Ok(Node::Block(self.block(input, place)?));
        }
        if input.peek(Lit) {
            return Ok(Node::Text(self.text(input)?));
        }
        if input.peek(syn::token::Paren) {
            return self.splice(input).map(Node::Splice);
        }
        if input.peek(Token![@]) {
            return self.control(input, place);
        }
        if input.peek(Ident::peek_any) || input.peek(Token![.]) || input.peek(Token![#]) {
            if place == Place::Attribute {
                return Err(input.error(
                    "an element cannot go inside an attribute value; an attribute value is text `\"..\"`, a splice `(expr)` or a block `{ .. }` of those",
                ));
            }
            return self.element(input).map(Node::Element);
        }
        Err(input.error(
            "expected text `\"..\"`, a splice `(expr)`, an element `p { .. }`, a block `{ .. }`, or `@if`, `@for`, `@while`, `@match`, `@let`",
        ))
    }

    /// A literal: a string, or another literal reported as needing quotes.
    fn text(&mut self, input: ParseStream<'_>) -> syn::Result<String> {
        match input.parse::<Lit>()? {
            Lit::Str(s) => Ok(s.value()),
            Lit::Int(lit) => Ok(self.unquoted(&lit, lit.to_string())),
            Lit::Float(lit) => Ok(self.unquoted(&lit, lit.to_string())),
            Lit::Char(lit) => Ok(self.unquoted(&lit, lit.value().to_string())),
            Lit::Bool(lit) => Ok(self.unquoted(&lit, lit.value().to_string())),
            other => {
                self.errors.push(syn::Error::new(
                    other.span(),
                    "expected a string literal `\"..\"`",
                ));
                Ok(String::new())
            }
        }
    }

    fn unquoted(&mut self, lit: &dyn ToTokens, text: String) -> String {
        self.errors.push(syn::Error::new_spanned(
            lit,
            format!(
                "text in `ps::html!` is a string literal: write `\"{text}\"`, or splice a value with `(..)`"
            ),
        ));
        String::new()
    }

    fn splice(&mut self, input: ParseStream<'_>) -> syn::Result<Expr> {
        let content;
        let paren = parenthesized!(content in input);
        if content.is_empty() {
            return Err(syn::Error::new(
                paren.span.join(),
                "empty splice `()`: put the value to render inside, as in `(name)`",
            ));
        }
        content.parse()
    }

    fn element(&mut self, input: ParseStream<'_>) -> syn::Result<Element> {
        let start = input.span();
        let name = if input.peek(Ident::peek_any) {
            Some(self.name(input)?)
        } else {
            None
        };
        let mut element = Element {
            name,
            classes: Vec::new(),
            id: None,
            attrs: Vec::new(),
            body: None,
        };
        loop {
            if input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                let class = self.name_or_node(input)?;
                let toggle = if input.peek(syn::token::Bracket) {
                    Some(self.condition(input)?)
                } else {
                    None
                };
                element.classes.push((class, toggle));
            } else if input.peek(Token![#]) {
                let pound = input.parse::<Token![#]>()?;
                let id = self.name_or_node(input)?;
                if element.id.replace(id).is_some() {
                    self.errors.push(syn::Error::new(
                        pound.span,
                        "an element has one id; this is its second `#id`",
                    ));
                }
            } else if input.peek(Ident::peek_any) || (input.peek(LitStr) && input.peek2(Token![=]))
            {
                element.attrs.push(self.attr(input)?);
            } else {
                break;
            }
        }
        let what = match &element.name {
            Some(name) => format!("element `{}`", name.text),
            None => "this element".to_owned(),
        };
        if input.peek(syn::token::Brace) {
            element.body = Some(self.block(input, Place::Content)?);
        } else if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        } else if input.peek(Token![/]) {
            let slash = input.parse::<Token![/]>()?;
            self.errors.push(syn::Error::new(
                slash.span,
                "a void element ends with `;`, not `/`: `br;`",
            ));
        } else if input.is_empty() {
            let message = format!(
                "{what} is not closed: give it a body, as in `p {{ .. }}`, or end a void element with `;`, as in `br;`"
            );
            return Err(match &element.name {
                Some(name) => syn::Error::new_spanned(&name.tokens, message),
                None => syn::Error::new(start, message),
            });
        } else if input.peek(LitStr) {
            return Err(input.error(format!(
                "text inside {what} goes in braces: `{} {{ \"..\" }}`",
                element.name.as_ref().map_or("div", |n| n.text.as_str())
            )));
        } else {
            return Err(input.error(format!(
                "expected an attribute, `{{ .. }}` (the body of {what}) or `;` (ending a void element)"
            )));
        }
        Ok(element)
    }

    /// `name`, `name="v"`, `name=(e)`, `name={ .. }`, `name=[opt]`, `name[cond]`.
    fn attr(&mut self, input: ParseStream<'_>) -> syn::Result<Attr> {
        let name = self.name(input)?;
        // maud accepts (and ignores) a `?` after the name.
        input.parse::<Option<Token![?]>>()?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if input.peek(syn::token::Bracket) {
                let content;
                bracketed!(content in input);
                AttrValue::Optional(content.parse()?)
            } else {
                AttrValue::Value(Box::new(self.attr_value(input, &name)?))
            }
        } else if input.peek(syn::token::Bracket) {
            AttrValue::Toggle(self.condition(input)?)
        } else {
            AttrValue::Empty
        };
        Ok(Attr { name, value })
    }

    fn attr_value(&mut self, input: ParseStream<'_>, name: &Name) -> syn::Result<Node> {
        let n = &name.text;
        if input.peek(syn::LitBool) {
            let lit: syn::LitBool = input.parse()?;
            self.errors.push(syn::Error::new(
                lit.span,
                format!("an attribute value is a string; write `{n}` alone for an empty attribute, or `{n}[cond]` to add it when `cond` is true"),
            ));
            return Ok(Node::Text(String::new()));
        }
        if input.peek(Ident::peek_any) {
            let ident = input.call(Ident::parse_any)?;
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "an attribute value is text or a splice: `{n}=\"..\"`, or `{n}=({ident})` for the value of `{ident}`"
                ),
            ));
        }
        if input.is_empty() || input.peek(Token![;]) {
            return Err(syn::Error::new_spanned(
                &name.tokens,
                format!(
                    "attribute `{n}` has `=` but no value: write `{n}=\"..\"`, or `{n}` alone for an empty attribute"
                ),
            ));
        }
        if input.peek(Token![@])
            || input.peek(Lit)
            || input.peek(syn::token::Paren)
            || input.peek(syn::token::Brace)
        {
            return self.single(input, Place::Attribute);
        }
        Err(input.error(format!(
            "expected the value of attribute `{n}`: text `\"..\"`, a splice `(expr)`, or `[option]` for an optional attribute"
        )))
    }

    /// `[cond]` after a class or an attribute name.
    fn condition(&mut self, input: ParseStream<'_>) -> syn::Result<Expr> {
        let content;
        let bracket = bracketed!(content in input);
        if content.is_empty() {
            return Err(syn::Error::new(
                bracket.span.join(),
                "empty toggle `[]`: put the condition inside, as in `[is_active]`",
            ));
        }
        content.parse()
    }

    fn name_or_node(&mut self, input: ParseStream<'_>) -> syn::Result<NameOrNode> {
        if input.peek(Ident::peek_any) || input.peek(Lit) {
            return Ok(NameOrNode::Name(self.name(input)?));
        }
        if input.peek(syn::token::Paren) || input.peek(syn::token::Brace) || input.peek(Token![@]) {
            return Ok(NameOrNode::Node(Box::new(
                self.node(input, Place::Attribute)?,
            )));
        }
        Err(input
            .error("expected a class or id name (`.card`, `#main`) or a splice (`.(class_name)`)"))
    }

    /// An HTML name: fragments (identifiers, numbers, strings) joined by `-` or `:`.
    fn name(&mut self, input: ParseStream<'_>) -> syn::Result<Name> {
        let mut text = String::new();
        let mut tokens = TokenStream::new();
        loop {
            if input.peek(Ident::peek_any) {
                let ident = input.call(Ident::parse_any)?;
                text.push_str(&ident.to_string());
                ident.to_tokens(&mut tokens);
            } else if input.peek(syn::LitInt) {
                let lit: syn::LitInt = input.parse()?;
                text.push_str(&lit.to_string());
                lit.to_tokens(&mut tokens);
            } else if input.peek(LitStr) {
                let lit: LitStr = input.parse()?;
                text.push_str(&lit.value());
                lit.to_tokens(&mut tokens);
            } else if !(input.peek(Token![-]) || input.peek(Token![:])) {
                return Err(input.error("expected a name"));
            }
            if input.peek(Token![-]) {
                input.parse::<Token![-]>()?.to_tokens(&mut tokens);
                text.push('-');
            } else if input.peek(Token![:]) && !input.peek(Token![::]) {
                input.parse::<Token![:]>()?.to_tokens(&mut tokens);
                text.push(':');
            } else {
                return Ok(Name { text, tokens });
            }
        }
    }

    /// After `@`: `if`, `for`, `while`, `match` or `let`.
    fn control(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<Node> {
        let at = input.parse::<Token![@]>()?;
        if input.peek(Token![if]) {
            return Ok(Node::If(self.if_(input, place)?));
        }
        if input.peek(Token![for]) {
            input.parse::<Token![for]>()?;
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![in]>()?;
            let expr = Expr::parse_without_eager_brace(input)?;
            let body = self.body(input, "`@for .. in ..`", place)?;
            return Ok(Node::For { pat, expr, body });
        }
        if input.peek(Token![while]) {
            input.parse::<Token![while]>()?;
            let cond = Expr::parse_without_eager_brace(input)?;
            let body = self.body(input, "the `@while` condition", place)?;
            return Ok(Node::While { cond, body });
        }
        if input.peek(Token![match]) {
            input.parse::<Token![match]>()?;
            let expr = Expr::parse_without_eager_brace(input)?;
            if !input.peek(syn::token::Brace) {
                return Err(input.error("expected `{ PATTERN => markup, .. }` after `@match ..`"));
            }
            let content;
            braced!(content in input);
            let mut arms = Vec::new();
            while !content.is_empty() {
                let pat = Pat::parse_multi_with_leading_vert(&content)?;
                let guard = match content.parse::<Option<Token![if]>>()? {
                    Some(_) => Some(content.parse()?),
                    None => None,
                };
                content.parse::<Token![=>]>()?;
                let body = self.single(&content, place)?;
                content.parse::<Option<Token![,]>>()?;
                arms.push(Arm { pat, guard, body });
            }
            return Ok(Node::Match { expr, arms });
        }
        if input.peek(Token![let]) {
            return match input.parse::<syn::Stmt>()? {
                syn::Stmt::Local(local) => Ok(Node::Let(local)),
                other => Err(syn::Error::new_spanned(
                    other,
                    "expected `@let PATTERN = EXPR;`",
                )),
            };
        }
        if input.peek(Token![else]) {
            return Err(syn::Error::new(
                input.span(),
                "`@else` without `@if`: an `@else` follows the `}` of an `@if` block",
            ));
        }
        if input.peek(Ident::peek_any) {
            let word = input.call(Ident::parse_any)?;
            let name = word.to_string();
            let keywords: Vec<String> = KEYWORDS.iter().map(|k| format!("`@{k}`")).collect();
            let known = format!(
                "{} and {}",
                keywords[..keywords.len() - 1].join(", "),
                keywords[keywords.len() - 1]
            );
            let message = match diag::suggest(&name, KEYWORDS) {
                Some(near) => {
                    format!("unknown `@{name}`; did you mean `@{near}`? `ps::html!` has {known}")
                }
                None => format!("unknown `@{name}`; `ps::html!` has {known}"),
            };
            return Err(syn::Error::new(word.span(), message));
        }
        Err(syn::Error::new(
            at.span,
            "expected `@if`, `@for`, `@while`, `@match` or `@let` after `@`",
        ))
    }

    fn if_(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<If> {
        input.parse::<Token![if]>()?;
        let cond = Expr::parse_without_eager_brace(input)?;
        let then = self.body(input, "the `@if` condition", place)?;
        let otherwise = if input.peek(Token![@]) && input.peek2(Token![else]) {
            input.parse::<Token![@]>()?;
            input.parse::<Token![else]>()?;
            if input.peek(Token![if]) {
                Some(Else::If(Box::new(self.if_(input, place)?)))
            } else {
                Some(Else::Block(self.body(input, "`@else`", place)?))
            }
        } else {
            None
        };
        Ok(If {
            cond,
            then,
            otherwise,
        })
    }

    /// One node where a single one is expected (a `@match` arm): `@let` is not allowed there.
    fn single(&mut self, input: ParseStream<'_>, place: Place) -> syn::Result<Node> {
        let node = self.node(input, place)?;
        if let Node::Let(local) = &node {
            return Err(syn::Error::new_spanned(
                local,
                "`@let` binds names for the rest of a block; put this arm's markup in `{ .. }`",
            ));
        }
        Ok(node)
    }
}

/// A Rust control-flow keyword written without `@`.
fn rust_keyword(input: ParseStream<'_>) -> Option<Ident> {
    if input.peek(Token![if])
        || input.peek(Token![else])
        || input.peek(Token![for])
        || input.peek(Token![while])
        || input.peek(Token![match])
        || input.peek(Token![let])
    {
        input.fork().call(Ident::parse_any).ok()
    } else {
        None
    }
}
