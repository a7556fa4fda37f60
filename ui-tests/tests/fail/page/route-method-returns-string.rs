use pulse as ps;

async fn home(_: ps::PageContext) -> String {
    "Home".to_owned()
}

fn main() {
    let _ = ps::Routes::new().try_route("/", home);
}
