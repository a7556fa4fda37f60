//! HMAC-SHA256 signatures for cookie values, compared in constant time.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Signs `payload` strings as `payload.signature` under a secret and a purpose, so a value signed
/// for one purpose (a whole-session cookie) never verifies for another (a session id).
#[derive(Clone)]
pub(crate) struct Signer {
    /// Keyed with the secret and fed the purpose; cloned for each value, which saves hashing
    /// the key each time.
    keyed: HmacSha256,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub(crate) fn new(secret: Secret, purpose: &'static str) -> Signer {
        // Any key length is accepted by HMAC.
        let mut keyed = HmacSha256::new_from_slice(secret.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        keyed.update(purpose.as_bytes());
        keyed.update(b"|");
        Signer { keyed }
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(payload.as_bytes());
        mac
    }

    /// `payload.signature`.
    pub(crate) fn sign(&self, payload: &str) -> String {
        let tag = self.mac(payload).finalize().into_bytes();
        let mut out = String::with_capacity(payload.len() + 44);
        out.push_str(payload);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// The payload of a value made by [`Self::sign`], if its signature is valid.
    pub(crate) fn verify<'v>(&self, value: &'v str) -> Option<&'v str> {
        let (payload, signature) = value.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(payload).verify_slice(&tag).ok()?;
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(purpose: &'static str) -> Signer {
        Signer::new(Secret::new([7u8; 32]).unwrap(), purpose)
    }

    #[test]
    fn round_trips_and_rejects_changes() {
        let s = signer("a");
        let value = s.sign("v1.abc");
        assert_eq!(s.verify(&value), Some("v1.abc"));
        assert_eq!(s.verify(&value.replace("abc", "abd")), None);
        assert_eq!(s.verify(&value[..value.len() - 1]), None);
        assert_eq!(s.verify("v1.abc"), None);
        assert_eq!(s.verify(""), None);
        assert_eq!(signer("b").verify(&value), None);
    }
}
