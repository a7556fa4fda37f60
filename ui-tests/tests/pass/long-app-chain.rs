//! 100 middlewares in `pulse_app!`'s chain build and run, with no `recursion_limit`.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(connect)]
async fn a000(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a001(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a002(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a003(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a004(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a005(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a006(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a007(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a008(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a009(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a010(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a011(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a012(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a013(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a014(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a015(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a016(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a017(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a018(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a019(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a020(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a021(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a022(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a023(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a024(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a025(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a026(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a027(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a028(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a029(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a030(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a031(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a032(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a033(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a034(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a035(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a036(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a037(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a038(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a039(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a040(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a041(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a042(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a043(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a044(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a045(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a046(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a047(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a048(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a049(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a050(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a051(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a052(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a053(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a054(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a055(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a056(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a057(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a058(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a059(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a060(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a061(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a062(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a063(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a064(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a065(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a066(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a067(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a068(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a069(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a070(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a071(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a072(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a073(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a074(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a075(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a076(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a077(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a078(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a079(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a080(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a081(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a082(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a083(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a084(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a085(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a086(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a087(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a088(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a089(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a090(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a091(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a092(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a093(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a094(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn a095(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn a096(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn a097(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn a098(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn a099(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = ps::pulse_app! {
        routes: { "/" => page, "/old" => page },
        middleware: [
            a000, a001, a002, a003, a004, a005, a006, a007, a008, a009,
            a010, a011, a012, a013, a014, a015, a016, a017, a018, a019,
            a020, a021, a022, a023, a024, a025, a026, a027, a028, a029,
            a030, a031, a032, a033, a034, a035, a036, a037, a038, a039,
            a040, a041, a042, a043, a044, a045, a046, a047, a048, a049,
            a050, a051, a052, a053, a054, a055, a056, a057, a058, a059,
            a060, a061, a062, a063, a064, a065, a066, a067, a068, a069,
            a070, a071, a072, a073, a074, a075, a076, a077, a078, a079,
            a080, a081, a082, a083, a084, a085, a086, a087, a088, a089,
            a090, a091, a092, a093, a094, a095, a096, a097, a098, a099,
        ],
    };
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    assert_eq!(app.connect(&request, &session).await, ps::ConnectResponse::Ok);
    assert!(matches!(app.prerender(&request, &session).await, Ok(ps::PrerenderResponse::Ok(_))));
    session.insert("banned", true).unwrap();
    assert_eq!(app.connect(&request, &session).await, ps::ConnectResponse::Deny);
}
