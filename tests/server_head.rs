//! The app's head and layout over a real socket: page titles, the shared layout around the
//! views, and the 404 page (the app's own or the default) inside that layout.

mod server_support;

use pulse as ps;
use reqwest::StatusCode;
use server_support::*;

fn layout(cx: ps::LayoutContext<'_>, content: ps::Markup) -> ps::Markup {
    let signed_in = cx.session().contains("user");
    ps::html! {
        header { nav aria-label="Main" { a href="/" { "Home" } } }
        main id="main" data-path=(cx.request().path()) { (content) }
        footer { (if signed_in { "member" } else { "visitor" }) }
    }
}

async fn home(_: ps::PageContext) -> ps::Markup {
    ps::html! { p { "untitled" } }
}

async fn about(cx: ps::PageContext) -> ps::Markup {
    cx.set_title("About <us>");
    ps::html! { h1 { "About" } }
}

async fn lost(cx: ps::PageContext) -> ps::Markup {
    cx.set_title("Lost");
    ps::html! { h1 { "Nothing at " (cx.route().pathname) } }
}

fn server(not_found: bool) -> ps::Server {
    let routes = ps::Routes::new().route("/", home).route("/about", about);
    let mut app = ps::App::new(routes, ())
        .head(
            ps::Head::new()
                .title("Site")
                .description("A test site")
                .stylesheet("/app.css")
                .style("main { margin: 1rem }"),
        )
        .layout(layout);
    if not_found {
        app = app.not_found(lost);
    }
    app.server().session_store(ps::CookieStore::new(secret()))
}

async fn page(base: &str, path: &str) -> (StatusCode, String) {
    let response = get_with(base, path, None).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_page_title_joins_the_app_title_and_the_head_is_rendered() {
    let base = spawn(server(true)).await;
    let (status, html) = page(&base, "/about").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<title>About &lt;us&gt; · Site</title>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<meta name="description" content="A test site">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/app.css">"#),
        "{html}"
    );
    assert!(
        html.contains("<style>main { margin: 1rem }</style>"),
        "{html}"
    );
    assert_eq!(html.matches("<title>").count(), 1, "{html}");
    // An untitled page takes the app's title.
    let (_, html) = page(&base, "/").await;
    assert!(html.contains("<title>Site</title>"), "{html}");
}

#[tokio::test]
async fn the_layout_surrounds_the_views_and_sees_the_request() {
    let base = spawn(server(true)).await;
    let (_, html) = page(&base, "/about").await;
    let nav = html
        .find(r#"<nav aria-label="Main">"#)
        .expect("the layout's nav");
    let main = html
        .find(r#"<main id="main" data-path="/about">"#)
        .expect("main");
    let view = html
        .find(r#"<div data-pulse-view="/about"><h1>About</h1></div>"#)
        .expect("view");
    let end = html.find("</main>").unwrap();
    let state = html.find(r#"<script id="pulse-state""#).unwrap();
    assert!(
        nav < main && main < view && view < end && end < state,
        "{html}"
    );
    assert!(html.contains("<footer>visitor</footer>"), "{html}");
}

#[tokio::test]
async fn the_apps_404_page_is_inside_the_layout_with_its_title() {
    let base = spawn(server(true)).await;
    let (status, html) = page(&base, "/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<title>Lost · Site</title>"), "{html}");
    assert!(
        html.contains(
            r#"<main id="main" data-path="/missing"><h1>Nothing at /missing</h1></main>"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/">Home</a>"#), "{html}");
}

#[tokio::test]
async fn the_default_404_page_is_inside_the_layout_and_links_home() {
    let base = spawn(server(false)).await;
    let (status, html) = page(&base, "/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("<title>Page not found · Site</title>"),
        "{html}"
    );
    assert!(html.contains("<h1>Page not found</h1>"), "{html}");
    assert!(
        html.contains(r#"<a href="/">Go to the home page</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<nav aria-label="Main">"#), "{html}");
}
