//! `ps::stack!` of 100 middlewares builds and runs, with no `recursion_limit`.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(connect)]
async fn s000(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s001(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s002(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s003(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s004(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s005(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s006(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s007(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s008(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s009(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s010(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s011(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s012(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s013(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s014(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s015(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s016(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s017(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s018(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s019(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s020(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s021(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s022(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s023(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s024(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s025(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s026(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s027(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s028(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s029(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s030(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s031(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s032(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s033(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s034(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s035(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s036(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s037(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s038(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s039(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s040(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s041(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s042(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s043(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s044(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s045(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s046(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s047(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s048(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s049(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s050(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s051(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s052(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s053(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s054(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s055(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s056(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s057(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s058(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s059(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s060(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s061(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s062(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s063(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s064(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s065(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s066(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s067(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s068(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s069(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s070(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s071(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s072(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s073(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s074(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s075(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s076(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s077(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s078(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s079(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s080(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s081(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s082(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s083(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s084(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s085(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s086(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s087(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s088(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s089(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s090(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s091(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s092(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s093(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s094(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }
#[ps::middleware(connect)]
async fn s095(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse { if session.contains("banned") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender_route)]
async fn s096(path: &str, next: ps::Next) -> ps::RoutePrerenderResponse { if path == "/nowhere" { return ps::NotFound; } next.run().await }
#[ps::middleware(message)]
async fn s097(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse { if data.path() == Some("/locked") { return ps::Deny; } next.run().await }
#[ps::middleware(prerender)]
async fn s098(request: &ps::Request, next: ps::Next) -> ps::PrerenderResponse { if request.path() == "/old" { return ps::Redirect::to("/"); } next.run().await }
#[ps::middleware(channel)]
async fn s099(channel_id: &str, next: ps::Next) -> ps::ChannelResponse { if channel_id.starts_with("admin:") { return ps::Deny; } next.run().await }

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let chain = ps::stack![
        s000, s001, s002, s003, s004, s005, s006, s007, s008, s009,
        s010, s011, s012, s013, s014, s015, s016, s017, s018, s019,
        s020, s021, s022, s023, s024, s025, s026, s027, s028, s029,
        s030, s031, s032, s033, s034, s035, s036, s037, s038, s039,
        s040, s041, s042, s043, s044, s045, s046, s047, s048, s049,
        s050, s051, s052, s053, s054, s055, s056, s057, s058, s059,
        s060, s061, s062, s063, s064, s065, s066, s067, s068, s069,
        s070, s071, s072, s073, s074, s075, s076, s077, s078, s079,
        s080, s081, s082, s083, s084, s085, s086, s087, s088, s089,
        s090, s091, s092, s093, s094, s095, s096, s097, s098, s099,
    ];
    let app = ps::App::new(ps::Routes::new().route("/", page), chain);
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    assert_eq!(app.connect(&request, &session).await, ps::ConnectResponse::Ok);
    assert!(matches!(app.prerender(&request, &session).await, Ok(ps::PrerenderResponse::Ok(_))));
    session.insert("banned", true).unwrap();
    assert_eq!(app.connect(&request, &session).await, ps::ConnectResponse::Deny);
}
