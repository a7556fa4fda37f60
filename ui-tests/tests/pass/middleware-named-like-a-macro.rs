//! Middleware fns named like macros: beside an explicitly imported macro of the same name (no
//! clash: the import wins in that module), or like a prelude macro (`format!` keeps working).
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

mod log_like {
    macro_rules! info {
        ($($t:tt)*) => {
            ()
        };
    }
    pub(crate) use info;
}

mod defined_beside_the_macro {
    use crate::log_like::info;
    use pulse as ps;

    #[ps::middleware(message)]
    pub(crate) async fn info(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
        info!("message {}", data.kind()); // the imported macro
        next.run().await
    }
}

mod checked {
    use pulse as ps;

    #[ps::middleware(message)]
    pub(crate) async fn info(next: ps::Next) -> ps::MessageResponse {
        next.run().await
    }

    #[ps::middleware(prerender_route)]
    pub(crate) async fn format(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        let _ = format!("{}", 1); // std's `format!`
        if !session.contains("user_email") {
            return ps::Redirect::to("/login");
        }
        next.run().await
    }

    pub(crate) fn app() -> ps::App {
        ps::pulse_app! {
            routes: { "/login" => crate::page, [format] { "/" => crate::page } },
        }
    }
}

#[allow(unused_imports)]
use log_like::info;

fn main() {
    let _ = format!("{}", 2);
    info!("still the imported macro");
    let _app = ps::pulse_app! {
        routes: { "/login" => page, [checked::format] { "/" => page } },
        middleware: [checked::info, { defined_beside_the_macro::info }],
    };
    let _ = checked::app();
}
