use pulse as ps;

fn main() {
    let _ = ps::html! {
        p { "a" }
        @else { "b" }
    };
}
