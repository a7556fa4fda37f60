//! A title set while a view renders reaches the client after the first document, over real
//! sockets on 127.0.0.1: `attach_ack` and `view_update` carry the document title (the app's
//! template applied, as in the first document's `<title>`), as text, only when there is one;
//! so does the JSON of `POST /_pulse/prerender`.

use pulse as ps;
use pulse_test::{TestServer, connect, pulse_state, secret, serve_live};
use serde_json::{Value, json};

/// Titled by its state: "Draft" until a callback names it; `untitled` sets no title.
async fn doc(cx: ps::PageContext) -> ps::Markup {
    let name: String = cx.state().get("name").unwrap_or_else(|| "Draft".into());
    let untitled: bool = cx.state().get("untitled").unwrap_or(false);
    if !untitled {
        cx.set_title(name.clone());
    }
    ps::html! { h1 { (name) } }
}

async fn rename(cx: ps::PageContext, args: Vec<Value>) {
    let name = args.first().and_then(Value::as_str).unwrap_or_default();
    cx.state().set("name", name);
}

async fn untitle(cx: ps::PageContext, _: Vec<Value>) {
    cx.state().set("untitled", true);
}

/// A callback that changes nothing the page shows.
async fn noop(_: ps::PageContext, _: Vec<Value>) {}

async fn plain(_: ps::PageContext) -> ps::Markup {
    ps::html! { p { "plain" } }
}

fn routes() -> ps::Routes {
    let doc = ps::Page::new(doc)
        .callback("rename", rename)
        .callback("untitle", untitle);
    ps::Routes::new()
        .route("/doc", doc)
        .route("/plain", ps::Page::new(plain).callback("noop", noop))
}

fn app(head: Option<&str>) -> ps::App {
    let app = ps::App::new(routes(), ());
    match head {
        Some(title) => app.head(ps::Head::new().title(title)),
        None => app,
    }
}

#[tokio::test]
async fn a_callback_that_changes_the_title_sends_the_new_document_title() {
    let mut client = connect(serve_live(app(Some("My app")).live()).await).await;
    let ack = client.attach("/doc").await;
    assert_eq!(ack["type"], "attach_ack", "{ack}");
    assert_eq!(ack["title"], "Draft · My app", "{ack}");

    let update = client
        .callback("/doc", "rename", json!(["Q3 <report> & \"notes\""]))
        .await;
    assert_eq!(update["type"], "view_update", "{update}");
    // Text as the page set it: the HTML is escaped, the title is not.
    assert_eq!(
        update["title"], "Q3 <report> & \"notes\" · My app",
        "{update}"
    );
    assert!(
        update["html"]
            .as_str()
            .unwrap()
            .contains("Q3 &lt;report&gt; &amp;"),
        "{update}"
    );

    // An `update` (the URL changed) renders again and carries the title too.
    let route = json!({"pathname": "/doc", "query": "x=1"});
    client
        .send(json!({"type": "update", "path": "/doc", "routeInfo": route}))
        .await;
    let update = client.recv().await;
    assert_eq!(update["type"], "view_update", "{update}");
    assert_eq!(
        update["title"], "Q3 <report> & \"notes\" · My app",
        "{update}"
    );
}

#[tokio::test]
async fn a_view_that_stops_setting_a_title_gets_the_apps_as_a_fresh_document_would() {
    let mut client = connect(serve_live(app(Some("My app")).live()).await).await;
    assert_eq!(client.attach("/doc").await["title"], "Draft · My app");
    let update = client.callback("/doc", "untitle", json!([])).await;
    assert_eq!(update["type"], "view_update", "{update}");
    assert_eq!(update["title"], "My app", "{update}");
    // An untitled view of a titled app: the app's title, from the first answer on.
    let ack = client.attach("/plain").await;
    assert_eq!(ack["title"], "My app", "{ack}");
}

#[tokio::test]
async fn without_any_title_the_messages_keep_their_shape() {
    let mut client = connect(serve_live(app(None).live()).await).await;
    assert_eq!(
        client.attach("/plain").await,
        json!({"type": "attach_ack", "path": "/plain", "html": "<p>plain</p>"})
    );
    assert_eq!(
        client.callback("/plain", "noop", json!([])).await,
        json!({"type": "view_update", "path": "/plain", "html": "<p>plain</p>"})
    );
    // Without an app title, a view's own title is sent as it is.
    let ack = client.attach("/doc").await;
    assert_eq!(ack["title"], "Draft", "{ack}");
    let update = client.callback("/doc", "untitle", json!([])).await;
    assert!(update.get("title").is_none(), "{update}");
}

#[tokio::test]
async fn the_socket_and_the_document_agree_on_the_title() {
    let server = app(Some("My <app>"))
        .server()
        .session_store(ps::CookieStore::new(secret()));
    let server = TestServer::start(server).await;
    let browser = server.browser();
    let page = browser.get("/doc").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<title>Draft · My &lt;app&gt;</title>"),
        "{}",
        page.body
    );
    assert_eq!(pulse_state(&page.body)["paths"], json!(["/doc"]));
    let mut socket = browser.socket().await.expect("the socket opens");
    let ack = socket.attach("/doc").await;
    assert_eq!(ack["title"], "Draft · My <app>", "{ack}");
    let update = socket.callback("/doc", "rename", json!(["Final"])).await;
    assert_eq!(update["title"], "Final · My <app>", "{update}");
}

#[tokio::test]
async fn the_prerender_json_carries_the_document_title() {
    let server = |head| {
        app(head)
            .server()
            .session_store(ps::CookieStore::new(secret()))
    };
    let titled = TestServer::start(server(Some("My <app>"))).await;
    let browser = titled.browser();
    let answer = browser
        .post_json(
            "/_pulse/prerender",
            json!({"paths": ["doc"], "routeInfo": {"pathname": "/doc"}}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    // The view's own title, and the document's in the app's template (text, not HTML).
    assert_eq!(answer["views"]["/doc"]["title"], "Draft", "{answer}");
    assert_eq!(answer["title"], "Draft · My <app>", "{answer}");
    let answer = browser
        .post_json("/_pulse/prerender", json!({"paths": ["/plain"]}))
        .await
        .json();
    assert_eq!(answer["title"], "My <app>", "{answer}");

    // No title anywhere: Pulse's shape, unchanged.
    let untitled = TestServer::start(server(None)).await;
    let answer = untitled
        .browser()
        .post_json("/_pulse/prerender", json!({"paths": ["/plain"]}))
        .await
        .json();
    assert_eq!(
        answer,
        json!({
            "views": {"/plain": {"path": "/plain", "html": "<p>plain</p>"}},
            "directives": {"headers": {}, "query": {}}
        })
    );
}
