use pulse as ps;

struct Audit;

#[ps::middleware]
impl ps::PulseMiddleware for Audit {}

fn main() {}
