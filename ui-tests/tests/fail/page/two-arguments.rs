use pulse as ps;

async fn home(cx: ps::PageContext, _user: String) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

fn main() {
    let _ = ps::routes! { "/" => home };
}
