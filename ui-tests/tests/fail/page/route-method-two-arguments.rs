use pulse as ps;

async fn home(_: ps::PageContext, _: ps::Session) -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

fn main() {
    let _ = ps::Routes::new().route("/", home);
}
