use pulse as ps;

fn main() {
    let _ = ps::routes! {
        api "/api//me",
    };
}
