use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

async fn settings() -> ps::Markup {
    ps::PreEscaped(String::new())
}

fn main() {
    let _ = ps::routes! {
        "/" => page,
        "/settings" => settings,
    };
}
