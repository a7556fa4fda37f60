use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

fn main() {
    let _ = ps::routes! {
        public page,
    };
}
