use pulse as ps;

fn main() {
    let url = "/login";
    let _ = ps::html! { a href=url { "Sign in" } };
}
