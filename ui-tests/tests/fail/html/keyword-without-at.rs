use pulse as ps;

fn main() {
    let items = ["a", "b"];
    let _ = ps::html! {
        ul { for item in items { li { (item) } } }
    };
}
