//! Procedural macros of Pulse for Rust. Users reach them through the facade: `use pulse as ps;`
//! then `#[ps::middleware]`, `ps::stack![]`, `ps::routes!{}`, `ps::pulse_app!{}` and `ps::html!{}`.
//!
//! Each entry point hands off to a module (parse → validate → expand). Generated code names the
//! runtime only through `::pulse::__private`.

mod app;
mod attr;
mod body;
mod checks;
mod diag;
mod hook;
mod html;
mod html_expand;
mod item;
mod method;
mod params;
mod routes;
mod stack;

use proc_macro::TokenStream;

/// With `PULSE_MACROS_DEBUG` set, prints each expansion to stderr (like `AXUM_MACROS_DEBUG`).
fn debug(name: &str, output: proc_macro2::TokenStream) -> TokenStream {
    if std::env::var_os("PULSE_MACROS_DEBUG").is_some() {
        eprintln!("{name} expands to:\n{output}\n");
    }
    output.into()
}

#[doc = include_str!("../docs/middleware.md")]
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, input: TokenStream) -> TokenStream {
    debug("#[middleware]", item::expand(args.into(), input.into()))
}

#[doc = include_str!("../docs/stack.md")]
#[proc_macro]
pub fn stack(input: TokenStream) -> TokenStream {
    debug(
        "stack!",
        stack::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error),
    )
}

#[doc = include_str!("../docs/routes.md")]
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    debug(
        "routes!",
        routes::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error),
    )
}

#[doc = include_str!("../docs/pulse_app.md")]
#[proc_macro]
pub fn pulse_app(input: TokenStream) -> TokenStream {
    debug(
        "pulse_app!",
        app::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error),
    )
}

#[doc = include_str!("../docs/html.md")]
#[proc_macro]
pub fn html(input: TokenStream) -> TokenStream {
    debug("html!", html_expand::expand(input.into()))
}
