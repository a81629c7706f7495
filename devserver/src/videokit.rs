//! The VideoKit session gateway (`POST /v1/sessions`) and an app backend
//! (`GET /token/{identity}`) that issues through the same gateway logic, as an app's backend
//! calling the gateway with the app token it keeps server-side would.

use crate::answer::{answer, Payload};
use crate::http::{header, ordered_json, Reply};
use crate::jwt::sign_hs256;
use crate::route::Route;
use crate::state::{conn_of, expiry_after, read_body, rfc3339_millis, App};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Value};

/// What both routes' answers look like to the faults that imitate them: the vendor's own
/// malformed body.
const PAYLOAD: Payload = Payload { field: "sessionToken", malformed: "{\"sessionToken\": abc.def.ghi" };

/// The SDK's identity rules (videokit-core `check_identity`): trimmed, not empty, at most
/// 512 bytes, no control characters.
pub(crate) fn identity_error(identity: &str) -> Option<&'static str> {
    let id = identity.trim();
    if id.is_empty() {
        Some("identity is required")
    } else if id.len() > 512 {
        Some("identity is longer than 512 bytes")
    } else if id.chars().any(char::is_control) {
        Some("identity contains control characters")
    } else {
        None
    }
}

/// `Authorization: Bearer <token>` (scheme case-insensitive), the token trimmed.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let h = header(headers, "authorization")?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|t| !t.is_empty())
}

/// The gateway's decision for an app token, identity and scopes: a session or an error reply.
pub(crate) fn issue_for(app: &App, app_token: Option<&str>, identity: &str, scopes: &[String]) -> Reply {
    let cfg = app.config();
    match app_token {
        Some(t) if cfg.app_tokens.iter().any(|a| a == t) => {}
        _ => return Reply::error(401, "invalid app token"),
    }
    if let Some(e) = identity_error(identity) {
        return Reply::error(400, e);
    }
    let identity = identity.trim();
    let iat = app.now_unix();
    let exp = expiry_after(iat, cfg.token_lifetime.as_secs());
    let claims = json!({"sub": identity, "scopes": scopes, "iat": iat, "exp": exp});
    let token = sign_hs256(&claims, cfg.signing_secret.as_bytes());
    // In the vendor's order: sessionToken, expiresAt, identity.
    Reply::json_text(
        200,
        ordered_json(&[("sessionToken", json!(token)), ("expiresAt", json!(rfc3339_millis(exp))), ("identity", json!(identity))]),
    )
}

/// `POST /v1/sessions` with `Authorization: Bearer <app token>` and `{identity, scopes?}`.
fn gateway(app: &App, headers: &axum::http::HeaderMap, body: &[u8]) -> Reply {
    // The app token first: an unknown one is 401 whatever the body.
    let token = bearer(headers);
    if !token.is_some_and(|t| app.config().app_tokens.iter().any(|a| a == t)) {
        return Reply::error(401, "invalid app token");
    }
    let body: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Value::Object(o),
        Ok(_) => return Reply::error(400, "the body must be a JSON object {identity, scopes}"),
        Err(e) => return Reply::error(400, &format!("the body is not valid JSON: {e}")),
    };
    let identity = match body.get("identity") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Reply::error(400, "identity must be a string"),
    };
    let scopes: Vec<String> = match body.get("scopes") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => match a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>() {
            Some(v) => v,
            None => return Reply::error(400, "scopes must be an array of strings"),
        },
        Some(_) => return Reply::error(400, "scopes must be an array of strings"),
    };
    issue_for(app, token, identity, &scopes)
}

/// `POST /v1/sessions` (route `sessions`).
pub(crate) async fn sessions(State(app): State<App>, req: Request) -> Response {
    let conn = conn_of(&req);
    let (parts, body) = req.into_parts();
    let body = read_body(&app, body).await;
    answer(&app, Route::Sessions, &PAYLOAD, conn, || match body {
        Ok(b) => gateway(&app, &parts.headers, &b),
        Err(r) => r,
    })
    .await
}

/// `GET /token/{identity}` (route `token`): the identity arrives percent-encoded; the
/// session is issued through the gateway logic with the first configured app token.
pub(crate) async fn token(State(app): State<App>, req: Request) -> Response {
    let conn = conn_of(&req);
    let raw = req.uri().path().strip_prefix("/token/").unwrap_or("").to_string();
    answer(&app, Route::Token, &PAYLOAD, conn, || {
        let identity = match percent_encoding::percent_decode_str(&raw).decode_utf8() {
            Ok(s) => s.into_owned(),
            Err(_) => return Reply::error(400, "identity is not valid UTF-8"),
        };
        let first = app.config().app_tokens.first().cloned();
        if first.is_none() {
            return Reply::error(500, "the app backend has no app token configured");
        }
        issue_for(&app, first.as_deref(), &identity, &[])
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_rules() {
        assert!(serde_json::from_str::<Value>(PAYLOAD.malformed).is_err());
        assert_eq!(identity_error("  "), Some("identity is required"));
        assert_eq!(identity_error(&"a".repeat(513)), Some("identity is longer than 512 bytes"));
        assert_eq!(identity_error("a\u{7}b"), Some("identity contains control characters"));
        assert_eq!(identity_error(&"a".repeat(512)), None);
    }
}
