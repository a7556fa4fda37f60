use super::*;

fn kind(source: &str) -> PatternErrorKind {
    Pattern::parse(source).expect_err(source).kind
}

fn span(source: &str) -> &str {
    let e = Pattern::parse(source).expect_err(source);
    &source[e.span]
}

#[test]
fn parses_every_segment_kind() {
    let p = Pattern::parse("/users/:id/tabs/:tab?/*").unwrap();
    assert_eq!(
        p.segments(),
        &[
            Segment::Static("users".into()),
            Segment::Param("id".into()),
            Segment::Static("tabs".into()),
            Segment::Optional("tab".into()),
            Segment::CatchAll,
        ]
    );
    assert_eq!(p.as_str(), "/users/:id/tabs/:tab?/*");
    assert!(Pattern::parse("/").unwrap().segments().is_empty());
}

#[test]
fn rejects_malformed_patterns_with_precise_spans() {
    assert_eq!(kind("users"), PatternErrorKind::NotAbsolute);
    assert_eq!(kind(""), PatternErrorKind::NotAbsolute);
    assert_eq!(kind("/a//b"), PatternErrorKind::EmptySegment);
    assert_eq!(span("/a//b"), "/");
    assert_eq!(kind("/a/"), PatternErrorKind::EmptySegment);
    assert_eq!(kind("/a b"), PatternErrorKind::InvalidChar(' '));
    assert_eq!(span("/a b"), " ");
    assert_eq!(kind("/a?b"), PatternErrorKind::InvalidChar('?'));
    assert_eq!(kind("/é"), PatternErrorKind::InvalidChar('é'));
    assert_eq!(span("/x/é"), "é");
    assert_eq!(kind("/a:b"), PatternErrorKind::InvalidChar(':'));
    assert_eq!(kind("/:"), PatternErrorKind::MissingParamName);
    assert_eq!(kind("/:?"), PatternErrorKind::MissingParamName);
    assert_eq!(
        kind("/:1d"),
        PatternErrorKind::InvalidParamName("1d".into())
    );
    assert_eq!(span("/u/:1d"), "1d");
    assert_eq!(kind("/*/a"), PatternErrorKind::CatchAllNotLast);
    assert_eq!(span("/files/*/a"), "*");
    assert_eq!(kind("/files*"), PatternErrorKind::CatchAllNotAlone);
    assert_eq!(
        kind("/:id/:id"),
        PatternErrorKind::DuplicateParam("id".into())
    );
    assert_eq!(span("/:id/x/:id"), "id");
    assert_eq!(
        &"/:id/x/:id"[Pattern::parse("/:id/x/:id").unwrap_err().span],
        "id"
    );
    assert_eq!(Pattern::parse("/:id/x/:id").unwrap_err().span, 8..10);
}

#[test]
fn errors_read_well() {
    let e = Pattern::parse("dashboard").unwrap_err();
    assert_eq!(e.to_string(), "a route pattern must start with `/`");
    let e = Pattern::parse("/a/*/b").unwrap_err();
    assert_eq!(e.to_string(), "the catch-all `*` must be the last segment");
}

#[test]
fn matches_static_params_and_trailing_slash() {
    let p = Pattern::parse("/users/:id").unwrap();
    let m = p.matches("/users/42").unwrap();
    assert_eq!(m.params, vec![("id", "42")]);
    assert!(p.matches("/users/42/").is_some());
    assert!(p.matches("/users").is_none());
    assert!(p.matches("/users/").is_none());
    assert!(p.matches("/users/42/x").is_none());
    assert!(p.matches("users/42").is_none());
    let root = Pattern::parse("/").unwrap();
    assert!(root.matches("/").is_some());
    assert!(root.matches("/x").is_none());
    assert!(root.matches("").is_none());
}

#[test]
fn optional_params_backtrack() {
    let p = Pattern::parse("/a/:x?/b").unwrap();
    assert!(p.matches("/a/b").unwrap().params.is_empty());
    assert_eq!(p.matches("/a/1/b").unwrap().params, vec![("x", "1")]);
    assert!(p.matches("/a/1/2/b").is_none());
    let q = Pattern::parse("/docs/:page?").unwrap();
    assert!(q.matches("/docs").unwrap().params.is_empty());
    assert_eq!(q.matches("/docs/intro").unwrap().params.len(), 1);
}

#[test]
fn catch_all_takes_zero_or_more_segments() {
    let p = Pattern::parse("/files/*").unwrap();
    assert_eq!(p.matches("/files").unwrap().catchall, Vec::<&str>::new());
    assert_eq!(p.matches("/files/a").unwrap().catchall, vec!["a"]);
    assert_eq!(
        p.matches("/files/a/b/c").unwrap().catchall,
        vec!["a", "b", "c"]
    );
    assert!(p.matches("/filesx").is_none());
}

/// Paths of any depth: the first segments are kept inline, the rest spill over.
#[test]
fn long_paths_match_whole() {
    let files = Pattern::parse("/files/*").unwrap();
    for depth in [7, 8, 9, 40] {
        let parts: Vec<String> = (0..depth).map(|i| format!("s{i}")).collect();
        let path = format!("/files/{}/", parts.join("/"));
        let found = files.matches(&path).unwrap();
        assert_eq!(found.catchall, parts, "{depth} segments after /files");
    }
    let deep = Pattern::parse("/a/b/c/d/e/f/g/h/:i/j").unwrap();
    let found = deep.matches("/a/b/c/d/e/f/g/h/9/j").unwrap();
    assert_eq!(found.params, [("i", "9")]);
    assert!(deep.matches("/a/b/c/d/e/f/g/h/9/k").is_none());
    assert!(deep.matches("/a/b/c/d/e/f/g/h/9/j/k").is_none());
    assert!(deep.matches("/a/b/c/d/e/f/g/h").is_none());
}

#[test]
fn precedence_static_param_optional_catch_all() {
    let pats = ["/users/new", "/users/:id", "/users/:id?", "/users/*"];
    let ranks: Vec<u64> = pats
        .iter()
        .map(|p| {
            Pattern::parse(p)
                .unwrap()
                .matches("/users/new")
                .unwrap()
                .rank
        })
        .collect();
    for pair in ranks.windows(2) {
        assert!(pair[0] > pair[1], "{ranks:?}");
    }
}

#[test]
fn an_exact_pattern_beats_a_skipped_optional_or_an_empty_catch_all() {
    let rank = |p: &str, url: &str| Pattern::parse(p).unwrap().matches(url).unwrap().rank;
    assert!(rank("/docs", "/docs") > rank("/docs/:page?", "/docs"));
    assert!(rank("/docs", "/docs") > rank("/docs/*", "/docs"));
    assert!(rank("/docs/:page?", "/docs") > rank("/*", "/docs"));
    assert!(rank("/a/:x", "/a/b") > rank("/a/*", "/a/b"));
    assert!(rank("/a/b/c", "/a/b/c") > rank("/a/:x/c", "/a/b/c"));
    assert!(
        rank("/a/b/*", "/a/b/c") > rank("/a/:x/c", "/a/b/c"),
        "earlier segments decide first"
    );
}

#[test]
fn conflicts_are_found_by_shape() {
    let p = |s| Pattern::parse(s).unwrap();
    assert_eq!(conflict(&p("/a"), &p("/a")), Some(Conflict::Duplicate));
    assert_eq!(
        conflict(&p("/users/:id"), &p("/users/:name")),
        Some(Conflict::Ambiguous)
    );
    assert_eq!(conflict(&p("/users/:id"), &p("/users/new")), None);
    assert_eq!(conflict(&p("/users/:id"), &p("/users/:id?")), None);
    assert_eq!(conflict(&p("/f/*"), &p("/f/*")), Some(Conflict::Duplicate));
}

#[test]
fn local_paths_only() {
    for ok in ["/", "/login", "/a/b?x=1", "/a#top"] {
        assert!(is_local_path(ok), "{ok}");
    }
    for bad in [
        "//evil.example",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "",
        "login",
        "/a\nb",
        "/a b",
    ] {
        assert!(!is_local_path(bad), "{bad:?}");
    }
}

#[test]
fn reserved_prefix() {
    for reserved in ["/_pulse", "/_pulse/", "/_pulse/ws", "/_pulse/:x"] {
        assert_eq!(check_not_reserved(reserved), Err(Reserved(reserved)));
    }
    for free in ["/", "/_pulsex", "/pulse", "/a/_pulse"] {
        assert_eq!(check_not_reserved(free), Ok(()), "{free}");
    }
    assert_eq!(
        Reserved("/_pulse/x").to_string(),
        "route `/_pulse/x` is under `/_pulse`, which Pulse reserves for its own endpoints"
    );
}
