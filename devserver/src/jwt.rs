//! HS256 JWT signing and verification (HMAC-SHA256 over `header.payload`, base64url without
//! padding), for the devserver and the CLI only: the mobile library never holds a signing
//! secret.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn mac(secret: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: new_from_slice cannot fail for Hmac<Sha256>.
    let mut m = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Sign `claims` as a compact HS256 JWT with the header `{"alg":"HS256","typ":"JWT"}`.
pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let sig = b64(&mac(secret, signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

/// Verify a compact JWT: three base64url segments, a JSON header whose `alg` is exactly
/// `HS256` (`none` and every other algorithm refused), a matching signature (compared in
/// constant time) and a JSON object payload. Returns the claims; `exp`/`nbf` are not checked
/// here.
pub fn verify_hs256(token: &str, secret: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let dec = |x: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(x.trim_end_matches('=')).ok();
    let header: Value = serde_json::from_slice(&dec(h)?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let sig = dec(s)?;
    let want = mac(secret, format!("{h}.{p}").as_bytes());
    if sig.len() != want.len() || sig.iter().zip(&want).fold(0u8, |a, (x, y)| a | (x ^ y)) != 0 {
        return None;
    }
    match serde_json::from_slice(&dec(p)?).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let t = sign_hs256(&serde_json::json!({"sub": "alice", "exp": 5}), b"k");
        assert_eq!(verify_hs256(&t, b"k").unwrap()["sub"], "alice");
        assert!(verify_hs256(&t, b"other").is_none());
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(verify_hs256(&tampered, b"k").is_none());
    }
}
