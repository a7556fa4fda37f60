//! `ps::html!` in a crate whose only dependency is `pulse` (this crate has no `maud`): every
//! construct, checked by rendering.
use pulse as ps;

struct Badge(u32);

impl ps::Render for Badge {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str("<span class=\"badge\">");
        ps::Render::render_to(&self.0, buffer);
        buffer.push_str("</span>");
    }
}

enum Role {
    Admin,
    Member,
}

fn page(user: Option<&str>, role: Role, items: &[&str]) -> ps::Markup {
    let link: Option<&str> = user.map(|_| "/account");
    ps::html! {
        header.top #banner {
            @if let Some(name) = user {
                "Hello " (name) " " (Badge(items.len() as u32))
            } @else if items.is_empty() {
                "Nothing"
            } @else {
                a href="/login" { "Sign in" }
            }
        }
        @let total = items.len();
        ul.list.empty[total == 0] {
            @for item in items { li data-item=(item) { (item) } }
        }
        @match role {
            Role::Admin => b { "admin" },
            Role::Member => "member",
        }
        a href=[link] { "account" }
        input type="checkbox" checked[user.is_some()] disabled;
        (ps::PreEscaped("<hr>"))
    }
}

fn main() {
    assert_eq!(
        page(Some("<ann>"), Role::Admin, &["a&b"]).into_string(),
        concat!(
            r#"<header class="top" id="banner">Hello &lt;ann&gt; <span class="badge">1</span></header>"#,
            r#"<ul class="list"><li data-item="a&amp;b">a&amp;b</li></ul>"#,
            r#"<b>admin</b><a href="/account">account</a>"#,
            r#"<input type="checkbox" checked disabled><hr>"#,
        )
    );
    assert_eq!(
        page(None, Role::Member, &[]).into_string(),
        concat!(
            r#"<header class="top" id="banner">Nothing</header>"#,
            r#"<ul class="list empty"></ul>member<a>account</a>"#,
            r#"<input type="checkbox" disabled><hr>"#,
        )
    );
}
