use pulse as ps;

fn main() {
    let _ = ps::Routes::new().route("/", |path: &str| async move { ps::html! { (path) } });
}
