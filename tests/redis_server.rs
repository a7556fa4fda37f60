//! The Redis test harness itself: a private `redis-server` that answers, keeps its data across
//! a stop and restart, loses it when killed, and stops answering while paused.

mod redis_support;

use redis_support::RedisServer;

#[test]
fn a_private_server_answers_and_plays_outages() {
    let mut redis = RedisServer::start();
    assert!(redis.is_up());
    assert!(redis.url().starts_with("redis://127.0.0.1:"));
    assert_eq!(redis.command("SET k v").as_deref(), Some("+OK"));
    // Persistence is off while it runs.
    assert_eq!(
        redis.command("CONFIG GET save").as_deref(),
        Some("*2\n$4\nsave\n$0")
    );
    assert_eq!(
        redis.command("CONFIG GET appendonly").as_deref(),
        Some("*2\n$10\nappendonly\n$2\nno")
    );

    redis.pause();
    assert!(!redis.is_up(), "a paused server does not answer");
    redis.resume();
    assert!(redis.is_up());

    redis.stop();
    assert!(!redis.is_up());
    assert_eq!(
        redis.command("PING"),
        None,
        "a stopped server refuses connections"
    );
    redis.restart();
    assert_eq!(
        redis.command("GET k").as_deref(),
        Some("$1\nv"),
        "data kept across a restart"
    );

    redis.kill();
    redis.restart();
    assert_eq!(
        redis.command("GET k").as_deref(),
        Some("$-1"),
        "a kill loses the data"
    );
}
