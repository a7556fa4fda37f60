use pulse as ps;

fn main() {
    let _ = ps::html! { input type="checkbox" checked=true; };
}
