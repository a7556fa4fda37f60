//! Expansion of `html!`: static HTML is escaped at compile time and merged into as few
//! `push_str` calls as possible; splices render through `::pulse::__private::html`, which picks
//! `ps::Render` when the value implements it and `Display` otherwise (as maud does).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::Parser as _;
use syn::spanned::Spanned;

use crate::html::{AttrValue, Element, Else, If, NameOrNode, Node, Parser};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    // The template's source length, as maud does: output size tends to follow it, and one
    // allocation of that size beats growing from the static part alone.
    let source_len = input.to_string().len();
    let mut parser = Parser::default();
    let parsed = (|input: syn::parse::ParseStream<'_>| parser.nodes(input)).parse2(input);
    let mut errors = parser.errors;
    let nodes = match parsed {
        Ok(nodes) => nodes,
        Err(error) => {
            errors.insert(0, error);
            Vec::new()
        }
    };
    if !errors.is_empty() {
        // The errors, then an empty page so that the surrounding code type-checks.
        let errors: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
        return quote!({
            #errors
            ::pulse::__private::html::PreEscaped(::pulse::__private::std::string::String::new())
        });
    }
    let mut generator = Gen {
        out: syn::Ident::new("__pulse_html", Span::mixed_site()),
        capacity: 0,
    };
    let mut builder = Builder::default();
    for node in &nodes {
        generator.node(node, &mut builder);
    }
    let body = generator.finish(builder);
    if body.is_empty() {
        return quote!(::pulse::__private::html::PreEscaped(
            ::pulse::__private::std::string::String::new()
        ));
    }
    let out = &generator.out;
    let capacity = generator.capacity.max(source_len);
    quote!({
        let mut #out = ::pulse::__private::std::string::String::with_capacity(#capacity);
        #body
        ::pulse::__private::html::PreEscaped(#out)
    })
}

/// HTML text with `&`, `<`, `>` and `"` escaped (the set maud escapes, safe in text and in
/// double-quoted attribute values).
fn escape(text: &str, into: &mut String) {
    for c in text.chars() {
        match c {
            '&' => into.push_str("&amp;"),
            '<' => into.push_str("&lt;"),
            '>' => into.push_str("&gt;"),
            '"' => into.push_str("&quot;"),
            c => into.push(c),
        }
    }
}

/// Statements under construction: code, and static HTML not yet pushed.
#[derive(Default)]
struct Builder {
    tokens: TokenStream,
    tail: String,
}

struct Gen {
    out: syn::Ident,
    /// Bytes of static HTML, the initial capacity of the buffer.
    capacity: usize,
}

impl Gen {
    fn raw(&mut self, b: &mut Builder, html: &str) {
        b.tail.push_str(html);
    }

    fn text(&mut self, b: &mut Builder, text: &str) {
        escape(text, &mut b.tail);
    }

    fn code(&mut self, b: &mut Builder, tokens: TokenStream) {
        self.cut(b);
        b.tokens.extend(tokens);
    }

    fn cut(&mut self, b: &mut Builder) {
        if b.tail.is_empty() {
            return;
        }
        let out = &self.out;
        let tail = std::mem::take(&mut b.tail);
        self.capacity += tail.len();
        b.tokens.extend(quote!(#out.push_str(#tail);));
    }

    fn finish(&mut self, mut b: Builder) -> TokenStream {
        self.cut(&mut b);
        b.tokens
    }

    /// The statements of `nodes`, as the body of a Rust block.
    fn block(&mut self, nodes: &[crate::html::Node]) -> TokenStream {
        let mut b = Builder::default();
        for node in nodes {
            self.node(node, &mut b);
        }
        self.finish(b)
    }

    /// `nodes` inline, or in a Rust block of their own when they bind names (`@let`).
    fn nodes(&mut self, nodes: &[Node], b: &mut Builder) {
        if nodes.iter().any(|n| matches!(n, Node::Let(_))) {
            let inner = self.block(nodes);
            self.code(b, quote!({ #inner }));
        } else {
            for node in nodes {
                self.node(node, b);
            }
        }
    }

    fn node(&mut self, node: &Node, b: &mut Builder) {
        match node {
            Node::Text(text) => self.text(b, text),
            Node::Splice(expr) => {
                let code = self.splice(expr.to_token_stream(), expr.span());
                self.code(b, code);
            }
            Node::Block(block) => self.nodes(&block.nodes, b),
            Node::Element(element) => self.element(element, b),
            Node::If(if_) => {
                let code = self.if_(if_);
                self.code(b, code);
            }
            Node::For { pat, expr, body } => {
                let body = self.block(&body.nodes);
                self.code(b, quote!(for #pat in #expr { #body }));
            }
            Node::While { cond, body } => {
                let body = self.block(&body.nodes);
                self.code(b, quote!(while #cond { #body }));
            }
            Node::Match { expr, arms } => {
                let arms: Vec<TokenStream> = arms
                    .iter()
                    .map(|arm| {
                        let pat = &arm.pat;
                        let guard = arm.guard.as_ref().map(|g| quote!(if #g));
                        let body = self.block(std::slice::from_ref(&arm.body));
                        quote!(#pat #guard => { #body })
                    })
                    .collect();
                self.code(b, quote!(match #expr { #(#arms)* }));
            }
            Node::Let(local) => self.code(b, local.to_token_stream()),
        }
    }

    fn if_(&mut self, if_: &If) -> TokenStream {
        let cond = &if_.cond;
        let then = self.block(&if_.then.nodes);
        let otherwise = match &if_.otherwise {
            None => None,
            Some(Else::If(nested)) => {
                let nested = self.if_(nested);
                Some(quote!(else #nested))
            }
            Some(Else::Block(block)) => {
                let block = self.block(&block.nodes);
                Some(quote!(else { #block }))
            }
        };
        quote!(if #cond { #then } #otherwise)
    }

    /// Renders `value` onto the buffer, escaped: through `ps::Render` when its type implements
    /// it, else through `Display` (autoref specialization, resolved at compile time). Spanned at
    /// the value, so a type that is neither is reported there.
    fn splice(&mut self, value: TokenStream, span: Span) -> TokenStream {
        let out = &self.out;
        // Names spanned at the value, so that rustc's errors about it land there (a span of
        // this macro's own would be reported at the whole `html!` call). Unhygienic but
        // harmless: they are bound after the value is evaluated and only read by this block.
        let value_ref = syn::Ident::new("__pulse_value", span);
        let kind = syn::Ident::new("__pulse_kind", span);
        let glob = quote_spanned!(Span::mixed_site()=> use ::pulse::__private::html::splice::*;);
        quote_spanned! {span=> {
            #glob
            let #value_ref = &(#value);
            let #kind = (&&::pulse::__private::html::Splice(#value_ref)).pulse_render_kind();
            #kind.push(#value_ref, &mut #out);
        }}
    }

    fn element(&mut self, element: &Element, b: &mut Builder) {
        let name = element.name.as_ref().map_or("div", |n| n.text.as_str());
        self.raw(b, "<");
        self.text(b, name);
        if !element.classes.is_empty() {
            self.raw(b, " class=\"");
            let mut first = true;
            for (class, toggle) in &element.classes {
                if toggle.is_none() {
                    if !first {
                        self.raw(b, " ");
                    }
                    self.name_or_node(class, b);
                    first = false;
                }
            }
            for (class, toggle) in &element.classes {
                if let Some(cond) = toggle {
                    let mut inner = Builder::default();
                    if !first {
                        self.raw(&mut inner, " ");
                    }
                    self.name_or_node(class, &mut inner);
                    let inner = self.finish(inner);
                    let code = quote_spanned!(cond.span()=> if ::pulse::__private::html::toggle(#cond) { #inner });
                    self.code(b, code);
                }
            }
            self.raw(b, "\"");
        }
        if let Some(id) = &element.id {
            self.raw(b, " id=\"");
            self.name_or_node(id, b);
            self.raw(b, "\"");
        }
        for attr in &element.attrs {
            let name = &attr.name.text;
            match &attr.value {
                AttrValue::Value(value) => {
                    self.raw(b, " ");
                    self.text(b, name);
                    self.raw(b, "=\"");
                    self.node(value, b);
                    self.raw(b, "\"");
                }
                AttrValue::Optional(option) => {
                    let value = syn::Ident::new("__pulse_value", Span::mixed_site());
                    let mut inner = Builder::default();
                    self.raw(&mut inner, " ");
                    self.text(&mut inner, name);
                    self.raw(&mut inner, "=\"");
                    let splice = self.splice(value.to_token_stream(), option.span());
                    self.code(&mut inner, splice);
                    self.raw(&mut inner, "\"");
                    let inner = self.finish(inner);
                    let code = quote_spanned! {option.span()=>
                        if let ::pulse::__private::core::option::Option::Some(#value) =
                            ::pulse::__private::html::optional(#option)
                        {
                            #inner
                        }
                    };
                    self.code(b, code);
                }
                AttrValue::Empty => {
                    self.raw(b, " ");
                    self.text(b, name);
                }
                AttrValue::Toggle(cond) => {
                    let mut inner = Builder::default();
                    self.raw(&mut inner, " ");
                    self.text(&mut inner, name);
                    let inner = self.finish(inner);
                    let code = quote_spanned!(cond.span()=> if ::pulse::__private::html::toggle(#cond) { #inner });
                    self.code(b, code);
                }
            }
        }
        self.raw(b, ">");
        if let Some(body) = &element.body {
            self.nodes(&body.nodes, b);
            self.raw(b, "</");
            self.text(b, name);
            self.raw(b, ">");
        }
    }

    fn name_or_node(&mut self, value: &NameOrNode, b: &mut Builder) {
        match value {
            NameOrNode::Name(name) => self.text(b, &name.text),
            NameOrNode::Node(node) => self.node(node, b),
        }
    }
}
