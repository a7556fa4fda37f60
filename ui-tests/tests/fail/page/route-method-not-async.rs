use pulse as ps;

fn home(_: ps::PageContext) -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

fn main() {
    let _ = ps::Routes::new().route("/", home);
}
