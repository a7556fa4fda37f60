//! Route patterns of Pulse for Rust, parsed by one piece of code for two users.
//!
//! `pulse-core` matches URLs against [`Pattern`]s at run time; `pulse-macros` parses the same
//! string literals at compile time, so a pattern the macro accepts is exactly a pattern the
//! matcher understands (the way Rocket shares its URI parser between codegen and runtime).
//! Errors carry byte ranges into the pattern so the macros can point inside the literal.
//!
//! # Syntax
//!
//! ```text
//! pattern  = "/" | ( "/" segment )+
//! segment  = static | ":" name | ":" name "?" | "*"      ("*" only as the last segment)
//! static   = pchar+                                     (RFC 3986, without ":" as first char)
//! name     = (ALPHA | "_") (ALPHA | DIGIT | "_")*
//! ```
//!
//! Precedence when several patterns match a URL, compared segment by segment:
//! static > parameter > optional parameter > catch-all.

#![forbid(unsafe_code)]

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// One segment of a route pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A literal segment, compared byte for byte (`users`).
    Static(String),
    /// A parameter matching exactly one segment (`:id`).
    Param(String),
    /// A parameter matching one segment or none (`:tab?`).
    Optional(String),
    /// Matches the rest of the path, zero or more segments (`*`); always last.
    CatchAll,
}

impl Segment {
    /// Rank used for precedence: higher wins.
    pub fn rank(&self) -> u8 {
        match self {
            Segment::Static(_) => 3,
            Segment::Param(_) => 2,
            Segment::Optional(_) => 1,
            Segment::CatchAll => 0,
        }
    }
}

/// A parsed, validated route pattern such as `/users/:id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pattern {
    /// Shared: every page context rendering the route holds it without a copy.
    source: Arc<str>,
    segments: Vec<Segment>,
}

/// What is wrong with a route pattern; `span` is a byte range into the pattern text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub kind: PatternErrorKind,
    pub span: Range<usize>,
}

/// The kinds of [`PatternError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternErrorKind {
    /// The pattern does not start with `/`.
    NotAbsolute,
    /// Two slashes in a row, or a trailing slash.
    EmptySegment,
    /// A character that is not allowed in a path segment.
    InvalidChar(char),
    /// `:` or `:?` without a name.
    MissingParamName,
    /// A parameter name that is not an identifier.
    InvalidParamName(String),
    /// A `*` that is not the last segment, or `*` mixed with other characters.
    CatchAllNotLast,
    /// `*` mixed with other characters in one segment (`files*`).
    CatchAllNotAlone,
    /// The same parameter name twice.
    DuplicateParam(String),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PatternErrorKind::NotAbsolute => {
                f.write_str("a route pattern must start with `/`")
            }
            PatternErrorKind::EmptySegment => f.write_str(
                "empty path segment; remove the extra `/` (only the root pattern `/` ends with a slash)",
            ),
            PatternErrorKind::InvalidChar(c) => write!(
                f,
                "`{}` is not allowed in a route pattern; segments use letters, digits and `-._~!$&'()+,;=@%`",
                c.escape_default()
            ),
            PatternErrorKind::MissingParamName => {
                f.write_str("a parameter needs a name, as in `:id`")
            }
            PatternErrorKind::InvalidParamName(name) => write!(
                f,
                "`{name}` is not a valid parameter name; use letters, digits and `_`, not starting with a digit"
            ),
            PatternErrorKind::CatchAllNotLast => {
                f.write_str("the catch-all `*` must be the last segment")
            }
            PatternErrorKind::CatchAllNotAlone => {
                f.write_str("the catch-all `*` must be a whole segment, as in `/files/*`")
            }
            PatternErrorKind::DuplicateParam(name) => {
                write!(f, "parameter `{name}` appears twice in this pattern")
            }
        }
    }
}

impl std::error::Error for PatternError {}

fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Pattern {
    /// Parses and validates a pattern, reporting the first mistake.
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        let err = |kind, span: Range<usize>| Err(PatternError { kind, span });
        if !source.starts_with('/') {
            return err(PatternErrorKind::NotAbsolute, 0..source.len().min(1));
        }
        let mut segments = Vec::new();
        if source == "/" {
            return Ok(Pattern {
                source: source.into(),
                segments,
            });
        }
        let mut names: Vec<&str> = Vec::new();
        let mut start = 1;
        for raw in source[1..].split('/') {
            let span = start..start + raw.len();
            start += raw.len() + 1;
            if raw.is_empty() {
                // Point at the slash that makes the segment empty.
                return err(PatternErrorKind::EmptySegment, span.start - 1..span.start);
            }
            if segments.last() == Some(&Segment::CatchAll) {
                let star = span.start - 2..span.start - 1;
                return err(PatternErrorKind::CatchAllNotLast, star);
            }
            let segment = if raw == "*" {
                Segment::CatchAll
            } else if let Some(rest) = raw.strip_prefix(':') {
                let (name, optional) = match rest.strip_suffix('?') {
                    Some(name) => (name, true),
                    None => (rest, false),
                };
                let name_span = span.start + 1..span.start + 1 + name.len();
                if name.is_empty() {
                    return err(PatternErrorKind::MissingParamName, span);
                }
                if !is_name(name) {
                    return err(
                        PatternErrorKind::InvalidParamName(name.to_owned()),
                        name_span,
                    );
                }
                if names.contains(&name) {
                    return err(PatternErrorKind::DuplicateParam(name.to_owned()), name_span);
                }
                names.push(name);
                if optional {
                    Segment::Optional(name.to_owned())
                } else {
                    Segment::Param(name.to_owned())
                }
            } else {
                for (i, c) in raw.char_indices() {
                    let at = span.start + i..span.start + i + c.len_utf8();
                    if c == '*' {
                        return err(PatternErrorKind::CatchAllNotAlone, at);
                    }
                    if !is_pchar(c) || c == ':' {
                        return err(PatternErrorKind::InvalidChar(c), at);
                    }
                }
                Segment::Static(raw.to_owned())
            };
            segments.push(segment);
        }
        Ok(Pattern {
            source: source.into(),
            segments,
        })
    }

    /// The pattern as written (`/users/:id`).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern's text as a shared string: cloning it copies nothing.
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.source)
    }

    /// The parsed segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The shape of the pattern with parameter names erased: two patterns with the same shape
    /// match the same URLs with the same precedence, which makes the pair ambiguous.
    pub fn shape(&self) -> String {
        let mut shape = String::new();
        for segment in &self.segments {
            shape.push('/');
            match segment {
                Segment::Static(s) => shape.push_str(s),
                Segment::Param(_) => shape.push(':'),
                Segment::Optional(_) => shape.push_str(":?"),
                Segment::CatchAll => shape.push('*'),
            }
        }
        if shape.is_empty() {
            shape.push('/');
        }
        shape
    }

    /// Matches a URL path (without query), returning the captures and the rank used to choose
    /// between several matching patterns (higher wins).
    ///
    /// A trailing slash in the path is ignored (`/dashboard/` matches `/dashboard`). Captured
    /// values are returned raw (still percent-encoded); decoding is the caller's job. Matching
    /// allocates only for the captures.
    pub fn matches<'s, 'p>(&'s self, path: &'p str) -> Option<Match<'s, 'p>> {
        let trimmed = path.strip_prefix('/')?;
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        // The segments, inline for most paths; a path of more spills into a Vec.
        const INLINE: usize = 8;
        let mut inline = [""; INLINE];
        let spilled: Vec<&'p str>;
        let parts: &[&'p str] = if trimmed.is_empty() {
            &[]
        } else {
            let mut split = trimmed.split('/');
            let mut n = 0;
            for part in split.by_ref().take(INLINE) {
                inline[n] = part;
                n += 1;
            }
            match split.next() {
                None => &inline[..n],
                Some(next) => {
                    spilled = inline.into_iter().chain([next]).chain(split).collect();
                    &spilled
                }
            }
        };
        let mut found = Match {
            params: Vec::new(),
            catchall: Vec::new(),
            rank: 0,
        };
        match_from(&self.segments, parts, 0, true, &mut found).then_some(found)
    }
}

/// A rank value at a depth: 3 bits per URL segment, most significant first, for 21 segments
/// (deeper segments no longer take part in precedence). Values: static 4, parameter 3,
/// optional 2, catch-all 1; after the last URL segment, an end marker that is 2 when the
/// pattern matched exactly and 1 when it skipped an optional or caught nothing.
fn slot(value: u64, depth: usize) -> u64 {
    const SLOTS: usize = 21;
    if depth >= SLOTS {
        0
    } else {
        value << (3 * (SLOTS - 1 - depth))
    }
}

/// Backtracking matcher: an optional parameter first tries to take a segment, then none.
fn match_from<'s, 'p>(
    segments: &'s [Segment],
    parts: &[&'p str],
    depth: usize,
    exact: bool,
    found: &mut Match<'s, 'p>,
) -> bool {
    let (rank, params) = (found.rank, found.params.len());
    let matched = match segments.split_first() {
        None => {
            found.rank += slot(if exact { 2 } else { 1 }, depth);
            parts.is_empty()
        }
        Some((segment, rest)) => match (segment, parts.split_first()) {
            (Segment::Static(s), Some((part, tail))) if part == s => {
                found.rank += slot(4, depth);
                match_from(rest, tail, depth + 1, exact, found)
            }
            (Segment::Static(_), _) => false,
            (Segment::Param(name), Some((part, tail))) if !part.is_empty() => {
                found.rank += slot(3, depth);
                found.params.push((name, part));
                match_from(rest, tail, depth + 1, exact, found)
            }
            (Segment::Param(_), _) => false,
            (Segment::Optional(name), next) => {
                let took = match next {
                    Some((part, tail)) if !part.is_empty() => {
                        found.rank += slot(2, depth);
                        found.params.push((name, part));
                        match_from(rest, tail, depth + 1, exact, found)
                    }
                    _ => false,
                };
                took || {
                    found.rank = rank;
                    found.params.truncate(params);
                    match_from(rest, parts, depth, false, found)
                }
            }
            (Segment::CatchAll, _) => {
                for i in 0..parts.len() {
                    found.rank += slot(1, depth + i);
                }
                let end = if exact && !parts.is_empty() { 2 } else { 1 };
                found.rank += slot(end, depth + parts.len());
                found.catchall = parts.to_vec();
                true
            }
        },
    };
    if !matched {
        found.rank = rank;
        found.params.truncate(params);
    }
    matched
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The result of [`Pattern::matches`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match<'s, 'p> {
    /// Parameter name and raw value, in pattern order (absent optionals are left out).
    pub params: Vec<(&'s str, &'p str)>,
    /// The segments captured by a catch-all.
    pub catchall: Vec<&'p str>,
    /// Precedence of the match: compare two ranks, the higher wins (static > parameter >
    /// optional > catch-all, segment by segment).
    pub rank: u64,
}

/// Why two patterns cannot both be in one route table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The very same pattern twice.
    Duplicate,
    /// Different spelling, same URLs at the same precedence (`/users/:id` and `/users/:name`).
    Ambiguous,
}

/// Checks two patterns of one table against each other.
pub fn conflict(a: &Pattern, b: &Pattern) -> Option<Conflict> {
    if a.source == b.source {
        Some(Conflict::Duplicate)
    } else if a.shape() == b.shape() {
        Some(Conflict::Ambiguous)
    } else {
        None
    }
}

/// Whether a redirect target is a local path: it starts with a single `/`, has no backslash or
/// control character, and so cannot be read by a browser as another origin
/// (`//evil.example`, `/\evil.example`, `https://…`, `javascript:…` are all refused).
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(|c| c.is_control() || c == ' ')
}

/// The path prefix Pulse reserves for its own endpoints (`/_pulse/prerender`, `/_pulse/ws`, …).
pub const RESERVED_PREFIX: &str = "/_pulse";

/// A route under [`RESERVED_PREFIX`]: refused by `routes!` at compile time and by the route
/// table at run time, with this one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved<'a>(pub &'a str);

impl fmt::Display for Reserved<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "route `{}` is under `{RESERVED_PREFIX}`, which Pulse reserves for its own endpoints",
            self.0
        )
    }
}

/// Checks that a route pattern is not under [`RESERVED_PREFIX`] (the prefix itself, or a path
/// below it).
pub fn check_not_reserved(pattern: &str) -> Result<(), Reserved<'_>> {
    match pattern.strip_prefix(RESERVED_PREFIX) {
        Some("") => Err(Reserved(pattern)),
        Some(rest) if rest.starts_with('/') => Err(Reserved(pattern)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
