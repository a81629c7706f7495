//! Kaltura's appToken hash types: lowercase hex of HASH(data) for `MD5`, `SHA1`, `SHA256`,
//! `SHA512`. Used by the Kaltura routes (tokenHash) and by configuration checks. A leaf.

use sha1::Digest;

/// lowercase hex of HASH(data) for a Kaltura hashType (case-insensitive), or `None` for an
/// unknown type.
pub(crate) fn hash_hex(kind: &str, data: &str) -> Option<String> {
    Some(match kind.to_ascii_uppercase().as_str() {
        "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
        "SHA1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
        "SHA256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        "SHA512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_vectors() {
        let v: serde_json::Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/token-hash.json")).unwrap();
        for c in v["cases"].as_array().unwrap() {
            let data = format!("{}{}", c["widget_ks"].as_str().unwrap(), c["app_token"].as_str().unwrap());
            assert_eq!(hash_hex(c["hash_type"].as_str().unwrap(), &data).unwrap(), c["token_hash"].as_str().unwrap());
        }
        assert!(hash_hex("CRC32", "x").is_none());
    }
}
