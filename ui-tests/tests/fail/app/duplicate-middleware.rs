use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(connect)]
async fn reject_anonymous(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: { "/" => page },
        middleware: [reject_anonymous, reject_anonymous],
    };
}
