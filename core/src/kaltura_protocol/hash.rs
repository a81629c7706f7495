//! The appToken `tokenHash`: lowercase hex of HASH(widget KS + appToken token).

use crate::error::{Error, Result};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::str::FromStr;

/// The hash function an appToken was created with (its `hashType`).
///
/// The SDK defaults to [`HashType::Sha256`]. **The Kaltura server's default is `SHA1`**: an
/// appToken created without an explicit `hashType` expects SHA1, and a client that hashes with
/// anything else gets `INVALID_APP_TOKEN_HASH`. Set the hash type the token was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashType {
    /// `MD5` (weak; supported because the server supports it).
    Md5,
    /// `SHA1`, the server's default for new appTokens.
    Sha1,
    /// `SHA256`, the SDK's default.
    #[default]
    Sha256,
    /// `SHA512`.
    Sha512,
}

impl HashType {
    /// Every hash type, in declaration order.
    pub const ALL: [HashType; 4] = [HashType::Md5, HashType::Sha1, HashType::Sha256, HashType::Sha512];

    /// The wire name used by the Kaltura API (`KalturaAppTokenHashType`): `MD5`, `SHA1`,
    /// `SHA256` or `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashType::Md5 => "MD5",
            HashType::Sha1 => "SHA1",
            HashType::Sha256 => "SHA256",
            HashType::Sha512 => "SHA512",
        }
    }

    /// Length of the hex digest this hash produces.
    pub fn hex_len(self) -> usize {
        match self {
            HashType::Md5 => 32,
            HashType::Sha1 => 40,
            HashType::Sha256 => 64,
            HashType::Sha512 => 128,
        }
    }
}

crate::wire_names::display_as_str!(HashType);

impl FromStr for HashType {
    type Err = Error;

    /// Parse a wire name, case-insensitively (`sha256`, `SHA256`, `Sha256`…); surrounding
    /// whitespace is ignored. Anything else is an `invalid_argument` error.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        HashType::ALL.into_iter().find(|h| h.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| {
            let shown: String = t.chars().filter(|c| !c.is_control()).take(20).collect();
            Error::invalid_argument(format!("unknown Kaltura hash type \"{shown}\" (known: MD5, SHA1, SHA256, SHA512)"))
        })
    }
}

/// The `tokenHash` for `appToken.startSession`: lowercase hex of `hash(widget_ks + app_token)`,
/// exactly as the server's `AppToken::calcHash` computes it (the server compares case-sensitively,
/// so the lowercase matters).
pub fn token_hash(hash: HashType, widget_ks: &str, app_token: &str) -> String {
    fn hex_of<D: Digest>(a: &[u8], b: &[u8]) -> String {
        let mut d = D::new();
        d.update(a);
        d.update(b);
        hex::encode(d.finalize())
    }
    let (a, b) = (widget_ks.as_bytes(), app_token.as_bytes());
    match hash {
        HashType::Md5 => hex_of::<Md5>(a, b),
        HashType::Sha1 => hex_of::<Sha1>(a, b),
        HashType::Sha256 => hex_of::<Sha256>(a, b),
        HashType::Sha512 => hex_of::<Sha512>(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively() {
        for h in HashType::ALL {
            assert_eq!(h.as_str().parse::<HashType>().unwrap(), h);
            assert_eq!(h.as_str().to_lowercase().parse::<HashType>().unwrap(), h);
            assert_eq!(format!(" {h} ").parse::<HashType>().unwrap(), h);
        }
        assert_eq!("Sha512".parse::<HashType>().unwrap(), HashType::Sha512);
        for bad in ["", "SHA-256", "sha384", "md4"] {
            assert_eq!(bad.parse::<HashType>().unwrap_err().kind(), crate::error::ErrorKind::InvalidArgument);
        }
        assert_eq!(HashType::default(), HashType::Sha256);
    }

    #[test]
    fn hashes_are_lowercase_hex_of_the_concatenation() {
        // Well-known digests of "abc" split across the two inputs.
        assert_eq!(token_hash(HashType::Md5, "a", "bc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(token_hash(HashType::Sha1, "ab", "c"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(token_hash(HashType::Sha256, "", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        for h in HashType::ALL {
            let out = token_hash(h, "ks", "token");
            assert_eq!(out.len(), h.hex_len());
            assert!(out.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
    }
}
