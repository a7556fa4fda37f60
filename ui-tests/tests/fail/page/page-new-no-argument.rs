use pulse as ps;

async fn counter() -> ps::Markup {
    ps::html! { "0" }
}

fn main() {
    let _ = ps::Page::new(counter);
}
