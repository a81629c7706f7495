//! Offline JWT decoding (no signature verification: the client never holds the secret).
//!
//! Used for three things: reading `exp`/`iat` of session tokens whose expiry the backend did
//! not state, `videokit token inspect`, and the VideoSDK claim checker built on top of it.

use crate::error::{Error, Result};
use base64::Engine as _;
use serde_json::{Map, Value};

/// Largest token we attempt to decode (a JWT in a header rarely exceeds a few KiB).
pub const MAX_JWT_LEN: usize = 16 * 1024;

/// A decoded, unverified JWT.
#[derive(Clone, PartialEq)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// Length of the signature in bytes (0 for an unsecured token).
    pub signature_len: usize,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claims are not secret by themselves, but a full claims dump can contain app data;
        // print only the header algorithm and the claim names.
        f.debug_struct("Jwt").field("alg", &self.alg()).field("claims", &self.claims.keys().collect::<Vec<_>>()).finish()
    }
}

impl Jwt {
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// A numeric-date claim (`exp`, `iat`, `nbf`) as whole seconds since the epoch.
    /// Accepts integers and finite floats (truncated), as RFC 7519 NumericDate allows.
    pub fn numeric_date(&self, name: &str) -> Option<i64> {
        numeric_date(self.claims.get(name)?)
    }

    pub fn exp(&self) -> Option<i64> {
        self.numeric_date("exp")
    }
    pub fn iat(&self) -> Option<i64> {
        self.numeric_date("iat")
    }
    pub fn nbf(&self) -> Option<i64> {
        self.numeric_date("nbf")
    }

    /// `exp`, `iat` and `nbf`, each absent or a NumericDate within the years 1..=9999. A
    /// present claim that is not a number (a string, `null`…) or is out of that range is
    /// `invalid_token` (code `invalid_claim`): such a token must not pass as one that never
    /// expires.
    pub fn time_claims(&self) -> Result<TimeClaims> {
        let get = |name: &str| -> Result<Option<i64>> {
            match self.claims.get(name) {
                None => Ok(None),
                Some(v @ Value::Number(_)) => numeric_date(v).map(Some).ok_or_else(|| {
                    Error::invalid_token(format!("the token's {name} claim is out of range (after year 9999 or before year 1)"))
                        .with_code("invalid_claim")
                }),
                Some(_) => {
                    Err(Error::invalid_token(format!("the token's {name} claim is not a number of seconds")).with_code("invalid_claim"))
                }
            }
        };
        Ok(TimeClaims { exp: get("exp")?, iat: get("iat")?, nbf: get("nbf")? })
    }

    /// Is the header `alg` a usable signing algorithm? `none` (any case), a missing `alg` or
    /// one that is not a non-empty string is `invalid_token` (code `unsupported_algorithm`):
    /// an unsecured JWT is never a credential.
    pub fn check_alg(&self) -> Result<&str> {
        match self.header.get("alg") {
            Some(Value::String(a)) if !a.trim().is_empty() && !a.trim().eq_ignore_ascii_case("none") => Ok(a),
            Some(Value::String(_)) => {
                Err(Error::invalid_token("the token is unsecured (alg \"none\"): it proves nothing").with_code("unsupported_algorithm"))
            }
            Some(_) => Err(Error::invalid_token("the token header alg is not a string").with_code("unsupported_algorithm")),
            None => Err(Error::invalid_token("the token header names no alg").with_code("unsupported_algorithm")),
        }
    }
}

/// A NumericDate within the years 1..=9999 ([`crate::clock::unix_secs_in_range`]); `None`
/// for anything else (not a number, not finite, out of range).
pub(crate) fn numeric_date(v: &Value) -> Option<i64> {
    let secs = match v.as_i64() {
        Some(i) => i,
        None => {
            let f = v.as_f64()?;
            if f.is_finite() && f.abs() < 1e15 {
                f.trunc() as i64
            } else {
                return None;
            }
        }
    };
    crate::clock::unix_secs_in_range(secs).then_some(secs)
}

/// The checked time claims of a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeClaims {
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
}

/// Does this look like a compact JWS (three base64url segments)? Cheap, no decoding.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && token.len() <= MAX_JWT_LEN
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'=')
}

fn b64url(segment: &str, what: &str) -> Result<Vec<u8>> {
    // Tolerate padding: some issuers add it although RFC 7515 says not to.
    let trimmed = segment.trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .map_err(|_| Error::invalid_token(format!("the JWT {what} is not valid base64url")))
}

fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::invalid_token(format!("the JWT {what} is not a JSON object"))),
        Err(_) => Err(Error::invalid_token(format!("the JWT {what} is not valid JSON"))),
    }
}

/// Decode a compact JWT without verifying it. Errors are `invalid_token` and never contain
/// the token.
pub fn decode(token: &str) -> Result<Jwt> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::invalid_token("the token is empty"));
    }
    if token.len() > MAX_JWT_LEN {
        return Err(Error::invalid_token(format!("the token is longer than {MAX_JWT_LEN} bytes")));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Error::invalid_token(format!("a JWT has 3 dot-separated segments, this token has {}", parts.len())));
    }
    let header = json_object(&b64url(parts[0], "header")?, "header")?;
    let claims = json_object(&b64url(parts[1], "payload")?, "payload")?;
    let signature_len = b64url(parts[2], "signature")?.len();
    Ok(Jwt { header, claims, signature_len })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn decodes_header_and_claims() {
        let t = format!(
            "{}.{}.{}",
            enc(r#"{"alg":"HS256","typ":"JWT"}"#),
            enc(r#"{"sub":"alice","exp":1700000000,"iat":1699999000.5}"#),
            enc("sig")
        );
        let j = decode(&t).unwrap();
        assert_eq!(j.alg(), Some("HS256"));
        assert_eq!(j.exp(), Some(1_700_000_000));
        assert_eq!(j.iat(), Some(1_699_999_000));
        assert_eq!(j.signature_len, 3);
        assert!(looks_like_jwt(&t));
    }

    #[test]
    fn rejects_bad_shapes_with_invalid_token() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.W10.", "e30.bm90anNvbg."] {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::InvalidToken, "{bad}");
            if bad.len() > 3 {
                assert!(!e.message().contains(bad));
            }
        }
        let huge = "a".repeat(MAX_JWT_LEN + 1);
        assert_eq!(decode(&huge).unwrap_err().kind(), crate::error::ErrorKind::InvalidToken);
    }
}
