use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {},
    };
}
