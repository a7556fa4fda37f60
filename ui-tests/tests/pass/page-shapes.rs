//! The page shapes the macros accept: an async fn, a `Page` with callbacks, a closure
//! returning a future, and a type implementing `ps::Component` by hand.
use pulse as ps;

async fn home(_: ps::PageContext) -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::html! { button data-pulse-callback="increment" { (count) } }
}

async fn increment(cx: ps::PageContext, _args: Vec<serde_json::Value>) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

struct About;

impl ps::Component for About {
    async fn render(&self, _: ps::PageContext) -> ps::Markup {
        ps::html! { p { "About" } }
    }
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => home,
            "/counter" => ps::Page::new(counter).callback("increment", increment),
            "/closure" => |cx: ps::PageContext| async move { ps::html! { (cx.pattern()) } },
            "/about" => About,
        },
        not_found: ps::Page::new(home),
    };
}
