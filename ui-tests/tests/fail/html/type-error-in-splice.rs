//! A type error inside a splice is reported at the expression, by rustc, as in plain code.
use pulse as ps;

fn main() {
    let count = 3_u32;
    let _ = ps::html! { p { (count.len()) } };
}
