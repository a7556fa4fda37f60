//! What `ps::html!` expands to: the buffer's type, and the choice between `Render` and
//! `Display` for each splice `(expr)`.

use std::fmt::{Display, Write};

pub use maud::{Escaper, PreEscaped, Render};

/// A spliced value, by reference; `(&&Splice(v)).pulse_render_kind()` picks how it renders.
#[derive(Debug)]
pub struct Splice<'a, T: ?Sized>(pub &'a T);

/// The traits that choose between `Render` and `Display` (autoref specialization): the
/// expansion imports them with a glob, and method resolution tries `ViaRender` first.
pub mod splice {
    use super::{Render, Splice, ViaDisplayTag, ViaRenderTag};

    /// Chosen when the value implements `Render`.
    pub trait ViaRender {
        /// How to render.
        fn pulse_render_kind(&self) -> ViaRenderTag {
            ViaRenderTag
        }
    }

    /// Chosen otherwise; rendering then needs `Display`.
    pub trait ViaDisplay {
        /// How to render.
        fn pulse_render_kind(&self) -> ViaDisplayTag {
            ViaDisplayTag
        }
    }

    impl<T: Render + ?Sized> ViaRender for &Splice<'_, T> {}
    impl<T: ?Sized> ViaDisplay for Splice<'_, T> {}
}

/// Renders through `Render`.
#[derive(Debug)]
pub struct ViaRenderTag;

/// Renders through `Display`, escaped.
#[derive(Debug)]
pub struct ViaDisplayTag;

impl ViaRenderTag {
    /// Appends `value`.
    pub fn push<T: Render + ?Sized>(self, value: &T, buffer: &mut String) {
        value.render_to(buffer);
    }
}

impl ViaDisplayTag {
    /// Appends `value`, escaped.
    pub fn push<T: Spliceable + ?Sized>(self, value: &T, buffer: &mut String) {
        let _ = write!(Escaper::new(buffer), "{value}");
    }
}

/// A value a splice `(expr)` can render: one implementing `ps::Render` or `Display`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be spliced into `ps::html!`",
    label = "neither `ps::Render` nor `Display`",
    note = "a splice `(expr)` renders a value implementing `ps::Render` (text, numbers, `ps::Markup`, `ps::PreEscaped`) or `std::fmt::Display`; implement `ps::Render` for your type, or splice a field or `format!(..)` of it"
)]
pub trait Spliceable: Display {}

#[diagnostic::do_not_recommend]
impl<T: Display + ?Sized> Spliceable for T {}

/// The condition of a toggle (`.active[cond]`, `checked[cond]`).
#[inline]
pub fn toggle(condition: bool) -> bool {
    condition
}

/// The value of an optional attribute (`href=[link]`).
#[inline]
pub fn optional<T>(value: Option<T>) -> Option<T> {
    value
}
