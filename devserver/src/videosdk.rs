//! The VideoSDK routes: a token server (`GET /get-token`) and the meeting API's token check
//! (`POST /v2/rooms`, `GET /v2/rooms/validate/{roomId}`).
//!
//! The token server is VideoSDK's own example; the meeting API is where a token is finally
//! judged: HS256 signature with the secret (any other `alg` refused), `exp`/`nbf`
//! against the server clock, and the claim rules.

use crate::answer::{answer, Payload};
use crate::http::{header, ordered_json, params, Reply};
use crate::jwt::{sign_hs256, verify_hs256};
use crate::route::Route;
use crate::state::{conn_of, expiry_after, lock, read_body, rfc3339_millis, App};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Map, Value};

/// What `/get-token`'s answer looks like to the faults that imitate it.
const TOKEN_PAYLOAD: Payload = Payload { field: "token", malformed: "{\"token\": abc.def.ghi" };

/// What the room routes' answers look like to the faults that imitate them.
const ROOM_PAYLOAD: Payload = Payload { field: "roomId", malformed: "{\"roomId\": abc-def" };

/// The example token server: `{"token"}` with `apikey`, `permissions: [allow_join,
/// allow_mod]`, `iat`, `exp` = iat + lifetime; with `roomId` or `peerId` (query or body) also
/// `version: 2`, `roles: ["rtc"]`, and `roomId` / `participantId` for those given.
fn issue(app: &App, p: &std::collections::HashMap<String, String>) -> Reply {
    let cfg = app.config().videosdk;
    let iat = app.now_unix();
    let mut claims = Map::new();
    claims.insert("apikey".into(), json!(cfg.api_key));
    claims.insert("permissions".into(), json!(["allow_join", "allow_mod"]));
    let room = p.get("roomId").filter(|s| !s.is_empty());
    let peer = p.get("peerId").or_else(|| p.get("participantId")).filter(|s| !s.is_empty());
    if room.is_some() || peer.is_some() {
        claims.insert("version".into(), json!(2));
        claims.insert("roles".into(), json!(["rtc"]));
        if let Some(r) = room {
            claims.insert("roomId".into(), json!(r));
        }
        if let Some(p) = peer {
            claims.insert("participantId".into(), json!(p));
        }
    }
    claims.insert("iat".into(), json!(iat));
    // Never past 9999-12-31T23:59:59Z, what every date type can hold.
    let exp = expiry_after(iat, cfg.token_lifetime_secs);
    claims.insert("exp".into(), json!(exp));
    Reply::json(200, &json!({"token": sign_hs256(&Value::Object(claims), cfg.secret.as_bytes())}))
}

/// `GET|POST /get-token[?roomId=..&peerId=..]` (route `videosdk.getToken`).
pub(crate) async fn get_token(State(app): State<App>, req: Request) -> Response {
    let conn = conn_of(&req);
    let (parts, body) = req.into_parts();
    let body = read_body(&app, body).await;
    answer(&app, Route::VideoSdkGetToken, &TOKEN_PAYLOAD, conn, || match body {
        Ok(b) => issue(&app, &params(parts.uri.query(), header(&parts.headers, "content-type"), &b)),
        Err(r) => r,
    })
    .await
}

fn unauthorized() -> Reply {
    Reply::json(401, &json!({"message": "Token is invalid or expired", "statusCode": 401}))
}

/// The meeting API's judgement of the token in `Authorization` (raw, or after `Bearer `).
fn check(app: &App, headers: &axum::http::HeaderMap) -> Result<Map<String, Value>, Reply> {
    let cfg = app.config().videosdk;
    let raw = header(headers, "authorization").unwrap_or("").trim();
    let token = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => raw,
    };
    let claims = verify_hs256(token, cfg.secret.as_bytes()).ok_or_else(unauthorized)?;
    if claims_ok(&claims, &cfg.api_key, app.now_unix()) {
        Ok(claims)
    } else {
        Err(unauthorized())
    }
}

/// VideoSDK's claim rules: `apikey` present and equal to ours; `permissions` a non-empty
/// array of `allow_join`, `ask_join`, `allow_mod`; `version`, when present, 2; `roomId`,
/// `participantId` (non-empty strings) and `roles` (an array of `crawler`, `rtc`) only with
/// version 2; `nbf` not in the future; `exp`, when present, a number in the future.
pub(crate) fn claims_ok(c: &Map<String, Value>, api_key: &str, now: i64) -> bool {
    if c.get("apikey").and_then(Value::as_str) != Some(api_key) {
        return false;
    }
    match c.get("permissions").and_then(Value::as_array) {
        Some(p) if !p.is_empty() && p.iter().all(|x| matches!(x.as_str(), Some("allow_join" | "ask_join" | "allow_mod"))) => {}
        _ => return false,
    }
    let v2 = match c.get("version") {
        None => false,
        Some(v) if v.as_i64() == Some(2) => true,
        Some(_) => return false,
    };
    for k in ["roomId", "participantId"] {
        if let Some(v) = c.get(k) {
            if !v2 || v.as_str().is_none_or(str::is_empty) {
                return false;
            }
        }
    }
    if let Some(r) = c.get("roles") {
        let ok = v2 && r.as_array().is_some_and(|a| a.iter().all(|x| matches!(x.as_str(), Some("crawler" | "rtc"))));
        if !ok {
            return false;
        }
    }
    let now = now as f64;
    match c.get("nbf") {
        None => {}
        Some(v) => match v.as_f64() {
            Some(nbf) if nbf <= now => {}
            _ => return false,
        },
    }
    match c.get("exp") {
        None => true,
        Some(v) => v.as_f64().is_some_and(|exp| exp > now),
    }
}

fn room_id() -> String {
    let part = |n| (0..n).map(|_| char::from(b'a' + fastrand::u8(0..26))).collect::<String>();
    format!("{}-{}-{}", part(4), part(4), part(4))
}

fn room_json(id: &str, created: i64) -> Reply {
    let at = rfc3339_millis(created);
    Reply::json_text(
        200,
        ordered_json(&[("roomId", json!(id)), ("disabled", json!(false)), ("createdAt", json!(at)), ("updatedAt", json!(at))]),
    )
}

/// Rooms kept at most: past this, the oldest (by creation time, then id) are forgotten.
pub(crate) const MAX_ROOMS: usize = 10_000;

/// Record a room, keeping at most [`MAX_ROOMS`].
pub(crate) fn insert_room(rooms: &mut std::collections::BTreeMap<String, i64>, id: String, created: i64) {
    while rooms.len() >= MAX_ROOMS {
        let oldest = rooms.iter().min_by_key(|(id, t)| (**t, (*id).clone())).map(|(id, _)| id.clone());
        match oldest {
            Some(o) => {
                rooms.remove(&o);
            }
            None => break,
        }
    }
    rooms.insert(id, created);
}

/// `POST /v2/rooms` (route `videosdk.createRoom`) → `{"roomId": "xxxx-xxxx-xxxx", ...}`.
pub(crate) async fn create_room(State(app): State<App>, req: Request) -> Response {
    let conn = conn_of(&req);
    let headers = req.headers().clone();
    answer(&app, Route::VideoSdkCreateRoom, &ROOM_PAYLOAD, conn, || match check(&app, &headers) {
        Ok(_) => {
            let id = room_id();
            let now = app.now_unix();
            insert_room(&mut lock(&app.rooms), id.clone(), now);
            room_json(&id, now)
        }
        Err(r) => r,
    })
    .await
}

/// `GET /v2/rooms/validate/{roomId}` (route `videosdk.validateRoom`): the room's JSON, or 400
/// `{"message": "Invalid room id", ...}` for a room this server did not create.
pub(crate) async fn validate_room(State(app): State<App>, req: Request) -> Response {
    let conn = conn_of(&req);
    let headers = req.headers().clone();
    let raw = req.uri().path().strip_prefix("/v2/rooms/validate/").unwrap_or("").to_string();
    answer(&app, Route::VideoSdkValidateRoom, &ROOM_PAYLOAD, conn, || match check(&app, &headers) {
        Ok(_) => {
            let id = percent_encoding::percent_decode_str(&raw).decode_utf8_lossy().into_owned();
            match lock(&app.rooms).get(&id) {
                Some(created) => room_json(&id, *created),
                None => Reply::json(400, &json!({"message": "Invalid room id", "statusCode": 400})),
            }
        }
        Err(r) => r,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_payloads_are_not_json() {
        for p in [TOKEN_PAYLOAD, ROOM_PAYLOAD] {
            assert!(serde_json::from_str::<Value>(p.malformed).is_err(), "{}", p.malformed);
        }
    }

    #[test]
    fn claim_rules() {
        let ok = |v: Value| claims_ok(v.as_object().unwrap(), "k", 100);
        assert!(ok(json!({"apikey": "k", "permissions": ["allow_join"], "exp": 101})));
        assert!(ok(json!({"apikey": "k", "permissions": ["ask_join"]})));
        assert!(ok(
            json!({"apikey": "k", "permissions": ["allow_join"], "version": 2, "roomId": "r", "participantId": "p", "roles": ["rtc", "crawler"]})
        ));
        assert!(!ok(json!({"apikey": "other", "permissions": ["allow_join"]})));
        assert!(!ok(json!({"permissions": ["allow_join"]})));
        assert!(!ok(json!({"apikey": "k", "permissions": []})));
        assert!(!ok(json!({"apikey": "k", "permissions": "allow_join"})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_all"]})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "roomId": "r"})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "version": 2, "roles": ["admin"]})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "version": 3})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "exp": 100})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "exp": "soon"})));
        assert!(!ok(json!({"apikey": "k", "permissions": ["allow_join"], "nbf": 101})));
        assert!(ok(json!({"apikey": "k", "permissions": ["allow_join"], "nbf": 100})));
    }

    /// Issue 12, item 10: the rooms map is bounded; the oldest go first.
    #[test]
    fn rooms_are_bounded() {
        let mut rooms = std::collections::BTreeMap::new();
        for i in 0..MAX_ROOMS + 25 {
            insert_room(&mut rooms, format!("room-{i:06}"), 1_000 + (i / 100) as i64);
        }
        assert_eq!(rooms.len(), MAX_ROOMS);
        assert!(!rooms.contains_key("room-000000") && !rooms.contains_key("room-000024"));
        assert!(rooms.contains_key("room-000025") && rooms.contains_key(&format!("room-{:06}", MAX_ROOMS + 24)));
    }
}
