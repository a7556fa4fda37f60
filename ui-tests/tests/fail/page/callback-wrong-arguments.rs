use pulse as ps;

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::html! { button data-pulse-callback="increment" { (count) } }
}

async fn increment(cx: ps::PageContext) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

fn main() {
    let _ = ps::routes! {
        "/" => ps::Page::new(counter).callback("increment", increment),
    };
}
