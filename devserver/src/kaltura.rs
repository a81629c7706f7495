//! The Kaltura API v3 subset of the Application Token flow:
//! `session.startWidgetSession` and `appToken.startSession`, with the server's rules for
//! expiry, user, type, privileges and check order, errors as `KalturaAPIException` objects
//! with HTTP 200, `format=1` JSON and `format=2` XML, and KS v2 strings built and validated
//! as the server does (AES-128-CBC, zero IV, key = first 16 bytes of SHA-1 of the partner's
//! admin secret, SHA-1 of the fields prepended, URL-safe base64).

use crate::config::KalturaAppToken;
use crate::http::{Req, Resp};
use crate::server::State;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use base64::Engine as _;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::collections::HashMap;

const RANDOM_SIZE: usize = 16;
const SHA1_SIZE: usize = 20;

/// Route name of a Kaltura request: `/api_v3/service/<s>/action/<a>` (case-insensitive) or
/// `/api_v3/?service=<s>&action=<a>`.
pub(crate) fn route(lower_path: &str, query: &HashMap<String, String>) -> Option<&'static str> {
    let (service, action) = if let Some(rest) = lower_path.strip_prefix("/api_v3/service/") {
        let mut it = rest.split('/');
        let s = it.next()?.to_string();
        let _ = it.next().filter(|x| *x == "action")?;
        (s, it.next()?.to_string())
    } else {
        let get = |k: &str| query.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.to_ascii_lowercase());
        (get("service")?, get("action")?)
    };
    match (service.as_str(), action.as_str()) {
        ("session", "startwidgetsession") => Some("kaltura.startWidgetSession"),
        ("apptoken", "startsession") => Some("kaltura.appToken.startSession"),
        _ => Some("kaltura.unknown"),
    }
}

fn key_of(admin_secret: &str) -> [u8; 16] {
    let d = Sha1::digest(admin_secret.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// Build a KS v2 string for `partner_id` from `fields` (e.g. `_e`, `_t`, `_u`, privileges).
pub fn encrypt_ks_v2(partner_id: i64, admin_secret: &str, fields: &[(String, String)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut plain: Vec<u8> = (0..RANDOM_SIZE).map(|_| fastrand::u8(..)).collect();
    plain.extend_from_slice(query.as_bytes());
    let mut data = Sha1::digest(&plain).to_vec();
    data.extend_from_slice(&plain);
    while data.len() % 16 != 0 {
        data.push(0);
    }
    let cipher = aes::Aes128::new(&key_of(admin_secret).into());
    let mut prev = [0u8; 16];
    for block in data.chunks_mut(16) {
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        let ga = aes::cipher::generic_array::GenericArray::from_mut_slice(block);
        cipher.encrypt_block(ga);
        prev.copy_from_slice(block);
    }
    let mut decoded = format!("v2|{partner_id}|").into_bytes();
    decoded.extend_from_slice(&data);
    base64::engine::general_purpose::URL_SAFE.encode(decoded)
}

/// Decrypt and verify a KS v2 with `admin_secret`: its partner id and fields, or `None`
/// when it is not a v2 KS of a partner with this secret.
pub fn decrypt_ks_v2(ks: &str, admin_secret: &str) -> Option<(i64, HashMap<String, String>)> {
    let raw = ks.trim().trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(raw)).ok()?;
    let rest = bytes.strip_prefix(b"v2|")?;
    let bar = rest.iter().position(|b| *b == b'|')?;
    let partner: i64 = std::str::from_utf8(&rest[..bar]).ok()?.parse().ok()?;
    let mut data = rest[bar + 1..].to_vec();
    if data.is_empty() || data.len() % 16 != 0 {
        return None;
    }
    let cipher = aes::Aes128::new(&key_of(admin_secret).into());
    let mut prev = [0u8; 16];
    for block in data.chunks_mut(16) {
        let mut saved = [0u8; 16];
        saved.copy_from_slice(block);
        let ga = aes::cipher::generic_array::GenericArray::from_mut_slice(block);
        cipher.decrypt_block(ga);
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

fn ks_fields(expiry: i64, session_type: i32, user: &str, privileges: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = Vec::new();
    for p in privileges.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p = if p == "*" { "all:*" } else { p };
        match p.split_once(':') {
            Some((k, v)) => f.push((k.to_string(), v.to_string())),
            None => f.push((p.to_string(), String::new())),
        }
    }
    f.push(("_e".into(), expiry.to_string()));
    f.push(("_t".into(), session_type.to_string()));
    f.push(("_u".into(), user.to_string()));
    f
}

/// A `KalturaAPIException`, HTTP 200, as the server sends it.
struct ApiError {
    code: &'static str,
    message: String,
    args: Vec<(&'static str, String)>,
}

impl ApiError {
    fn new(code: &'static str, message: String, args: Vec<(&'static str, String)>) -> Self {
        ApiError { code, message, args }
    }
    fn json(&self) -> Value {
        let args = if self.args.is_empty() { json!([]) } else { Value::Object(self.args.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()) };
        json!({"code": self.code, "message": self.message, "objectType": "KalturaAPIException", "args": args})
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn to_xml(v: &Value) -> String {
    match v {
        Value::Object(o) => o.iter().map(|(k, v)| format!("<{k}>{}</{k}>", to_xml(v))).collect(),
        Value::Array(a) => a.iter().map(|v| format!("<item>{}</item>", to_xml(v))).collect(),
        Value::String(s) => xml_escape(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn respond(params: &HashMap<String, String>, result: Result<Value, ApiError>) -> Resp {
    let xml = params.get("format").map(|f| f.trim() == "2").unwrap_or(false);
    match (result, xml) {
        (Ok(v), false) => Resp::json(200, &v),
        (Err(e), false) => Resp::json(200, &e.json()),
        (Ok(v), true) => Resp::xml(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result>{}</result><executionTime>0.001</executionTime></xml>", to_xml(&v))),
        (Err(e), true) => Resp::xml(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result><error>{}</error></result><executionTime>0.001</executionTime></xml>", to_xml(&e.json()))),
    }
}

pub(crate) fn handle(state: &State, route: &str, req: &Req) -> Resp {
    let params = req.params();
    let result = match route {
        "kaltura.startWidgetSession" => start_widget_session(state, &params),
        "kaltura.appToken.startSession" => start_session(state, &params),
        _ => Err(ApiError::new("SERVICE_FORBIDDEN", "The access to this service is forbidden".into(), vec![])),
    };
    respond(&params, result)
}

fn param<'a>(p: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn missing(name: &'static str) -> ApiError {
    ApiError::new("MISSING_MANDATORY_PARAMETER", format!("Missing parameter \"{name}\""), vec![("PARAM_NAME", name.to_string())])
}

fn start_widget_session(state: &State, p: &HashMap<String, String>) -> Result<Value, ApiError> {
    let widget = param(p, "widgetId").ok_or_else(|| missing("widgetId"))?;
    let cfg = state.config();
    let partner = widget
        .strip_prefix('_')
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| cfg.kaltura.partners.iter().find(|pt| pt.id == id))
        .ok_or_else(|| ApiError::new("INVALID_WIDGET_ID", format!("Unknown widget [{widget}]"), vec![("WIDGET_ID", widget.to_string())]))?;
    let lifetime = param(p, "expiry").and_then(|e| e.parse::<i64>().ok()).filter(|e| *e > 0).unwrap_or(86_400);
    let ks = encrypt_ks_v2(partner.id, &partner.admin_secret, &ks_fields(state.now_unix() + lifetime, 0, "0", "view:*,widget:1"));
    Ok(json!({"partnerId": partner.id, "ks": ks, "userId": 0, "objectType": "KalturaStartWidgetSessionResponse"}))
}

fn invalid_ks(ks: &str, err: &str) -> ApiError {
    let (code, desc) = err.split_once(',').unwrap_or(("-1", "INVALID_STR"));
    ApiError::new("INVALID_KS", format!("Invalid KS \"{ks}\", Error \"{err}\""), vec![("KSID", ks.to_string()), ("ERR_CODE", code.to_string()), ("ERR_DESC", desc.to_string())])
}

fn hash_hex(kind: &str, data: &str) -> Option<String> {
    Some(match kind.to_ascii_uppercase().as_str() {
        "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
        "SHA1" => hex::encode(Sha1::digest(data.as_bytes())),
        "SHA256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        "SHA512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
        _ => return None,
    })
}

fn start_session(state: &State, p: &HashMap<String, String>) -> Result<Value, ApiError> {
    let cfg = state.config();
    let now = state.now_unix();
    // 1. INVALID_KS: the KS must decrypt with a configured partner's secret.
    let ks = param(p, "ks").ok_or_else(|| ApiError::new("MISSING_KS", "Missing KS, session not established".into(), vec![]))?;
    let (ks_partner, fields) = cfg.kaltura.partners.iter().find_map(|pt| decrypt_ks_v2(ks, &pt.admin_secret)).ok_or_else(|| invalid_ks(ks, "-1,INVALID_STR"))?;
    // 2. MISSING_MANDATORY_PARAMETER.
    let id = param(p, "id").ok_or_else(|| missing("id"))?;
    let token_hash = param(p, "tokenHash").ok_or_else(|| missing("tokenHash"))?;
    // 3. KS expiry.
    let ks_exp = fields.get("_e").and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
    if ks_exp <= now {
        return Err(invalid_ks(ks, "-5,EXPIRED"));
    }
    // 4. The app token: found (same partner), active, hash, not expired.
    let not_found = || ApiError::new("APP_TOKEN_ID_NOT_FOUND", format!("Application token id \"{id}\" not found"), vec![("ID", id.to_string())]);
    let tok: &KalturaAppToken = cfg.kaltura.app_tokens.iter().find(|t| t.id == id && t.partner_id == ks_partner && t.status != 3).ok_or_else(not_found)?;
    if tok.status != 2 {
        return Err(ApiError::new("APP_TOKEN_NOT_ACTIVE", format!("Application token id \"{id}\" not active"), vec![("ID", id.to_string())]));
    }
    let expected = hash_hex(&tok.hash_type, &format!("{ks}{}", tok.token)).unwrap_or_default();
    if expected.is_empty() || expected != token_hash {
        return Err(ApiError::new("INVALID_APP_TOKEN_HASH", "Invalid application token hash".into(), vec![]));
    }
    if let Some(te) = tok.expiry {
        if te <= now {
            return Err(ApiError::new("APP_TOKEN_EXPIRED", format!("Application token id \"{id}\" expired"), vec![("ID", id.to_string())]));
        }
    }
    // Rules: expiry, user, type, privileges.
    let duration = state.kaltura_duration_override(id).unwrap_or(tok.session_duration) as i64;
    let requested = param(p, "expiry").and_then(|e| e.parse::<i64>().ok()).filter(|e| *e > 0).unwrap_or(duration);
    let mut lifetime = requested.min(duration);
    if let Some(te) = tok.expiry {
        lifetime = lifetime.min(te - now);
    }
    let user = tok.session_user_id.clone().filter(|u| !u.is_empty()).or_else(|| param(p, "userId").map(str::to_string)).unwrap_or_default();
    let session_type = tok.session_type.or_else(|| param(p, "type").and_then(|t| t.parse().ok())).unwrap_or(0);
    let mut privileges = format!("sessionid:{id},apptoken:{id}");
    if let Some(sp) = tok.session_privileges.as_deref().filter(|s| !s.is_empty()) {
        privileges.push(',');
        privileges.push_str(sp);
    }
    let admin_secret = cfg.kaltura.partners.iter().find(|pt| pt.id == ks_partner).map(|pt| pt.admin_secret.clone()).unwrap_or_default();
    let expiry = now + lifetime;
    let user_ks = encrypt_ks_v2(ks_partner, &admin_secret, &ks_fields(expiry, session_type, &user, &privileges));
    Ok(json!({
        "ks": user_ks,
        "sessionType": session_type,
        "partnerId": ks_partner.to_string(),
        "userId": user,
        "expiry": expiry,
        "privileges": privileges,
        "objectType": "KalturaSessionInfo",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_v2_round_trip_and_vendor_vectors() {
        let ks = encrypt_ks_v2(102, "secret", &ks_fields(2_000_000_000, 0, "user@x", "view:*,widget:1"));
        let (p, f) = decrypt_ks_v2(&ks, "secret").unwrap();
        assert_eq!(p, 102);
        assert_eq!(f["_u"], "user@x");
        assert_eq!(f["view"], "*");
        assert!(decrypt_ks_v2(&ks, "other").is_none());
        // KS v2 strings made by the official Kaltura Python client decrypt with its secret.
        let v: Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/ks.json")).unwrap();
        let secret = v["admin_secret"].as_str().unwrap();
        let mut n = 0;
        for c in v["cases"].as_array().unwrap() {
            if c["expect"]["version"] == 2 {
                let (p, f) = decrypt_ks_v2(c["ks"].as_str().unwrap(), secret).unwrap_or_else(|| panic!("{}", c["name"]));
                assert_eq!(p, c["expect"]["partner_id"].as_i64().unwrap());
                assert!(f.contains_key("_e") && f.contains_key("_t"), "{f:?}");
                n += 1;
            }
        }
        assert_eq!(n, 3);
    }
}
