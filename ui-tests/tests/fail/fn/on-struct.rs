use pulse as ps;

#[ps::middleware(connect)]
struct Reject;

fn main() {}
