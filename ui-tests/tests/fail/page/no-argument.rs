use pulse as ps;

async fn home() -> ps::Markup {
    ps::html! { h1 { "Home" } }
}

fn main() {
    let _app = ps::pulse_app! {
        routes: { "/" => home },
    };
}
