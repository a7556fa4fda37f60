use pulse as ps;

fn main() {
    let _ = ps::html! {
        main {
            h1 { "Title" }
            p
        }
    };
}
