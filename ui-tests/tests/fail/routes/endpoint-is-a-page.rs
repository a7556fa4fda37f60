use pulse as ps;

async fn me(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(String::new())
}

fn main() {
    let _ = ps::routes! {
        "/api/me" => me,
        api "/api/me",
    };
}
