use pulse as ps;

#[ps::middleware(channel)]
async fn rooms(channel_id: &str, next: ps::Next) {
    if channel_id == "admin" {
        ps::NotFound
    } else {
        next.run().await
    }
}

fn main() {}
