use pulse as ps;

fn main() {
    let _ = ps::html! { div #main #content { } };
}
