//! A known limit, kept visible: a lowercase name in `pulse_app!` is taken to be a
//! `#[middleware]` fn (whose redirect targets are checked), so a local variable must be written
//! as a block, `{ latency }`. See the docs of `pulse_app!`, "Which entries are checked".
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

fn main() {
    let latency = ps::LatencyMiddleware::default();
    let _app = ps::pulse_app! {
        routes: { "/" => page },
        middleware: [latency],
    };
}
