//! A middleware fn reached through `use`, a glob, or a path: its redirect targets are checked
//! wherever it is listed.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

mod auth {
    use pulse as ps;

    #[ps::middleware(prerender_route)]
    pub async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        if !session.contains("user_email") {
            return ps::Redirect::to("/login");
        }
        next.run().await
    }

    pub mod admin {
        use pulse as ps;

        #[ps::middleware(message)]
        pub(crate) async fn admins_only(session: &ps::Session, next: ps::Next) -> ps::MessageResponse {
            if !session.contains("admin") {
                return ps::Deny;
            }
            next.run().await
        }
    }
}

use auth::require_login;
use auth::admin::*;

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
            [require_login] {
                "/dashboard" => page,
                [admins_only] { "/admin" => page },
            },
        },
        middleware: [self::auth::admin::admins_only],
    };
}
