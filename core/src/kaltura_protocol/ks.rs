//! Reading a Kaltura Session (KS) string without the partner's secret.
//!
//! Two formats exist:
//! - **v1**: base64 of `<sha1 hex>|<partnerId>;<partnerId>;<expiry>;<type>;<rand>;<userId>;<privileges>[;…]`.
//!   Only signed, not encrypted: every field can be read.
//! - **v2**: URL-safe base64 of `v2|<partnerId>|<AES-encrypted fields>`. Only the version and
//!   the partner id are readable; the rest needs the admin secret.
//!
//! Decoding accepts standard or URL-safe base64, padded or not (servers and client libraries
//! differ). The signature is not checked and nothing here says the KS is accepted by a server.

use crate::error::{Error, Result};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Largest KS string we attempt to decode. Real ones are a few hundred bytes.
pub const MAX_KS_LEN: usize = 16 * 1024;

/// The error code of every KS decoding failure.
pub const MALFORMED: &str = "malformed";

/// What a client can read from a KS.
///
/// Not secret by itself (the KS is), so `Debug` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsInfo {
    /// The KS format: 1 or 2.
    pub version: u8,
    /// The partner the KS belongs to (system partners are negative).
    pub partner_id: i64,
    /// Expiry, seconds since the Unix epoch (v1 only).
    pub expiry: Option<i64>,
    /// Session type: 0 = user, 2 = admin (v1 only).
    pub session_type: Option<i32>,
    /// The user id; may be empty (v1 only).
    pub user_id: Option<String>,
    /// The privileges string, e.g. `view:*,widget:1`; may be empty (v1 only).
    pub privileges: Option<String>,
}

fn malformed(message: impl Into<String>) -> Error {
    Error::invalid_token(message).with_code(MALFORMED)
}

/// Standard alphabet, padding optional, trailing bits tolerated.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent).with_decode_allow_trailing_bits(true),
);

/// Decode standard or URL-safe base64, padded or unpadded.
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let normalized: String = s
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    LENIENT.decode(normalized).ok()
}

/// Parse a partner id: optional `-`, then 1–18 ASCII digits.
fn parse_partner_id(s: &[u8]) -> Option<i64> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Decode a KS (v1 or v2). Every failure is [`crate::ErrorKind::InvalidToken`] with code
/// `malformed`; messages never contain the KS.
pub fn decode_ks(ks: &str) -> Result<KsInfo> {
    let ks = ks.trim();
    if ks.is_empty() {
        return Err(malformed("the KS is empty"));
    }
    if ks.len() > MAX_KS_LEN {
        return Err(malformed(format!("the KS is longer than {MAX_KS_LEN} bytes")));
    }
    let bytes = decode_b64(ks).ok_or_else(|| malformed("the KS is not valid base64"))?;

    if let Some(rest) = bytes.strip_prefix(b"v2|") {
        return decode_v2(rest);
    }
    decode_v1(&bytes)
}

/// The shortest encrypted part of a v2 KS: a SHA-1 of the rest (20 bytes), 16 random bytes and
/// at least one field, in AES blocks of 16 (the official clients' `generateSessionV2`).
const V2_MIN_ENCRYPTED: usize = 48;

/// `rest` is what follows `v2|`: `<partnerId>|<encrypted>`.
fn decode_v2(rest: &[u8]) -> Result<KsInfo> {
    let sep = rest.iter().position(|&b| b == b'|').ok_or_else(|| malformed("the v2 KS has no '|' after its partner id"))?;
    let (pid, encrypted) = rest.split_at(sep);
    let partner_id = parse_partner_id(pid).ok_or_else(|| malformed("the v2 KS has no valid partner id"))?;
    // `encrypted` still starts with the '|'. What follows is AES-CBC output, so whole 16-byte
    // blocks, of at least a SHA-1 (20 bytes), 16 random bytes and the fields: 48 bytes or more.
    let encrypted = &encrypted[1..];
    if encrypted.is_empty() {
        return Err(malformed("the v2 KS has no encrypted part"));
    }
    if encrypted.len() < V2_MIN_ENCRYPTED || encrypted.len() % 16 != 0 {
        return Err(malformed(format!(
            "the v2 KS's encrypted part is {} bytes, not whole 16-byte blocks of at least {V2_MIN_ENCRYPTED}",
            encrypted.len()
        )));
    }
    Ok(KsInfo { version: 2, partner_id, expiry: None, session_type: None, user_id: None, privileges: None })
}

fn decode_v1(bytes: &[u8]) -> Result<KsInfo> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("the KS is neither a v2 KS nor readable v1 text"))?;
    let (signature, fields) = text.split_once('|').ok_or_else(|| malformed("the KS is neither v2 nor v1 (no '|' after the signature)"))?;
    if signature.len() != 40 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("the v1 KS does not start with a SHA-1 signature"));
    }
    // partnerId; partnerPattern; expiry; type; rand; userId; privileges[; masterPartnerId; additionalData]
    let f: Vec<&str> = fields.split(';').collect();
    if f.len() < 6 {
        return Err(malformed(format!("the v1 KS has {} fields, at least 6 are needed", f.len())));
    }
    let field = |i: usize| f.get(i).copied().unwrap_or("");
    let partner_id = parse_partner_id(field(0).as_bytes()).ok_or_else(|| malformed("the v1 KS has no valid partner id"))?;
    let expiry: i64 = field(2).parse().map_err(|_| malformed("the v1 KS has no valid expiry"))?;
    if !crate::clock::unix_secs_in_range(expiry) {
        return Err(malformed("the v1 KS expiry is out of range (not a time in the years 1 to 9999)"));
    }
    let session_type: i32 = field(3).parse().map_err(|_| malformed("the v1 KS has no valid session type"))?;
    Ok(KsInfo {
        version: 1,
        partner_id,
        expiry: Some(expiry),
        session_type: Some(session_type),
        user_id: Some(field(5).to_string()),
        privileges: Some(f.get(6).map(|s| s.to_string()).unwrap_or_default()),
    })
}

/// Does `s` look like a KS (decodes as v1 or v2)? Cheap enough for `token inspect` sniffing.
pub fn looks_like_ks(s: &str) -> bool {
    decode_ks(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    const SIG: &str = "de1555f3bc3832dbad0861ac0551a7569f3f7973";

    #[test]
    fn v1_every_field_any_base64_flavour() {
        let raw = format!("{SIG}|-2;-2;1795342425;2;42445;a?b>c;view:*,widget:1;0;extra");
        for e in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let info = decode_ks(&e.encode(&raw)).unwrap();
            assert_eq!(
                info,
                KsInfo {
                    version: 1,
                    partner_id: -2,
                    expiry: Some(1795342425),
                    session_type: Some(2),
                    user_id: Some("a?b>c".into()),
                    privileges: Some("view:*,widget:1".into()),
                }
            );
        }
        // Six fields (no privileges) is accepted, as the server's explode() does.
        let six = decode_ks(&STANDARD.encode(format!("{SIG}|1;1;5;0;1;u"))).unwrap();
        assert_eq!(six.privileges.as_deref(), Some(""));
    }

    #[test]
    fn v2_partner_only() {
        let mut raw = b"v2|1851571|".to_vec();
        raw.extend([0u8, 255, 254, 1, 2, 3, 124, 124].repeat(6));
        for e in [&STANDARD, &URL_SAFE_NO_PAD] {
            let info = decode_ks(&e.encode(&raw)).unwrap();
            assert_eq!((info.version, info.partner_id, info.expiry), (2, 1851571, None));
        }
    }

    #[test]
    fn malformed_inputs() {
        let cases: Vec<String> = vec![
            "".into(),
            "   ".into(),
            "!!!!".into(),
            "a=b=".into(),
            STANDARD.encode("v2|"),
            STANDARD.encode("v2|12"),
            STANDARD.encode("v2|12|"),
            STANDARD.encode("v2|x1|abc"),
            // Not whole AES blocks, or fewer than a SHA-1, 16 random bytes and a field fill.
            STANDARD.encode(format!("v2|12|{}", "x".repeat(8))),
            STANDARD.encode(format!("v2|12|{}", "x".repeat(32))),
            STANDARD.encode(format!("v2|12|{}", "x".repeat(47))),
            STANDARD.encode(format!("v2|12|{}", "x".repeat(49))),
            STANDARD.encode("v2|99999999999999999999|abc"),
            STANDARD.encode(format!("{SIG}|1;1;5;0;1")),
            STANDARD.encode(format!("{SIG}|x;1;5;0;1;u;p")),
            STANDARD.encode(format!("{SIG}|1;1;soon;0;1;u;p")),
            STANDARD.encode(format!("{SIG}|1;1;5;admin;1;u;p")),
            STANDARD.encode(format!("{}|1;1;5;0;1;u;p", &SIG[1..])),
            STANDARD.encode(format!("{}|1;1;5;0;1;u;p", SIG.replace('d', "z"))),
            STANDARD.encode([0xffu8, 0xfe, b'|', b'1']),
            "A".repeat(MAX_KS_LEN + 4),
        ];
        for ks in cases {
            let e = decode_ks(&ks).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidToken, "{ks}");
            assert_eq!(e.code(), Some(MALFORMED));
            if ks.len() >= 4 {
                assert!(!e.message().contains(ks.trim()), "{}", e.message());
            }
        }
    }
}
