use pulse as ps;

fn main() {
    let signed_in = true;
    let _ = ps::html! {
        @iff signed_in { "Welcome back" }
    };
}
