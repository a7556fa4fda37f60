//! HMAC-SHA256 signatures for cookie values under a key ring (the newest key signs, every key
//! verifies), compared in constant time.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::KeyRing;

type HmacSha256 = Hmac<Sha256>;

/// Signs `payload` strings as `payload.signature` under a key ring and a purpose, so a value
/// signed for one purpose (a whole-session cookie) never verifies for another (a session id).
#[derive(Clone)]
pub(crate) struct Signer {
    /// One per key, the signing key first; keyed with the secret and fed the purpose, cloned
    /// for each value, which saves hashing the key each time.
    keyed: Vec<HmacSha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({} keys)", self.keyed.len())
    }
}

/// A verified value: its payload, and whether an older key signed it (re-issue it).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verified<'v> {
    pub(crate) payload: &'v str,
    pub(crate) old_key: bool,
}

impl Signer {
    pub(crate) fn new(keys: &KeyRing, purpose: &'static str) -> Signer {
        let keyed = keys
            .keys()
            .iter()
            .map(|secret| {
                // Any key length is accepted by HMAC.
                let mut keyed = HmacSha256::new_from_slice(secret.bytes())
                    .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
                keyed.update(purpose.as_bytes());
                keyed.update(b"|");
                keyed
            })
            .collect();
        Signer { keyed }
    }

    /// `payload.signature`, signed with the newest key.
    pub(crate) fn sign(&self, payload: &str) -> String {
        let mut mac = self.keyed[0].clone();
        mac.update(payload.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = String::with_capacity(payload.len() + 44);
        out.push_str(payload);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// The payload of a value made by [`Self::sign`] under any key of the ring, if its
    /// signature is valid.
    pub(crate) fn verify<'v>(&self, value: &'v str) -> Option<Verified<'v>> {
        let (payload, signature) = value.rsplit_once('.')?;
        // A SHA-256 tag is 32 bytes (43 characters); the room to spare lets a longer value
        // decode, to be refused by the comparison, rather than fail on the buffer.
        let mut tag = [0u8; 48];
        if signature.len() > 64 {
            return None;
        }
        let len = URL_SAFE_NO_PAD.decode_slice(signature, &mut tag).ok()?;
        let tag = &tag[..len];
        let index = self.keyed.iter().position(|keyed| {
            let mut mac = keyed.clone();
            mac.update(payload.as_bytes());
            mac.verify_slice(tag).is_ok()
        })?;
        Some(Verified {
            payload,
            old_key: index > 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sessions::config::Secret;

    fn signer(purpose: &'static str) -> Signer {
        Signer::new(&Secret::new([7u8; 32]).unwrap().into(), purpose)
    }

    #[test]
    fn round_trips_and_rejects_changes() {
        let s = signer("a");
        let value = s.sign("v1.abc");
        assert_eq!(s.verify(&value).unwrap().payload, "v1.abc");
        assert_eq!(s.verify(&value.replace("abc", "abd")), None);
        assert_eq!(s.verify(&value[..value.len() - 1]), None);
        assert_eq!(s.verify("v1.abc"), None);
        assert_eq!(s.verify(""), None);
        assert_eq!(signer("b").verify(&value), None);
    }

    #[test]
    fn the_newest_key_signs_and_every_key_verifies() {
        let old = Secret::new([1u8; 32]).unwrap();
        let new = Secret::new([2u8; 32]).unwrap();
        let before = Signer::new(&old.clone().into(), "a");
        let ring = Signer::new(&KeyRing::new(new.clone()).with_previous(old), "a");
        let after = Signer::new(&new.into(), "a");
        let legacy = before.sign("x");
        assert!(ring.verify(&legacy).unwrap().old_key);
        let fresh = ring.sign("x");
        assert!(!ring.verify(&fresh).unwrap().old_key);
        assert!(
            after.verify(&fresh).is_some(),
            "new values use the newest key"
        );
        assert!(after.verify(&legacy).is_none());
    }
}
