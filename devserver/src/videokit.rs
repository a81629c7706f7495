//! The VideoKit session gateway (`POST /v1/sessions`) and an app backend
//! (`GET /token/{identity}`) that issues through the same gateway logic.

use crate::http::{Req, Resp};
use crate::server::State;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

fn rfc3339_millis(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    dt.format(&fmt).unwrap_or_default()
}

/// Issue a session token for `identity`: an HS256 JWT {sub, scopes, iat, exp} and its
/// expiry as RFC 3339 with milliseconds.
pub(crate) fn issue(state: &State, identity: &str, scopes: &[String]) -> Value {
    let cfg = state.config();
    let now = state.now();
    let iat = state.now_unix();
    let exp = iat + cfg.token_lifetime.as_secs() as i64;
    let token = crate::jwt::sign_hs256(&json!({"sub": identity, "scopes": scopes, "iat": iat, "exp": exp}), cfg.signing_secret.as_bytes());
    let expires = now - Duration::from_nanos(u64::from(now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0))) + cfg.token_lifetime;
    json!({"sessionToken": token, "expiresAt": rfc3339_millis(expires), "identity": identity})
}

pub(crate) fn handle(state: &State, route: &str, req: &Req) -> Resp {
    match route {
        "sessions" => gateway(state, req),
        _ => backend(state, req),
    }
}

fn gateway(state: &State, req: &Req) -> Resp {
    let cfg = state.config();
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
    match bearer {
        Some(t) if cfg.app_tokens.iter().any(|a| a == t) => {}
        _ => return Resp::error(401, "invalid app token"),
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) => return Resp::error(400, "body must be JSON {identity, scopes}"),
    };
    let identity = body.get("identity").and_then(Value::as_str).map(str::trim).unwrap_or("");
    if identity.is_empty() {
        return Resp::error(400, "identity is required");
    }
    let scopes: Vec<String> = match body.get("scopes") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        Some(_) => return Resp::error(400, "scopes must be an array of strings"),
    };
    Resp::json(200, &issue(state, identity, &scopes))
}

fn backend(state: &State, req: &Req) -> Resp {
    let raw = req.path.trim_start_matches("/token/");
    let identity = percent_encoding::percent_decode_str(raw).decode_utf8_lossy().to_string();
    if identity.trim().is_empty() {
        return Resp::error(400, "identity is required");
    }
    // As an app's backend would: call the gateway with the app token it keeps server-side.
    Resp::json(200, &issue(state, &identity, &[]))
}
