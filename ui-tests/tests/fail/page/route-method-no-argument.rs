//! `Routes::route` called directly checks its page like `routes!` does.
use pulse as ps;

async fn home() -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

fn main() {
    let _ = ps::Routes::new().route("/", home);
}
