//! The flagship's endpoints and limits over real sockets: `GET /api/me` behind the login
//! group's `api` hook, failed sign-ins limited per client address and per email while other
//! clients still sign in, and callbacks limited per socket.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod live_support;
mod server_support;

#[path = "../examples/auth.rs"]
mod auth;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use server_support::*;
use tokio_tungstenite::tungstenite::Message;

async fn start() -> String {
    spawn(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret()))).await
}

/// A client whose connections come from `ip` (127.0.0.0/8 is all loopback on Linux).
use pulse_test::http_client_from as client_from;

async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({"email": email, "password": password});
    pulse_test::post_json(http, &format!("{base}/api/login"), &body).await
}

#[tokio::test]
async fn api_me_answers_401_anonymous_and_the_email_signed_in() {
    let base = start().await;
    let http = client();
    let response = http.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "JSON, not a redirect"
    );
    assert!(response.headers().get("location").is_none());
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized"})
    );

    let response = sign_in(&http, &base, "ada@example.com", "pulse").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(&response).unwrap();
    let response = pulse_test::get_with_cookie(&http, &format!("{base}/api/me"), &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"email": "ada@example.com"})
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_get_429_while_another_client_signs_in() {
    let base = start().await;
    let guesser = client_from([127, 0, 0, 2]);
    for attempt in 0..auth::SIGN_IN_FAILURES {
        let response = sign_in(
            &guesser,
            &base,
            &format!("user{attempt}@example.com"),
            "guess",
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let response = sign_in(&guesser, &base, "user99@example.com", "guess").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=6).contains(&retry),
        "one failure comes back every 6 s: {retry}"
    );
    // Limited, even the right password is refused: guessing on tells nothing.
    let response = sign_in(&guesser, &base, "ada@example.com", "pulse").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another client is not slowed down.
    let other = client_from([127, 0, 0, 3]);
    let response = sign_in(&other, &base, "grace@example.com", "pulse").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn failures_count_per_email_across_addresses() {
    let base = start().await;
    for attempt in 0..auth::SIGN_IN_FAILURES {
        // Spread over addresses, so no address reaches its own limit.
        let http = client_from([127, 0, 1, attempt as u8 + 1]);
        let response = sign_in(&http, &base, "Victim@Example.com", "guess").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let fresh = client_from([127, 0, 2, 1]);
    let response = sign_in(&fresh, &base, "victim@example.com", "guess").await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "emails compare without case"
    );
    assert!(response.headers().contains_key(RETRY_AFTER));
    // Other accounts from that address are fine.
    let response = sign_in(&fresh, &base, "grace@example.com", "pulse").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn successful_sign_ins_are_not_slowed() {
    let base = start().await;
    let http = client_from([127, 0, 0, 4]);
    for attempt in 0..3 * auth::SIGN_IN_FAILURES {
        let response = sign_in(&http, &base, "ada@example.com", "pulse").await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in {attempt}");
    }
}

#[tokio::test]
async fn callbacks_over_the_per_socket_rate_are_answered_rate_limited() {
    let base = start().await;
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let response = sign_in(&client(), &base, "ada@example.com", "pulse").await;
    let cookie = session_cookie(&response).unwrap();
    let mut socket = match live_support::open(addr, &[("cookie", &cookie)]).await {
        Ok(socket) => socket,
        Err(refusal) => panic!("refused: {refusal:?}"),
    };
    assert_eq!(socket.attach("/dashboard").await["type"], "attach_ack");
    // A script's burst: far more than a person clicks.
    let burst = 4 * auth::CALLBACK_BURST as usize;
    let click =
        json!({"type": "callback", "path": "/dashboard", "callback": "increment", "args": []});
    for _ in 0..burst {
        socket
            .ws
            .send(Message::text(click.to_string()))
            .await
            .unwrap();
    }
    let (mut updates, mut limited) = (0, 0);
    while updates + limited < burst {
        let reply = tokio::time::timeout(Duration::from_secs(30), socket.recv())
            .await
            .expect("a reply in time");
        match reply["type"].as_str() {
            Some("view_update") => updates += 1,
            Some("server_error") if reply["error"]["kind"] == "rate_limited" => limited += 1,
            _ => panic!("unexpected {reply}"),
        }
    }
    assert!(limited > 0, "{updates} updates");
    assert!(updates >= auth::CALLBACK_BURST as usize - 1);
    // Still open and still signed in.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reply = socket.callback("/dashboard", "increment", json!([])).await;
    assert_eq!(reply["type"], "view_update", "{reply}");
    let next = tokio::time::timeout(Duration::from_millis(100), socket.ws.next()).await;
    assert!(next.is_err(), "nothing else pending: {next:?}");
}
