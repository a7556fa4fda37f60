use pulse as ps;

struct User {
    name: String,
}

fn main() {
    let user = User { name: "ann".into() };
    let _ = ps::html! { p { "Hello " (user) } };
    let _ = user.name;
}
