use pulse as ps;

async fn home(_session: ps::Session) -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

fn main() {
    let _ = ps::routes! { "/" => home };
}
