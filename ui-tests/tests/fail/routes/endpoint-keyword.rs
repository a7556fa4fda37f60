use pulse as ps;

fn main() {
    let _ = ps::routes! {
        endpoint "/api/me",
    };
}
