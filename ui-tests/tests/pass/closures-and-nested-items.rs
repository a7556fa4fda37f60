//! `return` inside closures, async blocks and nested items belongs to them, not to the hook:
//! the attribute leaves them alone.
use pulse as ps;

#[ps::middleware(message)]
async fn limit(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
    fn weight(kind: &str) -> u8 {
        if kind == "callback" {
            return 2;
        }
        1
    }
    let over = |w: u8| -> bool {
        if w > 1 {
            return true;
        }
        false
    };
    let later = async {
        return weight(data.kind());
    };
    if over(later.await) {
        return ps::Deny;
    }
    loop {
        break next.run().await;
    }
}

fn main() {
    let _ = ps::stack![limit];
}
