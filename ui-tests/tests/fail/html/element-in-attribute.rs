use pulse as ps;

fn main() {
    let _ = ps::html! { a title={ b { "bold" } } { "x" } };
}
