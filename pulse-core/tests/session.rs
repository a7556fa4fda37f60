//! Session semantics: typed access, change tracking, and writes that never lose data.

use pulse_core as ps;
use serde_json::json;

#[test]
fn typed_get_insert_remove_clear() {
    let s = ps::Session::new();
    assert!(!s.is_changed());
    assert!(!s.contains("user_email"));
    s.insert("user_email", "ada@example.com").unwrap();
    s.insert("visits", 3).unwrap();
    assert!(s.is_changed());
    assert!(s.contains("user_email"));
    assert_eq!(
        s.get::<String>("user_email").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(s.get::<u32>("visits"), Some(3));
    // Wrong type: `get` says None, `try_get` says why.
    assert_eq!(s.get::<u32>("user_email"), None);
    assert!(s.try_get::<u32>("user_email").is_err());
    assert_eq!(s.try_get::<u32>("missing").unwrap(), None);
    // null counts as absent for `contains`.
    s.insert("gone", serde_json::Value::Null).unwrap();
    assert!(!s.contains("gone"));
    assert_eq!(s.remove("visits"), Some(json!(3)));
    assert_eq!(s.remove("visits"), None);
    s.clear();
    assert!(s.is_empty());
}

#[test]
fn change_tracking_ignores_no_op_writes() {
    let mut data = serde_json::Map::new();
    data.insert("a".into(), json!(1));
    let s = ps::Session::from_parts("sid".into(), data, None);
    assert_eq!(s.id(), "sid");
    s.insert("a", 1).unwrap();
    assert!(!s.is_changed(), "writing the same value is not a change");
    assert_eq!(s.remove("missing"), None);
    assert!(!s.is_changed());
    s.insert("a", 2).unwrap();
    assert!(s.is_changed());
    s.mark_saved();
    assert!(!s.is_changed());
    s.clear();
    assert!(s.is_changed());
}

#[test]
fn clones_share_the_data() {
    let s = ps::Session::new();
    let handle = s.clone();
    handle.insert("k", "v").unwrap();
    assert_eq!(s.get::<String>("k").as_deref(), Some("v"));
    assert_eq!(s.id(), handle.id());
    assert_ne!(s.id(), ps::Session::new().id(), "ids are random");
}

#[test]
fn a_write_over_the_limit_fails_and_keeps_the_previous_data() {
    let s = ps::Session::from_parts("sid".into(), serde_json::Map::new(), Some(64));
    s.insert("user_email", "ada@example.com").unwrap();
    s.mark_saved();
    let err = s.insert("user_email", "x".repeat(100)).unwrap_err();
    assert!(
        matches!(err, ps::SessionError::TooLarge { limit: 64, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("previous data kept"));
    assert_eq!(
        s.get::<String>("user_email").as_deref(),
        Some("ada@example.com")
    );
    let err = s.insert("blob", "y".repeat(100)).unwrap_err();
    assert!(matches!(err, ps::SessionError::TooLarge { .. }));
    assert!(!s.contains("blob"));
    assert!(!s.is_changed(), "a refused write is not a change");
}

#[test]
fn a_value_that_is_not_json_is_refused() {
    let s = ps::Session::new();
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), "tuple keys are not JSON object keys");
    let err = s.insert("bad", map).unwrap_err();
    assert!(matches!(err, ps::SessionError::Serialize { ref key, .. } if key == "bad"));
    assert!(s.is_empty());
}

#[test]
fn requests_parse_cookies_and_targets() {
    use http::header::{COOKIE, HeaderValue};
    let r = ps::Request::get("/a/b?x=1&y=2")
        .with_header(
            COOKIE,
            HeaderValue::from_static("pulse.sid=abc; theme=dark; broken; theme=light"),
        )
        .with_client("127.0.0.1:5000".parse().unwrap())
        .with_scheme(ps::Scheme::Https);
    assert_eq!(r.path(), "/a/b");
    assert_eq!(r.query(), "x=1&y=2");
    assert_eq!(r.cookie("pulse.sid"), Some("abc"));
    assert_eq!(
        r.cookie("theme"),
        Some("dark"),
        "the first of two equal names wins"
    );
    assert_eq!(r.cookie("broken"), None);
    assert_eq!(r.client().unwrap().port(), 5000);
    assert_eq!(r.scheme().to_string(), "https");
    assert_eq!(r.method(), http::Method::GET);
}

#[test]
fn regenerate_keeps_the_data_under_a_new_id_and_end_forgets_everything() {
    let s = ps::Session::restore("old".into(), serde_json::Map::new(), 10, 20);
    s.insert("user", "ada").unwrap();
    assert!(!s.is_new());
    s.regenerate();
    assert_ne!(s.id(), "old");
    assert!(
        s.is_new(),
        "the new id is created, never written over another session"
    );
    assert_eq!(s.get::<String>("user").as_deref(), Some("ada"));
    assert_eq!(s.created_at(), 0, "a new lifetime starts at the next save");
    assert_eq!(s.changes(), vec![("user".to_owned(), Some(json!("ada")))]);

    let s = ps::Session::restore("old".into(), serde_json::Map::new(), 10, 20);
    s.insert("user", "ada").unwrap();
    s.end();
    assert!(s.is_ended() && s.is_empty() && s.is_changed());
    // Writing afterwards starts a new, anonymous session.
    s.insert("theme", "dark").unwrap();
    assert!(!s.is_ended());
    assert_ne!(s.id(), "old");
}

#[test]
fn changes_list_the_keys_written_or_removed_since_the_last_save() {
    let mut data = serde_json::Map::new();
    data.insert("a".into(), json!(1));
    data.insert("b".into(), json!(2));
    let s = ps::Session::restore("sid".into(), data, 1, 1);
    s.insert("a", 1).unwrap();
    assert!(s.changes().is_empty(), "a no-op write is no change");
    s.insert("c", 3).unwrap();
    s.remove("b");
    assert_eq!(
        s.changes(),
        vec![("b".to_owned(), None), ("c".to_owned(), Some(json!(3)))]
    );
    s.mark_saved();
    assert!(s.changes().is_empty());
    assert!(
        !format!("{s:?}").contains("sid"),
        "Debug never shows the id"
    );
}
