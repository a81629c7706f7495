//! Kaltura Session (KS) strings, built and checked as the Kaltura server does
//! (`kSessionBase::generateKsV2` / `parseKsV2` / `parseKsV1`).
//!
//! A v2 KS is `base64url("v2|<partnerId>|" + AES-128-CBC(key, iv = 16 zero bytes, data))` with
//! `key` = the first 16 bytes of SHA-1(admin secret) and
//! `data` = SHA-1(random16 ‖ fields) ‖ random16 ‖ fields, zero-padded to the block size, where
//! `fields` is the privileges followed by `_e` (expiry, unix), `_t` (type) and `_u` (user),
//! form-encoded as PHP's `http_build_query` does. '=' padding is kept. On reading, trailing
//! zero bytes are trimmed and the SHA-1 must match.
//!
//! A v1 KS is `base64("<sha1 hex of secret+info>|<info>")` with
//! `info` = `partnerId;partnerId;expiry;type;rand;user;privileges[;...]`. The devserver issues
//! v2 only but accepts a v1 KS signed with a partner's admin secret.

use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::collections::HashMap;

const RANDOM_SIZE: usize = 16;
const SHA1_SIZE: usize = 20;
const BLOCK: usize = 16;

/// A KS the server could read: its partner, expiry, type, user and privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsInfo {
    /// 1 or 2.
    pub version: u8,
    /// The partner the KS belongs to.
    pub partner_id: i64,
    /// Unix time at which the KS expires (`_e`).
    pub expiry: i64,
    /// Session type (`_t`): 0 user, 2 admin.
    pub session_type: i32,
    /// User id (`_u`), possibly empty.
    pub user: String,
    /// Privileges as the server rebuilds them (`name:value,...`; `all:*` becomes `*`).
    pub privileges: String,
}

fn aes_key(admin_secret: &str) -> [u8; 16] {
    let d = Sha1::digest(admin_secret.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// PHP's `urlencode` (what `http_build_query` uses): alphanumerics and `-_.` as they are,
/// space as `+`, everything else `%XX` (upper case).
fn php_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The fields of a v2 KS for these privileges, as `generateKsV2` builds them: each privilege
/// `name:value` (or `name` with an empty value; `*` becomes `all:*`), later ones replacing
/// earlier ones of the same name, then `_e`, `_t`, `_u`.
pub fn ks_v2_fields(expiry: i64, session_type: i32, user: &str, privileges: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut put = |k: String, v: String| match fields.iter_mut().find(|(n, _)| *n == k) {
        Some(slot) => slot.1 = v,
        None => fields.push((k, v)),
    };
    for p in privileges.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p = if p == "*" { "all:*" } else { p };
        match p.split_once(':') {
            Some((k, v)) => put(k.to_string(), v.to_string()),
            None => put(p.to_string(), String::new()),
        }
    }
    put("_e".into(), expiry.to_string());
    put("_t".into(), session_type.to_string());
    put("_u".into(), user.to_string());
    fields
}

/// Build a v2 KS for `partner_id` from `fields` (see [`ks_v2_fields`]), encrypted with the
/// partner's `admin_secret`. A fresh random prefix makes every KS different.
pub fn encrypt_ks_v2(partner_id: i64, admin_secret: &str, fields: &[(String, String)]) -> String {
    let query = fields.iter().map(|(k, v)| format!("{}={}", php_urlencode(k), php_urlencode(v))).collect::<Vec<_>>().join("&");
    let mut plain: Vec<u8> = (0..RANDOM_SIZE).map(|_| fastrand::u8(..)).collect();
    plain.extend_from_slice(query.as_bytes());
    let mut data = Sha1::digest(&plain).to_vec();
    data.extend_from_slice(&plain);
    while data.len() % BLOCK != 0 {
        data.push(0);
    }
    let cipher = aes::Aes128::new(&aes_key(admin_secret).into());
    let mut prev = [0u8; BLOCK];
    for block in data.chunks_mut(BLOCK) {
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
        prev.copy_from_slice(block);
    }
    let mut decoded = format!("v2|{partner_id}|").into_bytes();
    decoded.extend_from_slice(&data);
    base64::engine::general_purpose::URL_SAFE.encode(decoded)
}

/// Build a v2 KS as the server does for a session: privileges, expiry (absolute unix time),
/// type and user.
pub fn generate_ks_v2(partner_id: i64, admin_secret: &str, expiry: i64, session_type: i32, user: &str, privileges: &str) -> String {
    encrypt_ks_v2(partner_id, admin_secret, &ks_v2_fields(expiry, session_type, user, privileges))
}

/// Base64 as the server reads a KS: URL-safe or standard alphabet, padding optional.
fn decode_b64(ks: &str) -> Option<Vec<u8>> {
    let norm: String = ks
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .filter(|c| *c != '=')
        .collect();
    if norm.is_empty() {
        return None;
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(norm.as_bytes()).ok()
}

/// The partner id a KS names (v1 or v2), without checking anything else.
pub fn ks_partner_id(ks: &str) -> Option<i64> {
    let bytes = decode_b64(ks)?;
    if let Some(rest) = bytes.strip_prefix(b"v2|") {
        let bar = rest.iter().position(|b| *b == b'|')?;
        return std::str::from_utf8(&rest[..bar]).ok()?.parse().ok();
    }
    let bar = bytes.iter().position(|b| *b == b'|')?;
    let info = std::str::from_utf8(&bytes[bar + 1..]).ok()?;
    info.split(';').next()?.parse().ok()
}

/// Decrypt and verify a v2 KS with `admin_secret`: its partner id and fields, or `None` when it
/// is not a v2 KS this secret made (bad base64, no `v2|pid|`, wrong length, SHA-1 mismatch).
pub fn decrypt_ks_v2(ks: &str, admin_secret: &str) -> Option<(i64, HashMap<String, String>)> {
    decrypt_ks_v2_ordered(ks, admin_secret).map(|(p, f)| (p, f.into_iter().collect()))
}

fn decrypt_ks_v2_ordered(ks: &str, admin_secret: &str) -> Option<(i64, Vec<(String, String)>)> {
    let bytes = decode_b64(ks)?;
    let rest = bytes.strip_prefix(b"v2|")?;
    let bar = rest.iter().position(|b| *b == b'|')?;
    let partner: i64 = std::str::from_utf8(&rest[..bar]).ok()?.parse().ok()?;
    let mut data = rest[bar + 1..].to_vec();
    if data.is_empty() || data.len() % BLOCK != 0 {
        return None;
    }
    let cipher = aes::Aes128::new(&aes_key(admin_secret).into());
    let mut prev = [0u8; BLOCK];
    for block in data.chunks_mut(BLOCK) {
        let mut saved = [0u8; BLOCK];
        saved.copy_from_slice(block);
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        prev = saved;
    }
    while data.last() == Some(&0) {
        data.pop();
    }
    if data.len() < SHA1_SIZE + RANDOM_SIZE {
        return None;
    }
    let (sig, plain) = data.split_at(SHA1_SIZE);
    if Sha1::digest(plain).as_slice() != sig {
        return None;
    }
    let fields = url::form_urlencoded::parse(&plain[RANDOM_SIZE..]).into_owned().collect();
    Some((partner, fields))
}

/// Read a v2 KS with `admin_secret` into [`KsInfo`].
pub fn parse_ks_v2(ks: &str, admin_secret: &str) -> Option<KsInfo> {
    let (partner_id, fields) = decrypt_ks_v2_ordered(ks, admin_secret)?;
    let mut info = KsInfo { version: 2, partner_id, expiry: 0, session_type: 0, user: String::new(), privileges: String::new() };
    let mut privs = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "_e" => info.expiry = v.parse().unwrap_or(0),
            "_t" => info.session_type = v.parse().unwrap_or(0),
            "_u" => info.user = v,
            "_m" | "_d" => {}
            _ if v.is_empty() => privs.push(k),
            _ => privs.push(format!("{k}:{v}")),
        }
    }
    info.privileges = privs.join(",");
    if info.privileges == "all:*" {
        info.privileges = "*".into();
    }
    Some(info)
}

/// Verify a v1 KS signed with `admin_secret` (`sha1(secret + info)` in hex) and read it.
pub fn parse_ks_v1(ks: &str, admin_secret: &str) -> Option<KsInfo> {
    let bytes = decode_b64(ks)?;
    if bytes.starts_with(b"v2|") {
        return None;
    }
    let text = std::str::from_utf8(&bytes).ok()?;
    let (hash, info) = text.split_once('|')?;
    let parts: Vec<&str> = info.split(';').collect();
    if parts.len() < 3 {
        return None;
    }
    let want = hex::encode(Sha1::digest(format!("{admin_secret}{info}").as_bytes()));
    if !hash.eq_ignore_ascii_case(&want) {
        return None;
    }
    Some(KsInfo {
        version: 1,
        partner_id: parts[0].parse().ok()?,
        expiry: parts[2].parse().ok()?,
        session_type: parts.get(3).and_then(|t| t.parse().ok()).unwrap_or(0),
        user: parts.get(5).map(|s| s.to_string()).unwrap_or_default(),
        privileges: parts.get(6).map(|s| s.to_string()).unwrap_or_default(),
    })
}

/// Read a KS (v2 or v1) made with `admin_secret`.
pub fn parse_ks(ks: &str, admin_secret: &str) -> Option<KsInfo> {
    parse_ks_v2(ks, admin_secret).or_else(|| parse_ks_v1(ks, admin_secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_secret() {
        let ks = generate_ks_v2(102, "secret", 2_000_000_000, 0, "user@x y", "view:*,widget:1");
        let info = parse_ks_v2(&ks, "secret").unwrap();
        assert_eq!(
            info,
            KsInfo {
                version: 2,
                partner_id: 102,
                expiry: 2_000_000_000,
                session_type: 0,
                user: "user@x y".into(),
                privileges: "view:*,widget:1".into()
            }
        );
        assert!(parse_ks_v2(&ks, "other").is_none());
        assert_eq!(ks_partner_id(&ks), Some(102));
        assert!(ks.contains('=') || ks.len() % 4 == 0, "padding kept");
        assert!(!ks.contains('+') && !ks.contains('/'), "URL-safe");
        // Fields are encoded as PHP's http_build_query: '*' -> %2A, '@' -> %40, ' ' -> '+'.
        let (_, fields) = decrypt_ks_v2_ordered(&ks, "secret").unwrap();
        assert_eq!(fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["view", "widget", "_e", "_t", "_u"]);
        assert_eq!(php_urlencode("view:* a@b~"), "view%3A%2A+a%40b%7E");
        assert_eq!(parse_ks_v2(&generate_ks_v2(1, "s", 5, 2, "", "*"), "s").unwrap().privileges, "*");
    }

    #[test]
    fn garbage_never_panics() {
        for s in ["", "=", "v2", "djJ8", "djJ8MXw", "djJ8MXxhYmM=", "not-a-ks", "YWJjfDE7MQ==", "%%%", "djJ8fHh5eg=="] {
            assert!(parse_ks(s, "secret").is_none(), "{s}");
            let _ = ks_partner_id(s);
        }
    }

    #[test]
    fn the_vendors_vectors_read_with_their_secret() {
        // ks.json: v1 and v2 strings made by the official Python client from the same inputs
        // (v1_1851571 and v2_1851571, ...). The v1 expectations say what each v2 holds.
        let v: serde_json::Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/ks.json")).unwrap();
        let secret = v["admin_secret"].as_str().unwrap();
        let cases = v["cases"].as_array().unwrap();
        let (mut v1, mut v2) = (0, 0);
        for c in cases {
            let (name, ks, e) = (c["name"].as_str().unwrap(), c["ks"].as_str().unwrap(), &c["expect"]);
            match e["version"].as_i64() {
                Some(version) => {
                    let info = parse_ks(ks, secret).unwrap_or_else(|| panic!("{name}"));
                    let sibling = cases.iter().find(|x| x["name"] == name.replacen("v2_", "v1_", 1)).unwrap_or_else(|| panic!("{name}"));
                    let want = &sibling["expect"];
                    assert_eq!(i64::from(info.version), version, "{name}");
                    assert_eq!(info.partner_id, e["partner_id"].as_i64().unwrap(), "{name}");
                    assert_eq!(info.expiry, want["expiry"].as_i64().unwrap(), "{name}");
                    assert_eq!(i64::from(info.session_type), want["type"].as_i64().unwrap(), "{name}");
                    assert_eq!(info.user, want["user_id"].as_str().unwrap(), "{name}");
                    assert_eq!(info.privileges, want["privileges"].as_str().unwrap(), "{name}");
                    assert!(parse_ks(ks, "wrong-secret").is_none(), "{name}");
                    if version == 2 {
                        v2 += 1;
                    } else {
                        v1 += 1;
                    }
                }
                None => assert!(parse_ks(ks, secret).is_none(), "{name}"),
            }
        }
        assert_eq!((v1, v2), (3, 3));
    }
}
