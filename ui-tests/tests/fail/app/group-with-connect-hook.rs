use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(connect)]
async fn reject_anonymous(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            [reject_anonymous] {
                "/dashboard" => page,
            },
        },
    };
}
