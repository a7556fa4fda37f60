use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

fn main() {
    let _app = ps::pulse_app! {
        guard: optional,
        routes: { "/" => page },
    };
}
