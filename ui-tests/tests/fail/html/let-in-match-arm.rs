use pulse as ps;

fn main() {
    let n = 1;
    let _ = ps::html! {
        @match n {
            1 => @let x = 2;,
            _ => "other",
        }
    };
}
