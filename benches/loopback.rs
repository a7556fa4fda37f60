//! The servers of the loopback benchmark (`bash benches/loopback.sh` drives them with `wrk`).
//!
//! `cargo bench --bench loopback -- --serve` starts, on one current-thread tokio runtime (one
//! thread; the script pins the process to one core), a bare axum server and a Pulse server
//! (`ps::Server` with its session layer and three pass-through middlewares) answering the same
//! page, then prints the body of the `POST /_pulse/prerender` cases (`prerender-body <json>`)
//! and their addresses (`bare <addr>`, `pulse <addr>`), and serves until killed.
//! Both are `benches/common/mod.rs`'s, shared with the in-process benchmark:
//!
//! - `GET /` on both: the same HTML document (bare axum renders it by hand);
//! - `GET /login` on Pulse: sets a session value and returns the session cookie (for the
//!   "page with a session" case);
//! - `POST /_pulse/prerender` on both: the JSON form (bare axum answers the same JSON by hand).
//!
//! Without `--serve` it prints how to run the benchmark and exits (so `cargo bench` runs it
//! quickly).

mod common;

async fn serve() {
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pulse_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // The body of the `POST /_pulse/prerender` cases first: the script waits for the addresses.
    println!("prerender-body {}", common::PRERENDER_BODY);
    println!("bare {}", bare_listener.local_addr().unwrap());
    println!("pulse {}", pulse_listener.local_addr().unwrap());
    let bare = common::bare_router();
    tokio::spawn(async move { axum::serve(bare_listener, bare).await.unwrap() });
    common::pulse_server()
        .serve_on(pulse_listener)
        .await
        .unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(serve());
    } else {
        println!("loopback: the servers of `bash benches/loopback.sh` (run that script)");
    }
}
