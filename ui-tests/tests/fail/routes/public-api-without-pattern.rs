use pulse as ps;

fn main() {
    let _ = ps::routes! {
        public api,
    };
}
