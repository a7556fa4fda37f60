//! The checks `pulse_app!` runs on each middleware it lists, at the type level so that every
//! entry is checked the same way: a `#[middleware]` item, a local variable, a call, a nested
//! `stack![]`.
//!
//! `#[ps::middleware]` overrides two hidden methods of
//! [`PulseMiddleware`](crate::PulseMiddleware):
//! - `__check_redirects::<R>` holds one inline `const { }` block per `Redirect::to("…")`
//!   literal, spanned at the literal, which panics with [`unknown_target`]'s message when the
//!   target matches no route of `R`;
//! - `__check_group::<G>` holds one `const { }` block per hook that does not run for a group,
//!   spanned at the hook's name.
//!
//! `pulse_app!` declares the app's routes as a type ([`AppRoutes`]) and calls both methods on
//! each entry, at the entry. rustc evaluates the `const` blocks when it instantiates them, so a
//! mistake is an "evaluation panicked" error at the literal (or hook) with our message, and a
//! note pointing at the entry that brought it in. Being post-monomorphization errors, they are
//! reported by `cargo build` (and `cargo test`, `cargo run`), not by `cargo check`.
//!
//! The matcher below is `pulse_route::Pattern::matches` (as a yes/no answer) in `const fn`;
//! a unit test compares the two on the same cases.

/// One segment of a route pattern, as `pulse_app!` writes it out (parsed by `pulse-route`).
#[derive(Clone, Copy, Debug)]
pub enum Segment {
    /// `users`
    Static(&'static str),
    /// `:id`
    Param,
    /// `:tab?`
    Optional,
    /// `*`
    CatchAll,
}

/// A route of the app: its pattern as written, and its segments.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// The pattern as written (`/users/:id`).
    pub source: &'static str,
    /// Its segments.
    pub segments: &'static [Segment],
}

/// The app's route table, as a type `pulse_app!` declares.
pub trait AppRoutes {
    /// Every route, in declaration order.
    const ROUTES: &'static [Route];
}

/// What `__check_group` is called with for a middleware listed in a group.
#[derive(Debug)]
pub enum InGroup {}

/// Whether `target` (a local path, maybe with a query or fragment) is matched by a route.
pub const fn target_matches(target: &str, routes: &[Route]) -> bool {
    let bytes = target.as_bytes();
    // The path: up to `?` or `#`.
    let mut end = 0;
    while end < bytes.len() && bytes[end] != b'?' && bytes[end] != b'#' {
        end += 1;
    }
    let path = bytes.split_at(end).0;
    let Some((&b'/', rest)) = path.split_first() else {
        return false;
    };
    // Without the leading slash and one trailing slash.
    let rest = match rest.split_last() {
        Some((&b'/', init)) => init,
        _ => rest,
    };
    let start = if rest.is_empty() { None } else { Some(0) };
    let mut i = 0;
    while i < routes.len() {
        if match_from(routes[i].segments, rest, start) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `segments` match the parts of `path` from byte `at` (`None`: no part left).
const fn match_from(segments: &[Segment], path: &[u8], at: Option<usize>) -> bool {
    let Some((segment, rest)) = segments.split_first() else {
        return at.is_none();
    };
    // The next part, and where the one after it starts.
    let part = match at {
        Some(start) => {
            let mut end = start;
            while end < path.len() && path[end] != b'/' {
                end += 1;
            }
            let next = if end < path.len() {
                Some(end + 1)
            } else {
                None
            };
            Some((start, end, next))
        }
        None => None,
    };
    match (segment, part) {
        (Segment::Static(s), Some((start, end, next))) => {
            bytes_eq(path.split_at(end).0.split_at(start).1, s.as_bytes())
                && match_from(rest, path, next)
        }
        (Segment::Static(_), None) => false,
        (Segment::Param, Some((start, end, next))) => end > start && match_from(rest, path, next),
        (Segment::Param, None) => false,
        (Segment::Optional, part) => {
            let took = match part {
                Some((start, end, next)) => end > start && match_from(rest, path, next),
                None => false,
            };
            took || match_from(rest, path, at)
        }
        (Segment::CatchAll, _) => true,
    }
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// strsim's Jaro–Winkler similarity, over bytes, for strings of at most [`MAX_WORD`] bytes
/// (0 for longer ones): the same "did you mean" as the macros' other messages.
const fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let sim = jaro(a, b);
    if sim > 0.7 {
        let mut prefix = 0;
        while prefix < 4 && prefix < a.len() && prefix < b.len() && a[prefix] == b[prefix] {
            prefix += 1;
        }
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

const MAX_WORD: usize = 128;

const fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() || a.len() > MAX_WORD || b.len() > MAX_WORD {
        return 0.0;
    }
    let longest = if a.len() > b.len() { a.len() } else { b.len() };
    let range = (longest / 2).saturating_sub(1);
    let mut a_flags = [false; MAX_WORD];
    let mut b_flags = [false; MAX_WORD];
    let mut matches = 0usize;
    let mut i = 0;
    while i < a.len() {
        let low = i.saturating_sub(range);
        let high = if i + range + 1 < b.len() {
            i + range + 1
        } else {
            b.len()
        };
        let mut j = low;
        while j < high {
            if a[i] == b[j] && !b_flags[j] {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
            j += 1;
        }
        i += 1;
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let (mut i, mut j) = (0, 0);
    while i < a.len() {
        if a_flags[i] {
            while !b_flags[j] {
                j += 1;
            }
            if a[i] != b[j] {
                transpositions += 1;
            }
            j += 1;
        }
        i += 1;
    }
    transpositions /= 2;
    let m = matches as f64;
    ((m / a.len() as f64) + (m / b.len() as f64) + ((matches - transpositions) as f64 / m)) / 3.0
}

/// A message built at compile time (const panics take a `&str` argument).
#[derive(Debug)]
pub struct Message {
    buffer: [u8; Message::CAPACITY],
    len: usize,
}

impl Message {
    const CAPACITY: usize = 1024;

    const fn new() -> Message {
        Message {
            buffer: [0; Message::CAPACITY],
            len: 0,
        }
    }

    const fn push(mut self, text: &str) -> Message {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < Message::CAPACITY {
            self.buffer[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Whether there is no text.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text (cut at a character boundary if it outgrew the buffer).
    pub const fn as_str(&self) -> &str {
        let bytes = self.buffer.split_at(self.len).0;
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => match core::str::from_utf8(bytes.split_at(error.valid_up_to()).0) {
                Ok(text) => text,
                Err(_) => "",
            },
        }
    }
}

/// The error for a redirect `target` that matches no route of `R`, or an empty message when
/// it matches one (or is not a local path, which the attribute reports itself).
pub const fn unknown_target<R: AppRoutes>(target: &str) -> Message {
    match unknown_target_in(target, R::ROUTES) {
        Some(message) => message,
        None => Message::new(),
    }
}

const fn unknown_target_in(target: &str, routes: &[Route]) -> Option<Message> {
    if !matches!(target.as_bytes().first(), Some(b'/')) || target_matches(target, routes) {
        return None;
    }
    let message = Message::new()
        .push("redirect target `")
        .push(target)
        .push("` matches no route of the app");
    // The closest route, if close enough to be a likely typo (the macros' `diag::suggest`).
    let mut near: Option<&str> = None;
    let mut best = 0.8;
    let mut i = 0;
    while i < routes.len() {
        let score = jaro_winkler(target.as_bytes(), routes[i].source.as_bytes());
        if score > 0.8 && score >= best {
            best = score;
            near = Some(routes[i].source);
        }
        i += 1;
    }
    if let Some(near) = near {
        return Some(message.push("; did you mean `").push(near).push("`?"));
    }
    let mut message = message.push("; its routes are ");
    let mut i = 0;
    while i < routes.len() {
        if i > 0 {
            message = message.push(if i + 1 == routes.len() { " and " } else { ", " });
        }
        message = message.push("`").push(routes[i].source).push("`");
        i += 1;
    }
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(sources: &[&'static str]) -> Vec<Route> {
        sources
            .iter()
            .map(|source| {
                let pattern = pulse_route::Pattern::parse(source).unwrap();
                let segments: Vec<Segment> = pattern
                    .segments()
                    .iter()
                    .map(|s| match s {
                        pulse_route::Segment::Static(s) => Segment::Static(String::leak(s.clone())),
                        pulse_route::Segment::Param(_) => Segment::Param,
                        pulse_route::Segment::Optional(_) => Segment::Optional,
                        pulse_route::Segment::CatchAll => Segment::CatchAll,
                    })
                    .collect();
                Route {
                    source,
                    segments: segments.leak(),
                }
            })
            .collect()
    }

    #[test]
    fn matches_like_the_runtime_matcher() {
        let sources = [
            "/",
            "/login",
            "/users/:id",
            "/posts/:id/:tab?",
            "/files/*",
            "/a/:b?/c",
        ];
        let targets = [
            "/",
            "/login",
            "/login/",
            "/login?next=/x",
            "/login#top",
            "/logn",
            "/users",
            "/users/7",
            "/users/7/",
            "/users//",
            "/users/7/x",
            "/posts/1",
            "/posts/1/comments",
            "/posts/1/comments/x",
            "/files",
            "/files/a/b/c",
            "/a/c",
            "/a/b/c",
            "/a//c",
            "//",
            "/x//y",
        ];
        for source in sources {
            let table = routes(&[source]);
            let pattern = pulse_route::Pattern::parse(source).unwrap();
            for target in targets {
                let path = target.split(['?', '#']).next().unwrap();
                assert_eq!(
                    target_matches(target, &table),
                    pattern.matches(path).is_some(),
                    "{source} against {target}"
                );
            }
        }
    }

    #[test]
    fn jaro_winkler_is_strsims() {
        for (a, b) in [
            ("/logn", "/login"),
            ("dwayne", "duane"),
            ("/sign-in", "/signin"),
            ("a", "ab"),
            ("/dashbord", "/dashboard"),
            ("/x", "/users/:id"),
        ] {
            let ours = jaro_winkler(a.as_bytes(), b.as_bytes());
            assert!((ours - strsim::jaro_winkler(a, b)).abs() < 1e-12, "{a} {b}");
        }
    }

    #[test]
    fn messages() {
        let table = routes(&["/", "/login", "/dashboard"]);
        assert!(unknown_target_in("/login?next=/", &table).is_none());
        assert!(unknown_target_in("https://x", &table).is_none());
        assert_eq!(
            unknown_target_in("/logn", &table).unwrap().as_str(),
            "redirect target `/logn` matches no route of the app; did you mean `/login`?"
        );
        assert_eq!(
            unknown_target_in("/zzz", &table).unwrap().as_str(),
            "redirect target `/zzz` matches no route of the app; its routes are `/`, `/login` and `/dashboard`"
        );
        let long = format!("/{}", "é".repeat(600));
        assert!(unknown_target_in(&long, &table).unwrap().as_str().len() <= 1024);
    }
}
