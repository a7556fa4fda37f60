use pulse as ps;

async fn home(_: ps::PageContext) -> String {
    "<h1>Home</h1>".to_owned()
}

fn main() {
    let _ = ps::routes! { "/" => home };
}
