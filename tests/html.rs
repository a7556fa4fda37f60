//! `ps::html!`: pulse's own template macro (maud's syntax). Each test compares the rendered
//! string; the last one compares with maud's own macro (this package has maud as a
//! dev-dependency for that and the bench; ui-tests prove that apps need no maud).

use pulse as ps;

fn render(markup: ps::Markup) -> String {
    markup.into_string()
}

#[test]
fn elements_text_and_void_elements() {
    let html = ps::html! {
        h1 { "Hello" }
        p { "one " "two" }
        br;
        input type="text" name="q";
    };
    assert_eq!(
        render(html),
        r#"<h1>Hello</h1><p>one two</p><br><input type="text" name="q">"#
    );
}

#[test]
fn text_and_splices_are_escaped() {
    let evil = "<script>alert(\"x\") & co</script>";
    let html = ps::html! { p { "a < b & \"c\"" } p { (evil) } };
    assert_eq!(
        render(html),
        "<p>a &lt; b &amp; &quot;c&quot;</p><p>&lt;script&gt;alert(&quot;x&quot;) &amp; co&lt;/script&gt;</p>"
    );
}

#[test]
fn pre_escaped_and_markup_splice_as_is() {
    let inner = ps::html! { b { "bold" } };
    let raw = ps::PreEscaped("<i>raw</i>");
    let html = ps::html! { p { (inner) (raw) } };
    assert_eq!(render(html), "<p><b>bold</b><i>raw</i></p>");
}

#[test]
fn numbers_and_display_types_splice() {
    let count = 42_u32;
    let ratio = 0.5_f64;
    let addr = std::net::Ipv4Addr::new(127, 0, 0, 1);
    let html = ps::html! { (count) " " (ratio) " " (addr) " " (-3_i64) };
    assert_eq!(render(html), "42 0.5 127.0.0.1 -3");
}

#[test]
fn a_type_of_the_user_renders_through_render() {
    struct Badge(&'static str);
    impl ps::Render for Badge {
        fn render_to(&self, buffer: &mut String) {
            buffer.push_str("<span class=\"badge\">");
            ps::Render::render_to(self.0, buffer);
            buffer.push_str("</span>");
        }
    }
    let html = ps::html! { p { (Badge("<new>")) } };
    assert_eq!(
        render(html),
        "<p><span class=\"badge\">&lt;new&gt;</span></p>"
    );
}

#[test]
fn class_and_id_shorthand() {
    let theme = "dark";
    let html = ps::html! {
        .card { "implicit div" }
        #main.wide { "id and class" }
        p.lead.big-text #intro { "" }
        section.(theme) { }
    };
    assert_eq!(
        render(html),
        concat!(
            r#"<div class="card">implicit div</div>"#,
            r#"<div class="wide" id="main">id and class</div>"#,
            r#"<p class="lead big-text" id="intro"></p>"#,
            r#"<section class="dark"></section>"#,
        )
    );
}

#[test]
fn toggled_classes_and_attributes() {
    for (active, expected) in [
        (
            true,
            r#"<li class="item active"><input type="checkbox" checked></li>"#,
        ),
        (false, r#"<li class="item"><input type="checkbox"></li>"#),
    ] {
        let html = ps::html! {
            li.item.active[active] { input type="checkbox" checked[active]; }
        };
        assert_eq!(render(html), expected);
    }
}

#[test]
fn empty_optional_and_computed_attributes() {
    let link: Option<&str> = Some("/a?b=1&c=\"2\"");
    let none: Option<&str> = None;
    let id = 7;
    let html = ps::html! {
        a href=[link] title=[none] { "x" }
        button disabled data-pulse-callback="go" data-pulse-args=(format!("[{id}]")) { "go" }
        div aria-label={ "item " (id) } { }
    };
    assert_eq!(
        render(html),
        concat!(
            r#"<a href="/a?b=1&amp;c=&quot;2&quot;">x</a>"#,
            r#"<button disabled data-pulse-callback="go" data-pulse-args="[7]">go</button>"#,
            r#"<div aria-label="item 7"></div>"#,
        )
    );
}

#[test]
fn if_else_and_if_let() {
    fn page(user: Option<&str>, admin: bool) -> String {
        render(ps::html! {
            @if let Some(name) = user {
                p { "Hello " (name) }
                @if admin { "(admin)" } @else if name.len() > 3 { "(long)" } @else { "(user)" }
            } @else {
                a href="/login" { "Sign in" }
            }
        })
    }
    assert_eq!(page(None, false), r#"<a href="/login">Sign in</a>"#);
    assert_eq!(page(Some("ann"), true), "<p>Hello ann</p>(admin)");
    assert_eq!(page(Some("annabel"), false), "<p>Hello annabel</p>(long)");
    assert_eq!(page(Some("ann"), false), "<p>Hello ann</p>(user)");
}

#[test]
fn for_while_match_and_let() {
    enum Role {
        Admin,
        Member(u32),
        Guest,
    }
    let items = ["a", "b<"];
    let roles = [Role::Admin, Role::Member(3), Role::Member(12), Role::Guest];
    let mut n = 0;
    let html = ps::html! {
        ul { @for (i, item) in items.iter().enumerate() { li { (i) ": " (item) } } }
        @while n < 2 { @let next = n + 1; span { (next) } { @let _unused = (); } ({ n += 1; "" }) }
        @for role in &roles {
            @match role {
                Role::Admin => b { "admin" },
                Role::Member(level) if *level > 10 => { "senior " (level) }
                Role::Member(level) => { "member " (level) }
                _ => "guest",
            }
        }
    };
    assert_eq!(
        render(html),
        "<ul><li>0: a</li><li>1: b&lt;</li></ul><span>1</span><span>2</span><b>admin</b>member 3senior 12guest"
    );
}

#[test]
fn empty_template_is_empty_markup() {
    assert_eq!(render(ps::html! {}), "");
}

#[test]
fn names_with_hyphens_colons_and_keywords() {
    let html = ps::html! {
        label for="q" { "Search" }
        svg xmlns:xlink="http://www.w3.org/1999/xlink" { use xlink:href="#i"; }
        my-element data-x-1="v" { }
    };
    assert_eq!(
        render(html),
        concat!(
            r#"<label for="q">Search</label>"#,
            r##"<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#i"></svg>"##,
            r#"<my-element data-x-1="v"></my-element>"#,
        )
    );
}

#[test]
fn same_html_as_maud() {
    let user: Option<&str> = Some("<ann>");
    let items = ["a&b", "c"];
    let link: Option<&str> = None;
    let active = true;
    macro_rules! template {
        ($($html:ident)::+) => {
            $($html)::+! {
                header.top #banner.wide { @if let Some(u) = user { "Hi " (u) } @else { "Hi" } }
                ul.list.empty[items.is_empty()].on[active] {
                    @for (i, item) in items.iter().enumerate() {
                        li data-i=(i) title={ "item " (item) } { (item) }
                    }
                }
                @match items.len() { 0 => "none", n => p { (n) } }
                a href=[link] hidden[!active] checked { "x" }
                br;
                (ps::PreEscaped("<hr>")) (3.5_f64) ('c')
            }
            .into_string()
        };
    }
    assert_eq!(template!(ps::html), template!(maud::html));
}
