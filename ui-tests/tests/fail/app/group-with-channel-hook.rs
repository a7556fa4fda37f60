use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(channel)]
async fn rooms(channel_id: &str, next: ps::Next) -> ps::ChannelResponse {
    if channel_id.starts_with("admin:") {
        return ps::Deny;
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            [rooms] { "/chat" => page },
        },
    };
}
