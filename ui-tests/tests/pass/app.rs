//! `pulse_app!` with groups, nested groups, nested chains, and every kind of entry.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

mod auth {
    use pulse as ps;

    #[ps::middleware(prerender_route)]
    pub async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        if !session.contains("user_email") {
            return ps::Redirect::to("/login?next=/dashboard");
        }
        next.run().await
    }
}

#[ps::middleware(message)]
async fn admins_only(session: &ps::Session, next: ps::Next) -> ps::MessageResponse {
    if !session.contains("admin") {
        return ps::Deny;
    }
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn to_user(route_info: &ps::RouteInfo, next: ps::Next) {
    if route_info.pathname == "/me" {
        return ps::Redirect::to("/users/me");
    }
    next.run().await
}

#[ps::middleware(connect)]
async fn reject_anonymous(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

struct Audit;

#[ps::middleware]
impl Audit {
    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {
    let latency = ps::LatencyMiddleware::default();
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
            "/me" => page,
            "/files/*" => page,
            [auth::require_login] {
                "/dashboard" => page,
                "/users/:id" => page,
                [admins_only, to_user] {
                    "/admin" => page,
                    "/admin/settings/:tab?" => page,
                },
            },
        },
        middleware: [
            Audit,
            reject_anonymous,
            ps::stack![ps::LatencyMiddleware::default()],
            { latency },
        ],
        not_found: page,
    };
    let _routes: ps::Routes = ps::routes! {
        "/" => page,
        [auth::require_login] { "/dashboard" => page },
    };
    let _minimal = ps::pulse_app! { routes: { "/" => page } };
}
